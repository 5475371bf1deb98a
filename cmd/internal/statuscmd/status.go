// Package statuscmd implements small status and small history: where each
// artifact stands in its lifecycle, and how it got there.
package statuscmd

import (
	"fmt"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/smallhq/small/builder"
	"github.com/smallhq/small/cmd/internal/cmdutil"
	"github.com/smallhq/small/cmd/internal/lineagecmd"
	"github.com/smallhq/small/config"
	"github.com/smallhq/small/content"
	"github.com/smallhq/small/diag"
	"github.com/smallhq/small/lineage"
	"github.com/smallhq/small/protocol"
	"github.com/smallhq/small/repo"
	"github.com/smallhq/small/schema"
)

// Options are the inputs of small status.
type Options struct {
	IO      *cmdutil.IOStreams
	Factory *cmdutil.Factory
	Kind    string
	State   string
	Format  string
}

// Entry is one artifact's place in its lifecycle.
type Entry struct {
	Kind     string         `json:"kind"`
	ID       string         `json:"id"`
	Artifact string         `json:"artifact"`
	State    string         `json:"state"`
	Since    string         `json:"since,omitempty"` // when it entered the state
	By       *lineage.Actor `json:"by,omitempty"`    // who moved it there
	Next     []string       `json:"next"`            // what may happen next
	Manifest string         `json:"manifest"`
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
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := cmdutil.CheckFormat(opts.Format, diag.FormatText, diag.FormatJSON); err != nil {
				return err
			}
			return runStatus(opts)
		},
	}
	cmd.Flags().StringVar(&opts.Kind, "kind", "", "only artifacts of `kind`")
	cmd.Flags().StringVar(&opts.State, "state", "", "only artifacts in `state`")
	cmd.Flags().StringVar(&opts.Format, "format", diag.FormatText, "output `format`: text or json")
	return cmd
}

// lifecyclesAt loads the schemas of the commit a build was made from.
func lifecyclesAt(r *repo.Repository, manifestCommit repo.Hash) (*schema.Schema, error) {
	c, err := r.ResolveCommit(manifestCommit.String())
	if err != nil {
		return nil, err
	}
	snap := c.Snapshot()
	cfg, err := config.Load(snap)
	if err != nil {
		return nil, err
	}
	return content.LoadSchema(snap, cfg)
}

func runStatus(opts *Options) error {
	r, l, err := lineagecmd.OpenLog(opts.Factory)
	if err != nil {
		return err
	}
	branch := cmdutil.ArtifactBranch(r)
	entries, mc, err := builder.Current(r, protocol.BranchRef(branch))
	if err != nil {
		return err
	}
	kinds, err := lifecyclesAt(r, mc)
	if err != nil {
		return fmt.Errorf("the schemas of the latest build: %w", err)
	}
	var out []Entry
	pending := map[[2]string]int{}
	for _, e := range entries {
		if opts.Kind != "" && !strings.EqualFold(e.Kind, opts.Kind) || opts.State != "" && e.State() != opts.State {
			continue
		}
		lc := kinds.Lifecycle(e.Kind)
		next := []string{}
		for _, n := range lc.Next(e.State()) {
			if lc.HumanOnlyState(n) {
				n += "*"
			}
			next = append(next, n)
		}
		pending[[2]string{e.Kind, e.ID}] = len(out)
		out = append(out, Entry{Kind: e.Kind, ID: e.ID, State: e.State(), Next: next, Manifest: e.Path,
			Artifact: protocol.ArtifactPath(e.Kind, e.ID)})
	}
	// When and by whom: the newest event that entered the current state.
	left := len(pending)
	err = l.Walk(func(c *repo.CommitInfo) (bool, error) {
		evs, err := l.Events(c.ID)
		if err != nil {
			return false, err
		}
		for _, ev := range evs {
			i, ok := pending[[2]string{ev.Kind, ev.ID}]
			if !ok || out[i].Since != "" || ev.To != out[i].State {
				continue
			}
			actor := ev.Actor
			out[i].Since, out[i].By = ev.Time, &actor
			left--
		}
		return left > 0, nil
	})
	if err != nil {
		return err
	}
	if opts.Format == diag.FormatJSON {
		if out == nil {
			out = []Entry{}
		}
		return cmdutil.WriteJSON(opts.IO.Out, struct {
			Protocol  string  `json:"protocol"`
			Artifacts []Entry `json:"artifacts"`
		}{protocol.Version, out})
	}
	stop := opts.IO.StartPager()
	defer stop()
	tw := tabwriter.NewWriter(opts.IO.Out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "KIND\tID\tSTATE\tSINCE\tBY\tNEXT")
	for _, e := range out {
		since, by := "?", "?"
		if e.Since != "" {
			since = e.Since[:10]
			by = e.By.Type + " " + e.By.Name
		}
		next := strings.Join(e.Next, ", ")
		if next == "" {
			next = "(final)"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", e.Kind, e.ID, e.State, since, by, next)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(out) > 0 {
		fmt.Fprintln(opts.IO.Out, "\n* only a human may move a manifest into this state")
	}
	return nil
}

// NewCmdHistory returns the history command.
func NewCmdHistory(f *cmdutil.Factory) *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:   "history <artifact-path | Kind/id>",
		Short: "An artifact's lifecycle events, oldest first",
		Long: `List the lifecycle events of an artifact, oldest first: created, updated,
transitioned (with the states it moved between), rolled back, retracted,
and observations recorded with small event; each with its time, actor and
manifest commit.`,
		Example: `  $ small history Article/hello-world`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := cmdutil.CheckFormat(format, diag.FormatText, diag.FormatJSON); err != nil {
				return err
			}
			_, l, path, err := lineagecmd.ResolveArtifact(f, args[0], "history")
			if err != nil {
				return err
			}
			// Builds come newest first; within a build, events keep the
			// note's (time) order.
			var builds [][]lineage.Event
			err = l.Walk(func(c *repo.CommitInfo) (bool, error) {
				all, err := l.Events(c.ID)
				if err != nil {
					return false, err
				}
				var here []lineage.Event
				for _, ev := range all {
					if ev.Artifact == path {
						here = append(here, ev)
					}
				}
				builds = append(builds, here)
				return true, nil
			})
			if err != nil {
				return err
			}
			slices.Reverse(builds)
			evs := slices.Concat(builds...)
			if format == diag.FormatJSON {
				if evs == nil {
					evs = []lineage.Event{}
				}
				return cmdutil.WriteJSON(f.IO.Out, struct {
					Protocol string          `json:"protocol"`
					Artifact string          `json:"artifact"`
					Events   []lineage.Event `json:"events"`
				}{protocol.Version, path, evs})
			}
			for _, ev := range evs {
				what := ev.Event
				switch {
				case ev.RollbackOf != "":
					what += " to build " + ev.RollbackOf[:min(12, len(ev.RollbackOf))]
				case ev.From != "" || ev.Event == lineage.Transitioned:
					what += " " + ev.From + " -> " + ev.To
				case ev.To != "":
					what += " in " + ev.To
				}
				if ev.Message != "" {
					what += ": " + ev.Message
				}
				commit := ""
				if len(ev.ManifestCommit) >= 12 {
					commit = "  (manifest " + ev.ManifestCommit[:12] + ")"
				}
				fmt.Fprintf(f.IO.Out, "%s  %-36s by %s %s%s\n", ev.Time, what, ev.Actor.Type, ev.Actor.Name, commit)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&format, "format", diag.FormatText, "output `format`: text or json")
	return cmd
}
