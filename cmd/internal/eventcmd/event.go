// Package eventcmd implements small event: record an observation of an
// artifact in its lifecycle log.
package eventcmd

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/smallhq/small/cmd/internal/cmdutil"
	"github.com/smallhq/small/cmd/internal/lineagecmd"
	"github.com/smallhq/small/config"
	"github.com/smallhq/small/lineage"
	"github.com/smallhq/small/repo"
)

// reserved are the events only small build records: they follow state.
var reserved = []string{lineage.Created, lineage.Updated, lineage.Retracted, lineage.Transitioned, lineage.RolledBack}

var eventName = regexp.MustCompile(`^[a-z][a-z0-9-]{0,31}$`)

// maxRetries bounds how often a moved notes ref is re-read.
const maxRetries = 5

// NewCmdEvent returns the event command.
func NewCmdEvent(f *cmdutil.Factory) *cobra.Command {
	var message string
	cmd := &cobra.Command{
		Use:   "event <artifact-path | Kind/id> <type> [--message M]",
		Short: "Record an observation (deployed, reviewed, ...) in an artifact's lifecycle log",
		Long: `Append an event that is not a state change, such as deployed or
announced, to the lifecycle note of the latest build, as you (your git
identity). It can never change state: states change only through
manifests. The names small build records (created, updated, retracted,
transitioned, rolledback) are refused.`,
		Example: `  $ small event Article/hello-world deployed --message "to production"
  $ small history Article/hello-world`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			typ := args[1]
			if slices.Contains(reserved, typ) {
				return cmdutil.Usagef("%q is recorded by small build only: events that follow state change only through manifests", typ)
			}
			if !eventName.MatchString(typ) {
				return cmdutil.Usagef("%q: expected an event name of lower case letters, digits and '-', e.g. deployed", typ)
			}
			r, l, path, err := lineagecmd.ResolveArtifact(f, args[0], "an event")
			if err != nil {
				return err
			}
			if ok, err := l.Has(path); err != nil {
				return err
			} else if !ok {
				return cmdutil.Usagef("%s was retracted: it has no current version to observe", path)
			}
			who, err := r.UserIdentity()
			if err != nil {
				return cmdutil.Usage(err)
			}
			actor := lineage.Actor{Type: "human", Name: who.Name, Email: who.Email}
			if cfg, err := config.Load(r.WorkingTree()); err == nil && cfg.IsAgent(who.Email) {
				actor.Type = "agent"
			}
			vs, err := l.Versions(path, false)
			if err != nil {
				return err
			}
			ev := lineage.Event{Time: who.When.UTC().Format(time.RFC3339), Event: typ, Artifact: path, Actor: actor, Message: message}
			if len(vs) > 0 {
				ev.Kind, ev.ID, ev.ManifestCommit = vs[0].Record.Kind, vs[0].Record.ID, vs[0].Record.ManifestCommit
			}
			tip := l.Tip()
			if err := appendEvent(r, tip, ev, who); err != nil {
				return &cmdutil.ExitError{Code: cmdutil.ExitRepo, Err: err}
			}
			fmt.Fprintf(f.IO.Out, "recorded %s of %s in the lifecycle note of build %s\n", typ, path, tip.String()[:12])
			return nil
		},
	}
	cmd.Flags().StringVarP(&message, "message", "m", "", "a note on the event")
	return cmd
}

// appendEvent adds ev to the lifecycle note of build, retrying when another
// writer moves the notes ref meanwhile.
func appendEvent(r *repo.Repository, build repo.Hash, ev lineage.Event, who repo.Signature) error {
	for attempt := 0; ; attempt++ {
		notes, err := r.ReadNotes(lineage.NotesLifecycle)
		if err != nil {
			return err
		}
		text, _, err := r.NoteText(notes, build)
		if err != nil {
			return err
		}
		// Every line stays, small's or added by hand; ours joins them.
		line, err := lineage.MarshalLine(ev)
		if err != nil {
			return err
		}
		lines := []string{string(line)}
		for _, l := range strings.Split(string(text), "\n") {
			if strings.TrimSpace(l) != "" {
				lines = append(lines, l)
			}
		}
		note := lineage.SortLines(lines)
		w := r.NewObjectWriter()
		c, _, err := w.NotesCommit(notes, map[repo.Hash][]byte{build: note}, who, "Event added by small event\n")
		if err != nil {
			return err
		}
		if err := w.Flush(); err != nil {
			return err
		}
		err = r.UpdateRef(lineage.NotesLifecycle, c, notes.Commit)
		if errors.Is(err, repo.ErrRefMoved) && attempt < maxRetries {
			continue
		}
		return err
	}
}
