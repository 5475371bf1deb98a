package content

import (
	"fmt"
	"maps"
	"strings"
	"testing"

	"github.com/smallhq/small/diag"
)

const refSchema = `package schemas

#Author: {
	name: string
	#lifecycle: {
		states: ["active", "retired"]
		initial: "active"
		transitions: {active: ["retired"], retired: ["active"]}
		humanOnly: []
		deletable: ["active", "retired"]
		referenceable: ["active"]
	}
}
#Person: {name: string}
#Post: {
	title: string
	author: string @ref(Author)
	coAuthors?: [...string] @ref(Author)
	credits?: [...{who: string @ref(Person)}]
}
`

func refFiles(more map[string]string) map[string]string {
	files := map[string]string{
		"small.cue":               baseConfig,
		"schemas/s.cue":           refSchema,
		"manifests/au/ada.yaml":   "kind: Author\nname: Ada\n",
		"manifests/au/grace.yaml": "kind: Author\nname: Grace\n",
		"manifests/au/old.yaml":   "kind: Author\nname: Old\nstatus: retired\n",
		"manifests/pe/bob.yaml":   "kind: Person\nname: Bob\n",
	}
	maps.Copy(files, more)
	return files
}

func TestReferences(t *testing.T) {
	f := newFixture(t)
	c := f.commit(human, "content", refFiles(map[string]string{
		"manifests/po/a.yaml": "kind: Post\ntitle: A\nauthor: ada\ncoAuthors: [grace]\ncredits:\n  - who: bob\n",
		"manifests/po/b.yaml": "kind: Post\ntitle: B\nauthor: gracee\ncoAuthors: [bob, old, \"\"]\ncredits:\n  - who: ada\n",
	}))
	for _, opts := range []Options{{}, {Paths: []string{"manifests/po/b.yaml"}}, {Paths: []string{"manifests/po"}}} {
		res, err := f.validateAt(c, opts)
		if err != nil {
			t.Fatal(err)
		}
		expect(t, res.Report.Diagnostics,
			want{diag.CodeRefDangling, "manifests/po/b.yaml", 3, `"gracee" names no Author (did you mean "grace"?): expected the id of an Author manifest`},
			want{diag.CodeRefWrongKind, "manifests/po/b.yaml", 4, `"bob" is a Person (manifests/pe/bob.yaml), not an Author`},
			want{diag.CodeRefState, "manifests/po/b.yaml", 4, `"old" is an Author in state "retired" (manifests/au/old.yaml), which Author does not allow to be referenced: expected one in active`},
			want{diag.CodeRefDangling, "manifests/po/b.yaml", 4, `"" names no Author`},
			want{diag.CodeRefWrongKind, "manifests/po/b.yaml", 6, `"ada" is an Author (manifests/au/ada.yaml), not a Person`})
		var got []string
		for _, r := range res.References {
			if r.From.Path == "manifests/po/a.yaml" {
				got = append(got, fmt.Sprintf("%s %d:%d -> %s %s %s %q", r.From.Field, r.From.Line, r.From.Column, r.To.Key(), r.To.Path, r.To.State, r.Problem))
			}
		}
		wantRefs := []string{
			`author 3:9 -> Author/ada manifests/au/ada.yaml active ""`,
			`coAuthors[0] 4:13 -> Author/grace manifests/au/grace.yaml active ""`,
			`credits[0].who 6:10 -> Person/bob manifests/pe/bob.yaml draft ""`,
		}
		if len(opts.Paths) == 1 && opts.Paths[0] == "manifests/po/b.yaml" {
			wantRefs = nil // a.yaml was not asked about
		}
		if strings.Join(got, "\n") != strings.Join(wantRefs, "\n") {
			t.Errorf("%v: references of a.yaml:\n%s\nwant:\n%s", opts.Paths, strings.Join(got, "\n"), strings.Join(wantRefs, "\n"))
		}
		for _, m := range res.Manifests {
			if m.Valid != (m.Path != "manifests/po/b.yaml") {
				t.Errorf("%v: %s valid %v", opts.Paths, m.Path, m.Valid)
			}
		}
	}
}

// A schema without @ref resolves nothing and reads nothing more.
func TestReferencesNone(t *testing.T) {
	f := newFixture(t)
	c := f.commit(human, "content", map[string]string{"small.cue": baseConfig, "schemas/article.cue": articleSchema, "manifests/a.yaml": article("A", "")})
	res, err := f.validateAt(c, Options{})
	if err != nil || len(res.References) != 0 || len(res.Report.Diagnostics) != 0 {
		t.Fatalf("%v %v %s", err, res.References, list(res.Report.Diagnostics))
	}
}

// Known verdicts do not hide a reference the change broke: the referrer
// is read again.
func TestReferencesKnownReread(t *testing.T) {
	f := newFixture(t)
	c1 := f.commit(human, "content", refFiles(map[string]string{"manifests/po/a.yaml": "kind: Post\ntitle: A\nauthor: ada\n"}))
	res, err := f.validateAt(c1, Options{})
	if err != nil || len(res.Report.Diagnostics) > 0 {
		t.Fatalf("%v %s", err, list(res.Report.Diagnostics))
	}
	known := map[string]Known{}
	for _, m := range res.Manifests {
		known[m.Path] = Known{Path: m.Path, Kind: m.Kind, ID: m.ID, State: m.State}
	}
	c2 := f.commit(human, "drop ada", map[string]string{"manifests/au/ada.yaml": deleted})
	res, err = f.validateAt(c2, Options{Known: known})
	if err != nil {
		t.Fatal(err)
	}
	expect(t, res.Report.Diagnostics, want{diag.CodeRefDangling, "manifests/po/a.yaml", 3, `"ada" names no Author`})
}

// The gate names the commit that broke a reference, at each referrer and
// at the manifest, and says nothing once the change fixes its referrers.
func TestReferencesGate(t *testing.T) {
	f := newFixture(t)
	base := f.commit(human, "content", refFiles(map[string]string{
		"manifests/po/a.yaml": "kind: Post\ntitle: A\nauthor: ada\ncoAuthors: [grace]\n",
		"manifests/po/b.yaml": "kind: Post\ntitle: B\nauthor: ada\n",
	}))
	drop := f.commit(human, "drop", map[string]string{"manifests/au/ada.yaml": deleted})
	res, err := f.validateAt(drop, Options{})
	if err != nil {
		t.Fatal(err)
	}
	pol, err := LoadPolicy(f.r, base, res.Schema)
	if err != nil {
		t.Fatal(err)
	}
	ds, err := Gate(f.r, Change{Base: base, Head: drop, Result: res, Policy: pol})
	if err != nil {
		t.Fatal(err)
	}
	sh := drop.ID.Short()
	expect(t, ds, want{diag.CodeRefReferenced, "manifests/au/ada.yaml", 0,
		"commit " + sh + " deletes Author ada, and 2 references still point at it: manifests/po/a.yaml:3, manifests/po/b.yaml:3: expected the references changed in the same change"})
	expect(t, res.Report.Diagnostics,
		want{diag.CodeRefDangling, "manifests/po/a.yaml", 3, `"ada" references Author ada, which commit ` + sh + " deletes"},
		want{diag.CodeRefDangling, "manifests/po/b.yaml", 3, `"ada" references Author ada, which commit ` + sh + " deletes"})

	// Retiring grace, in the working tree against the base.
	f.checkout(base)
	retire := f.commit(human, "retire", map[string]string{"manifests/au/grace.yaml": "kind: Author\nname: Grace\nstatus: retired\n"})
	ds = f.gate(Change{Base: base}, retire)
	expect(t, ds, want{diag.CodeRefReferenced, "manifests/au/grace.yaml", 3, `the change moves Author grace to "retired", and 1 reference still points at it: manifests/po/a.yaml:4`})

	// Fixed in the same change: nothing to say.
	fixed := f.commit(human, "fix", map[string]string{"manifests/po/a.yaml": "kind: Post\ntitle: A\nauthor: ada\n"})
	res, err = f.validateAt(fixed, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if ds, err = Gate(f.r, Change{Base: base, Head: fixed, Result: res, Policy: pol}); err != nil || len(ds)+len(res.Report.Diagnostics) > 0 {
		t.Fatalf("%v %s %s", err, list(ds), list(res.Report.Diagnostics))
	}
}

// A manifest proposed alone resolves its references against the committed
// tree's identities, read once per tree: the same verdict when they are
// known, and a new tree (an author deleted) read anew, never the old one.
func TestReferencesOfAProposalPerTree(t *testing.T) {
	f := newFixture(t)
	c1 := f.commit(human, "content", refFiles(nil))
	post := "kind: Post\ntitle: A\nauthor: ada\n"
	judge := func(rev string) []diag.Diagnostic {
		t.Helper()
		res, err := ValidateInput(f.r, InputOptions{Rev: rev, Path: "manifests/po/a.yaml", Input: strings.NewReader(post)})
		if err != nil {
			t.Fatal(err)
		}
		return res.Report.Diagnostics
	}
	for range 2 {
		if ds := judge(c1.ID.String()); len(ds) > 0 {
			t.Fatalf("at %s: %s", c1.ID.Short(), list(ds))
		}
	}
	c2 := f.commit(human, "drop ada", map[string]string{"manifests/au/ada.yaml": deleted})
	expect(t, judge(c2.ID.String()), want{diag.CodeRefDangling, "manifests/po/a.yaml", 3, `"ada" names no Author`})
	// The same path, other bytes: read anew.
	c3 := f.commit(human, "ada is a person", map[string]string{"manifests/au/ada.yaml": "kind: Person\nname: Ada\n"})
	expect(t, judge(c3.ID.String()), want{diag.CodeRefWrongKind, "manifests/po/a.yaml", 3, `"ada" is a Person`})
	if ds := judge(c1.ID.String()); len(ds) > 0 {
		t.Fatalf("back at %s: %s", c1.ID.Short(), list(ds))
	}
}
