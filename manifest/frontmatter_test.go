package manifest

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"cuelang.org/go/cue/ast"
	"cuelang.org/go/cue/literal"

	"github.com/smallhq/small/diag"
)

func TestIsFrontMatterFile(t *testing.T) {
	for name, want := range map[string]bool{
		"a.md": true, "topics/git/index.md": true, "a.markdown": true, "a.mdx": true,
		"a.MD": false, "a.yaml": false, "a.json": false, "md": false, "a.md.bak": false, "a.mdown": false,
	} {
		if got := IsFrontMatterFile(name); got != want {
			t.Errorf("IsFrontMatterFile(%q) = %v, want %v", name, got, want)
		}
	}
}

// bodyOf returns the string the body field holds.
func bodyOf(t *testing.T, doc *Document, name string) string {
	t.Helper()
	for _, el := range doc.Fields.Elts {
		f := el.(*ast.Field)
		if labelName(f.Label) == name {
			s, err := literal.Unquote(f.Value.(*ast.BasicLit).Value)
			if err != nil {
				t.Fatal(err)
			}
			return s
		}
	}
	t.Fatalf("no field %q in %s", name, oneLine(t, doc))
	return ""
}

func TestFrontMatterValues(t *testing.T) {
	tests := []struct {
		name string
		path string // default topics/git/index.md
		src  string
		opts Options
		want string // the fields, as CUE
		body string // the body, verbatim
	}{
		{name: "typical", src: "---\nkind: Topic\ntitle: Git\ntags: [vcs]\n---\n# Git\n\nA tool.\n",
			want: `kind: "Topic", title: "Git", tags: ["vcs"], body: "# Git\n\nA tool.\n"`, body: "# Git\n\nA tool.\n"},
		{name: "the body keeps its leading blank line", src: "---\nkind: A\n---\n\nText\n", body: "\nText\n"},
		{name: "no body", src: "---\nkind: A\n---\n", want: `kind: "A", body: ""`},
		{name: "no body, no final line break", src: "---\nkind: A\n---", body: ""},
		{name: "no final line break in the body", src: "---\nkind: A\n---\nText", body: "Text"},
		{name: "closed by ...", src: "---\nkind: A\n...\nText\n", body: "Text\n"},
		{name: "delimiters with trailing blanks", src: "--- \t\nkind: A\n---  \nText\n", body: "Text\n"},
		{name: "CRLF, kept in the body", src: "---\r\nkind: A\r\ntitle: T\r\n---\r\nLine 1\r\nLine 2\r\n", want: `kind: "A", title: "T", body: "Line 1\r\nLine 2\r\n"`},
		{name: "byte order mark", src: "\ufeff---\nkind: A\n---\nText\n", want: `kind: "A", body: "Text\n"`},
		{name: "a later --- belongs to the body", src: "---\nkind: A\n---\nOne\n---\nTwo\n", body: "One\n---\nTwo\n"},
		{name: "a --- with text is not a delimiter", src: "---\nkind: A\ntitle: \"--- x\"\n---\nB", body: "B"},
		{name: "empty front matter is an empty mapping", src: "---\n---\nText\n", want: `body: "Text\n"`},
		{name: "comments only", src: "---\n# nothing yet\n\n---\n", want: `body: ""`},
		{name: "block scalar before the closer", src: "---\nkind: A\nsummary: |\n  two\n  lines\n---\nB", want: `kind: "A", summary: "two\nlines\n", body: "B"`},
		{name: "anchors and merges", src: "---\nkind: A\nbase: &b {x: 1}\nitem: {<<: *b, y: 2}\n---\n", want: `kind: "A", base: {x: 1}, item: {y: 2, x: 1}, body: ""`},
		{name: "body field named otherwise", src: "---\nkind: A\n---\nHi\n", opts: Options{Body: "description"}, want: `kind: "A", description: "Hi\n"`},
		{name: "body field named otherwise, body in front matter", src: "---\nkind: A\nbody: x\n---\nHi\n", opts: Options{Body: "description"}, want: `kind: "A", body: "x", description: "Hi\n"`},
		{name: "a body field name that is not an identifier", src: "---\nkind: A\n---\nHi\n", opts: Options{Body: "my body"}, want: `kind: "A", "my body": "Hi\n"`},
		{name: ".markdown", path: "a.markdown", src: "---\nkind: A\n---\nB", want: `kind: "A", body: "B"`},
		{name: ".mdx", path: "a.mdx", src: "---\nkind: A\n---\nimport X from './x'\n\n<X />\n", body: "import X from './x'\n\n<X />\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := tt.path
			if path == "" {
				path = "topics/git/index.md"
			}
			doc, err := DecodeWith(path, []byte(tt.src), DefaultLimits, tt.opts)
			if err != nil {
				t.Fatalf("DecodeWith: %v", err)
			}
			if tt.want != "" {
				if got := oneLine(t, doc); got != tt.want {
					t.Errorf("fields:\n got %s\nwant %s", got, tt.want)
				}
			}
			name := tt.opts.Body
			if name == "" {
				name = "body"
			}
			if got := bodyOf(t, doc, name); tt.want == "" && got != tt.body {
				t.Errorf("body %q, want %q", got, tt.body)
			}
			if tt.opts == (Options{}) {
				plain, err := Decode(path, []byte(tt.src), DefaultLimits)
				if err != nil || oneLine(t, plain) != oneLine(t, doc) {
					t.Errorf("Decode differs from DecodeWith(Options{}): %v", err)
				}
			}
		})
	}
}

func TestFrontMatterErrors(t *testing.T) {
	big := strings.Repeat("x", 1<<20)
	tests := []struct {
		name      string
		path      string // default topics/git/index.md
		src       string
		opts      Options
		lim       *Limits
		code      string
		line, col int
		msg       string
	}{
		{name: "no front matter", src: "# Git\n\nA tool.\n", code: diag.CodeFrontMatterMissing, line: 1, col: 1, msg: "no front matter: expected the file to start with a line --- opening YAML front matter (the manifest's fields), closed by another --- line"},
		{name: "empty file", src: "", code: diag.CodeFrontMatterMissing, line: 1, col: 1, msg: "no front matter"},
		{name: "blank line first", src: "\n---\nkind: A\n---\n", code: diag.CodeFrontMatterMissing, line: 1, col: 1, msg: "no front matter"},
		{name: "indented delimiter", src: " ---\nkind: A\n---\n", code: diag.CodeFrontMatterMissing, line: 1, col: 1, msg: "no front matter"},
		{name: "four dashes", src: "----\nkind: A\n----\n", code: diag.CodeFrontMatterMissing, line: 1, col: 1, msg: `no front matter: the first line is "----": expected exactly --- opening YAML front matter`},
		{name: "a language after the dashes", src: "---yaml\nkind: A\n---\n", code: diag.CodeFrontMatterMissing, line: 1, col: 1, msg: `the first line is "---yaml"`},
		{name: "a long first line is cut", src: "--- " + strings.Repeat("é", 50) + "\n", code: diag.CodeFrontMatterMissing, line: 1, col: 1, msg: `the first line is "--- ` + strings.Repeat("é", 18) + `…"`},
		{name: "not closed", src: "---\nkind: A\ntitle: T\n", code: diag.CodeFrontMatterUnclosed, line: 1, col: 1, msg: "the front matter opened here is not closed: expected a line --- after its last field"},
		{name: "only the opening line", src: "---", code: diag.CodeFrontMatterUnclosed, line: 1, col: 1, msg: "not closed"},
		{name: "closed by four dashes", src: "---\nkind: A\n----\n", code: diag.CodeFrontMatterUnclosed, line: 1, col: 1, msg: "not closed"},
		{name: "indented closer", src: "---\nkind: A\n ---\n", code: diag.CodeFrontMatterUnclosed, line: 1, col: 1, msg: "not closed"},
		{name: "TOML", src: "+++\ntitle = \"Git\"\n+++\nBody\n", code: diag.CodeFrontMatterFormat, line: 1, col: 1, msg: "TOML front matter (+++) is not supported: expected YAML front matter between --- lines"},
		{name: "JSON", src: "{\n  \"kind\": \"A\"\n}\nBody\n", code: diag.CodeFrontMatterFormat, line: 1, col: 1, msg: "JSON front matter is not supported: expected YAML front matter between --- lines"},

		{name: "a list", src: "---\n- a\n- b\n---\n", code: diag.CodeNotMapping, line: 2, col: 1, msg: "the front matter is a list: expected a mapping of fields, e.g. title: Hello"},
		{name: "a string", src: "---\nhello\n---\n", code: diag.CodeNotMapping, line: 2, col: 1, msg: "the front matter is a string: expected a mapping"},
		{name: "null", src: "---\n# c\n~\n---\n", code: diag.CodeNotMapping, line: 3, col: 1, msg: "the front matter is null: expected a mapping"},
		{name: "a second document", src: "---\nkind: A\n--- x\n---\n", code: diag.CodeMultiDocument, line: 3, col: 1, msg: "a second YAML document in the front matter: expected one mapping between the --- lines"},

		{name: "body in the front matter", src: "---\nkind: A\nbody: Hi\n---\nBody\n", code: diag.CodeBodyConflict, line: 3, col: 1, msg: `the front matter has a field "body", which the Markdown body fills: expected the body field's name nowhere in the front matter`},
		{name: "body merged into the front matter", src: "---\nkind: A\nb: &b {body: Hi}\n<<: *b\n---\n", code: diag.CodeBodyConflict, line: 3, col: 8, msg: `has a field "body"`},
		{name: "the named body field in the front matter", src: "---\nkind: A\ndescription: Hi\n---\n", opts: Options{Body: "description"}, code: diag.CodeBodyConflict, line: 3, col: 1, msg: `has a field "description"`},

		// Positions in the YAML are the file's: the opening line counts.
		{name: "yaml/syntax", src: "---\nkind: A\nx: 1\nb: c: d\n---\n", code: diag.CodeParse, line: 4, col: 1, msg: "invalid YAML: mapping values are not allowed"},
		{name: "yaml/unclosed flow list", src: "---\nkind: A\nx: [1, 2\n---\nBody\n", code: diag.CodeParse, line: 3, col: 1, msg: "invalid YAML: did not find expected ',' or ']'"},
		{name: "yaml/undefined alias", src: "---\nkind: A\nx: *nope\n---\n", code: diag.CodeParse, line: 3, col: 4, msg: "alias *nope refers to no anchor"},
		{name: "yaml/duplicate key", src: "---\nkind: A\nx: 1\nx: 2\n---\n", code: diag.CodeDuplicateKey, line: 4, col: 1, msg: `duplicate key "x" (first at line 3)`},
		{name: "yaml/CRLF and non-ASCII", src: "\ufeff---\r\nkind: A\r\nt: \"é\"\r\nu: [é, *nope]\r\n---\r\n", code: diag.CodeParse, line: 4, col: 9, msg: "alias *nope refers to no anchor"},

		// Hostile input: the same limits as a YAML manifest's.
		{name: "billion laughs", src: "---\n" + billionLaughs + "---\n", code: diag.CodeAliases, line: 7, col: 8, msg: "aliases expand to more than 10000 nodes by *d here (limits.aliasNodes)"},
		{name: "merge bomb", src: "---\n" + mergeBomb(12, 9) + "---\n", code: diag.CodeAliases, line: 7, col: 35, msg: "by *m3 here"},
		{name: "anchor contains itself", src: "---\nkind: A\na: &a [*a]\n---\n", code: diag.CodeAliases, line: 3, col: 8, msg: `anchor "a" contains itself`},
		{name: "deep flow nesting", src: "---\n" + nested(65, "[", "]") + "---\n", code: diag.CodeTooDeep, line: 3, col: 67, msg: "nesting deeper than 64 levels (limits.depth)"},
		{name: "deep block nesting", src: "---\n" + blockNested(65) + "---\n", code: diag.CodeTooDeep, line: 67, col: 65, msg: "nesting deeper than 64 levels"},
		{name: "past the parser's depth", src: "---\nkind: A\nx: " + strings.Repeat("[", 20000) + "\n---\n", code: diag.CodeTooDeep, line: 3, col: 1, msg: "nesting deeper than 64 levels (limits.depth)"},
		{name: "too many values", src: "---\nkind: A\nx: [1, 2, 3]\n---\n", lim: &Limits{MaxNodes: 4}, code: diag.CodeTooManyValues, line: 3, col: 11, msg: "more than 4 values in one manifest (limits.nodes)"},
		{name: "the body counts as a value", src: "---\nkind: A\nx: [1]\n---\n", lim: &Limits{MaxNodes: 3}, code: diag.CodeTooManyValues, line: 5, col: 1, msg: "more than 3 values"},
		{name: "huge body", src: "---\nkind: A\n---\n" + big, code: diag.CodeTooLarge, msg: "file is 1048592 bytes, more than the limit of 1048576"},
		{name: "NUL in the body", src: "---\nkind: A\n---\nText\nab\x00c\n", code: diag.CodeBinary, line: 5, col: 3, msg: "binary data (NUL byte)"},
		{name: "invalid UTF-8 in the body", src: "---\nkind: A\n---\nText\nab\xffc\n", code: diag.CodeEncoding, line: 5, col: 3, msg: "invalid UTF-8 byte 0xff"},
		{name: "invalid UTF-8 in the front matter", src: "---\nkind: \xc3\n---\n", code: diag.CodeEncoding, line: 2, col: 7, msg: "invalid UTF-8 byte 0xc3"},
		{name: "a lone CR does not end a delimiter", src: "---\rkind: A\r---\r", code: diag.CodeFrontMatterMissing, line: 1, col: 1, msg: "the first line is"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := tt.path
			if path == "" {
				path = "topics/git/index.md"
			}
			lim := DefaultLimits
			if tt.lim != nil {
				lim = *tt.lim
			}
			doc, err := DecodeWith(path, []byte(tt.src), lim, tt.opts)
			if err == nil {
				t.Fatalf("decoded %s, want %s", oneLine(t, doc), tt.code)
			}
			wantError(t, "DecodeWith", err, tt.code, tt.line, tt.col, tt.msg)
		})
	}
}

const positionsMarkdown = "---\n" +
	"kind: Topic\n" + // 2
	"title: Git\n" + // 3
	"tags: [vcs, \"é\", x]\n" + // 4
	"author:\n" + // 5
	"  name: Ada\n" + // 6
	"---\n" + // 7
	"# Git\n" + // 8
	"\n" +
	"A tool.\n"

func TestFrontMatterPositions(t *testing.T) {
	for _, variant := range []struct{ name, src string }{
		{"LF", positionsMarkdown},
		{"CRLF", strings.ReplaceAll(positionsMarkdown, "\n", "\r\n")},
		{"byte order mark", "\ufeff" + positionsMarkdown},
	} {
		doc, err := Decode("topics/git/index.md", []byte(variant.src), DefaultLimits)
		if err != nil {
			t.Fatalf("%s: %v", variant.name, err)
		}
		for _, tt := range []struct {
			sel       string
			line, col int // of the value
			kline     int // of the key (column 1 unless nested)
			kcol      int
		}{
			{"kind", 2, 7, 2, 1},
			{"title", 3, 8, 3, 1},
			{"tags.2", 4, 19, 4, 19},
			{"author.name", 6, 9, 6, 3},
			{"body", 8, 1, 8, 1},
		} {
			sel := strings.Split(tt.sel, ".")
			if l, c, exact := doc.Position(sel); l != tt.line || c != tt.col || !exact {
				t.Errorf("%s: Position(%s) = %d:%d %v, want %d:%d", variant.name, tt.sel, l, c, exact, tt.line, tt.col)
			}
			if l, c, exact := doc.KeyPosition(sel); l != tt.kline || c != tt.kcol || !exact {
				t.Errorf("%s: KeyPosition(%s) = %d:%d %v, want %d:%d", variant.name, tt.sel, l, c, exact, tt.kline, tt.kcol)
			}
		}
		// A field that is not there: the deepest part that is.
		if l, c, exact := doc.Position([]string{"author", "email"}); l != 6 || c != 3 || exact {
			t.Errorf("%s: Position(author.email) = %d:%d %v, want 6:3 inexact", variant.name, l, c, exact)
		}
	}
}

func TestFrontMatterIdentity(t *testing.T) {
	tests := []struct {
		path, src string
		want      Identity
		code      string
		line, col int
		msg       string
	}{
		{path: "topics/git/index.md", src: "---\nkind: Topic\n---\n", want: Identity{Kind: "Topic", ID: "git"}},
		{path: "content/docs/_index.md", src: "---\nkind: Section\n---\n", want: Identity{Kind: "Section", ID: "docs"}},
		{path: "index.md", src: "---\nkind: Home\n---\n", want: Identity{Kind: "Home", ID: "index"}},
		{path: "topics/git.md", src: "---\nkind: Topic\n---\n", want: Identity{Kind: "Topic", ID: "git"}},
		{path: "blog/2026/hello.mdx", src: "---\nkind: Post\nid: hello-2026\nstatus: draft\n---\nHi\n", want: Identity{Kind: "Post", ID: "hello-2026", Status: "draft"}},
		// A YAML manifest named index keeps its file name as its id.
		{path: "manifests/topics/index.yaml", src: "kind: Topic\n", want: Identity{Kind: "Topic", ID: "index"}},

		{path: "topics/Git Basics/index.md", src: "---\nkind: Topic\n---\n", code: diag.CodeIDInvalid, line: 2, col: 1, msg: `directory name "Git Basics" is not a valid id: set id, or rename the directory to lower case letters`},
		{path: "topics/Git.md", src: "---\nkind: Topic\n---\n", code: diag.CodeIDInvalid, line: 2, col: 1, msg: `file name "Git.md" is not a valid id: set id, or rename the file`},
		{path: "topics/git/index.md", src: "---\ntitle: Git\n---\n", code: diag.CodeKindMissing, line: 2, col: 1, msg: "kind: required field is missing"},
		{path: "topics/git/index.md", src: "---\n---\n", code: diag.CodeKindMissing, line: 1, col: 1, msg: "kind: required field is missing"},
		{path: "topics/git/index.md", src: "---\nkind: Topic\nid: Git\n---\n", code: diag.CodeIDInvalid, line: 3, col: 5, msg: `id: "Git" is not a valid id`},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			doc, err := Decode(tt.path, []byte(tt.src), DefaultLimits)
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

// A front-matter file and a YAML manifest of the same content decode to
// the same fields, but for the body's place.
func TestFrontMatterAgreesWithYAML(t *testing.T) {
	md, err := Decode("a/x.md", []byte(benchMarkdown), DefaultLimits)
	if err != nil {
		t.Fatal(err)
	}
	y, err := Decode("a/x.yaml", []byte(benchYAML), DefaultLimits)
	if err != nil {
		t.Fatal(err)
	}
	if a, b := oneLine(t, md), oneLine(t, y); a != b {
		t.Errorf("front matter:\n%s\nYAML:\n%s", a, b)
	}
	var e *Error
	if _, err := Decode("a/x.yaml", []byte("---\nkind: A\n---\nText\n"), DefaultLimits); !errors.As(err, &e) || e.Code != diag.CodeMultiDocument {
		t.Errorf("a front-matter file named .yaml: %v, want %s", err, diag.CodeMultiDocument)
	}
}

// benchMarkdown is a typical front-matter file of about 2 KB; benchYAML
// is the same content as a YAML manifest.
var benchMarkdown, benchYAML = func() (string, string) {
	front := `kind: Topic
title: Version control with Git
summary: How teams keep the history of their content, and why it matters.
author: {name: Ada Lovelace, email: ada@example.com}
tags: [git, version-control, collaboration, history]
date: 2026-01-15
draft: false
weight: 10
related:
  - topics/github
  - topics/merge-requests
  - topics/code-review
`
	var body strings.Builder
	body.WriteString("# Version control with Git\n\n")
	for body.Len() < 1500 {
		body.WriteString("Git records every change to a file as a commit, with its author, its date and a message that says why.\n")
	}
	md := "---\n" + front + "---\n" + body.String()
	indented := "  " + strings.ReplaceAll(strings.TrimSuffix(body.String(), "\n"), "\n", "\n  ") + "\n"
	indented = strings.ReplaceAll(indented, "\n  \n", "\n\n")
	return md, front + "body: |\n" + indented
}()

func BenchmarkDecode(b *testing.B) {
	for _, c := range []struct{ name, path, src string }{
		{"yaml", "topics/git.yaml", benchYAML},
		{"frontmatter", "topics/git/index.md", benchMarkdown},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(int64(len(c.src)))
			data := []byte(c.src)
			for b.Loop() {
				if _, err := Decode(c.path, data, DefaultLimits); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
