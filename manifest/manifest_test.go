package manifest

import (
	"fmt"
	"strings"
	"testing"

	yaml "go.yaml.in/yaml/v3"

	"github.com/smallhq/small/diag"
)

func TestIdentity(t *testing.T) {
	tests := []struct {
		name      string
		path      string // default manifests/m.yaml
		src       string
		want      Identity
		code      string // the error's, if any
		line, col int
		msg       string
	}{
		{name: "kind only", src: "kind: Article\n", want: Identity{Kind: "Article", ID: "m"}},
		{name: "id and status", src: "kind: Article\nid: hello-world\nstatus: draft\n", want: Identity{Kind: "Article", ID: "hello-world", Status: "draft"}},
		{name: "id from a nested file name", path: "manifests/a/b/ada.lovelace_1.yml", src: "kind: Author\n", want: Identity{Kind: "Author", ID: "ada.lovelace_1"}},
		{name: "id overrides a bad file name", path: "manifests/Bad Name.yaml", src: "kind: A\nid: good\n", want: Identity{Kind: "A", ID: "good"}},
		{name: "JSON", path: "manifests/x.json", src: `{"kind": "A", "id": "x-1"}`, want: Identity{Kind: "A", ID: "x-1"}},
		{name: "kind through a merge key", src: "base: &b {kind: A}\n<<: *b\n", want: Identity{Kind: "A", ID: "m"}},
		{name: "kind through an alias", src: "k: &k A\nkind: *k\n", want: Identity{Kind: "A", ID: "m"}},
		{name: "path-scoped id", path: "manifests/docs/v1/install.yaml", src: "kind: Doc\nid: v1/install\n", want: Identity{Kind: "Doc", ID: "v1/install"}},
		{name: "path-scoped id, JSON", path: "manifests/x.json", src: `{"kind": "A", "id": "a/b/c/d/e/f/g/h"}`, want: Identity{Kind: "A", ID: "a/b/c/d/e/f/g/h"}},
		{name: "nested file keeps its stem as id", path: "manifests/docs/v1/install.yaml", src: "kind: Doc\n", want: Identity{Kind: "Doc", ID: "install"}},
		{name: "id of 128 bytes", src: "kind: A\nid: " + strings.Repeat("a", 128) + "\n", want: Identity{Kind: "A", ID: strings.Repeat("a", 128)}},

		{name: "missing kind", src: "# c\n\nid: x\ntitle: T\n", code: diag.CodeKindMissing, line: 3, col: 1, msg: "kind: required field is missing: expected the name of a kind, e.g. kind: Article"},
		{name: "missing kind, JSON", path: "manifests/x.json", src: "\n {\"id\": \"x\"}", code: diag.CodeKindMissing, line: 2, col: 2, msg: "kind: required field is missing"},
		{name: "missing kind, wrong case", src: "Kind: A\n", code: diag.CodeKindMissing, line: 1, col: 1, msg: "kind: required field is missing"},
		{name: "kind is a number", src: "kind: 1\n", code: diag.CodeKindInvalid, line: 1, col: 7, msg: "kind: expected a non-empty string naming a kind"},
		{name: "kind is empty", src: "kind: \"\"\n", code: diag.CodeKindInvalid, line: 1, col: 7, msg: "kind: expected a non-empty string"},
		{name: "kind is null", src: "id: x\nkind:\n", code: diag.CodeKindInvalid, line: 2, col: 6, msg: "kind: expected a non-empty string"},
		{name: "kind is a list", src: "kind: [A]\n", code: diag.CodeKindInvalid, line: 1, col: 7, msg: "kind: expected a non-empty string"},
		{name: "kind is a mapping", src: "kind:\n  name: A\n", code: diag.CodeKindInvalid, line: 2, col: 3, msg: "kind: expected a non-empty string"},
		{name: "kind is bytes", src: "kind: !!binary QQ==\n", code: diag.CodeKindInvalid, line: 1, col: 7, msg: "kind: expected a non-empty string"},

		{name: "id with an empty segment", src: "kind: A\nid: a//b\n", code: diag.CodeIDInvalid, line: 2, col: 5, msg: `id: "a//b" is not a valid id: an empty segment (//); expected lower case letters, digits, '.', '_' or '-', starting with a letter or digit, in up to 8 segments separated by '/' (v1/install), at most 128 bytes, no '..'`},
		{name: "id with a leading slash", src: "kind: A\nid: /a\n", code: diag.CodeIDInvalid, line: 2, col: 5, msg: `id: "/a" is not a valid id: it starts with '/'`},
		{name: "id with a trailing slash", src: "kind: A\nid: a/\n", code: diag.CodeIDInvalid, line: 2, col: 5, msg: `id: "a/" is not a valid id: it ends with '/'`},
		{name: "id with a dot segment", src: "kind: A\nid: a/./b\n", code: diag.CodeIDInvalid, line: 2, col: 5, msg: `id: "a/./b" is not a valid id: a "." segment`},
		{name: "id nine deep", src: "kind: A\nid: a/b/c/d/e/f/g/h/i\n", code: diag.CodeIDInvalid, line: 2, col: 5, msg: `it has 9 segments, more than 8`},
		{name: "id with a look-alike", src: "kind: A\nid: v1/inst\u0430ll\n", code: diag.CodeIDInvalid, line: 2, col: 5, msg: `"inst\u0430ll" holds '\u0430'`},
		{name: "id with a division slash", src: "kind: A\nid: v1\u2215install\n", code: diag.CodeIDInvalid, line: 2, col: 5, msg: `"v1\u2215install" holds '\u2215'`},
		{name: "id under a .json directory", src: "kind: A\nid: v1.json/x\n", code: diag.CodeIDInvalid, line: 2, col: 5, msg: `"v1.json" ends in .json and has a segment after it`},
		{name: "id of dots", src: "kind: A\nid: ..\n", code: diag.CodeIDInvalid, line: 2, col: 5, msg: `id: ".." is not a valid id`},
		{name: "id with dots inside", src: "kind: A\nid: a..b\n", code: diag.CodeIDInvalid, line: 2, col: 5, msg: `id: "a..b" is not a valid id`},
		{name: "id of one dot", src: "kind: A\nid: .\n", code: diag.CodeIDInvalid, line: 2, col: 5, msg: `id: "." is not a valid id`},
		{name: "id climbing out", src: "kind: A\nid: ../../etc/passwd\n", code: diag.CodeIDInvalid, line: 2, col: 5, msg: `id: "../../etc/passwd" is not a valid id`},
		{name: "id in upper case", src: "kind: A\nid: Hello\n", code: diag.CodeIDInvalid, line: 2, col: 5, msg: `id: "Hello" is not a valid id`},
		{name: "id with a newline", src: "kind: A\nid: \"a\\nb\"\n", code: diag.CodeIDInvalid, line: 2, col: 5, msg: `id: "a\nb" is not a valid id`},
		{name: "id with a trailing newline", src: "kind: A\nid: |\n  ab\n", code: diag.CodeIDInvalid, line: 2, col: 5, msg: `id: "ab\n" is not a valid id`},
		{name: "id with a NUL escape", src: "kind: A\nid: \"a\\0b\"\n", code: diag.CodeIDInvalid, line: 2, col: 5, msg: `id: "a\x00b" is not a valid id`},
		{name: "id with a space", src: "kind: A\nid: a b\n", code: diag.CodeIDInvalid, line: 2, col: 5, msg: `id: "a b" is not a valid id`},
		{name: "id starting with a dash", src: "kind: A\nid: -a\n", code: diag.CodeIDInvalid, line: 2, col: 5, msg: `id: "-a" is not a valid id`},
		{name: "id empty", src: "kind: A\nid: \"\"\n", code: diag.CodeIDInvalid, line: 2, col: 5, msg: `id: "" is not a valid id`},
		{name: "id of 129 bytes", src: "kind: A\nid: " + strings.Repeat("a", 129) + "\n", code: diag.CodeIDInvalid, line: 2, col: 5, msg: "is not a valid id"},
		{name: "id with non-ASCII", src: "kind: A\nid: café\n", code: diag.CodeIDInvalid, line: 2, col: 5, msg: `id: "caf\u00e9" is not a valid id`},
		{name: "id is a number", src: "kind: A\nid: 12\n", code: diag.CodeIDInvalid, line: 2, col: 5, msg: "id: expected a string"},
		{name: "id is null", src: "kind: A\nid: ~\n", code: diag.CodeIDInvalid, line: 2, col: 5, msg: "id: expected a string"},
		{name: "id in JSON", path: "manifests/x.json", src: `{"kind": "A", "id": "a/../b"}`, code: diag.CodeIDInvalid, line: 1, col: 21, msg: `id: "a/../b" is not a valid id: a ".." segment`},
		{name: "file name in upper case", path: "manifests/Hello.yaml", src: "kind: A\n", code: diag.CodeIDInvalid, line: 1, col: 1, msg: `file name "Hello.yaml" is not a valid id: set id, or rename the file to lower case letters, digits, '.', '_' or '-'`},
		{name: "file name with a space", path: "manifests/a b.yaml", src: "kind: A\n", code: diag.CodeIDInvalid, line: 1, col: 1, msg: `file name "a b.yaml" is not a valid id`},
		{name: "file name with a newline", path: "manifests/a\nb.yaml", src: "kind: A\n", code: diag.CodeIDInvalid, line: 1, col: 1, msg: `file name "a\nb.yaml" is not a valid id`},
		{name: "file name with dots", path: "manifests/a..b.yaml", src: "kind: A\n", code: diag.CodeIDInvalid, line: 1, col: 1, msg: `file name "a..b.yaml" is not a valid id`},
		{name: "file name of an extension only", path: "manifests/.yaml", src: "kind: A\n", code: diag.CodeIDInvalid, line: 1, col: 1, msg: `file name ".yaml" is not a valid id`},
		{name: "hidden file", path: "manifests/.x.yaml", src: "kind: A\n", code: diag.CodeIDInvalid, line: 1, col: 1, msg: `file name ".x.yaml" is not a valid id`},

		{name: "status is a number", src: "kind: A\nstatus: 1\n", code: diag.CodeStatusInvalid, line: 2, col: 9, msg: "status: expected a string naming a lifecycle state"},
		{name: "status is a list", src: "kind: A\nstatus: [draft]\n", code: diag.CodeStatusInvalid, line: 2, col: 9, msg: "status: expected a string"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := tt.path
			if path == "" {
				path = "manifests/m.yaml"
			}
			doc, err := Decode(path, []byte(tt.src), DefaultLimits)
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			id, err := doc.Identity()
			if tt.code == "" {
				if err != nil || id != tt.want {
					t.Fatalf("Identity: %+v, %v; want %+v", id, err, tt.want)
				}
				return
			}
			wantError(t, fmt.Sprintf("Identity (%+v)", id), err, tt.code, tt.line, tt.col, tt.msg)
		})
	}
}

const positionsYAML = `kind: A
title: Hello
tags: [a, b, "c"]
author:
  name: Ada
  links:
    - url: x
      rel: y
"my-field": 1
base: &base
  color: red
item:
  <<: *base
  size: 2
list: &l [1, 2]
copy: *l
more:
  <<: [*base]
Null: 3
naïve: {é: [1, 2]}
`

func TestPosition(t *testing.T) {
	doc, err := Decode("manifests/m.yaml", []byte(positionsYAML), DefaultLimits)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		sel       string // dot-separated; "" is the top level
		line, col int    // of the value
		kline     int    // of the key, when it differs from line
		kcol      int
		exact     bool
	}{
		{sel: "", line: 1, col: 1, kline: 1, kcol: 1, exact: true},
		{sel: "kind", line: 1, col: 7, kline: 1, kcol: 1, exact: true},
		{sel: "title", line: 2, col: 8, kline: 2, kcol: 1, exact: true},
		{sel: "tags", line: 3, col: 7, kline: 3, kcol: 1, exact: true},
		{sel: "tags.0", line: 3, col: 8, kline: 3, kcol: 8, exact: true},
		{sel: "tags.2", line: 3, col: 14, kline: 3, kcol: 14, exact: true},
		{sel: "author.name", line: 5, col: 9, kline: 5, kcol: 3, exact: true},
		{sel: "author.links.0.rel", line: 8, col: 12, kline: 8, kcol: 7, exact: true},
		{sel: `"my-field"`, line: 9, col: 13, kline: 9, kcol: 1, exact: true},
		// Merged keys are where they are written, in the mapping merged in.
		{sel: "item.color", line: 11, col: 10, kline: 11, kcol: 3, exact: true},
		{sel: "item.size", line: 14, col: 9, kline: 14, kcol: 3, exact: true},
		{sel: "more.color", line: 11, col: 10, kline: 11, kcol: 3, exact: true},
		// Through an alias, in the anchor.
		{sel: "copy.1", line: 15, col: 14, kline: 15, kcol: 14, exact: true},
		// As CUE names the field: `Null:` is null.
		{sel: "null", line: 19, col: 7, kline: 19, kcol: 1, exact: true},
		// Columns are in bytes.
		{sel: "naïve.é.1", line: 20, col: 18, kline: 20, kcol: 18, exact: true},
		{sel: "naïve.é", line: 20, col: 14, kline: 20, kcol: 10, exact: true},
		// Not in the file: the deepest part of the path that is.
		{sel: "missing", line: 1, col: 1, kline: 1, kcol: 1},
		{sel: "author.missing", line: 5, col: 3, kline: 5, kcol: 3},
		{sel: "author.missing.deeper", line: 5, col: 3, kline: 5, kcol: 3},
		{sel: "tags.3", line: 3, col: 7, kline: 3, kcol: 7},
		{sel: "tags.-1", line: 3, col: 7, kline: 3, kcol: 7},
		{sel: "tags.x", line: 3, col: 7, kline: 3, kcol: 7},
		{sel: "title.x", line: 2, col: 8, kline: 2, kcol: 8},
	}
	for _, tt := range tests {
		var sel []string
		if tt.sel != "" {
			sel = strings.Split(tt.sel, ".")
		}
		line, col, exact := doc.Position(sel)
		if line != tt.line || col != tt.col || exact != tt.exact {
			t.Errorf("Position(%q) = %d:%d %v, want %d:%d %v", tt.sel, line, col, exact, tt.line, tt.col, tt.exact)
		}
		line, col, exact = doc.KeyPosition(sel)
		if line != tt.kline || col != tt.kcol || exact != tt.exact {
			t.Errorf("KeyPosition(%q) = %d:%d %v, want %d:%d %v", tt.sel, line, col, exact, tt.kline, tt.kcol, tt.exact)
		}
	}
}

// TestPositionAtTheEnd: yaml.v3 places a null that ends the input on a line
// of its own; it is just after the input instead (found by FuzzDecode).
func TestPositionAtTheEnd(t *testing.T) {
	for _, tt := range []struct {
		src       string
		sel       string
		line, col int
	}{
		{"?", "null", 1, 2},
		{"kind: A\n?", "null", 2, 2},
		{"kind: A\nx:", "x", 2, 3},
		{"kind: A\nx:\n", "x", 2, 3},
		{"kind: A\n? x\n", "x", 3, 1},
	} {
		doc, err := Decode("m.yaml", []byte(tt.src), DefaultLimits)
		if err != nil {
			t.Fatalf("%q: %v", tt.src, err)
		}
		if line, col, exact := doc.Position([]string{tt.sel}); line != tt.line || col != tt.col || !exact {
			t.Errorf("%q: Position(%s) = %d:%d %v, want %d:%d", tt.src, tt.sel, line, col, exact, tt.line, tt.col)
		}
	}
}

func TestPositionJSON(t *testing.T) {
	src := "{\n  \"kind\": \"A\",\n  \"x\" : [ 1 , {\"é\": true, \"b\":null} ],\n\t\"y\":\"\\ud83d\\ude00\", \"z\": 2\n}\n"
	doc, err := Decode("manifests/m.json", []byte(src), DefaultLimits)
	if err != nil {
		t.Fatal(err)
	}
	for sel, want := range map[string][3]int{
		"kind":  {2, 11, 3},
		"x":     {3, 9, 3},
		"x.0":   {3, 11, 11},
		"x.1":   {3, 15, 15},
		"x.1.é": {3, 22, 16},
		"x.1.b": {3, 32, 28},
		"y":     {4, 6, 2},
		"z":     {4, 27, 22},
	} {
		s := strings.Split(sel, ".")
		if line, col, exact := doc.Position(s); line != want[0] || col != want[1] || !exact {
			t.Errorf("Position(%q) = %d:%d %v, want %d:%d", sel, line, col, exact, want[0], want[1])
		}
		if line, col, exact := doc.KeyPosition(s); line != want[0] || col != want[2] || !exact {
			t.Errorf("KeyPosition(%q) = %d:%d %v, want %d:%d", sel, line, col, exact, want[0], want[2])
		}
	}
}

// TestPositionsPointAtTheSource checks, for YAML that yaml.v3 and editors
// count differently, that every plain scalar's position is where its text is.
func TestPositionsPointAtTheSource(t *testing.T) {
	for _, src := range []string{
		positionsYAML,
		"\ufeffkind: A\nx: [é, 日本, 😀]\ny: {a: ü, b: c}\n",
		"kind: A\r\nx: [é, b]\r\ny: c\r\n",
		"kind: A\rx: [é, b]\ry: c\r",
		"kind: \"a\u2028b\u2029c\u0085d\"\nx: [é, b]\ny: c\n",
		"kind: |\n  ü\n  y\nz: [1, é]\n# ü comment\nw: v\n",
		"kind: A # \u2029\u0085\nx: [é, b]\n",
		"kind: A\nx:\n  - é\n  -  \"ü\" \n  - 'ö'\n  - {a: b}\n",
	} {
		doc, err := Decode("m.yaml", []byte(src), DefaultLimits)
		if err != nil {
			t.Fatalf("%q: %v", src, err)
		}
		var check func(n *yaml.Node)
		check = func(n *yaml.Node) {
			if n.Kind == yaml.ScalarNode && n.Style == 0 && !strings.ContainsAny(n.Value, "\n") && n.Value != "" {
				off := offsetOf(src, n.Line, n.Column)
				if !strings.HasPrefix(src[off:], n.Value) {
					t.Errorf("%q: %q at %d:%d, where the text is %q", src, n.Value, n.Line, n.Column, src[off:min(len(src), off+len(n.Value))])
				}
			}
			for _, c := range n.Content {
				check(c)
			}
		}
		check(doc.root)
	}
}

// offsetOf is the byte offset of a line (broken at \n) and byte column.
func offsetOf(src string, line, col int) int {
	off := 0
	for i := 1; i < line; i++ {
		off += strings.IndexByte(src[off:], '\n') + 1
	}
	return off + col - 1
}
