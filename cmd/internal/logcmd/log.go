// Package logcmd implements small log: the history of builds and lifecycle
// events, git log-style.
package logcmd

import (
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/smallhq/small/cmd/internal/cmdutil"
	"github.com/smallhq/small/cmd/internal/lineagecmd"
	"github.com/smallhq/small/diag"
	"github.com/smallhq/small/lineage"
	"github.com/smallhq/small/protocol"
	"github.com/smallhq/small/repo"
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
	Oneline bool
	Format  string
}

// NewCmdLog returns the log command.
func NewCmdLog(f *cmdutil.Factory) *cobra.Command {
	opts := &Options{IO: f.IO, Factory: f}
	cmd := &cobra.Command{
		Use:   "log [-n N] [--kind K] [--id ID] [--actor human|agent] [--since DATE] [--oneline]",
		Short: "History of builds and lifecycle events, newest first",
		Long: `Show the builds on the artifact branch, newest first, each with the
lifecycle events it recorded: which artifacts were created, updated or
retracted, from which manifest commit, by which actor (human or agent).

Filters keep the events that match (and the builds that have any). On a
terminal the output goes through $PAGER (less -FRX by default), as git log's.`,
		Example: `  $ small log -n 5
  $ small log --actor agent --oneline
  $ small log --kind Article --since 2026-01-01 --format json`,
		Args: cobra.NoArgs,
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
	cmd.Flags().StringVar(&opts.ID, "id", "", "only events of artifacts with manifest `id`")
	cmd.Flags().StringVar(&opts.Actor, "actor", "", "only events caused by a human or an agent")
	cmd.Flags().StringVar(&opts.Since, "since", "", "only events at or after `date` (2006-01-02 or RFC 3339)")
	cmd.Flags().BoolVar(&opts.Oneline, "oneline", false, "one line per event")
	cmd.Flags().StringVar(&opts.Format, "format", diag.FormatText, "output `format`: text or json")
	return cmd
}

type buildView struct {
	Build          string          `json:"build"`
	Date           string          `json:"date"`
	ManifestCommit string          `json:"manifestCommit"`
	Subject        string          `json:"subject"`
	Events         []lineage.Event `json:"events"`
}

func run(opts *Options) error {
	var since time.Time
	if opts.Since != "" {
		var err error
		if since, err = time.Parse(time.RFC3339, opts.Since); err != nil {
			if since, err = time.Parse(time.DateOnly, opts.Since); err != nil {
				return cmdutil.Usagef("--since %q: expected a date such as 2026-01-15 or 2026-01-15T10:00:00Z", opts.Since)
			}
		}
	}
	_, l, err := lineagecmd.OpenLog(opts.Factory)
	if err != nil {
		return err
	}
	match := func(e lineage.Event) bool {
		if opts.Kind != "" && !strings.EqualFold(e.Kind, opts.Kind) {
			return false
		}
		if opts.ID != "" && e.ID != opts.ID {
			return false
		}
		if opts.Actor != "" && e.Actor.Type != opts.Actor {
			return false
		}
		if !since.IsZero() {
			if t, err := time.Parse(time.RFC3339, e.Time); err == nil && t.Before(since) {
				return false
			}
		}
		return true
	}
	var builds []buildView
	events := 0
	err = l.Walk(func(c *repo.CommitInfo) (bool, error) {
		if !since.IsZero() && c.Committer.When.Before(since) {
			return false, nil
		}
		evs, err := l.Events(c.ID)
		if err != nil {
			return false, err
		}
		var kept []lineage.Event
		for _, e := range evs {
			if match(e) {
				kept = append(kept, e)
			}
		}
		if len(kept) == 0 && (len(evs) > 0 || opts.Kind != "" || opts.ID != "" || opts.Actor != "") {
			return true, nil
		}
		builds = append(builds, buildView{Build: c.ID.String(), Date: c.Committer.When.Format(time.DateTime + " -0700"),
			ManifestCommit: c.Trailer(protocol.TrailerManifestCommit), Subject: c.Subject(), Events: kept})
		events += len(kept)
		if opts.N > 0 {
			if opts.Oneline && events >= opts.N || !opts.Oneline && len(builds) >= opts.N {
				return false, nil
			}
		}
		return true, nil
	})
	if err != nil {
		return err
	}
	if opts.Format == diag.FormatJSON {
		if builds == nil {
			builds = []buildView{}
		}
		return cmdutil.WriteJSON(opts.IO.Out, struct {
			Protocol string      `json:"protocol"`
			Builds   []buildView `json:"builds"`
		}{protocol.Version, builds})
	}
	stop := opts.IO.StartPager()
	defer stop()
	w := opts.IO.Out
	shown := 0
	for i, b := range builds {
		if opts.Oneline {
			for _, e := range b.Events {
				if opts.N > 0 && shown == opts.N {
					return nil
				}
				shown++
				fmt.Fprintf(w, "%s %s %-9s %s (%s %s)\n", b.Build[:12], e.Time[:10], e.Event, e.Artifact, e.Actor.Type, e.Actor.Name)
			}
			continue
		}
		if i > 0 {
			fmt.Fprintln(w)
		}
		fmt.Fprintf(w, "build %s\nManifest: %s\nDate:     %s\n\n    %s\n\n", b.Build, b.ManifestCommit, b.Date, b.Subject)
		for _, e := range b.Events {
			fmt.Fprintf(w, "    %-9s %-40s %s/%s  by %s %s\n", e.Event, e.Artifact, e.Kind, e.ID, e.Actor.Type, e.Actor.Name)
		}
		if len(b.Events) == 0 {
			fmt.Fprintln(w, "    (no lifecycle events recorded)")
		}
	}
	return nil
}
