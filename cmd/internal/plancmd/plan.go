// Package plancmd implements small plan: what a build would do, writing nothing.
package plancmd

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/smallhq/small/builder"
	"github.com/smallhq/small/cmd/internal/cmdutil"
	"github.com/smallhq/small/diag"
)

// Options are the inputs of small plan.
type Options struct {
	IO      *cmdutil.IOStreams
	Factory *cmdutil.Factory
	Rev     string
	Base    string
	Stat    bool
	Format  string
}

// NewCmdPlan returns the plan command.
func NewCmdPlan(f *cmdutil.Factory) *cobra.Command {
	opts := &Options{IO: f.IO, Factory: f}
	cmd := &cobra.Command{
		Use:   "plan [--rev REV] [--base REV] [--stat]",
		Short: "Show what a build would create, update and retract, writing nothing",
		Long: `Show the artifacts a build of --rev (HEAD by default) would create, update
and retract, with a unified diff of each, without writing anything.

By default the plan is against the artifact branch, as small build would
run now. With --base, it is against what a build of the merge base of the
base revision and --rev would hold, as a pull request's diff is: in a pull
request, --base origin/main shows what the change does to the artifacts.
--base A...B names the merge base of A and B.`,
		Example: `  $ small plan
  $ small plan --base origin/main --stat
  $ small plan --base main --rev my-branch --format json`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := cmdutil.CheckFormat(opts.Format, diag.FormatText, diag.FormatJSON); err != nil {
				return err
			}
			return run(opts)
		},
	}
	cmd.Flags().StringVar(&opts.Rev, "rev", "HEAD", "plan the build of commit `rev`")
	cmd.Flags().StringVar(&opts.Base, "base", "", "plan against a build of commit `base` instead of the artifact branch")
	cmd.Flags().BoolVar(&opts.Stat, "stat", false, "list the changes without diffs")
	cmd.Flags().StringVar(&opts.Format, "format", diag.FormatText, "output `format`: text or json")
	return cmd
}

func run(opts *Options) error {
	r, err := opts.Factory.Repository()
	if err != nil {
		return err
	}
	var p *builder.Plan
	against := ""
	if opts.Base != "" {
		var base *builder.Plan
		base, p, err = builder.PlanChange(r, opts.Base, opts.Rev)
		if err != nil {
			return cmdutil.Classify(err)
		}
		if base.Report.Failed() {
			fmt.Fprintf(opts.IO.ErrOut, "the base %s has findings:\n", opts.Base)
			base.Report.WriteText(opts.IO.ErrOut, opts.IO.ErrOut)
			return cmdutil.Findings
		}
		against = fmt.Sprintf("a build of %s (%s)", opts.Base, base.ManifestCommit.ID.Short())
	} else {
		if p, err = builder.Prepare(r, opts.Rev); err != nil {
			return cmdutil.Classify(err)
		}
		against = p.Config.Artifacts.Branch + " (no build yet)"
		if p.Previous != nil {
			against = fmt.Sprintf("%s at %s", p.Config.Artifacts.Branch, p.Previous.ID.Short())
		}
	}
	p.Report.Command = "plan"
	if p.Report.Failed() {
		if opts.Format == diag.FormatJSON {
			p.Report.WriteJSON(opts.IO.Out)
		} else {
			p.Report.WriteText(opts.IO.Out, opts.IO.ErrOut)
		}
		return cmdutil.Findings
	}
	if opts.Format == diag.FormatJSON {
		return cmdutil.WriteJSON(opts.IO.Out, p.Summary(!opts.Stat))
	}
	c, u, x := p.Counts()
	fmt.Fprintf(opts.IO.Out, "Plan for %s against %s: %d created, %d updated, %d retracted\n",
		p.ManifestCommit.ID.Short(), against, c, u, x)
	for _, ch := range p.Changes {
		fmt.Fprintf(opts.IO.Out, "  %-9s %s\n", ch.Action, ch.Path)
	}
	for _, a := range p.Assets {
		fmt.Fprintf(opts.IO.Out, "  %s\n", a)
	}
	if opts.Stat {
		return nil
	}
	for _, ch := range p.Changes {
		fmt.Fprintf(opts.IO.Out, "\n%s", builder.UnifiedDiff(ch.Path, ch.Old, ch.New))
	}
	return nil
}
