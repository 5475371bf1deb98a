// Package statuscmd implements small status: where each artifact stands in
// its lifecycle.
package statuscmd

import (
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/smallhq/small/builder"
	"github.com/smallhq/small/cmd/internal/cmdutil"
	"github.com/smallhq/small/diag"
)

// Options are the inputs of small status.
type Options struct {
	IO      *cmdutil.IOStreams
	Factory *cmdutil.Factory
	Kind    string
	State   string
	Format  string
}

// NewCmdStatus returns the status command.
func NewCmdStatus(f *cmdutil.Factory) *cobra.Command {
	opts := &Options{IO: f.IO, Factory: f}
	cmd := &cobra.Command{
		Use:   "status [--kind K] [--state S]",
		Short: "Every artifact's lifecycle state, since when, by whom, and what may happen next",
		Long: `List every artifact of the latest build with its kind, id and lifecycle
state, when and by whom it entered that state, and the states it may move
to next (those marked * only a human may enter). States change only
through manifests: edit status, open a pull request, and build.`,
		Example: `  $ small status
  $ small status --kind Article --state review
  $ small status --format json | jq '.artifacts[] | select(.state == "published")'`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := cmdutil.CheckFormat(opts.Format, diag.FormatText, diag.FormatJSON); err != nil {
				return err
			}
			return runStatus(opts)
		},
	}
	cmd.Flags().StringVar(&opts.Kind, "kind", "", "only artifacts of `kind`")
	_ = cmd.RegisterFlagCompletionFunc("kind", opts.Factory.CompleteKinds)
	cmd.Flags().StringVar(&opts.State, "state", "", "only artifacts in `state`")
	cmd.Flags().StringVar(&opts.Format, "format", diag.FormatText, "output `format`: text or json")
	return cmd
}

func runStatus(opts *Options) error {
	r, l, err := opts.Factory.OpenLog()
	if err != nil {
		return cmdutil.Classify(err)
	}
	rep, err := builder.Status(r, l, builder.StatusFilter{Kind: opts.Kind, State: opts.State})
	if err != nil {
		return cmdutil.Classify(err)
	}
	out := rep.Artifacts
	if opts.Format == diag.FormatJSON {
		return cmdutil.WriteJSON(opts.IO.Out, rep)
	}
	stop := opts.IO.StartPager()
	defer stop()
	tw := tabwriter.NewWriter(opts.IO.Out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "KIND\tID\tSTATE\tSINCE\tBY\tNEXT")
	for _, e := range out {
		since, by := "?", "?"
		if e.Since != "" {
			since = e.Since[:10]
			by = e.By.String()
		}
		next := strings.Join(e.Next, ", ")
		if next == "" {
			next = "(final)"
		}
		id := e.ID
		if e.Locale != "" {
			id += "@" + e.Locale
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", e.Kind, id, e.State, since, by, next)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(out) > 0 {
		fmt.Fprintln(opts.IO.Out, "\n* only a human may move a manifest into this state")
	}
	return nil
}
