package manifest

import (
	"bytes"
	"errors"
	"slices"
	"strconv"
	"strings"
	"testing"

	"cuelang.org/go/cue/ast"
	"cuelang.org/go/cue/cuecontext"
	"cuelang.org/go/cue/literal"

	"github.com/smallhq/small/diag"
)

// fuzzSeeds are valid manifests and hostile ones; testdata/fuzz/FuzzDecode
// holds inputs that once failed the checks (positions past the end of the
// input: "[" and "?").
var fuzzSeeds = []string{
	"kind: Article\nid: hello-world\ntitle: Hello, world\nauthor: ada\ntags: [welcome, news]\nbody: |\n  Our content now lives in Git.\n",
	`{"kind": "Article", "title": "Why compilers matter", "tags": ["history"], "n": 1.5e3, "ok": true, "x": null}`,
	"kind: A\nbase: &base {color: red, size: 1}\nitem:\n  <<: *base\n  size: 2\nmore: {<<: [*base], x: 1}\n",
	"kind: A\na: 0123\nb: 01289\nc: 0x1F\nd: .inf\ne: 2001-12-14\nf: !!binary aGVsbG8=\ng: ~\nNull: 1\n",
	billionLaughs,
	mergeBomb(6, 9),
	"kind: A\na: &a {<<: *a}\n",
	"kind: A\na: &a [*a]\n",
	nested(70, "[", "]"),
	nested(70, "{a: ", "}"),
	nestedJSON(70),
	blockNested(70),
	"kind: A\nx: [1, 2\ny: 3\n",
	"a: b: c\n",
	"kind: A\n---\nkind: B\n",
	"---\n",
	"",
	"# only a comment\n",
	"- a\n- b\n",
	"kind: A\nkind: B\n",
	"kind: A\nid: ../x\n",
	"kind: A\nid: \"a\\nb\"\n",
	"kind: A\nx: *nope\n",
	"\ufeffkind: \"a\u2028b\"\rx: [é, 😀]\r\n",
	"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
	"kind: A\nx: \xff\xfe\n",
	"{\"kind\": \"A\", \"x\": \"\\ud83d\\ude00\",}",
	"? [a]\n: 1\n",
	"%YAML 1.1\n---\nkind: A\n",
	"kind: !custom A\n",
}

func FuzzDecode(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, path := range []string{"manifests/m.yaml", "manifests/m.json"} {
			checkDecode(t, path, data)
		}
	})
}

// frontMatterSeeds are Markdown files with front matter, valid and hostile;
// FuzzDecodeFrontMatter also wraps each of fuzzSeeds in --- lines.
var frontMatterSeeds = []string{
	"---\nkind: Topic\ntitle: Git\ntags: [vcs]\n---\n# Git\n\nA tool.\n",
	"\ufeff---\r\nkind: A\r\nt: \"é\"\r\n...\r\n\r\nBody\r\n",
	"---\n---\n",
	"---\n# c\n---",
	"---\n~\n---\n",
	"---\n- a\n---\n",
	"---\nkind: A\nbody: x\n---\ny",
	"---\nkind: A\n--- x\n---\n",
	"---\nkind: A\n",
	"+++\ntitle = 'x'\n+++\n",
	"{\"kind\": \"A\"}\n",
	"# Title\n",
	"----\nkind: A\n----\n",
	"---\rkind: A\r---\r",
	"---\nkind: A\n---\nab\x00c\n",
	"---\nkind: A\n---\nab\xffc\n",
	"---\nkind: A\nx: \"\u2028\"\n---\n\u2028\n",
}

func FuzzDecodeFrontMatter(f *testing.F) {
	for _, s := range frontMatterSeeds {
		f.Add([]byte(s))
	}
	for _, s := range fuzzSeeds {
		f.Add([]byte("---\n" + s + "\n---\nBody\n"))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		checkDecode(t, "topics/x/index.md", data)
	})
}

// checkDecode asserts what Decode promises for any input: an *Error with a
// known code, a one-line message and a position in the file; or a document
// whose identity, positions and CUE value can be had without a panic.
func checkDecode(t *testing.T, path string, data []byte) {
	lines := bytes.Count(data, []byte{'\n'}) + 1
	lim := Limits{MaxBytes: 1 << 20, MaxDepth: 20, MaxAliasNodes: 1000}
	doc, err := Decode(path, data, lim)
	if err != nil {
		checkError(t, path, "Decode", err, lines)
		return
	}
	if doc == nil || doc.Fields == nil || doc.root == nil {
		t.Fatalf("%s: Decode returned no error and no document", path)
	}
	if _, err := doc.Identity(); err != nil {
		checkError(t, path, "Identity", err, lines)
	}
	// Every path of the value has a position in the file, an exact one.
	var paths [][]string
	var collect func(e ast.Expr, sel []string)
	collect = func(e ast.Expr, sel []string) {
		if len(paths) >= 200 {
			return
		}
		paths = append(paths, sel)
		switch x := e.(type) {
		case *ast.StructLit:
			for _, el := range x.Elts {
				f := el.(*ast.Field)
				collect(f.Value, append(slices.Clip(sel), labelName(f.Label)))
			}
		case *ast.ListLit:
			for i, el := range x.Elts {
				collect(el, append(slices.Clip(sel), strconv.Itoa(i)))
			}
		}
	}
	collect(doc.Fields, nil)
	for _, sel := range paths {
		for _, pos := range []func([]string) (int, int, bool){doc.Position, doc.KeyPosition} {
			line, col, exact := pos(sel)
			if !exact || line < 1 || col < 1 || line > lines {
				t.Fatalf("%s: position of %q: %d:%d exact=%v, in a file of %d lines", path, sel, line, col, exact, lines)
			}
		}
	}
	// Paths that are not there, from the input itself.
	for _, sel := range [][]string{{"missing"}, {"0"}, {"-1"}, {`"x"`}, strings.Fields(string(data[:min(len(data), 64)]))} {
		for _, pos := range []func([]string) (int, int, bool){doc.Position, doc.KeyPosition} {
			if line, col, _ := pos(sel); line < 1 || col < 1 || line > lines {
				t.Fatalf("%s: position of %q: %d:%d, in a file of %d lines", path, sel, line, col, lines)
			}
		}
	}
	// A front-matter file's body is the end of the file, verbatim.
	if IsFrontMatterFile(path) {
		f := doc.Fields.Elts[len(doc.Fields.Elts)-1].(*ast.Field)
		body, err := literal.Unquote(f.Value.(*ast.BasicLit).Value)
		if labelName(f.Label) != DefaultBody || err != nil || !bytes.HasSuffix(data, []byte(body)) {
			t.Fatalf("%s: the last field is %s (%v), want the body, the end of the file", path, labelName(f.Label), err)
		}
	}
	// The fields are data CUE accepts as it is.
	if v := cuecontext.New().BuildExpr(doc.Fields); v.Err() != nil {
		t.Fatalf("%s: the decoded value does not build: %v", path, v.Err())
	}
}

func checkError(t *testing.T, path, fn string, err error, lines int) {
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("%s: %s: %T %v, want an *Error", path, fn, err, err)
	}
	if !slices.ContainsFunc(diag.Codes, func(c diag.Code) bool { return c.Code == e.Code }) {
		t.Fatalf("%s: %s: unknown code %q (%v)", path, fn, e.Code, e)
	}
	if e.Msg == "" || strings.ContainsAny(e.Msg, "\n\r") {
		t.Fatalf("%s: %s: %q is not a one-line message", path, fn, e.Msg)
	}
	if e.Line < 0 || e.Column < 0 || e.Line > lines || (e.Line == 0) != (e.Column == 0) {
		t.Fatalf("%s: %s: position %d:%d, in a file of %d lines (%v)", path, fn, e.Line, e.Column, lines, e)
	}
}

// TestFuzzSeeds runs the checks of FuzzDecode on the seeds, with the default
// limits too, so that plain go test covers them.
func TestFuzzSeeds(t *testing.T) {
	for _, s := range fuzzSeeds {
		for _, path := range []string{"manifests/m.yaml", "manifests/m.json"} {
			checkDecode(t, path, []byte(s))
		}
		checkDecode(t, "topics/x/index.md", []byte("---\n"+s+"\n---\nBody\n"))
	}
	for _, s := range frontMatterSeeds {
		checkDecode(t, "topics/x/index.md", []byte(s))
	}
}
