package builder

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/smallhq/small/lineage"
	"github.com/smallhq/small/repo"
)

const refsSchema = `package schemas

#Author: {
	kind: "Author"
	name: string
}

#Article: {
	kind:   "Article"
	id:     string
	title:  string
	author: string @ref(Author)
	#refs: author: {name: string, ...}
	#outputs: "pages/\(id).html": "<p>\(title) by \(#refs.author.name)</p>\n"
}

#Note: {
	kind:   "Note"
	author: string @ref(Author)
}
`

// refsRepo makes a repository with two authors, articles by each (ada has
// three, grace one) whose pages show their author's name, and a note
// naming ada that does not read her.
func refsRepo(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	git(t, dir, "init", "-q", "-b", "main")
	for _, d := range []string{"schemas", "manifests/authors", "manifests/articles"} {
		os.MkdirAll(filepath.Join(dir, d), 0o755)
	}
	write(t, dir, "small.cue", "")
	write(t, dir, "schemas/kinds.cue", refsSchema)
	write(t, dir, "manifests/authors/ada.yaml", "kind: Author\nname: Ada Lovelace\n")
	write(t, dir, "manifests/authors/grace.yaml", "kind: Author\nname: Grace Hopper\n")
	for _, a := range []string{"a1:ada", "a2:ada", "a3:ada", "g1:grace"} {
		id, who, _ := strings.Cut(a, ":")
		write(t, dir, "manifests/articles/"+id+".yaml", "kind: Article\ntitle: T"+id+"\nauthor: "+who+"\n")
	}
	write(t, dir, "manifests/n.yaml", "kind: Note\nauthor: ada\n")
	git(t, dir, "add", "-A")
	git(t, dir, "commit", "-qm", "content")
	return dir
}

func changedPaths(p *Plan) []string {
	var out []string
	for _, c := range p.Changes {
		out = append(out, c.Action+" "+c.Path)
	}
	return out
}

// TestUsesRecorded: the page's record names the author's manifest and
// blob; the article's document and the note's records name nothing.
func TestUsesRecorded(t *testing.T) {
	dir := refsRepo(t)
	buildHere(t, dir)
	if got := git(t, dir, "show", "small/artifacts:pages/a1.html"); got != "<p>Ta1 by Ada Lovelace</p>" {
		t.Fatalf("page: %q", got)
	}
	ada := git(t, dir, "rev-parse", "HEAD:manifests/authors/ada.yaml")
	recs, errs := lineage.ParseRecords([]byte(git(t, dir, "notes", "--ref=small/lineage", "show", "small/artifacts")))
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	for _, rc := range recs {
		want := 0
		if strings.HasPrefix(rc.Artifact, "pages/") {
			want = 1
		}
		if len(rc.Uses) != want {
			t.Errorf("%s: uses %+v, want %d", rc.Artifact, rc.Uses, want)
		}
		if rc.Artifact == "pages/a1.html" && (rc.Uses[0] != lineage.UseRef{Kind: "Author", ID: "ada", Path: "manifests/authors/ada.yaml", Blob: ada}) {
			t.Errorf("pages/a1.html uses %+v", rc.Uses)
		}
	}
}

// TestDependentsRebuilt: a change to ada evaluates ada and the three
// articles that read her (not the note, not grace's article) and updates
// ada's document and her three pages; a change to the note evaluates it
// alone; the history verifies and ends where a full build does.
func TestDependentsRebuilt(t *testing.T) {
	dir := refsRepo(t)
	buildHere(t, dir)
	write(t, dir, "manifests/authors/ada.yaml", "kind: Author\nname: Ada King\n")
	git(t, dir, "commit", "-qam", "ada")
	p := planHere(t, dir)
	want := []string{"updated author/ada.json", "updated pages/a1.html", "updated pages/a2.html", "updated pages/a3.html"}
	if got := changedPaths(p); p.Evaluated != 4 || !slices.Equal(got, want) {
		t.Fatalf("evaluated %d, changes %v; want 4 and %v", p.Evaluated, got, want)
	}
	buildHere(t, dir)
	if got := git(t, dir, "show", "small/artifacts:pages/a2.html"); got != "<p>Ta2 by Ada King</p>" {
		t.Fatalf("page: %q", got)
	}
	write(t, dir, "manifests/n.yaml", "kind: Note\nauthor: grace\n")
	git(t, dir, "commit", "-qam", "note")
	p = planHere(t, dir)
	if got := changedPaths(p); p.Evaluated != 1 || !slices.Equal(got, []string{"updated note/n.json"}) {
		t.Fatalf("evaluated %d, changes %v", p.Evaluated, got)
	}
	buildHere(t, dir)
	// Grace renamed (her id stated), ada deleted with her articles moved
	// to grace in the same commit.
	git(t, dir, "mv", "manifests/authors/grace.yaml", "manifests/authors/hopper.yaml")
	write(t, dir, "manifests/authors/hopper.yaml", "kind: Author\nid: grace\nname: Grace Hopper\n")
	git(t, dir, "rm", "-q", "manifests/authors/ada.yaml")
	for _, id := range []string{"a1", "a2", "a3"} {
		write(t, dir, "manifests/articles/"+id+".yaml", "kind: Article\ntitle: T"+id+"\nauthor: grace\n")
	}
	git(t, dir, "add", "-A")
	git(t, dir, "commit", "-qm", "ada leaves")
	buildHere(t, dir)
	if got := git(t, dir, "show", "small/artifacts:pages/a3.html"); got != "<p>Ta3 by Grace Hopper</p>" {
		t.Fatalf("page: %q", got)
	}
	r, err := repo.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	entries, _, err := Current(r, "refs/heads/small/artifacts")
	if err != nil {
		t.Fatal(err)
	}
	hopper := git(t, dir, "rev-parse", "HEAD:manifests/authors/hopper.yaml")
	for _, e := range entries {
		if e.Kind == "Article" && (len(e.Refs) != 1 || e.Refs[0].Path != "manifests/authors/hopper.yaml" || e.Refs[0].Blob != hopper) {
			t.Errorf("%s uses %+v, want grace at hopper.yaml %s", e.Path, e.Refs, hopper)
		}
	}
	if v := verifyTip(t, dir); !v.OK() {
		t.Fatalf("verify: %+v", v.Mismatches)
	}
	// The incremental history ends at the tree a full build makes, but for
	// the lineage index, which names the builds of its own history.
	other := t.TempDir()
	git(t, other, "clone", "-q", "--single-branch", "-b", "main", dir, ".")
	buildHere(t, other)
	if a, b := treeButLineage(t, dir), treeButLineage(t, other); a != b {
		t.Errorf("incremental tree:\n%s\nfull build's:\n%s", a, b)
	}
}

// TestNonReaderNotRebuilt: a kind that does not declare #refs is not
// built again when what it references changes, and its index entry
// names the reference without a version.
func TestNonReaderNotRebuilt(t *testing.T) {
	dir := refsRepo(t)
	write(t, dir, "schemas/kinds.cue", strings.Replace(refsSchema, "\t#refs: author: {name: string, ...}\n\t#outputs: \"pages/\\(id).html\": \"<p>\\(title) by \\(#refs.author.name)</p>\\n\"\n", "", 1))
	git(t, dir, "commit", "-qam", "no #refs")
	buildHere(t, dir)
	write(t, dir, "manifests/authors/ada.yaml", "kind: Author\nname: Ada King\n")
	git(t, dir, "commit", "-qam", "ada")
	p := planHere(t, dir)
	if got := changedPaths(p); p.Evaluated != 1 || !slices.Equal(got, []string{"updated author/ada.json"}) {
		t.Fatalf("evaluated %d, changes %v", p.Evaluated, got)
	}
	for _, e := range p.out.index.Manifests {
		if e.Kind == "Article" && (len(e.Refs) != 1 || e.Refs[0].Blob != "" || e.Refs[0].Path != "") {
			t.Errorf("%s: refs %+v", e.Path, e.Refs)
		}
	}
}

// TestUsesQueries: --uses and --used-by from the latest build.
func TestUsesQueries(t *testing.T) {
	dir := refsRepo(t)
	buildHere(t, dir)
	r, err := repo.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	l, err := lineage.Open(r, "refs/heads/small/artifacts")
	if err != nil {
		t.Fatal(err)
	}
	head, _ := r.Resolve("HEAD")
	u, err := Uses(r, l, "pages/a1.html", head)
	if err != nil {
		t.Fatal(err)
	}
	if u.Manifest != "manifests/articles/a1.yaml" || len(u.Uses) != 1 || u.Uses[0].State != UseCurrent || !u.ReadsRefs {
		t.Fatalf("uses: %+v", u)
	}
	if u, err := Uses(r, l, "Note/n", head); err != nil || len(u.Uses) != 1 || u.Uses[0].State != UseUnread {
		t.Fatalf("uses of the note: %+v %v", u, err)
	}
	for _, name := range []string{"Author/ada", "author/ada.json", "manifests/authors/ada.yaml"} {
		ub, err := UsedBy(r, l, name)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, x := range ub.UsedBy {
			got = append(got, x.Manifest+" "+strings.Join(x.Rebuilt, ","))
		}
		want := []string{"manifests/articles/a1.yaml pages/a1.html", "manifests/articles/a2.yaml pages/a2.html", "manifests/articles/a3.yaml pages/a3.html", "manifests/n.yaml "}
		if ub.Manifest != "manifests/authors/ada.yaml" || !slices.Equal(got, want) {
			t.Errorf("%s used by %s: %v", name, ub.Manifest, got)
		}
	}
	if _, err := UsedBy(r, l, "nothing/here.json"); err == nil {
		t.Error("used by of an unknown name: no error")
	}
}

// TestRefIndexRoundTrip: index entries with references read back as
// written; malformed lines are refused.
func TestRefIndexRoundTrip(t *testing.T) {
	e := IndexEntry{Path: "m/a.yaml", Blob: strings.Repeat("a", 40), Kind: "Article", ID: "a", Commit: strings.Repeat("b", 40),
		Actor: lineage.Actor{Type: "human", Name: "A", Email: "a@x"}, Artifacts: []string{"article/a.json"},
		Assets: []AssetUse{{Source: "x.png", Blob: strings.Repeat("c", 40), SHA256: strings.Repeat("d", 64)}},
		Refs:   []RefUse{{Kind: "Author", ID: "ada", Path: "m/ada.yaml", Blob: strings.Repeat("e", 40)}, {Kind: "Author", ID: "bo", Locale: "fr"}}}
	var b strings.Builder
	encodeEntry(&b, e)
	got, err := decodeEntry(strings.TrimSuffix(b.String(), "\n"))
	if err != nil || !slices.Equal(got.Refs, e.Refs) || !slices.Equal(got.Assets, e.Assets) || !slices.Equal(got.Artifacts, e.Artifacts) {
		t.Fatalf("round trip: %+v %v", got, err)
	}
	for _, bad := range []string{
		strings.Replace(b.String(), "\t2\tAuthor", "\t9\tAuthor", 1),
		strings.Replace(b.String(), "\t2\tAuthor", "\tx\tAuthor", 1),
		strings.Replace(b.String(), strings.Repeat("e", 40), "zz", 1),
	} {
		if _, err := decodeEntry(strings.TrimSuffix(bad, "\n")); err == nil {
			t.Errorf("decoded %q", bad)
		}
	}
	ls := []refLine{{Target: "Author/ada", Referrer: "m/a.yaml", Read: true}, {Target: "Author/ada", Referrer: "m/n.yaml"}}
	back, err := parseRefLines("x", encodeRefLines(slices.Clone(ls)))
	if err != nil || !slices.Equal(back, ls) {
		t.Fatalf("ref lines: %+v %v", back, err)
	}
	for _, bad := range []string{"Author/ada\tm\tmaybe\n", "Author/ada\tm\n", "ada\tm\tread\n"} {
		if _, err := parseRefLines("x", []byte(bad)); err == nil {
			t.Errorf("parsed %q", bad)
		}
	}
}
