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
	"github.com/smallhq/small/content"
	"github.com/smallhq/small/diag"
	"github.com/smallhq/small/translations"
)

// Options are the inputs of small status.
type Options struct {
	IO      *cmdutil.IOStreams
	Factory *cmdutil.Factory
	Kind    string
	State   string
	Format  string
	// Translations lists translations instead of artifacts.
	Translations bool
}

// NewCmdStatus returns the status command.
func NewCmdStatus(f *cmdutil.Factory) *cobra.Command {
	opts := &Options{IO: f.IO, Factory: f}
	cmd := &cobra.Command{
		Use:   "status [--kind K] [--state S] [--translations]",
		Short: "Every artifact's lifecycle state, since when, by whom, and what may happen next",
		Long: `List every artifact of the latest build with its kind, id and lifecycle
state, when and by whom it entered that state, and the states it may move
to next (those marked * only a human may enter). States change only
through manifests: edit status, open a pull request, and build.

With --translations, list instead every entry of HEAD's commit (a manifest
in small.cue's default locale) with each locale small.cue supports or its
kind requires (#locales.required, marked *): missing, stale or current. A
translation was made from the source as the last commit that changed the
translation's file has it; it is stale when the source's content (not its
status) has changed since, and the commits that changed it are listed.`,
		Example: `  $ small status
  $ small status --kind Article --state review
  $ small status --format json | jq '.artifacts[] | select(.state == "published")'
  $ small status --translations
  $ small status --translations --format json | jq '.entries[].locales[] | select(.status != "current")'`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := cmdutil.CheckFormat(opts.Format, diag.FormatText, diag.FormatJSON); err != nil {
				return err
			}
			if opts.Translations {
				return runTranslations(opts)
			}
			return runStatus(opts)
		},
	}
	cmd.Flags().StringVar(&opts.Kind, "kind", "", "only artifacts of `kind`")
	_ = cmd.RegisterFlagCompletionFunc("kind", opts.Factory.CompleteKinds)
	cmd.Flags().StringVar(&opts.State, "state", "", "only artifacts in `state`")
	cmd.Flags().StringVar(&opts.Format, "format", diag.FormatText, "output `format`: text or json")
	cmd.Flags().BoolVar(&opts.Translations, "translations", false, "list each entry's translations: missing, stale or current")
	return cmd
}

func runTranslations(opts *Options) error {
	r, err := opts.Factory.Repository()
	if err != nil {
		return err
	}
	rep, err := content.Translations(r, "HEAD")
	if err != nil {
		return cmdutil.Classify(err)
	}
	if opts.Kind != "" || opts.State != "" {
		var kept []translations.EntryStatus
		for _, e := range rep.Entries {
			if (opts.Kind == "" || strings.EqualFold(e.Kind, opts.Kind)) && (opts.State == "" || e.State == opts.State) {
				kept = append(kept, e)
			}
		}
		rep.Entries = append([]translations.EntryStatus{}, kept...)
		rep.Summary = translations.Summarize(rep.Entries)
	}
	if opts.Format == diag.FormatJSON {
		return cmdutil.WriteJSON(opts.IO.Out, rep)
	}
	stop := opts.IO.StartPager()
	defer stop()
	w := opts.IO.Out
	for _, e := range rep.Entries {
		fmt.Fprintf(w, "%s  %s  (%s)\n", e.Name, e.Manifest, e.State)
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		for _, l := range e.Locales {
			loc := l.Locale
			if l.Required {
				loc += "*"
			}
			switch l.Status {
			case translations.Missing:
				fmt.Fprintf(tw, "  %s\t%s\n", loc, l.Status)
			default:
				fmt.Fprintf(tw, "  %s\t%s\t%s\tmade at %s\n", loc, l.Status, l.Manifest, l.MadeAt.Short)
			}
		}
		if err := tw.Flush(); err != nil {
			return err
		}
		for _, l := range e.Locales {
			if len(l.Since) == 0 {
				continue
			}
			fmt.Fprintf(w, "  %s: the source changed since %s in\n", l.Locale, l.MadeAt.Short)
			for _, c := range l.Since {
				fmt.Fprintf(w, "    %s %s\n", c.Short, c.Subject)
			}
		}
	}
	s := rep.Summary
	fmt.Fprintf(w, "%d current, %d stale, %d missing", s.Current, s.Stale, s.Missing)
	if s.RequiredBehind > 0 {
		fmt.Fprintf(w, " (%d required: * marks a locale the kind requires)", s.RequiredBehind)
	}
	fmt.Fprintln(w)
	return nil
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
