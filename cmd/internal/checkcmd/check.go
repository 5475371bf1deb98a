// Package checkcmd implements small check: the pull-request check.
package checkcmd

import (
	"github.com/spf13/cobra"

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
and the change from --base to it against each kind's lifecycle:

  - a status moves only along an allowed transition from its state at the
    base; a new manifest starts in the initial state, or one reachable from it;
  - no state outside the lifecycle ("agents must not invent states");
  - a state that only a human may enter (approved and published, by default)
    is not entered by a version an agent committed (Small-Agent trailer, or
    an author small.cue lists as an agent);
  - a manifest is deleted only from a state that allows it (draft, archived);
  - no agent's commit in the change touches the schemas or small.cue:
    agents act only through manifests.

Each refusal names the file and line, the current state and the allowed
next states. This is the check to run on pull requests, with --base the
target branch.`,
		Example: `  $ small check --base origin/main
  $ small check --base origin/main --format github`,
		Args: cobra.NoArgs,
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
	cmd.Flags().StringVar(&opts.Base, "base", "", "the `revision` the change is checked against (required)")
	cmd.Flags().StringVar(&opts.Rev, "rev", "HEAD", "the commit to check")
	cmd.Flags().StringVar(&opts.Format, "format", diag.FormatText, "output `format`: text, json or github")
	return cmd
}

func run(opts *Options) error {
	r, err := opts.Factory.Repository()
	if err != nil {
		return err
	}
	res, err := content.Check(r, content.CheckOptions{Rev: opts.Rev, Base: opts.Base, Command: "check"})
	if err != nil {
		return cmdutil.Classify(err)
	}
	return cmdutil.WriteReport(opts.IO, opts.Format, &res.Report)
}
