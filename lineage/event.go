package lineage

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/smallhq/small/protocol"
	"github.com/smallhq/small/repo"
)

// BuildEvents are the events only small build records: they follow state,
// which changes only through manifests.
var BuildEvents = []string{Created, Updated, Retracted, Transitioned, RolledBack}

// EventNamePattern is what an event's name matches: the build events and
// every observation small event records.
const EventNamePattern = `^[a-z][a-z0-9-]{0,31}$`

var eventName = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(EventNamePattern) })

// EventNameError is an event type small event may not record.
type EventNameError struct{ Type string }

func (e *EventNameError) Error() string {
	if slices.Contains(BuildEvents, e.Type) {
		return fmt.Sprintf("%q is recorded by small build only: events that follow state change only through manifests", e.Type)
	}
	return fmt.Sprintf("%q: expected an event name of lower case letters, digits and '-', e.g. deployed", e.Type)
}

// CheckEventName refuses the events small build records and names that are
// not lower case letters, digits and '-'.
func CheckEventName(typ string) error {
	if slices.Contains(BuildEvents, typ) || !eventName().MatchString(typ) {
		return &EventNameError{Type: typ}
	}
	return nil
}

// Observation is an event that is not a state change (deployed, announced),
// recorded by someone.
type Observation struct {
	Type    string
	Message string
	// Who made the observation, and when; Agent marks an agent's identity.
	Who   repo.Signature
	Agent bool
}

// ClockError is an observation dated before the version it observes was
// committed: one of the two clocks is wrong.
type ClockError struct {
	When      time.Time
	Commit    repo.Hash
	Committed time.Time
}

func (e *ClockError) Error() string {
	return fmt.Sprintf("the event would be dated %s, more than an hour before %s, the version it observes, was committed (%s): check this machine's clock (or GIT_AUTHOR_DATE)",
		e.When.UTC().Format(time.RFC3339), e.Commit.Short(), e.Committed.UTC().Format(time.RFC3339))
}

// newEventID is 128 random bits in hex: unique without coordination
// between clones.
func newEventID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails on supported platforms
	return hex.EncodeToString(b[:])
}

// RecordEvent appends an observation of the named artifact's current version
// to the lifecycle note of the latest build, keeping every line already
// there (small's or added by hand). It returns the event and the build it
// annotates. Another writer of the notes meanwhile is merged with, not lost.
func (l *Log) RecordEvent(name string, o Observation) (Event, repo.Hash, error) {
	if err := CheckEventName(o.Type); err != nil {
		return Event{}, repo.ZeroHash, err
	}
	path, err := l.ResolveArtifact(name, "an event")
	if err != nil {
		return Event{}, repo.ZeroHash, err
	}
	if ok, err := l.Has(path); err != nil {
		return Event{}, repo.ZeroHash, err
	} else if !ok {
		return Event{}, repo.ZeroHash, &RetractedError{Path: path, Doing: "it has no current version to observe"}
	}
	actor := Actor{Type: ActorHuman, Name: o.Who.Name, Email: o.Who.Email}
	if o.Agent {
		actor.Type = ActorAgent
	}
	ev := Event{Time: o.Who.When.UTC().Format(time.RFC3339), Event: o.Type, Artifact: path, Actor: actor, Message: o.Message, EventID: newEventID()}
	vs, err := l.Versions(path, false)
	if err != nil {
		return Event{}, repo.ZeroHash, err
	}
	if len(vs) > 0 {
		ev.Kind, ev.ID, ev.ManifestCommit = vs[0].Record.Kind, vs[0].Record.ID, vs[0].Record.ManifestCommit
		// An observation of a version cannot come before the version: a
		// clock behind the commit's would write a line small verify refuses.
		if h, ok := repo.ParseHash(ev.ManifestCommit); ok {
			if c, err := l.r.ReadCommit(h); err == nil && o.Who.When.Before(c.Committer.When.Add(-time.Hour)) {
				return Event{}, repo.ZeroHash, &ClockError{When: o.Who.When, Commit: h, Committed: c.Committer.When}
			}
		}
	}
	line, err := MarshalLine(ev)
	if err != nil {
		return Event{}, repo.ZeroHash, err
	}
	add := func(current []byte) ([]byte, error) {
		lines := []string{string(line)}
		for _, l := range strings.Split(string(current), "\n") {
			if strings.TrimSpace(l) != "" {
				lines = append(lines, l)
			}
		}
		return SortLines(lines), nil
	}
	build := l.tip
	_, err = l.r.WriteNotes(l.r.NewObjectWriter(), []repo.NotesChange{{Ref: protocol.NotesLifecycle, Edits: map[repo.Hash]repo.NoteEdit{build: add}}},
		o.Who, "Event added by small event\n", nil)
	return ev, build, err
}
