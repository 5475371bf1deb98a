package lineage

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/smallhq/small/protocol"
	"github.com/smallhq/small/repo"
)

func observation(typ string, n int) Observation {
	return Observation{Type: typ, Message: "to production", Who: sign(ann, n)}
}

func TestRecordEventRefuses(t *testing.T) {
	w := newWorld(t)
	lifecycleBefore := mustRef(t, w.r, protocol.NotesLifecycle)
	tests := []struct {
		name, artifact, typ string
		check               func(error) bool
	}{
		{"build-only event", helloPath, Created, isEventNameError},
		{"build-only transitioned", helloPath, Transitioned, isEventNameError},
		{"build-only rolledback", helloPath, RolledBack, isEventNameError},
		{"upper case", helloPath, "Deployed", isEventNameError},
		{"empty", helloPath, "", isEventNameError},
		{"spaces", helloPath, "went live", isEventNameError},
		{"retracted artifact", byePath, "deployed", func(err error) bool {
			var re *RetractedError
			return errors.As(err, &re) && re.Path == byePath && strings.Contains(err.Error(), "no current version to observe")
		}},
		{"manifest path", helloManifest, "deployed", func(err error) bool {
			var na *NotAnArtifactError
			return errors.As(err, &na) && na.Verb == "an event"
		}},
		{"unknown artifact", "article/none.json", "deployed", func(err error) bool {
			var nf *NotFoundError
			return errors.As(err, &nf)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := w.open(t)
			ev, build, err := l.RecordEvent(tt.artifact, observation(tt.typ, 6))
			if !tt.check(err) {
				t.Errorf("RecordEvent(%s, %q) = %v", tt.artifact, tt.typ, err)
			}
			if ev != (Event{}) || !build.IsZero() {
				t.Errorf("a refused event returned %+v on %s", ev, build)
			}
		})
	}
	if got := mustRef(t, w.r, protocol.NotesLifecycle); got != lifecycleBefore {
		t.Errorf("a refused event moved %s", protocol.NotesLifecycle)
	}
}

func isEventNameError(err error) bool {
	var ne *EventNameError
	return errors.As(err, &ne)
}

func TestRecordEvent(t *testing.T) {
	tests := []struct {
		name     string
		artifact string
		obs      Observation
		want     Event
	}{
		{"human observes an artifact with lineage", "Article/hello", observation("deployed", 6),
			Event{Time: rfc(6), Event: "deployed", Artifact: helloPath, Kind: "Article", ID: "hello",
				ManifestCommit: "M2", Actor: humanAnn, Message: "to production"}},
		{"agent observes", helloPath, Observation{Type: "announced", Who: sign(bot, 7), Agent: true},
			Event{Time: rfc(7), Event: "announced", Artifact: helloPath, Kind: "Article", ID: "hello",
				ManifestCommit: "M2", Actor: Actor{Type: "agent", Name: "Drafter", Email: bot.Email}}},
		{"time in UTC", helloPath, Observation{Type: "deployed", Who: repo.Signature{Name: "Ann", Email: ann.Email,
			When: at(6).In(time.FixedZone("CET", 3600))}},
			Event{Time: rfc(6), Event: "deployed", Artifact: helloPath, Kind: "Article", ID: "hello", ManifestCommit: "M2", Actor: humanAnn}},
		{"artifact without lineage: no kind, id or manifest commit", newPath, observation("deployed", 6),
			Event{Time: rfc(6), Event: "deployed", Artifact: newPath, Actor: humanAnn, Message: "to production"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t)
			if tt.want.ManifestCommit == "M2" {
				tt.want.ManifestCommit = w.m(2).String()
			}
			before := mustRef(t, w.r, protocol.NotesLifecycle)
			lineageBefore := mustRef(t, w.r, protocol.NotesLineage)
			l := w.open(t)
			ev, build, err := l.RecordEvent(tt.artifact, tt.obs)
			if err != nil {
				t.Fatal(err)
			}
			// Each observation has its own random id.
			if len(ev.EventID) != 32 {
				t.Errorf("event id %q, want 32 hex digits", ev.EventID)
			}
			tt.want.EventID = ev.EventID
			if ev != tt.want {
				t.Errorf("event =\n%+v\nwant\n%+v", ev, tt.want)
			}
			if build != w.b(5) {
				t.Errorf("annotated %s, want the tip B5", w.buildNo(build))
			}
			// The tip's note keeps its hand-written line and gains the event, sorted.
			line, _ := MarshalLine(tt.want)
			notes, err := w.r.ReadNotes(protocol.NotesLifecycle)
			if err != nil {
				t.Fatal(err)
			}
			text, ok, err := w.r.NoteText(notes, w.b(5))
			if want := string(SortLines([]string{handNote, string(line)})); err != nil || !ok || string(text) != want {
				t.Errorf("note on B5 = %q, %v, %v; want %q", text, ok, err, want)
			}
			// One commit on top of the notes there were; other notes stay.
			c, err := w.r.ReadCommit(notes.Commit)
			if err != nil || len(c.Parents) != 1 || c.Parents[0] != before {
				t.Errorf("notes commit %+v, %v: want one parent, the previous notes", c, err)
			}
			if c.Author.Name != tt.obs.Who.Name || c.Author.Email != tt.obs.Who.Email {
				t.Errorf("notes commit author = %+v, want the observer", c.Author)
			}
			if notes.Len() != 5 {
				t.Errorf("%d builds have lifecycle notes, want all 5", notes.Len())
			}
			if got := mustRef(t, w.r, protocol.NotesLineage); got != lineageBefore {
				t.Errorf("an event moved %s", protocol.NotesLineage)
			}
			// The queries see it, after the build's events.
			l = w.open(t)
			rep, err := l.Builds(Filter{MaxBuilds: 1})
			if err != nil || len(rep.Builds) != 1 || len(rep.Builds[0].Events) != 1 || rep.Builds[0].Events[0] != tt.want {
				t.Errorf("Builds = %+v, %v", rep, err)
			}
			hist, err := l.History(tt.artifact)
			if err != nil || len(hist.Events) == 0 || hist.Events[len(hist.Events)-1] != tt.want {
				t.Errorf("History = %+v, %v; want the event last", hist, err)
			}
		})
	}
}

// TestRecordEventTwice: a second observation keeps the first, whether the
// log was opened before or after the first was written.
func TestRecordEventTwice(t *testing.T) {
	w := newWorld(t)
	l := w.open(t)
	first, _, err := l.RecordEvent(helloPath, observation("deployed", 6))
	if err != nil {
		t.Fatal(err)
	}
	second, _, err := l.RecordEvent(newPath, Observation{Type: "announced", Who: sign(ann, 7)})
	if err != nil {
		t.Fatal(err)
	}
	third, _, err := w.open(t).RecordEvent(helloPath, observation("reverted", 8))
	if err != nil {
		t.Fatal(err)
	}
	notes, _ := w.r.ReadNotes(protocol.NotesLifecycle)
	text, _, _ := w.r.NoteText(notes, w.b(5))
	var lines []string
	for _, e := range []Event{first, second, third} {
		b, _ := MarshalLine(e)
		lines = append(lines, string(b))
	}
	if want := string(SortLines(append(lines, handNote))); string(text) != want {
		t.Errorf("note on B5 =\n%s\nwant\n%s", text, want)
	}
	if evs := ParseEvents(text); len(evs) != 3 || evs[0].Event != "deployed" || evs[2].Event != "reverted" {
		t.Errorf("events in time order = %+v", evs)
	}
}

// TestIdenticalEventsKeepBoth: two observations identical in content and
// second are two lines, never merged into one.
func TestIdenticalEventsKeepBoth(t *testing.T) {
	w := newWorld(t)
	obs := observation("deployed", 6)
	for range 2 {
		if _, _, err := w.open(t).RecordEvent(helloPath, obs); err != nil {
			t.Fatal(err)
		}
	}
	hist, err := w.open(t).History(helloPath)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range hist.Events {
		if e.Event == "deployed" {
			n++
		}
	}
	if n != 2 {
		t.Errorf("%d deployed events after recording two identical ones, want 2", n)
	}
}
