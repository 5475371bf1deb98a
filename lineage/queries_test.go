package lineage

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/smallhq/small/protocol"
	"github.com/smallhq/small/repo"
)

func TestOpenMissingBranch(t *testing.T) {
	w := newWorld(t)
	for _, ref := range []string{"refs/heads/small/none", "refs/heads/other"} {
		_, err := Open(w.r, ref)
		if !errors.Is(err, ErrNoBuild) {
			t.Fatalf("Open(%s) = %v, want ErrNoBuild", ref, err)
		}
		var nb *NoBuildError
		if !errors.As(err, &nb) || nb.Branch != ref {
			t.Errorf("Open(%s): %#v, want a *NoBuildError naming the branch", ref, err)
		}
		if want := protocol.BranchName(ref) + " does not exist yet"; !strings.HasPrefix(err.Error(), want) {
			t.Errorf("error %q, want it to start with %q", err, want)
		}
	}
	// An empty repository has no build either.
	if _, err := Open(repo.InMemory(), branch); !errors.Is(err, ErrNoBuild) {
		t.Errorf("Open on an empty repository = %v", err)
	}
	l := w.open(t)
	if l.Tip() != w.b(5) || l.Branch() != branch {
		t.Errorf("Tip = %s, Branch = %s", w.buildNo(l.Tip()), l.Branch())
	}
}

func TestWalkNewestFirst(t *testing.T) {
	w := newWorld(t)
	l := w.open(t)
	var got []string
	if err := l.Walk(func(c *repo.Commit) (bool, error) { got = append(got, w.buildNo(c.ID)); return true, nil }); err != nil {
		t.Fatal(err)
	}
	if want := []string{"B5", "B4", "B3", "B2", "B1"}; !reflect.DeepEqual(got, want) {
		t.Errorf("Walk = %v, want %v", got, want)
	}
	// fn stops it.
	got = nil
	l.Walk(func(c *repo.Commit) (bool, error) { got = append(got, w.buildNo(c.ID)); return len(got) < 2, nil })
	if want := []string{"B5", "B4"}; !reflect.DeepEqual(got, want) {
		t.Errorf("stopped Walk = %v, want %v", got, want)
	}
	// Records pass over a hand-written line and say whether there is a note.
	for i, want := range map[int]struct {
		n    int
		note bool
	}{1: {2, true}, 2: {1, true}, 3: {1, true}, 4: {0, false}, 5: {0, false}} {
		recs, ok, err := l.Records(w.b(i))
		if err != nil || ok != want.note || len(recs) != want.n {
			t.Errorf("Records(B%d) = %d records, note %v, %v; want %d, %v", i, len(recs), ok, err, want.n, want.note)
		}
	}
	files, err := l.CurrentFiles()
	if err != nil {
		t.Fatal(err)
	}
	if got := keys(files); len(got) != 2 || files[helloPath] != w.blobs[hello2] || files[newPath] != w.blobs[new1] {
		t.Errorf("CurrentFiles = %v (the .small index must not be listed)", got)
	}
}

func TestResolve(t *testing.T) {
	w := newWorld(t)
	l := w.open(t)
	tests := []struct {
		desc, name string
		want       Target
		near       []string // for a *NotFoundError
	}{
		{"path at the tip", helloPath, Target{Path: helloPath}, nil},
		{"a path without lineage at the tip", newPath, Target{Path: newPath}, nil},
		{"Kind/id", "Article/hello", Target{Path: helloPath}, nil},
		{"kind/id in lower case", "article/new", Target{Path: newPath}, nil},
		{"manifest path", helloManifest, Target{Path: helloManifest, Manifest: true}, nil},
		{"manifest path of a retracted artifact", byeManifest, Target{Path: byeManifest, Manifest: true}, nil},
		{"retracted artifact found in history", byePath, Target{Path: byePath}, nil},
		{"unknown name", "hello", Target{}, []string{helloPath}},
		{"unknown Kind/id", "Page/hello", Target{}, []string{helloPath}},
		{"unknown manifest", "manifests/article/none.yaml", Target{}, nil},
		{"a directory is not an artifact", "article", Target{}, []string{helloPath, newPath}},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			got, err := l.Resolve(tt.name)
			if tt.want != (Target{}) {
				if err != nil || got != tt.want {
					t.Errorf("Resolve(%q) = %+v, %v; want %+v", tt.name, got, err, tt.want)
				}
				return
			}
			var nf *NotFoundError
			if !errors.As(err, &nf) {
				t.Fatalf("Resolve(%q) = %+v, %v; want a *NotFoundError", tt.name, got, err)
			}
			if nf.Name != tt.name || nf.AtTip || !reflect.DeepEqual(nf.Near, tt.near) {
				t.Errorf("NotFoundError = %+v, want name %q, near %q, not at tip", nf, tt.name, tt.near)
			}
			if !strings.Contains(err.Error(), "no such artifact or manifest in the build history") {
				t.Errorf("error = %q", err)
			}
			if len(tt.near) > 0 && !strings.HasSuffix(err.Error(), "did you mean "+strings.Join(tt.near, ", ")+"?") {
				t.Errorf("error = %q, want it to name %q", err, tt.near)
			}
		})
	}
}

func TestResolveArtifact(t *testing.T) {
	w := newWorld(t)
	l := w.open(t)
	if p, err := l.ResolveArtifact("Article/hello", "provenance"); err != nil || p != helloPath {
		t.Errorf("ResolveArtifact(Article/hello) = %q, %v", p, err)
	}
	if p, err := l.ResolveArtifact(byePath, "history"); err != nil || p != byePath {
		t.Errorf("ResolveArtifact(retracted) = %q, %v", p, err)
	}
	_, err := l.ResolveArtifact(helloManifest, "provenance")
	var na *NotAnArtifactError
	if !errors.As(err, &na) || na.Path != helloManifest || na.Verb != "provenance" {
		t.Fatalf("ResolveArtifact(manifest) = %v, want a *NotAnArtifactError", err)
	}
	if want := helloManifest + " is a manifest: provenance is of an artifact"; !strings.HasPrefix(err.Error(), want) {
		t.Errorf("error = %q, want %q…", err, want)
	}
	var nf *NotFoundError
	if _, err := l.ResolveArtifact("nothing", "history"); !errors.As(err, &nf) {
		t.Errorf("ResolveArtifact(unknown) = %v", err)
	}
}

func TestVersions(t *testing.T) {
	w := newWorld(t)
	l := w.open(t)
	type v struct {
		build, action string
		missing       bool
	}
	tests := []struct {
		path string
		all  bool
		want []v
	}{
		{helloPath, true, []v{{"B2", Updated, false}, {"B1", Created, false}}},
		{helloPath, false, []v{{"B2", Updated, false}}},
		{byePath, true, []v{{"B3", Retracted, false}, {"B1", Created, false}}},
		{byePath, false, []v{{"B3", Retracted, false}}},
		{newPath, true, []v{{"B4", Created, true}}},
		{newPath, false, []v{{"B4", Created, true}}},
		{"article/none.json", true, nil},
		{"none.json", true, nil},
	}
	for _, tt := range tests {
		name := tt.path
		if tt.all {
			name += " all"
		}
		t.Run(name, func(t *testing.T) {
			vs, err := l.Versions(tt.path, tt.all)
			if err != nil {
				t.Fatal(err)
			}
			var got []v
			for _, x := range vs {
				got = append(got, v{w.buildNo(x.Build.ID), x.Record.Action, !x.Found()})
				if x.Record.Artifact != tt.path {
					t.Errorf("record of %s names %q", w.buildNo(x.Build.ID), x.Record.Artifact)
				}
				if !x.Found() && !strings.Contains(x.Missing, "has no note in "+protocol.NotesLineage) {
					t.Errorf("Missing = %q", x.Missing)
				}
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Versions = %v, want %v", got, tt.want)
			}
		})
	}
	// The record is the note's, whole.
	vs, _ := l.Versions(helloPath, false)
	r := vs[0].Record
	if r.Actor != agentBot || r.ManifestCommit != w.m(2).String() || r.Blob != w.blobs[hello2].String() || r.SHA256 != sha(hello2) || r.Kind != "Article" || r.ID != "hello" {
		t.Errorf("record = %+v", r)
	}
}

func TestArtifactsOf(t *testing.T) {
	w := newWorld(t)
	l := w.open(t)
	for _, tt := range []struct {
		manifest string
		limit    int
		want     []string
	}{
		{helloManifest, 0, []string{"B2 updated", "B1 created"}},
		{helloManifest, 1, []string{"B2 updated"}},
		{byeManifest, 0, []string{"B3 retracted", "B1 created"}},
		{newManifest, 0, nil}, // its build has no lineage note
		{"manifests/none.yaml", 0, nil},
	} {
		vs, err := l.ArtifactsOf(tt.manifest, tt.limit)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, v := range vs {
			got = append(got, w.buildNo(v.Build.ID)+" "+v.Record.Action)
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("ArtifactsOf(%s, %d) = %v, want %v", tt.manifest, tt.limit, got, tt.want)
		}
	}
}

func TestLineage(t *testing.T) {
	w := newWorld(t)
	l := w.open(t)

	rep, err := l.Lineage("Article/hello", false)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Protocol != protocol.Version || rep.Artifact != helloPath || rep.Manifest != "" || rep.Incomplete() || len(rep.Versions) != 1 {
		t.Fatalf("Lineage(Article/hello) = %+v", rep)
	}
	v := rep.Versions[0]
	want := VersionInfo{
		Artifact: helloPath, Action: Updated, Blob: w.blobs[hello2].String(), SHA256: sha(hello2),
		Build: CommitRef{ID: w.b(2).String(), Date: "2025-03-02T12:00:00Z"},
		Manifest: &ManifestRef{Path: helloManifest, Blob: w.manifestBl[helloManifest+"@2"].String(),
			Commit: CommitRef{ID: w.m(2).String(), Date: "2025-03-02T12:00:00Z", Author: "Drafter <drafter@bots.example.com>", Subject: "Polish hello"}},
		Actor: &agentBot, SchemaDigest: schemaDigest, Builder: builderID,
	}
	if !reflect.DeepEqual(v, want) {
		t.Errorf("version =\n%+v\nwant\n%+v", v, want)
	}

	rep, err = l.Lineage(helloPath, true)
	if err != nil || len(rep.Versions) != 2 || rep.Versions[0].Action != Updated || rep.Versions[1].Action != Created ||
		rep.Versions[1].Manifest.Commit.Subject != "Add hello and bye" || rep.Versions[1].Actor.Type != "human" {
		t.Errorf("Lineage(all) = %+v, %v", rep, err)
	}

	// A build without a note: the version says so and the report is incomplete.
	rep, err = l.Lineage(newPath, true)
	if err != nil || len(rep.Versions) != 1 {
		t.Fatalf("Lineage(new) = %+v, %v", rep, err)
	}
	if !rep.Incomplete() || rep.Versions[0].Manifest != nil || rep.Versions[0].Actor != nil ||
		!strings.Contains(rep.Versions[0].Missing, "build "+w.b(4).Short()+" has no note") || rep.Versions[0].Builder != builderID {
		t.Errorf("Lineage(new) = %+v", rep.Versions[0])
	}

	// A manifest: the artifacts it produced.
	rep, err = l.Lineage(byeManifest, false)
	if err != nil || rep.Manifest != byeManifest || rep.Artifact != "" || len(rep.Versions) != 2 ||
		rep.Versions[0].Action != Retracted || rep.Versions[0].Artifact != byePath {
		t.Errorf("Lineage(manifest) = %+v, %v", rep, err)
	}

	var nf *NotFoundError
	if _, err := l.Lineage("nope", false); !errors.As(err, &nf) {
		t.Errorf("Lineage(nope) = %v", err)
	}
}

func TestHistory(t *testing.T) {
	w := newWorld(t)
	l := w.open(t)
	tests := []struct {
		name string
		path string
		want []string // event@time
	}{
		{helloPath, helloPath, []string{"created@" + rfc(1), "transitioned@" + rfc(2)}},
		{"Article/hello", helloPath, []string{"created@" + rfc(1), "transitioned@" + rfc(2)}},
		{byePath, byePath, []string{"created@" + rfc(1), "retracted@" + rfc(3)}},
		{newPath, newPath, []string{"created@" + rfc(4)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep, err := l.History(tt.name)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, e := range rep.Events {
				got = append(got, e.Event+"@"+e.Time)
				if e.Artifact != tt.path {
					t.Errorf("event of %s in the history of %s", e.Artifact, tt.path)
				}
			}
			if rep.Artifact != tt.path || rep.Protocol != protocol.Version || !reflect.DeepEqual(got, tt.want) {
				t.Errorf("History = %s %v, want %s %v", rep.Artifact, got, tt.path, tt.want)
			}
		})
	}
	rep, _ := l.History(helloPath)
	if e := rep.Events[1]; e.From != "draft" || e.To != "review" || e.Actor != agentBot || e.ManifestCommit != w.m(2).String() {
		t.Errorf("transition = %+v", e)
	}

	var na *NotAnArtifactError
	if _, err := l.History(helloManifest); !errors.As(err, &na) || na.Verb != "history" {
		t.Errorf("History(manifest) = %v", err)
	}
	var nf *NotFoundError
	if _, err := l.History("article/none.json"); !errors.As(err, &nf) {
		t.Errorf("History(unknown) = %v", err)
	}
}

// TestHistoryWithoutEvents: builds without lifecycle notes make a history
// that is incomplete, said so by a *MissingNotesError naming them, never
// an empty list that looks like nothing happened.
func TestHistoryWithoutEvents(t *testing.T) {
	w := newWorld(t)
	// Drop the lifecycle notes altogether.
	if err := w.r.UpdateRef(protocol.NotesLifecycle, repo.ZeroHash, mustRef(t, w.r, protocol.NotesLifecycle)); err != nil {
		t.Skipf("cannot delete a ref in memory: %v", err)
	}
	l := w.open(t)
	rep, err := l.History(helloPath)
	var missing *MissingNotesError
	if !errors.As(err, &missing) || len(missing.Builds) != 5 {
		t.Errorf("History = %+v, %v; want a *MissingNotesError naming the 5 builds", rep, err)
	}
}

func mustRef(t *testing.T, r *repo.Repository, name string) repo.Hash {
	t.Helper()
	h, err := r.Ref(name)
	if err != nil || h.IsZero() {
		t.Fatalf("ref %s: %s, %v", name, h, err)
	}
	return h
}

func TestBuilds(t *testing.T) {
	w := newWorld(t)
	l := w.open(t)
	tests := []struct {
		name string
		f    Filter
		want []string // build: events
	}{
		{"all", Filter{}, []string{"B5:", "B4:created", "B3:retracted", "B2:transitioned", "B1:created,created"}},
		{"kind, any case", Filter{Kind: "ARTICLE"}, []string{"B4:created", "B3:retracted", "B2:transitioned", "B1:created,created"}},
		{"other kind", Filter{Kind: "Page"}, nil},
		{"id", Filter{ID: "hello"}, []string{"B2:transitioned", "B1:created"}},
		{"id of a retracted artifact", Filter{ID: "bye"}, []string{"B3:retracted", "B1:created"}},
		{"agent", Filter{Actor: "agent"}, []string{"B2:transitioned"}},
		{"human", Filter{Actor: "human"}, []string{"B4:created", "B3:retracted", "B1:created,created"}},
		{"since", Filter{Since: at(3)}, []string{"B5:", "B4:created", "B3:retracted"}},
		{"since, between builds", Filter{Since: at(3).Add(-time.Hour)}, []string{"B5:", "B4:created", "B3:retracted"}},
		{"since after all", Filter{Since: at(9)}, nil},
		{"max builds", Filter{MaxBuilds: 2}, []string{"B5:", "B4:created"}},
		{"max builds with a filter", Filter{Actor: "human", MaxBuilds: 2}, []string{"B4:created", "B3:retracted"}},
		{"max events", Filter{MaxEvents: 2}, []string{"B5:", "B4:created", "B3:retracted"}},
		{"max events within a build", Filter{ID: "", Kind: "article", MaxEvents: 1}, []string{"B4:created"}},
		{"max events counts whole builds", Filter{Actor: "human", Since: at(1), MaxEvents: 3},
			[]string{"B4:created", "B3:retracted", "B1:created,created"}},
		{"both limits, builds first", Filter{MaxBuilds: 1, MaxEvents: 9}, []string{"B5:"}},
		{"limits larger than the history", Filter{MaxBuilds: 99, MaxEvents: 99}, []string{"B5:", "B4:created", "B3:retracted", "B2:transitioned", "B1:created,created"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep, err := l.Builds(tt.f)
			if err != nil {
				t.Fatal(err)
			}
			if rep.Builds == nil || rep.Protocol != protocol.Version {
				t.Errorf("report = %+v: want a protocol and a non-nil list", rep)
			}
			var got []string
			for _, b := range rep.Builds {
				h, _ := repo.ParseHash(b.Build)
				var names []string
				for _, e := range b.Events {
					names = append(names, e.Event)
				}
				got = append(got, w.buildNo(h)+":"+strings.Join(names, ","))
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Builds = %v, want %v", got, tt.want)
			}
		})
	}
	rep, _ := l.Builds(Filter{MaxBuilds: 1})
	b := rep.Builds[0]
	if b.Build != w.b(5).String() || b.ManifestCommit != w.m(4).String() || b.Subject != "Rebuild index" || b.Date != "2025-03-05T12:00:00Z" || b.Events != nil && len(b.Events) != 0 {
		t.Errorf("build entry = %+v", b)
	}
}

func TestProvenance(t *testing.T) {
	w := newWorld(t)
	l := w.open(t)

	st, err := l.Provenance("Article/hello")
	if err != nil {
		t.Fatal(err)
	}
	if st.Type != "https://in-toto.io/Statement/v1" || st.PredicateType != "https://slsa.dev/provenance/v1" {
		t.Errorf("statement types = %q, %q", st.Type, st.PredicateType)
	}
	wantSubject := []Subject{{Name: helloPath, Digest: map[string]string{"sha256": sha(hello2), "gitBlob": w.blobs[hello2].String()}}}
	if !reflect.DeepEqual(st.Subject, wantSubject) {
		t.Errorf("subject = %+v", st.Subject)
	}
	bd := st.Predicate.BuildDefinition
	if bd.BuildType != BuildType || bd.ExternalParameters.ManifestCommit != w.m(2).String() || bd.ExternalParameters.Artifact != helloPath {
		t.Errorf("build definition = %+v", bd)
	}
	wantDeps := []ResourceDescriptor{
		{Name: helloManifest, Digest: map[string]string{"gitCommit": w.m(2).String(), "gitBlob": w.manifestBl[helloManifest+"@2"].String()},
			Annotations: &ManifestAnnotations{Kind: "Article", ID: "hello", Actor: agentBot}},
		{Name: "schemas", Digest: map[string]string{"sha256": strings.TrimPrefix(schemaDigest, "sha256:")}},
	}
	if !reflect.DeepEqual(bd.ResolvedDependencies, wantDeps) {
		t.Errorf("dependencies =\n%+v\nwant\n%+v", bd.ResolvedDependencies, wantDeps)
	}
	rd := st.Predicate.RunDetails
	if rd.Builder.ID != protocol.BuilderURI(builderID) || !strings.HasPrefix(rd.Builder.ID, "https://") || rd.Metadata.InvocationID != w.b(2).String() || rd.Metadata.StartedOn != rfc(2) || rd.Metadata.FinishedOn != rfc(2) {
		t.Errorf("run details = %+v", rd)
	}

	tests := []struct {
		name  string
		check func(error) bool
	}{
		{byePath, func(err error) bool {
			var re *RetractedError
			return errors.As(err, &re) && re.Path == byePath && re.Build == w.b(3) &&
				strings.Contains(err.Error(), "retracted by build "+w.b(3).Short())
		}},
		{newPath, func(err error) bool {
			var me *MissingLineageError
			return errors.As(err, &me) && me.Path == newPath && err.Error() == newPath+": no lineage recorded for its current version"
		}},
		{helloManifest, func(err error) bool {
			var na *NotAnArtifactError
			return errors.As(err, &na) && na.Verb == "provenance"
		}},
		{"article/none.json", func(err error) bool {
			var nf *NotFoundError
			return errors.As(err, &nf)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st, err := l.Provenance(tt.name)
			if st != nil || !tt.check(err) {
				t.Errorf("Provenance(%q) = %+v, %v", tt.name, st, err)
			}
		})
	}
}

func TestCurrent(t *testing.T) {
	w := newWorld(t)
	l := w.open(t)
	v, err := l.Current(helloPath)
	if err != nil || v.Build.ID != w.b(2) || v.Record.Action != Updated {
		t.Errorf("Current(hello) = %s %+v, %v", w.buildNo(v.Build.ID), v.Record, err)
	}
	var me *MissingLineageError
	if _, err := l.Current("article/none.json"); !errors.As(err, &me) {
		t.Errorf("Current(unknown) = %v, want a *MissingLineageError", err)
	}
}

func TestArtifact(t *testing.T) {
	w := newWorld(t)
	l := w.open(t)
	tests := []struct {
		name, path, data string
		near             []string
	}{
		{helloPath, helloPath, hello2, nil},
		{"Article/hello", helloPath, hello2, nil},
		{"article/new", newPath, new1, nil},
		{byePath, "", "", nil},                 // retracted: not at the tip
		{"hello", "", "", []string{helloPath}}, // a near match
		{".small/index.json", "", "", nil},     // bookkeeping, not an artifact
		{"Article/../hello", "", "", []string{helloPath}},
		{"Article/helo", "", "", []string{helloPath}}, // a typo: by edits
		{"Artcle/hello", "", "", []string{helloPath}}, // in the kind too
		{"article/farewell.json", "", "", nil},        // nothing close
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path, data, err := l.Artifact(tt.name)
			if tt.path != "" {
				if err != nil || path != tt.path || string(data) != tt.data {
					t.Errorf("Artifact(%q) = %q, %q, %v", tt.name, path, data, err)
				}
				return
			}
			var nf *NotFoundError
			if !errors.As(err, &nf) || !nf.AtTip || nf.Branch != branch || nf.Name != tt.name || !reflect.DeepEqual(nf.Near, tt.near) {
				t.Fatalf("Artifact(%q) = %q, %v; want a *NotFoundError at the tip, near %q", tt.name, path, err, tt.near)
			}
			if want := tt.name + ": no such artifact on small/artifacts"; !strings.HasPrefix(err.Error(), want) {
				t.Errorf("error = %q, want %q…", err, want)
			}
		})
	}
}
