// Package logcmd implements small log: the history of builds and lifecycle
// events, git log-style.
package logcmd

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/smallhq/small/builder"
	"github.com/smallhq/small/cmd/internal/cmdutil"
	"github.com/smallhq/small/diag"
	"github.com/smallhq/small/lineage"
	"github.com/smallhq/small/protocol"
)

// Options are the inputs of small log.
type Options struct {
	IO      *cmdutil.IOStreams
	Factory *cmdutil.Factory
	N       int
	Kind    string
	ID      string
	Actor   string
	Since   string
	Until   string
	Oneline bool
	Format  string
}

// NewCmdLog returns the log command.
func NewCmdLog(f *cmdutil.Factory) *cobra.Command {
	opts := &Options{IO: f.IO, Factory: f}
	cmd := &cobra.Command{
		Use:   "log [-n N] [--kind K] [--id ID] [--actor human|agent] [--since DATE] [--until DATE] [--oneline]",
		Short: "History of builds and lifecycle events, newest first",
		Long: `Show the builds on the artifact branch, newest first, each with the
lifecycle events it recorded: which artifacts were created, updated or
retracted, from which manifest commit, by which actor (human or agent).

Filters keep the events that match (and the builds that have any). On a
terminal the output goes through $PAGER (less -FRX by default), as git log's.`,
		Example: `  $ small log -n 5
  $ small log --actor agent --oneline
  $ small log --kind Article --since 2026-01-01 --format json`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := cmdutil.CheckFormat(opts.Format, diag.FormatText, diag.FormatJSON); err != nil {
				return err
			}
			if opts.Actor != "" && opts.Actor != "human" && opts.Actor != "agent" {
				return cmdutil.Usagef("--actor %q: expected human or agent", opts.Actor)
			}
			return run(opts)
		},
	}
	cmd.Flags().IntVarP(&opts.N, "max-count", "n", 0, "show at most `N` builds (with --oneline, N events)")
	cmd.Flags().StringVar(&opts.Kind, "kind", "", "only events of artifacts of `kind`")
	_ = cmd.RegisterFlagCompletionFunc("kind", opts.Factory.CompleteKinds)
	cmd.Flags().StringVar(&opts.ID, "id", "", "only events of artifacts with manifest `id`")
	cmd.Flags().StringVar(&opts.Actor, "actor", "", "only events caused by a human or an agent")
	cmd.Flags().StringVar(&opts.Since, "since", "", "only events at or after `date` (2026-01-15, RFC 3339, yesterday, 2.weeks.ago)")
	cmd.Flags().StringVar(&opts.Until, "until", "", "only events at or before `date` (as --since)")
	cmd.Flags().BoolVar(&opts.Oneline, "oneline", false, "one line per event")
	cmd.Flags().StringVar(&opts.Format, "format", diag.FormatText, "output `format`: text or json")
	return cmd
}

func run(opts *Options) error {
	f := lineage.Filter{Kind: opts.Kind, ID: opts.ID, Actor: opts.Actor}
	if opts.Since != "" {
		var err error
		if f.Since, err = lineage.ParseSince(opts.Since, time.Now().UTC()); err != nil {
			return cmdutil.Usagef("--since %v", err)
		}
	}
	if opts.Until != "" {
		var err error
		if f.Until, err = lineage.ParseSince(opts.Until, time.Now().UTC()); err != nil {
			return cmdutil.Usagef("--until %v", err)
		}
	}
	if opts.Oneline {
		f.MaxEvents = opts.N
	} else {
		f.MaxBuilds = opts.N
	}
	r, l, err := opts.Factory.OpenLog()
	if err != nil {
		return cmdutil.Classify(err)
	}
	if err := builder.CheckFilter(r, l, builder.StatusFilter{Kind: opts.Kind}); err != nil {
		return cmdutil.Classify(err)
	}
	rep, err := l.Builds(f)
	if err != nil {
		return cmdutil.Classify(err)
	}
	if opts.Format == diag.FormatJSON {
		return cmdutil.WriteJSON(opts.IO.Out, rep)
	}
	stop := opts.IO.StartPager()
	defer stop()
	w := opts.IO.Out
	shown := 0
	for i, b := range rep.Builds {
		if opts.Oneline {
			for _, e := range b.Events {
				if opts.N > 0 && shown == opts.N {
					return nil
				}
				shown++
				fmt.Fprintf(w, "%s %s %-9s %s (%s)\n", cmdutil.ShortID(b.Build), e.Time[:10], e.Event, e.Artifact, e.Actor)
			}
			continue
		}
		if i > 0 {
			fmt.Fprintln(w)
		}
		fmt.Fprintf(w, "build %s\nManifest: %s\nDate:     %s\n\n    %s\n\n", b.Build, b.ManifestCommit, b.Date, b.Subject)
		for _, e := range b.Events {
			fmt.Fprintf(w, "    %-9s %-40s %s  by %s\n", e.Event, e.Artifact, protocol.EntryName(e.Kind, e.ID, e.Locale), e.Actor)
		}
		if len(b.Events) == 0 {
			fmt.Fprintln(w, "    (no lifecycle events recorded)")
		}
	}
	return nil
}
