// Package checkcmd implements small check: the pull-request check.
package checkcmd

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/smallhq/small/builder"
	"github.com/smallhq/small/cmd/internal/cmdutil"
	"github.com/smallhq/small/content"
	"github.com/smallhq/small/diag"
)

// Options are the inputs of small check.
type Options struct {
	IO      *cmdutil.IOStreams
	Factory *cmdutil.Factory
	Rev     string
	Base    string
	Format  string
}

// NewCmdCheck returns the check command.
func NewCmdCheck(f *cmdutil.Factory) *cobra.Command {
	opts := &Options{IO: f.IO, Factory: f}
	cmd := &cobra.Command{
		Use:   "check --base REV [--rev REV] [--format text|json|github]",
		Short: "Check a change: manifests valid, lifecycle rules kept",
		Long: `Check the manifests of a commit (HEAD by default) as small validate does,
and judge every commit of the change (git rev-list BASE..HEAD, merges
included) in graph order, each with its own actor, under the policy of
--base, the branch the change goes into: who is an agent, what agents may
change and each kind's lifecycle come from there, never from the change
itself. The merge base of --base and the head says which commits and
contents are the change's.

  - a status moves only along an allowed transition; several steps in one
    commit are judged as the unique shortest way; a new manifest starts in
    the initial state, or one reachable from it;
  - no state outside the lifecycle ("agents must not invent states");
  - a state only a human may enter (approved and published, by default)
    is entered, or passed, only by a human's commit (Small-Agent trailer,
    or an author small.cue lists as an agent, make a commit an agent's);
  - in a frozen state (the human-only ones, by default) only a human
    changes a manifest's content;
  - a manifest is deleted only from a state that allows it (draft, archived);
  - an agent's commit changes only small.cue's agentPaths (the manifests,
    by default), and no symbolic link or submodule.

Each refusal names the file and line, the commit, and the rule. A
manifest the change did not touch that a build of the target's history
judged, with the same bytes, schemas, small.cue and version of small, is
decoded but not evaluated again. When the change passes, check says what
merging it would build (created, updated, retracted artifacts), from the
build of the merge base where there is one. This is
the check to run on pull requests, with --base the target branch;
--base A...B names the merge base of A and B. See docs/security.md for
what it needs from branch protection.`,
		Example: `  $ small check --base origin/main
  $ small check --base origin/main --format github`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if opts.Base == "" {
				return cmdutil.Usagef("--base is required: the revision the change is checked against, e.g. --base origin/main")
			}
			if err := cmdutil.CheckFormat(opts.Format, diag.FormatText, diag.FormatJSON, diag.FormatGitHub); err != nil {
				return err
			}
			return run(opts)
		},
	}
	cmd.Flags().StringVar(&opts.Base, "base", "", "the branch the change goes into: the change is judged from its merge base with the head (required)")
	cmd.Flags().StringVar(&opts.Rev, "rev", "HEAD", "the commit to check")
	cmd.Flags().StringVar(&opts.Format, "format", diag.FormatText, "output `format`: text, json or github")
	return cmd
}

func run(opts *Options) error {
	r, err := opts.Factory.Repository()
	if err != nil {
		return err
	}
	platform, err := opts.Factory.Platform()
	if err != nil {
		return err
	}
	res, planErr, err := builder.Check(r, content.CheckOptions{Rev: opts.Rev, Base: opts.Base, Command: "check", Platform: platform})
	if err != nil {
		return cmdutil.Classify(err)
	}
	if planErr != nil {
		fmt.Fprintf(opts.IO.ErrOut, "small check: no plan of what merging builds: %v\n", planErr)
	}
	return cmdutil.WriteReport(opts.IO, opts.Format, &res.Report)
}
