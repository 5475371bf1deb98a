package schema

import (
	"strings"
	"testing"

	"github.com/smallhq/small/manifest"
)

const testSchema = `package schemas

import "strings"

#Article: {
	title:   string & strings.MinRunes(3)
	layout:  *"standard" | "feature" | "brief"
	rating?: int & >=1 & <=5
	tags?: [...string]
	author: {name: string, email?: =~"@"}
	body!: string
}

#Author: {
	kind: "Author"
	name: string
}

_#helper: {x: int}
`

func mustSchema(t *testing.T) *Schema {
	t.Helper()
	s, err := Load("schemas", []File{{Path: "schemas/a.cue", Data: []byte(testSchema)}})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func validate(t *testing.T, s *Schema, path, src string) []string {
	t.Helper()
	doc, err := manifest.Decode(path, []byte(src), manifest.DefaultLimits)
	if err != nil {
		t.Fatalf("decode: %v", err)
	}
	id, err := doc.Identity()
	if err != nil {
		t.Fatalf("identity: %v", err)
	}
	v, err := s.NewValidator()
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, d := range v.Validate(doc, id) {
		out = append(out, d.String()+" ["+d.Code+"]")
	}
	return out
}

func TestKinds(t *testing.T) {
	s := mustSchema(t)
	if got := strings.Join(s.Kinds, ","); got != "Article,Author" {
		t.Errorf("kinds = %s, want Article,Author (hidden definitions are not kinds)", got)
	}
	if !strings.HasPrefix(s.Digest, "sha256:") || len(s.Digest) != 71 {
		t.Errorf("digest = %s", s.Digest)
	}
}

func TestValidateReportsEverything(t *testing.T) {
	s := mustSchema(t)
	got := validate(t, s, "manifests/a.yaml", `kind: Article
title: hi
layout: sideways
rating: 7
extra: 1
author:
  name: 5
  bogus: 1
tags: [1]
`)
	want := []string{
		`manifests/a.yaml:1:1: body: required field is missing: expected string [schema.missing-field]`,
		`manifests/a.yaml:2:8: title: got "hi", expected string & strings.MinRunes(3) [schema.violation]`,
		`manifests/a.yaml:3:9: layout: "sideways" is not one of "standard", "feature", "brief" [schema.violation]`,
		`manifests/a.yaml:4:9: rating: got 7, expected int & <=5 [schema.violation]`,
		`manifests/a.yaml:5:1: extra: field not allowed: expected one of title, layout, rating, tags, author, body [schema.field-not-allowed]`,
		`manifests/a.yaml:7:9: author.name: got 5, expected string [schema.violation]`,
		`manifests/a.yaml:8:3: author.bogus: field not allowed: expected one of name, email [schema.field-not-allowed]`,
		`manifests/a.yaml:9:8: tags[0]: got 1, expected string [schema.violation]`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestLifecycles(t *testing.T) {
	s, err := Load("schemas", []File{{Path: "schemas/a.cue", Data: []byte(`package schemas
#Page: {
	title: string
	#lifecycle: {
		states: ["draft", "live", "retired"]
		initial: "draft"
		transitions: {draft: ["live"], live: ["retired"]}
		humanOnly: ["live"]
		deletable: ["draft", "retired"]
	}
}
#Note: text: string
`)}})
	if err != nil {
		t.Fatal(err)
	}
	if lc := s.Lifecycle("Page"); lc.Initial != "draft" || !lc.Allows("draft", "live") || lc.Allows("live", "draft") || !lc.HumanOnlyState("live") {
		t.Errorf("Page lifecycle = %+v", lc)
	}
	if lc := s.Lifecycle("Note"); lc.Initial != "draft" || !lc.HumanOnlyState("published") {
		t.Errorf("Note should have the default lifecycle, got %+v", lc)
	}
	for src, want := range map[string]string{
		`#lifecycle: {states: ["draft"], initial: "live", transitions: {}}`:                    `#P.#lifecycle: `,
		`#lifecycle: {states: ["draft"], initial: "draft", transitions: {draft: ["gone"]}}`:    `#P.#lifecycle: `,
		`#lifecycle: {states: ["Draft"], initial: "Draft", transitions: {}}`:                   `#P.#lifecycle: `,
		`#lifecycle: {states: ["a", "b"], initial: "a", transitions: {}, humanOnly: ["c"]}`:    `#P.#lifecycle: `,
		`#lifecycle: {states: ["a", "b"], initial: "a", transitions: {a: ["b"]}, extra: true}`: `#P.#lifecycle: `,
	} {
		_, err := Load("schemas", []File{{Path: "schemas/a.cue", Data: []byte("package schemas\n#P: {x: int\n" + src + "\n}\n")}})
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: got %v, want an error mentioning %q", src, err, want)
		}
	}
}

// TestEnumInAHelperDefinition: an enum written once in a helper definition
// is explained as clearly as one written inline.
func TestEnumInAHelperDefinition(t *testing.T) {
	s, err := Load("schemas", []File{{Path: "schemas/a.cue", Data: []byte(`package schemas
_#Lang: *"en" | "de" | "fr"
#Page: {
	lang: _#Lang
	size: *"s" | "m" | "l"
}
`)}})
	if err != nil {
		t.Fatal(err)
	}
	got := validate(t, s, "manifests/p.yaml", "kind: Page\nlang: es\nsize: xl\n")
	want := []string{
		`manifests/p.yaml:2:7: lang: "es" is not one of "en", "de", "fr" [schema.violation]`,
		`manifests/p.yaml:3:7: size: "xl" is not one of "s", "m", "l" [schema.violation]`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
