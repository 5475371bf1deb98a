// Package historycmd implements small history: how an artifact got where it
// stands, event by event.
package historycmd

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/smallhq/small/cmd/internal/cmdutil"
	"github.com/smallhq/small/diag"
	"github.com/smallhq/small/lineage"
)

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
		Example:           `  $ small history Article/hello-world`,
		ValidArgsFunction: f.CompleteArtifacts,
		Args:              cmdutil.ExactArgs(1, "an artifact: its path or Kind/id"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := cmdutil.CheckFormat(format, diag.FormatText, diag.FormatJSON); err != nil {
				return err
			}
			_, l, err := f.OpenLog()
			if err != nil {
				return cmdutil.Classify(err)
			}
			rep, err := l.History(args[0])
			if err != nil {
				return cmdutil.Classify(err)
			}
			if format == diag.FormatJSON {
				return cmdutil.WriteJSON(f.IO.Out, rep)
			}
			for _, ev := range rep.Events {
				fmt.Fprintln(f.IO.Out, line(ev))
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&format, "format", diag.FormatText, "output `format`: text or json")
	return cmd
}

// line is one event as small history prints it.
func line(ev lineage.Event) string {
	what := ev.Event
	switch {
	case ev.RollbackOf != "":
		what += " to build " + cmdutil.ShortID(ev.RollbackOf)
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
		commit = "  (manifest " + cmdutil.ShortID(ev.ManifestCommit) + ")"
	}
	return fmt.Sprintf("%s  %-36s by %s%s", ev.Time, what, ev.Actor, commit)
}
