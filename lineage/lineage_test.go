package lineage

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/smallhq/small/repo"
)

func TestParseRecords(t *testing.T) {
	rec := `{"artifact":"article/a.json","blob":"b1","action":"created","kind":"Article","id":"a"}`
	tests := []struct {
		name      string
		note      string
		artifacts []string
		errLines  []string // "line N" of each error, in order
	}{
		{"empty", "", nil, nil},
		{"blank lines only", "\n  \n\t\n", nil, nil},
		{"one record", rec + "\n", []string{"article/a.json"}, nil},
		{"no final newline", rec, []string{"article/a.json"}, nil},
		{"hand-written line skipped", rec + "\nchecked by hand -- Ann\n", []string{"article/a.json"}, []string{"line 2"}},
		{"hand-written line first", "reviewed\n" + rec + "\n", []string{"article/a.json"}, []string{"line 1"}},
		{"JSON that is not a record", `{"note":"hello"}` + "\n" + rec + "\n", []string{"article/a.json"}, []string{"line 1"}},
		{"JSON array", "[1,2]\n" + rec + "\n", []string{"article/a.json"}, []string{"line 1"}},
		{"truncated JSON", `{"artifact":"x"` + "\n" + rec + "\n", []string{"article/a.json"}, []string{"line 1"}},
		{"two records around a blank and a bad line", rec + "\n\nnope\n" + strings.Replace(rec, "a.json", "b.json", 1) + "\n",
			[]string{"article/a.json", "article/b.json"}, []string{"line 3"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			recs, errs := ParseRecords([]byte(tt.note))
			var got []string
			for _, r := range recs {
				got = append(got, r.Artifact)
			}
			if !reflect.DeepEqual(got, tt.artifacts) {
				t.Errorf("artifacts = %q, want %q", got, tt.artifacts)
			}
			if len(errs) != len(tt.errLines) {
				t.Fatalf("errors = %v, want %d", errs, len(tt.errLines))
			}
			for i, err := range errs {
				if !strings.HasPrefix(err.Error(), tt.errLines[i]+": not a lineage record") {
					t.Errorf("error %d = %q, want it to start with %q", i, err, tt.errLines[i])
				}
			}
		})
	}
	// The fields round trip.
	recs, _ := ParseRecords([]byte(rec))
	if want := (Record{Artifact: "article/a.json", Blob: "b1", Action: Created, Kind: "Article", ID: "a"}); !reflect.DeepEqual(recs[0], want) {
		t.Errorf("record = %+v, want %+v", recs[0], want)
	}
}

func TestParseEvents(t *testing.T) {
	ev := `{"time":"2025-03-01T12:00:00Z","event":"created","artifact":"article/a.json","kind":"Article","id":"a","to":"draft","manifestCommit":"m","actor":{"type":"human","name":"Ann","email":"ann@example.com"}}`
	tests := []struct {
		name   string
		note   string
		events []string
	}{
		{"empty", "", nil},
		{"one event", ev + "\n", []string{"created"}},
		{"hand-written lines skipped", "deployed to prod by hand\n" + ev + "\n\nall good\n", []string{"created"}},
		{"JSON without an event name", `{"time":"2025"}` + "\n" + ev, []string{"created"}},
		{"two events", ev + "\n" + strings.Replace(ev, `"created"`, `"deployed"`, 1) + "\n", []string{"created", "deployed"}},
		{"only hand-written", "just a note\n", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, e := range ParseEvents([]byte(tt.note)) {
				got = append(got, e.Event)
			}
			if !reflect.DeepEqual(got, tt.events) {
				t.Errorf("events = %q, want %q", got, tt.events)
			}
		})
	}
	evs := ParseEvents([]byte(ev))
	want := Event{Time: "2025-03-01T12:00:00Z", Event: Created, Artifact: "article/a.json", Kind: "Article", ID: "a", To: "draft",
		ManifestCommit: "m", Actor: Actor{Type: "human", Name: "Ann", Email: "ann@example.com"}}
	if len(evs) != 1 || evs[0] != want {
		t.Errorf("event = %+v, want %+v", evs, want)
	}
}

func TestJSONLines(t *testing.T) {
	a := Record{Artifact: "a/a.json", Action: Created}
	b := Record{Artifact: "b/b.json", Action: Updated}
	lineA := `{"artifact":"a/a.json","blob":"","sha256":"","action":"created","kind":"","id":"","manifest":"","manifestBlob":"","manifestCommit":"","actor":{"type":"","name":"","email":""},"schemaDigest":""}`
	lineB := `{"artifact":"b/b.json","blob":"","sha256":"","action":"updated","kind":"","id":"","manifest":"","manifestBlob":"","manifestCommit":"","actor":{"type":"","name":"","email":""},"schemaDigest":""}`
	tests := []struct {
		name  string
		items []Record
		want  string
	}{
		{"none", nil, ""},
		{"one", []Record{a}, lineA + "\n"},
		{"sorted", []Record{b, a}, lineA + "\n" + lineB + "\n"},
		{"duplicates removed", []Record{b, a, b, a, a}, lineA + "\n" + lineB + "\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := JSONLines(tt.items)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.want {
				t.Errorf("JSONLines =\n%s\nwant\n%s", got, tt.want)
			}
		})
	}

	// Events sort by time first, as their first field; omitempty fields go.
	evs := []Event{{Time: "2025-03-02T00:00:00Z", Event: "b"}, {Time: "2025-03-01T00:00:00Z", Event: "a"}}
	got, err := JSONLines(evs)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(string(got), "\n"), "\n")
	if len(lines) != 2 || !strings.HasPrefix(lines[0], `{"time":"2025-03-01`) || strings.Contains(lines[0], `"from"`) {
		t.Errorf("event lines = %q", lines)
	}
	// No HTML escaping.
	got, _ = JSONLines([]Event{{Event: "x", Message: "a & <b>"}})
	if !strings.Contains(string(got), `"message":"a & <b>"`) {
		t.Errorf("message escaped: %s", got)
	}
	// The same lines in another order and with repeats make the same bytes.
	if x, y := SortLines([]string{"b", "a", "b"}), SortLines([]string{"a", "b"}); string(x) != string(y) || string(x) != "a\nb\n" {
		t.Errorf("SortLines: %q vs %q", x, y)
	}
}

func TestActorOf(t *testing.T) {
	isBot := func(email string) bool { return strings.HasSuffix(email, "@bots.example.com") }
	commit := func(name, email, msg string) *repo.Commit {
		return &repo.Commit{Author: repo.Signature{Name: name, Email: email, When: time.Unix(0, 0)}, Message: msg}
	}
	tests := []struct {
		name    string
		c       *repo.Commit
		isAgent func(string) bool
		want    Actor
	}{
		{"human", commit("Ann", "ann@example.com", "Edit\n"), isBot,
			Actor{Type: "human", Name: "Ann", Email: "ann@example.com"}},
		{"human, no agent list", commit("Ann", "ann@example.com", "Edit\n"), nil,
			Actor{Type: "human", Name: "Ann", Email: "ann@example.com"}},
		{"Small-Agent trailer names the agent", commit("Ann", "ann@example.com", "Edit\n\nSmall-Agent: drafter\n"), isBot,
			Actor{Type: "agent", Name: "drafter", Email: "ann@example.com"}},
		{"trailer key is case-insensitive", commit("Ann", "ann@example.com", "Edit\n\nsmall-agent: drafter\n"), nil,
			Actor{Type: "agent", Name: "drafter", Email: "ann@example.com"}},
		{"trailer among others", commit("Ann", "ann@example.com", "Edit\n\nSigned-off-by: Ann <ann@example.com>\nSmall-Agent: helper\n"), nil,
			Actor{Type: "agent", Name: "helper", Email: "ann@example.com"}},
		{"agent e-mail", commit("Drafter", "drafter@bots.example.com", "Edit\n"), isBot,
			Actor{Type: "agent", Name: "Drafter", Email: "drafter@bots.example.com"}},
		{"agent e-mail, trailer wins for the name", commit("Drafter", "drafter@bots.example.com", "Edit\n\nSmall-Agent: drafter-2\n"), isBot,
			Actor{Type: "agent", Name: "drafter-2", Email: "drafter@bots.example.com"}},
		{"trailer-like line not in the last paragraph", commit("Ann", "ann@example.com", "Edit\n\nSmall-Agent: drafter\n\nMore words here.\n"), isBot,
			Actor{Type: "human", Name: "Ann", Email: "ann@example.com"}},
		{"trailer in the subject only", commit("Ann", "ann@example.com", "Small-Agent: drafter\n"), nil,
			Actor{Type: "human", Name: "Ann", Email: "ann@example.com"}},
		{"empty trailer value", commit("Ann", "ann@example.com", "Edit\n\nSmall-Agent:\n"), nil,
			Actor{Type: "human", Name: "Ann", Email: "ann@example.com"}},
		{"Co-authored-by an agent: the agent's version, the author beside it",
			commit("Ann", "ann@example.com", "Edit\n\nCo-authored-by: Copilot <copilot@bots.example.com>\n"), isBot,
			Actor{Type: "agent", Name: "Copilot", Email: "copilot@bots.example.com", Human: Person{Name: "Ann", Email: "ann@example.com"}}},
		{"Co-authored-by key in any case, among other co-authors",
			commit("Ann", "ann@example.com", "Edit\n\nCo-authored-by: Bob <bob@example.com>\nco-authored-by: drafter[bot] <drafter@bots.example.com>\n"), isBot,
			Actor{Type: "agent", Name: "drafter[bot]", Email: "drafter@bots.example.com", Human: Person{Name: "Ann", Email: "ann@example.com"}}},
		{"Co-authored-by a person only", commit("Ann", "ann@example.com", "Edit\n\nCo-authored-by: Bob <bob@example.com>\n"), isBot,
			Actor{Type: "human", Name: "Ann", Email: "ann@example.com"}},
		{"Co-authored-by an agent, no agent list", commit("Ann", "ann@example.com", "Edit\n\nCo-authored-by: Copilot <copilot@bots.example.com>\n"), nil,
			Actor{Type: "human", Name: "Ann", Email: "ann@example.com"}},
		{"Co-authored-by that is no identity", commit("Ann", "ann@example.com", "Edit\n\nCo-authored-by: copilot@bots.example.com\n"), isBot,
			Actor{Type: "human", Name: "Ann", Email: "ann@example.com"}},
		{"Co-authored-by not in the trailers", commit("Ann", "ann@example.com", "Co-authored-by: Copilot <copilot@bots.example.com>\n\nMore words.\n"), isBot,
			Actor{Type: "human", Name: "Ann", Email: "ann@example.com"}},
		{"Small-Agent wins over Co-authored-by",
			commit("Ann", "ann@example.com", "Edit\n\nCo-authored-by: Copilot <copilot@bots.example.com>\nSmall-Agent: drafter\n"), isBot,
			Actor{Type: "agent", Name: "drafter", Email: "ann@example.com"}},
		{"an agent author with an agent co-author is the author",
			commit("Drafter", "drafter@bots.example.com", "Edit\n\nCo-authored-by: Copilot <copilot@bots.example.com>\n"), isBot,
			Actor{Type: "agent", Name: "Drafter", Email: "drafter@bots.example.com"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ActorOf(tt.c, tt.isAgent); got != tt.want {
				t.Errorf("ActorOf = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestParseIdent(t *testing.T) {
	for _, tt := range []struct {
		in, name, email string
		ok              bool
	}{
		{"Copilot <copilot@example.com>", "Copilot", "copilot@example.com", true},
		{"  A <b> Name <x@y>  ", "A <b> Name", "x@y", true},
		{"<x@y>", "x@y", "x@y", true},
		{"x@y", "", "", false},
		{"Name <>", "", "", false},
		{"Name <a b@c>", "", "", false},
		{"Name <x@y> trailing", "", "", false},
		{"", "", "", false},
	} {
		name, email, ok := ParseIdent(tt.in)
		if name != tt.name || email != tt.email || ok != tt.ok {
			t.Errorf("ParseIdent(%q) = %q, %q, %v; want %q, %q, %v", tt.in, name, email, ok, tt.name, tt.email, tt.ok)
		}
	}
}

func TestActorString(t *testing.T) {
	a := Actor{Type: "agent", Name: "Copilot", Email: "c@x", Human: Person{Name: "Ann", Email: "ann@x"}}
	if got := a.String(); got != "agent Copilot with Ann" {
		t.Errorf("String = %q", got)
	}
	b, _ := MarshalLine(a)
	if string(b) != `{"type":"agent","name":"Copilot","email":"c@x","human":{"name":"Ann","email":"ann@x"}}` {
		t.Errorf("JSON = %s", b)
	}
	a.Human = Person{}
	if b, _ := MarshalLine(a); string(b) != `{"type":"agent","name":"Copilot","email":"c@x"}` {
		t.Errorf("JSON without a person = %s", b)
	}
}

func TestNear(t *testing.T) {
	paths := []string{
		"article/hello.json", "article/hello-world.json", "page/hello.json", "article/bye.json",
		"note/about-hello.json", "zz/hello.json", "aa/hello.json", "news/article-list.json",
	}
	tests := []struct {
		name  string
		query string
		paths []string
		want  []string
	}{
		{"last segment first, then path order, at most five", "hello", paths,
			[]string{"aa/hello.json", "article/hello-world.json", "article/hello.json", "note/about-hello.json", "page/hello.json"}},
		{"extension and directory ignored for the segment", "blog/BYE.yaml", paths, []string{"article/bye.json"}},
		{"every path holding the segment, in path order", "article/list", []string{"news/article-list.json", "article/list-old.json", "article/lists.json"},
			[]string{"article/list-old.json", "article/lists.json", "news/article-list.json"}},
		{"whole name contained", "article/", paths, []string{
			"article/bye.json", "article/hello-world.json", "article/hello.json"}},
		{"nothing close", "zebra", paths, nil},
		{"no paths", "hello", nil, nil},
		{"case-insensitive", "HELLO-World", paths, []string{"article/hello-world.json"}},
		{"a path-scoped Kind/id, mistyped", "Doc/v1/instal", []string{"doc/v1/install.json", "doc/v2/install.json", "doc/v1.json"},
			[]string{"doc/v1/install.json", "doc/v2/install.json"}},
		{"a path-scoped Kind/id one edit off", "Doc/v1/isntall", []string{"doc/v1/install.json", "doc/v1.json"}, []string{"doc/v1/install.json"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Near(tt.query, tt.paths)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Near(%q) = %q, want %q", tt.query, got, tt.want)
			}
			if len(got) > 5 {
				t.Errorf("Near returned %d paths", len(got))
			}
		})
	}
}

func TestFilterMatch(t *testing.T) {
	e := Event{Time: "2025-03-02T12:00:00Z", Event: Created, Kind: "Article", ID: "hello",
		Actor: Actor{Type: "agent", Name: "drafter"}}
	day := func(d int) time.Time { return time.Date(2025, 3, d, 12, 0, 0, 0, time.UTC) }
	tests := []struct {
		name string
		f    Filter
		e    Event
		want bool
	}{
		{"zero filter keeps all", Filter{}, e, true},
		{"kind", Filter{Kind: "Article"}, e, true},
		{"kind case-insensitive", Filter{Kind: "article"}, e, true},
		{"kind upper case", Filter{Kind: "ARTICLE"}, e, true},
		{"other kind", Filter{Kind: "Page"}, e, false},
		{"kind is not a prefix match", Filter{Kind: "Art"}, e, false},
		{"id", Filter{ID: "hello"}, e, true},
		{"id is case-sensitive", Filter{ID: "Hello"}, e, false},
		{"other id", Filter{ID: "bye"}, e, false},
		{"actor agent", Filter{Actor: "agent"}, e, true},
		{"actor human", Filter{Actor: "human"}, e, false},
		{"since before", Filter{Since: day(1)}, e, true},
		{"since at the same instant", Filter{Since: day(2)}, e, true},
		{"since after", Filter{Since: day(3)}, e, false},
		{"since in another zone, same instant", Filter{Since: day(2).In(time.FixedZone("X", 3600))}, e, true},
		{"since, unparseable time kept", Filter{Since: day(3)}, Event{Time: "yesterday"}, true},
		{"all at once", Filter{Kind: "article", ID: "hello", Actor: "agent", Since: day(1)}, e, true},
		{"all but one", Filter{Kind: "article", ID: "hello", Actor: "human", Since: day(1)}, e, false},
		{"limits do not filter", Filter{MaxBuilds: 1, MaxEvents: 1}, e, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.f.Match(tt.e); got != tt.want {
				t.Errorf("Match = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestCheckEventName(t *testing.T) {
	tests := []struct {
		name      string
		ok        bool
		buildOnly bool
	}{
		{"deployed", true, false},
		{"announced", true, false},
		{"a", true, false},
		{"x1-y2", true, false},
		{"a" + strings.Repeat("b", 31), true, false},
		{"a" + strings.Repeat("b", 32), false, false},
		{"", false, false},
		{"Deployed", false, false},
		{"1st", false, false},
		{"-x", false, false},
		{"de_ployed", false, false},
		{"de ployed", false, false},
		{"deployed\n", false, false},
		{Created, false, true},
		{Updated, false, true},
		{Retracted, false, true},
		{Transitioned, false, true},
		{RolledBack, false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckEventName(tt.name)
			if tt.ok {
				if err != nil {
					t.Errorf("CheckEventName(%q) = %v", tt.name, err)
				}
				return
			}
			var ne *EventNameError
			if !errors.As(err, &ne) || ne.Type != tt.name {
				t.Fatalf("CheckEventName(%q) = %v, want an *EventNameError", tt.name, err)
			}
			if got := strings.Contains(err.Error(), "recorded by small build only"); got != tt.buildOnly {
				t.Errorf("error %q: says build-only = %v, want %v", err, got, tt.buildOnly)
			}
		})
	}
}

func TestKindIDPath(t *testing.T) {
	for name, want := range map[string]string{
		"Article/hello": "article/hello.json", "Doc/v1/install": "doc/v1/install.json", "Doc/a/b/c/d/e/f/g/h": "doc/a/b/c/d/e/f/g/h.json",
		"Doc/v1//install": "", "Doc/../x": "", "Doc/v1/./x": "", "Doc/": "", "Doc": "", "Doc/v1/": "", "Doc/a/b/c/d/e/f/g/h/i": "",
		"Doc/v1.json/x": "",
	} {
		got, ok := kindIDPath(name)
		if got != want || ok != (want != "") {
			t.Errorf("kindIDPath(%q) = %q, %v; want %q", name, got, ok, want)
		}
	}
}
