package schema

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

func loadOne(t *testing.T, src string) (*Schema, error) {
	t.Helper()
	return Load("schemas", []File{{Path: "schemas/k.cue", Data: []byte("package schemas\n\n" + src)}})
}

func TestConstraintsRead(t *testing.T) {
	s, err := loadOne(t, `
_#Base: {slug: string @unique()}
#Topic: {
	_#Base
	title!: string @unique() @json(name)
	tags?: [...string] @unique()
	logo: string @asset(root=".", types="image/png,image/jpeg", maxBytes=75000)
	gallery?: [...string] @asset(root="assets/img", types="image/*")
	author?: {email: string @unique(), avatar?: string @asset()}
	links?: [...{url: string @unique()}]
	plain: string @other(x)
}
#Plain: {title: string}
`)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, c := range s.Constraints("Topic") {
		a := ""
		if c.Asset != nil {
			a = fmt.Sprintf(" asset(%s %v %d)", c.Asset.Root, c.Asset.Types, c.Asset.MaxBytes)
		}
		got = append(got, fmt.Sprintf("%s each=%v unique=%v%s", c, c.Each, c.Unique, a))
	}
	want := []string{
		"slug each=false unique=true",
		"title each=false unique=true",
		"tags each=true unique=true",
		"logo each=false unique=false asset(. [image/png image/jpeg] 75000)",
		"gallery each=true unique=false asset(assets/img [image/*] 0)",
		"author.email each=false unique=true",
		"author.avatar each=false unique=false asset(. [] 0)",
		"links[].url each=false unique=true",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("constraints:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if s.HasConstraints("Plain") || !s.HasConstraints("Topic") {
		t.Errorf("HasConstraints: Plain %v, Topic %v", s.HasConstraints("Plain"), s.HasConstraints("Topic"))
	}
}

func TestConstraintErrors(t *testing.T) {
	for _, tc := range []struct{ src, want string }{
		{`#K: {a: string @unique(x)}`, "schemas/k.cue:3:16: @unique(x): expected @unique() with no arguments"},
		{`#K: {a: string @asset(rot=".")}`, `schemas/k.cue:3:16: @asset(rot="."): unknown argument "rot" (did you mean "root"?)`},
		{`#K: {a: string @asset(root=".", root="a")}`, "root is given twice"},
		{`#K: {a: string @asset(root)}`, "expected key=value"},
		{`#K: {a: string @asset(root=assets)}`, "expected a quoted string"},
		{`#K: {a: string @asset(root="../x")}`, "inside the repository"},
		{`#K: {a: string @asset(root="/x")}`, "not an absolute one"},
		{`#K: {a: string @asset(root="a/./b")}`, `expected it written plainly, as "a/b"`},
		{`#K: {a: string @asset(root="")}`, `root=""`},
		{`#K: {a: string @asset(types="image/tiff")}`, `"image/tiff" is not a type small recognizes`},
		{`#K: {a: string @asset(types="png")}`, `"png" is not a type small recognizes`},
		{`#K: {a: string @asset(types="")}`, `"" is not a type`},
		{`#K: {a: string @asset(maxBytes=0)}`, "expected a positive number of bytes"},
		{`#K: {a: string @asset(maxBytes=-5)}`, "expected a positive number of bytes"},
		{`#K: {a: string @asset(maxBytes="75")}`, "expected a positive number of bytes"},
		{`#K: {a: string @asset(maxBytes=1.5)}`, "expected a positive number of bytes"},
		{`#K: {a: string @asset(types="image/png)}`, "string literal not terminated"},
		{`#K: {a: {b: string} @unique()}`, "which holds a struct: expected a field of strings"},
		{`#K: {a: [...{b: string}] @unique()}`, "which holds a struct: expected"},
		{`#K: {a: int @asset()}`, "which holds int: expected a string field"},
		{`#K: {a: string, @unique()}`, "stands alone in a struct"},
	} {
		_, err := loadOne(t, tc.src)
		var se *Error
		if !errors.As(err, &se) {
			t.Errorf("%s: got %v, want a schema error", tc.src, err)
			continue
		}
		if got := se.Diagnostics[0].String(); !strings.Contains(got, tc.want) {
			t.Errorf("%s:\n got %s\nwant %s", tc.src, got, tc.want)
		}
	}
}

func TestConstraintArgsAccepted(t *testing.T) {
	for _, src := range []string{
		`#K: {a: string @asset(maxBytes=75_000)}`,
		`#K: {a: string @asset(maxBytes=75Ki, types="IMAGE/PNG , image/svg+xml")}`,
		`#K: {a: string @asset( root = "assets" )}`,
		`#K: {a: string @asset(root="a,b")}`,
		`#K: {a: *"x.png" | string @asset()}`,
		`#K: {a?: null | string @asset()}`,
		`#K: {a: int @unique(), b: bool @unique(), c: [...number] @unique()}`,
		`#K: {a: string @unique( )}`,
	} {
		if _, err := loadOne(t, src); err != nil {
			t.Errorf("%s: %v", src, err)
		}
	}
}

// A definition that refers to itself is walked to a bounded depth (CUE
// itself cuts the cycle through a list's elements).
func TestConstraintsRecursive(t *testing.T) {
	s, err := loadOne(t, `
#Node: {name: string @unique(), children?: [...#Node], next?: #Node}
#Tree: {root: #Node}
`)
	if err != nil {
		t.Fatal(err)
	}
	cs := s.Constraints("Tree")
	if len(cs) == 0 || len(cs) > maxConstraintDepth+2 {
		t.Fatalf("got %d constraints", len(cs))
	}
	if cs[0].String() != "root.name" {
		t.Errorf("got %s", cs[0])
	}
}

func TestRefConstraints(t *testing.T) {
	s, err := loadOne(t, `
#Author: {name: string}
#Person: {name: string}
#Article: {
	author: string @ref(Author)
	coAuthors?: [...string] @ref(#Author)
	editor?: null | string @ref(Person)
	credits?: [...{who: string @ref(Person)}]
	meta?: {reviewer?: string @ref(Author) @unique()}
}
`)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, c := range s.Constraints("Article") {
		got = append(got, fmt.Sprintf("%s each=%v ref=%s unique=%v", c, c.Each, c.Ref, c.Unique))
	}
	want := []string{
		"author each=false ref=Author unique=false",
		"coAuthors each=true ref=Author unique=false",
		"editor each=false ref=Person unique=false",
		"credits[].who each=false ref=Person unique=false",
		"meta.reviewer each=false ref=Author unique=true",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("constraints:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if !s.HasRefs() {
		t.Error("HasRefs: false")
	}
	if d := s.Constraints("Article")[0].Describe("Article"); len(d) != 1 || !strings.Contains(d[0], "@ref: the id of an Author manifest") {
		t.Errorf("Describe: %q", d)
	}
	plain, err := loadOne(t, `#K: {a: string @unique()}`)
	if err != nil || plain.HasRefs() {
		t.Errorf("HasRefs without @ref: %v %v", plain.HasRefs(), err)
	}
}

func TestRefErrors(t *testing.T) {
	for _, tc := range []struct{ src, want string }{
		{"#Author: {}\n#K: {a: string @ref(Autor)}", "schemas/k.cue:4:16: @ref(Autor): the schemas define no kind #Autor (did you mean Author?): expected one of Author, K"},
		{"#K: {a: string @ref()}", "expected the kind the field refers to"},
		{"#K: {a: string @ref(a b)}", "expected one kind name"},
		{"#K: {a: string @ref(K, L)}", "expected one kind name"},
		{"#K: {a: string @ref(_#Hidden)}", "expected one kind name"},
		{"#K: {a: int @ref(K)}", "which holds int: expected a string field (an id), or a list of strings"},
		{"#K: {a: {b: string} @ref(K)}", "which holds a struct"},
		{"#K: {a: string, @ref(K)}", "stands alone in a struct"},
	} {
		_, err := loadOne(t, tc.src)
		var se *Error
		if !errors.As(err, &se) {
			t.Errorf("%s: got %v, want a schema error", tc.src, err)
			continue
		}
		if got := se.Diagnostics[0].String(); !strings.Contains(got, tc.want) {
			t.Errorf("%s:\n got %s\nwant %s", tc.src, got, tc.want)
		}
	}
}

func TestReferenceableLifecycle(t *testing.T) {
	s, err := loadOne(t, `
#A: {#lifecycle: {states: ["on", "off"], initial: "on", transitions: {on: ["off"]}, humanOnly: [], deletable: [], referenceable: ["on"]}}
#B: {}
`)
	if err != nil {
		t.Fatal(err)
	}
	a, b := s.Lifecycle("A"), s.Lifecycle("B")
	if !a.ReferenceableState("on") || a.ReferenceableState("off") || !b.ReferenceableState("archived") {
		t.Errorf("referenceable: A on %v, A off %v, B archived %v", a.ReferenceableState("on"), a.ReferenceableState("off"), b.ReferenceableState("archived"))
	}
	_, err = loadOne(t, `#A: {#lifecycle: {states: ["on"], initial: "on", transitions: {}, humanOnly: [], deletable: [], referenceable: ["of"]}}`)
	if err == nil || !strings.Contains(err.Error(), `referenceable: "of" is not one of its states`) {
		t.Errorf("unknown referenceable state: %v", err)
	}
}
