// Package buildcmd implements small build: build artifacts from manifests
// into the artifact branch.
package buildcmd

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/smallhq/small/builder"
	"github.com/smallhq/small/cmd/internal/cmdutil"
	"github.com/smallhq/small/diag"
)

// Options are the inputs of small build.
type Options struct {
	IO      *cmdutil.IOStreams
	Factory *cmdutil.Factory
	Rev     string
	Force   bool
	Format  string
}

// NewCmdBuild returns the build command.
func NewCmdBuild(f *cmdutil.Factory, runF func(*Options) error) *cobra.Command {
	opts := &Options{IO: f.IO, Factory: f}
	cmd := &cobra.Command{
		Use:   "build [--rev REV]",
		Short: "Build artifacts from the manifests of a commit into small/artifacts",
		Long: `Build the artifacts of a manifest commit (HEAD by default) into the
artifact branch (small/artifacts unless small.cue says otherwise), as one new
commit on top of the previous build.

Schemas and manifests are read from the commit, never from the working tree;
the working tree, index and HEAD are left untouched. If any manifest is
invalid, build prints the findings, writes nothing and exits 1.

Each manifest builds into <kind>/<id>.json (canonical JSON: its fields
unified with its kind, defaults applied) and the outputs its kind declares
under #outputs. Only manifests that changed since the previous build are
evaluated, unless the schemas, small.cue or small itself changed.

The build commit is deterministic: the builder identity from small.cue, the
manifest commit's date, a canonical message with the trailers
Small-Manifest-Commit, Small-Schema-Digest, Small-Builder and Small-Protocol.
Notes on it in refs/notes/small/lineage and refs/notes/small/lifecycle
record where each changed artifact came from and what happened to it.

The artifact history only moves forward: a commit that does not contain the
last build's manifest commit (an unmerged branch, an older commit) is
refused unless --force is given.

Exit status: 0 built or up to date, 1 findings, 2 usage, 3 the artifact
branch moved underneath (another build won; run small build again) or the
commit does not contain the last build's.`,
		Example: `  $ small build
  $ git log small/artifacts -1 --format=%B
  $ git notes --ref=small/lineage show small/artifacts`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := cmdutil.CheckFormat(opts.Format, diag.FormatText, diag.FormatJSON); err != nil {
				return err
			}
			if runF != nil {
				return runF(opts)
			}
			return Run(opts)
		},
	}
	cmd.Flags().StringVar(&opts.Rev, "rev", "HEAD", "build the manifests of commit `rev`")
	cmd.Flags().BoolVar(&opts.Force, "force", false, "build --rev even if it does not contain the last build's manifest commit")
	cmd.Flags().StringVar(&opts.Format, "format", diag.FormatText, "output `format`: text or json")
	return cmd
}

// Run builds.
func Run(opts *Options) error {
	r, err := opts.Factory.Repository()
	if err != nil {
		return err
	}
	platform, err := opts.Factory.Platform()
	if err != nil {
		return err
	}
	meter := opts.IO.StartProgress("build", opts.Format)
	defer meter.Stop()
	plan, res, err := builder.Build(r, opts.Rev, builder.BuildOptions{Force: opts.Force, Platform: platform.Lineage(), Progress: meter.Counter()})
	meter.Stop()
	if err != nil {
		return cmdutil.Classify(err)
	}
	if plan.Unverified != "" {
		fmt.Fprintf(opts.IO.ErrOut, "small build: warning: the build this one stands on is not verified: %s\n", plan.Unverified)
	}
	if res != nil && res.PacksErr != nil {
		fmt.Fprintf(opts.IO.ErrOut, "small build: warning: the build is written, but its packs were not rolled up: %v\n", res.PacksErr)
	}
	if plan.Report.Failed() {
		if opts.Format == diag.FormatJSON {
			if err := plan.Report.WriteJSON(opts.IO.Out); err != nil {
				return err
			}
		} else if err := plan.Report.WriteText(opts.IO.Out, opts.IO.ErrOut); err != nil {
			return err
		}
		fmt.Fprintln(opts.IO.ErrOut, "small build: nothing written")
		return cmdutil.Findings
	}
	if opts.Format == diag.FormatJSON {
		return cmdutil.WriteJSON(opts.IO.Out, res.Summary(plan))
	}
	branch := plan.Config.Artifacts.Branch
	if !res.Written {
		tip := "no build yet"
		if !res.Commit.IsZero() {
			tip = "at " + res.Commit.Short()
		}
		fmt.Fprintf(opts.IO.Out, "%s is up to date with %s (%s)\n", branch, plan.ManifestCommit.ID.Short(), tip)
		return nil
	}
	c, u, x := plan.Counts()
	fmt.Fprintf(opts.IO.Out, "Built %s from %s: %d created, %d updated, %d retracted (%d of %d manifests evaluated)\n",
		res.Commit.Short(), plan.ManifestCommit.ID.Short(), c, u, x, plan.Evaluated, plan.Manifests)
	for _, ch := range plan.Changes {
		fmt.Fprintf(opts.IO.Out, "  %-9s %s\n", ch.Action, ch.Path)
	}
	for _, a := range plan.Assets {
		fmt.Fprintf(opts.IO.Out, "  %s\n", a)
	}
	old := "(new)"
	if plan.Previous != nil {
		old = plan.Previous.ID.Short()
	}
	fmt.Fprintf(opts.IO.Out, "%s: %s -> %s\n", branch, old, res.Commit.Short())
	return nil
}
