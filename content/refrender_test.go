package content

import (
	"strings"
	"testing"

	"github.com/smallhq/small/diag"
)

const readSchema = `package schemas

#Author: {name: string}
#Person: {name: string}
#Post: {
	id:     string
	title:  string
	author: string @ref(Author)
	coAuthors?: [...string] @ref(Author)
	credits?: [...{role: string, who?: string @ref(Person)}]
	#refs: author: {name: string, ...}
	#refs: coAuthors?: [...{name: string, ...}]
	#refs: credits?: [...{who?: {name: string, ...}}]
	_co: *"" | string
	if #refs.coAuthors != _|_ {
		_co: " & " + #refs.coAuthors[len(#refs.coAuthors)-1].name
	}
	_credit: *"" | string
	if #refs.credits != _|_ {
		_credit: "; " + #refs.credits[1].who.name
	}
	#outputs: "pages/\(id).txt": "\(title) by \(#refs.author.name)\(_co)\(_credit)"
}
`

// TestRefsRendered: #refs holds each reference's document, at its field's
// place (lists, list elements, an element without one), whether the
// manifest referenced is evaluated too or only read for it (narrowed);
// the document never holds #refs.
func TestRefsRendered(t *testing.T) {
	f := newFixture(t)
	c := f.commit(human, "content", map[string]string{
		"small.cue":               baseConfig,
		"schemas/s.cue":           readSchema,
		"manifests/au/ada.yaml":   "kind: Author\nname: Ada\n",
		"manifests/au/bo.yaml":    "kind: Author\nname: Bo\n",
		"manifests/pe/cy.yaml":    "kind: Person\nname: Cy\n",
		"manifests/po/p.yaml":     "kind: Post\ntitle: P\nauthor: ada\ncoAuthors: [ada, bo]\ncredits:\n  - role: x\n  - role: y\n    who: cy\n",
		"manifests/po/plain.yaml": "kind: Post\ntitle: Q\nauthor: bo\n",
	})
	for _, opts := range []Options{{Artifacts: true}, {Artifacts: true, Paths: []string{"manifests/po"}}} {
		res, err := f.validateAt(c, opts)
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Report.Diagnostics) > 0 {
			t.Fatalf("%v", res.Report.Diagnostics)
		}
		got := map[string]string{}
		for _, m := range res.Manifests {
			for _, a := range m.Artifacts {
				got[a.Path] = string(a.Data)
			}
			if m.Path == "manifests/po/p.yaml" && (!m.ReadsRefs || len(m.Refs) != 3 || m.Refs[0].ID != "ada" || m.Refs[2].Kind != "Person") {
				t.Errorf("refs of p: %+v", m.Refs)
			}
		}
		if got["pages/p.txt"] != "P by Ada & Bo; Cy" || got["pages/plain.txt"] != "Q by Bo" {
			t.Errorf("%v: pages %q, %q", opts.Paths, got["pages/p.txt"], got["pages/plain.txt"])
		}
		if strings.Contains(got["post/p.json"], "Ada") || strings.Contains(got["post/p.json"], "refs") {
			t.Errorf("the document holds #refs: %s", got["post/p.json"])
		}
	}
}

// TestRefsMismatch: a document that does not fit #refs is a finding at
// the referrer; a validation without artifacts never reads #refs.
func TestRefsMismatch(t *testing.T) {
	f := newFixture(t)
	c := f.commit(human, "content", map[string]string{
		"small.cue":             baseConfig,
		"schemas/s.cue":         strings.Replace(readSchema, "#refs: author: {name: string, ...}", "#refs: author: {name: int, ...}", 1),
		"manifests/au/ada.yaml": "kind: Author\nname: Ada\n",
		"manifests/po/p.yaml":   "kind: Post\ntitle: P\nauthor: ada\n",
	})
	res, err := f.validateAt(c, Options{})
	if err != nil || len(res.Report.Diagnostics) > 0 {
		t.Fatalf("validate: %v %v", err, res.Report.Diagnostics)
	}
	res, err = f.validateAt(c, Options{Artifacts: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Report.Diagnostics) != 1 || res.Report.Diagnostics[0].Code != diag.CodeOutputInvalid || res.Report.Diagnostics[0].File != "manifests/po/p.yaml" ||
		!strings.Contains(res.Report.Diagnostics[0].Message, "#refs") {
		t.Fatalf("findings: %v", res.Report.Diagnostics)
	}
}
