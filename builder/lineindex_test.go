package builder

import (
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/smallhq/small/diag"
	"github.com/smallhq/small/lineage"
	"github.com/smallhq/small/protocol"
	"github.com/smallhq/small/repo"
)

const artifactsRef = "refs/heads/small/artifacts"

// buildAt builds HEAD in dir and returns the build commit; withoutIndex
// builds as small did before it kept a lineage index.
func buildAt(t *testing.T, dir string, withoutIndex bool) repo.Hash {
	t.Helper()
	r, err := repo.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	p, err := Prepare(r, "HEAD")
	if err != nil {
		t.Fatal(err)
	}
	if p.Report.Failed() {
		t.Fatalf("findings: %v", p.Report.Diagnostics)
	}
	if withoutIndex {
		p.noLineage = true
		p.out.lineage = lineageOutput{}
		for name := range p.out.indexFiles {
			if strings.HasPrefix(name, lineage.IndexDir+"/") {
				delete(p.out.indexFiles, name)
			}
		}
		for name := range p.out.keptIndex {
			if strings.HasPrefix(name, lineage.IndexDir+"/") {
				delete(p.out.keptIndex, name)
			}
		}
	}
	res, err := Apply(r, p)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Written {
		t.Fatal("nothing built")
	}
	return res.Commit
}

// author writes author n's manifest with bio text (removes it for "").
func author(t *testing.T, dir string, n int, text string) {
	t.Helper()
	p := filepath.Join(dir, "manifests", "authors", fmt.Sprintf("a%04d.yaml", n))
	if text == "" {
		git(t, dir, "rm", "-q", p)
		return
	}
	if err := os.WriteFile(p, []byte(fmt.Sprintf("kind: Author\nname: Author number %d\nbio: %s\n", n, text)), 0o644); err != nil {
		t.Fatal(err)
	}
	git(t, dir, "add", p)
}

func authorPath(n int) string { return fmt.Sprintf("author/a%04d.json", n) }

// indexAt reads the whole lineage index of a build, by artifact.
func indexAt(t *testing.T, r *repo.Repository, build repo.Hash) map[string]lineage.IndexLine {
	t.Helper()
	c, err := r.ReadCommit(build)
	if err != nil {
		t.Fatal(err)
	}
	pr, err := readPrior(r, c)
	if err != nil {
		t.Fatal(err)
	}
	ls, err := lineageLines(r, pr.indexFiles, nil)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]lineage.IndexLine{}
	for _, l := range ls {
		out[l.Artifact] = l
	}
	return out
}

// noteArtifacts are the artifacts the lineage note of a build names, and
// the manifests (lineage.ManifestKey).
func noteArtifacts(t *testing.T, r *repo.Repository, build repo.Hash) []string {
	t.Helper()
	notes, err := r.LookupNotes(protocol.NotesLineage)
	if err != nil {
		t.Fatal(err)
	}
	text, _, err := notes.Note(build)
	if err != nil {
		t.Fatal(err)
	}
	recs, _ := lineage.ParseRecords(text)
	var out []string
	for _, rec := range recs {
		out = append(out, rec.Artifact, lineage.ManifestKey(rec.Manifest))
	}
	slices.Sort(out)
	return slices.Compact(out)
}

func manifestOf(n int) string {
	return lineage.ManifestKey(fmt.Sprintf("manifests/authors/a%04d.yaml", n))
}

func line(artifact string, last, prev repo.Hash) lineage.IndexLine {
	return lineage.IndexLine{Artifact: artifact, Last: last, Prev: prev}
}

// history builds a small history in dir: b[0] the first build, then one
// that updates author 1, one that retracts author 2, one that updates
// author 1 again and creates author 9. withoutIndex says which builds are
// made as before small kept a lineage index.
func history(t *testing.T, dir string, withoutIndex ...bool) []repo.Hash {
	t.Helper()
	old := func(i int) bool { return i < len(withoutIndex) && withoutIndex[i] }
	var b []repo.Hash
	b = append(b, buildAt(t, dir, old(0)))
	author(t, dir, 1, "Changed once.")
	git(t, dir, "commit", "-qm", "change 1")
	b = append(b, buildAt(t, dir, old(1)))
	author(t, dir, 2, "")
	git(t, dir, "commit", "-qm", "remove 2")
	b = append(b, buildAt(t, dir, old(2)))
	author(t, dir, 1, "Changed twice.")
	author(t, dir, 9, "New.")
	git(t, dir, "commit", "-qm", "change 1, add 9")
	b = append(b, buildAt(t, dir, old(3)))
	return b
}

// TestLineageIndex: each build's lineage index names, per artifact, the
// build that changed it last (empty: the build itself) and the one
// before; its own lines are exactly the artifacts its lineage note
// names; every build verifies bit for bit; and the queries answer from it
// what the walk of history answers.
func TestLineageIndex(t *testing.T) {
	dir := newRepo(t, 5)
	b := history(t, dir)
	r, err := repo.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	var zero repo.Hash
	want := map[string]lineage.IndexLine{
		authorPath(0): line(authorPath(0), b[0], zero),
		authorPath(1): line(authorPath(1), zero, b[1]),
		authorPath(2): line(authorPath(2), b[2], b[0]),
		authorPath(9): line(authorPath(9), zero, zero),
		manifestOf(1): line(manifestOf(1), zero, b[1]),
		manifestOf(2): line(manifestOf(2), b[2], b[0]),
	}
	idx := indexAt(t, r, b[3])
	for a, w := range want {
		if got := idx[a]; got != w {
			t.Errorf("%s: index says %+v, want %+v", a, got, w)
		}
	}
	for i, build := range b {
		var own []string
		for a, l := range indexAt(t, r, build) {
			if l.Last.IsZero() {
				own = append(own, a)
			}
		}
		slices.Sort(own)
		if notes := noteArtifacts(t, r, build); !slices.Equal(own, notes) {
			t.Errorf("build %d: index lines of its own %v, its note names %v", i+1, own, notes)
		}
	}
	vf, err := NewVerifier(r)
	if err != nil {
		t.Fatal(err)
	}
	for i, h := range b {
		c, _ := r.ReadCommit(h)
		v, err := vf.Verify(c)
		if err != nil {
			t.Fatal(err)
		}
		if !v.Exact || !v.OK() {
			t.Fatalf("build %d: exact %v, mismatches %+v", i+1, v.Exact, v.Mismatches)
		}
	}
	checkQueries(t, r, idx)
}

// checkQueries asks every artifact's lineage, current and --all, from the
// index and by walking, and compares.
func checkQueries(t *testing.T, r *repo.Repository, idx map[string]lineage.IndexLine) {
	t.Helper()
	for _, a := range slices.Sorted(maps.Keys(idx)) {
		if m, ok := strings.CutPrefix(a, "/"); ok {
			for _, limit := range []int{0, 1} {
				l, err := lineage.Open(r, artifactsRef)
				if err != nil {
					t.Fatal(err)
				}
				got, err := l.ArtifactsOf(m, limit)
				if err != nil {
					t.Fatal(err)
				}
				walked, err := l.WalkArtifactsOf(m, limit)
				if err != nil {
					t.Fatal(err)
				}
				sameVersions(t, m, got, walked)
			}
			continue
		}
		for _, all := range []bool{false, true} {
			l, err := lineage.Open(r, artifactsRef)
			if err != nil {
				t.Fatal(err)
			}
			got, err := l.Versions(a, all)
			if err != nil {
				t.Fatal(err)
			}
			walked, err := l.WalkVersions(a, all)
			if err != nil {
				t.Fatal(err)
			}
			sameVersions(t, fmt.Sprintf("%s (all %v)", a, all), got, walked)
		}
	}
}

// sameVersions compares what the index answers with what the walk does.
func sameVersions(t *testing.T, what string, got, walked []lineage.Version) {
	t.Helper()
	if len(got) == 0 || len(got) != len(walked) {
		t.Fatalf("%s: %d versions from the index, %d walked", what, len(got), len(walked))
	}
	for i := range got {
		if got[i].Build.ID != walked[i].Build.ID || !reflect.DeepEqual(got[i].Record, walked[i].Record) || got[i].Missing != walked[i].Missing {
			t.Errorf("%s version %d: index %s %+v, walk %s %+v", what, i, got[i].Build.ID.Short(), got[i].Record, walked[i].Build.ID.Short(), walked[i].Record)
		}
	}
}

// TestLineageIndexUpgrade: on a history small made without a lineage
// index (which verifies as it was made), the next build indexes the whole
// history once, as a history made with the index all along has it; and a
// build without a note is found by comparing trees, as the walk finds it.
func TestLineageIndexUpgrade(t *testing.T) {
	dir := newRepo(t, 5)
	b := history(t, dir, true, true, true)
	r, err := repo.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		if len(indexAt(t, r, b[i])) != 0 {
			t.Fatalf("build %d has a lineage index", i+1)
		}
	}
	var zero repo.Hash
	want := map[string]lineage.IndexLine{
		authorPath(0): line(authorPath(0), b[0], zero),
		authorPath(1): line(authorPath(1), zero, b[1]),
		authorPath(2): line(authorPath(2), b[2], b[0]),
		authorPath(9): line(authorPath(9), zero, zero),
		manifestOf(1): line(manifestOf(1), zero, b[1]),
		manifestOf(2): line(manifestOf(2), b[2], b[0]),
	}
	idx := indexAt(t, r, b[3])
	for a, w := range want {
		if got := idx[a]; got != w {
			t.Errorf("%s: index says %+v, want %+v", a, got, w)
		}
	}
	// The same lines as a history made with the index, ids aside.
	other := newRepo(t, 5)
	ob := history(t, other)
	ro, _ := repo.Open(other)
	rename := map[repo.Hash]repo.Hash{}
	for i := range b {
		rename[ob[i]] = b[i]
	}
	oidx := indexAt(t, ro, ob[3])
	if len(oidx) != len(idx) {
		t.Fatalf("%d lines after the upgrade, %d in a history made with the index", len(idx), len(oidx))
	}
	for a, l := range oidx {
		l.Last, l.Prev = rename[l.Last], rename[l.Prev]
		if idx[a] != l {
			t.Errorf("%s: upgraded %+v, made with the index %+v", a, idx[a], l)
		}
	}
	vf, _ := NewVerifier(r)
	for i, h := range b {
		c, _ := r.ReadCommit(h)
		v, err := vf.Verify(c)
		if err != nil {
			t.Fatal(err)
		}
		if !v.Exact || !v.OK() {
			t.Fatalf("build %d: exact %v, mismatches %+v", i+1, v.Exact, v.Mismatches)
		}
	}
	checkQueries(t, r, idx)

	// Without the note of the build that removed author 2, its tree says.
	git(t, dir, "notes", "--ref=small/lineage", "remove", b[2].String())
	r, _ = repo.Open(dir)
	last, err := lineage.LastChanges(r, b[2])
	if err != nil {
		t.Fatal(err)
	}
	if got := last[authorPath(2)]; got != [2]repo.Hash{b[2], b[0]} {
		t.Errorf("author 2 without the note of its retraction: %v, want %v", got, [2]repo.Hash{b[2], b[0]})
	}
}

// TestVerifyTamperedLineageIndex: a build whose lineage index points an
// artifact at another build is a mismatch small verify names; small
// lineage does not believe it: it answers what the history says.
func TestVerifyTamperedLineageIndex(t *testing.T) {
	for _, to := range []string{"earlier", "unrelated"} {
		t.Run(to, func(t *testing.T) {
			dir := newRepo(t, 5)
			b := history(t, dir)
			// Author 1 was last changed by the tip: point it at the
			// build that changed it before, or at one that never did.
			target := b[1]
			if to == "unrelated" {
				target = b[2]
			}
			shard := lineage.IndexDir + "/" + lineage.IndexShard(authorPath(1))
			wt := t.TempDir()
			git(t, dir, "worktree", "add", "-q", wt, "small/artifacts")
			data, err := os.ReadFile(filepath.Join(wt, shard))
			if err != nil {
				t.Fatal(err)
			}
			forged := strings.Replace(string(data), authorPath(1)+"\t\t"+b[1].String(), authorPath(1)+"\t"+target.String()+"\t"+b[0].String(), 1)
			if forged == string(data) {
				t.Fatalf("no line to forge in %s:\n%s", shard, data)
			}
			os.WriteFile(filepath.Join(wt, shard), []byte(forged), 0o644)
			// The tip amended, its notes copied: only the index differs.
			git(t, wt, "commit", "-q", "--amend", "--no-edit", "-a")
			tip := strings.TrimSpace(git(t, dir, "rev-parse", "small/artifacts"))
			for _, ref := range []string{"small/lineage", "small/lifecycle"} {
				git(t, dir, "notes", "--ref="+ref, "copy", b[3].String(), tip)
			}
			v := verifyTip(t, dir)
			found := false
			for _, m := range v.Mismatches {
				if m.Code == diag.CodeVerifyIndex && m.Path == shard {
					found = true
				}
			}
			if v.OK() || !found {
				t.Fatalf("a forged lineage index verified: mismatches %+v", v.Mismatches)
			}
			r, _ := repo.Open(dir)
			l, err := lineage.Open(r, artifactsRef)
			if err != nil {
				t.Fatal(err)
			}
			vs, err := l.Versions(authorPath(1), false)
			if err != nil {
				t.Fatal(err)
			}
			// The amended tip has the same artifacts as b[3], whose note
			// it carries: that is its answer, never the forged one.
			if len(vs) != 1 || vs[0].Build.ID.String() != tip || vs[0].Record.Action != lineage.Updated {
				t.Fatalf("small lineage believed the forged index: %+v", vs)
			}
		})
	}
}

// TestLineageReadsBounded: the current version of an artifact costs the
// same reads after 4 builds as after 40, retracted or not, named by its
// path or as Kind/id, and so does what a manifest built; all its versions, a few reads per version, never a
// walk of the history.
func TestLineageReadsBounded(t *testing.T) {
	type cost struct{ current, retracted, kindID, manifest, all, versions int }
	reads := func(builds int) cost {
		dir := newRepo(t, 5)
		buildAt(t, dir, false)
		author(t, dir, 4, "") // retracted by the second build
		git(t, dir, "commit", "-qm", "remove 4")
		buildAt(t, dir, false)
		for i := 2; i < builds; i++ {
			n := 1 + i%3 // authors 1 to 3 in turn; 0 never changes
			author(t, dir, n, fmt.Sprintf("Version %d.", i))
			git(t, dir, "commit", "-qm", fmt.Sprintf("change %d", n))
			buildAt(t, dir, false)
		}
		r, _ := repo.Open(dir)
		var c cost
		for _, q := range []struct {
			name   string
			all    bool
			action string
			reads  *int
		}{
			{authorPath(0), false, lineage.Created, &c.current},
			{authorPath(4), false, lineage.Retracted, &c.retracted},
			{"Author/a0000", false, lineage.Created, &c.kindID},
			{"manifests/authors/a0000.yaml", false, lineage.Created, &c.manifest},
			{authorPath(1), true, "", &c.all},
		} {
			l, err := lineage.Open(r, artifactsRef)
			if err != nil {
				t.Fatal(err)
			}
			rep, err := l.Lineage(q.name, q.all)
			if err != nil {
				t.Fatal(err)
			}
			if q.action != "" && (len(rep.Versions) != 1 || rep.Versions[0].Action != q.action) {
				t.Fatalf("%s: %+v, want one version, %s", q.name, rep.Versions, q.action)
			}
			*q.reads = l.Reads()
			if q.all {
				c.versions = len(rep.Versions)
			}
		}
		return c
	}
	short, long := reads(4), reads(40)
	if short.current != long.current || short.retracted != long.retracted || short.kindID != long.kindID || short.manifest != long.manifest ||
		long.current > 8 || long.retracted > 8 || long.kindID > 8 || long.manifest > 8 {
		t.Errorf("the current version: %+v reads after 4 builds, %+v after 40", short, long)
	}
	if long.versions != 14 || long.all > 3*long.versions+2 {
		t.Errorf("every version: %d reads for %d versions after 40 builds (%d for %d after 4)", long.all, long.versions, short.all, short.versions)
	}
}

// treeButLineage lists the artifact branch's tree in dir, less the lineage
// index: what a full build of the same manifest commit makes, whatever
// the history (the lineage index names the builds of its own).
func treeButLineage(t *testing.T, dir string) string {
	t.Helper()
	var out []string
	for _, l := range strings.Split(git(t, dir, "ls-tree", "-r", "small/artifacts"), "\n") {
		if !strings.Contains(l, "\t"+lineage.IndexDir+"/") {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// TestLineageIndexUpgradeShallow: a clone whose artifact history is cut
// cannot index the history before it (the index must not depend on how
// much of it a clone has): the upgrade says to fetch it.
func TestLineageIndexUpgradeShallow(t *testing.T) {
	dir := newRepo(t, 3)
	history(t, dir, true, true, true, true)
	shallow := t.TempDir()
	git(t, shallow, "clone", "-q", "--depth=2", "--branch", "small/artifacts", "file://"+dir, ".")
	r, err := repo.Open(shallow)
	if err != nil {
		t.Fatal(err)
	}
	tip, err := r.Resolve("HEAD")
	if err != nil {
		t.Fatal(err)
	}
	_, err = lineage.LastChanges(r, tip.ID)
	var se *repo.ShallowError
	if !errors.As(err, &se) {
		t.Fatalf("LastChanges in a shallow clone: %v, want a *repo.ShallowError", err)
	}
}
