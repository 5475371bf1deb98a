package adopt

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"cuelang.org/go/cue/ast"
	"cuelang.org/go/cue/cuecontext"

	"github.com/smallhq/small/manifest"
	"github.com/smallhq/small/protocol"
	"github.com/smallhq/small/schema"
)

func fieldOf(t *testing.T, rep *Report, kind, name string) Field {
	t.Helper()
	for _, r := range rep.Rules {
		if r.Kind != kind {
			continue
		}
		for _, f := range r.Fields {
			if f.Name == name {
				return f
			}
		}
	}
	t.Fatalf("no field %s.%s in %+v", kind, name, rep.Rules)
	return Field{}
}

func ruleOf(t *testing.T, rep *Report, kind string) Rule {
	t.Helper()
	for _, r := range rep.Rules {
		if r.Kind == kind {
			return r
		}
	}
	t.Fatalf("no rule for %s", kind)
	return Rule{}
}

// posts makes n Markdown posts under posts/, post i's front matter
// given by fm(i).
func posts(n int, fm func(i int) string) memSnap {
	m := memSnap{}
	for i := 0; i < n; i++ {
		m[fmt.Sprintf("posts/p%02d.md", i)] = "---\n" + fm(i) + "---\nBody " + fmt.Sprint(i) + "\n"
	}
	return m
}

func TestTypes(t *testing.T) {
	snap := posts(6, func(i int) string {
		s := fmt.Sprintf("title: Post %d\ncount: %d\nratio: %d.5\ndraft: %v\nlayout: %s\nwhen: 2024-01-%02d\n", i, i, i, i%2 == 0, []string{"post", "page"}[i%2], i+1)
		s += "author:\n  name: Ada\n"
		if i%2 == 0 {
			s += "  email: ada@example.com\n"
		}
		s += "links:\n  - {href: /a, text: A}\n"
		if i == 0 {
			s += "extra: 1\n"
		}
		if i == 1 {
			s += "extra: one\n"
		}
		if i == 2 {
			s += "nothing:\n"
		}
		s += "string: s\n_hidden: h\n\"#def\": d\nkebab-case: k\n"
		return s
	})
	rep := mustInfer(t, snap, Options{})
	if len(rep.Rules) != 1 || rep.Rules[0].Glob != "*.md" || rep.Manifests != "posts" || rep.Rules[0].Kind != "Post" {
		t.Fatalf("rules: %+v, manifests %q", rep.Rules, rep.Manifests)
	}
	for name, want := range map[string]string{
		"title":      "string",
		"count":      "int",
		"ratio":      "number",
		"draft":      "bool",
		"layout":     `"page" | "post"`,
		"when":       "string",
		"extra":      "string | int",
		"nothing":    "null",
		"links":      "[...{\n\t\thref: string\n\t\ttext: string\n\t}]",
		"author":     "{\n\t\temail?: string\n\t\tname: string\n\t}",
		"body":       "string",
		"string":     "string",
		"_hidden":    "string",
		"#def":       "string",
		"kebab-case": "string",
	} {
		f := fieldOf(t, rep, "Post", name)
		if f.Type != want {
			t.Errorf("%s: type %q, want %q", name, f.Type, want)
		}
	}
	if f := fieldOf(t, rep, "Post", "extra"); f.Required || f.Files != 2 {
		t.Errorf("extra: %+v: want optional, in 2 files", f)
	}
	if f := fieldOf(t, rep, "Post", "title"); !f.Required || !f.Unique {
		t.Errorf("title: %+v: want required and unique", f)
	}
	if f := fieldOf(t, rep, "Post", "when"); !f.Date {
		t.Errorf("when: %+v: want a date", f)
	}
	if f := fieldOf(t, rep, "Post", "body"); !f.Body || !f.Required {
		t.Errorf("body: %+v", f)
	}
	// Labels that would be read as something else are quoted.
	src := file(rep, "schemas/post.cue")
	for _, w := range []string{`"string": string`, `"_hidden": string`, `"#def": string`, `"kebab-case": string`, "\n title: string @unique()"} {
		if !strings.Contains(src, w) {
			t.Errorf("schemas/post.cue lacks %q:\n%s", w, src)
		}
	}
}

func TestEnums(t *testing.T) {
	// Four files are too few for an enum; five with two values make one;
	// five with five different values do not (no value repeats).
	four := mustInfer(t, posts(4, func(i int) string { return "layout: " + []string{"a", "b"}[i%2] + "\n" }), Options{})
	if f := fieldOf(t, four, "Post", "layout"); f.Type != "string" {
		t.Errorf("4 files: %q", f.Type)
	}
	five := mustInfer(t, posts(5, func(i int) string { return "layout: " + []string{"a", "b"}[i%2] + "\n" }), Options{})
	if f := fieldOf(t, five, "Post", "layout"); f.Type != `"a" | "b"` {
		t.Errorf("5 files: %q", f.Type)
	}
	distinct := mustInfer(t, posts(5, func(i int) string { return fmt.Sprintf("layout: l%d\n", i) }), Options{})
	if f := fieldOf(t, distinct, "Post", "layout"); f.Type != "string" {
		t.Errorf("5 distinct: %q", f.Type)
	}
	// The elements of a list are an open set, however few.
	tags := mustInfer(t, posts(6, func(i int) string { return "tags: [" + []string{"a", "b"}[i%2] + "]\n" }), Options{})
	if f := fieldOf(t, tags, "Post", "tags"); f.Type != "[...string]" {
		t.Errorf("tags: %q", f.Type)
	}
	// An optional enum, with nulls beside.
	opt := mustInfer(t, posts(8, func(i int) string {
		switch {
		case i < 6:
			return "layout: " + []string{"a", "b"}[i%2] + "\n"
		case i == 6:
			return "layout:\n"
		}
		return "x: 1\n"
	}), Options{})
	if f := fieldOf(t, opt, "Post", "layout"); f.Type != "string | null" || f.Required {
		t.Errorf("with a null: %+v", f)
	}
}

// pngHeader is the start of a PNG file, as small sniffs it.
const pngHeader = "\x89PNG\r\n\x1a\n"

func TestUniqueAndAssets(t *testing.T) {
	snap := memSnap{}
	for i, n := range []string{"a", "b", "c"} {
		snap["topics/"+n+"/index.md"] = fmt.Sprintf("---\nname: Name %s\ntitle: Same\nlogo: %s.png\nsummary: s%d\ntopic: %s\n---\n", n, n, i, n)
		snap["topics/"+n+"/"+n+".png"] = pngHeader
	}
	rep := mustInfer(t, snap, Options{})
	if f := fieldOf(t, rep, "Topic", "name"); !f.Unique {
		t.Errorf("name: %+v: want unique", f)
	}
	if f := fieldOf(t, rep, "Topic", "title"); f.Unique {
		t.Errorf("title: %+v: the same in every file, not unique", f)
	}
	if f := fieldOf(t, rep, "Topic", "summary"); f.Unique {
		t.Errorf("summary: %+v: only names, titles and slugs are proposed unique", f)
	}
	if f := fieldOf(t, rep, "Topic", "logo"); !f.Asset {
		t.Errorf("logo: %+v: want an asset", f)
	}
	// A field equal to the path's id in every file says so.
	if f := fieldOf(t, rep, "Topic", "topic"); !f.EqualsID || f.Type != "id" || f.Unique {
		t.Errorf("topic: %+v: want equal to the id", f)
	}
	if src := file(rep, "schemas/topic.cue"); !strings.Contains(src, "\n id: string\n") || !strings.Contains(src, "\n topic: id\n") {
		t.Errorf("schemas/topic.cue:\n%s", src)
	}
	// One "image" that is text: no @asset(), which small validate would
	// refuse on its content.
	snap["topics/c/c.png"] = "not a PNG"
	rep = mustInfer(t, snap, Options{})
	if f := fieldOf(t, rep, "Topic", "logo"); f.Asset {
		t.Errorf("logo with a text file named .png: %+v", f)
	}
	// One image missing: no @asset().
	delete(snap, "topics/c/c.png")
	rep = mustInfer(t, snap, Options{})
	if f := fieldOf(t, rep, "Topic", "logo"); f.Asset {
		t.Errorf("logo with an image missing: %+v", f)
	}
	// Two files are too few for @unique(); a path outside the directory is
	// no asset.
	rep = mustInfer(t, memSnap{
		"topics/a/index.md": "---\nname: a\nlogo: ../b/b.png\n---\n",
		"topics/b/index.md": "---\nname: b\nlogo: b.png\n---\n",
		"topics/b/b.png":    pngHeader,
	}, Options{})
	if f := fieldOf(t, rep, "Topic", "name"); f.Unique {
		t.Errorf("two files: %+v", f)
	}
	if f := fieldOf(t, rep, "Topic", "logo"); f.Asset {
		t.Errorf("../: %+v", f)
	}
}

func TestShapes(t *testing.T) {
	snap := memSnap{
		"content/posts/a.md":          "---\ntitle: A\n---\n",
		"content/posts/b.md":          "---\ntitle: B\n---\n",
		"content/posts/Bad_Name.md":   "---\ntitle: C\n---\n",
		"content/posts/nofm.md":       "just text\n",
		"content/authors/ada.yaml":    "name: Ada\n",
		"content/authors/grace.yaml":  "name: Grace\n",
		"content/authors/list.yaml":   "- not a mapping\n",
		"content/en/posts/a.md":       "---\ntitle: A\n---\n",
		"content/en/posts/b.md":       "---\ntitle: B\nkind: Other\nid: b\n---\n",
		"content/data/x.json":         `{"a": 1}`,
		"content/data/y.json":         `{"a": 2, "kind": "Datum", "id": "nope"}`,
		"content/data/z.json":         `{"a": 3, "status": "live"}`,
		"content/data/w.json":         `{"a": 4, "status": "Live!"}`,
		"content/posts/c*.md":         "---\ntitle: D\n---\n",
		"package.json":                `{"name": "site"}`,
		".github/ISSUE_TEMPLATE/x.md": "---\nname: Bug\n---\n",
		".github/ISSUE_TEMPLATE/y.md": "---\nname: Feature\n---\n",
		"vendor/a/index.md":           "---\nx: 1\n---\n",
	}
	rep := mustInfer(t, snap, Options{})
	if rep.Manifests != "content" {
		t.Errorf("manifests: %q", rep.Manifests)
	}
	var got []string
	for _, r := range rep.Rules {
		got = append(got, fmt.Sprintf("%s %s %d", r.Glob, r.Kind, len(r.Files)))
		for _, p := range r.Problems {
			got = append(got, "  "+p.Path+": "+p.Reason)
		}
		if len(r.Lifecycle) > 0 {
			got = append(got, "  lifecycle "+strings.Join(r.Lifecycle, ","))
		}
	}
	want := `data/*.json Data 4
  content/data/w.json: its status "Live!" cannot be a lifecycle state: expected lower case letters, digits and '-', starting with a letter
  content/data/y.json: its kind field disagrees with the rule's kind "Data": remove the field, or change the rule
  content/data/y.json: its id field disagrees with the rule's id "y": remove the field, or change the rule
  lifecycle live
posts/*.md Post 3
  content/posts/Bad_Name.md: "Bad_Name", the id its path gives, is not a valid id: "Bad_Name" starts with 'B', not a lower case letter or digit; expected ` + protocol.IDRule + `; rename it, or give it a rule of its own
  content/posts/c*.md: the rule matches it, but its name (a * in it, or nothing before the extension) gives no valid id
  content/posts/nofm.md: no front matter (a first line of ---)
authors/*.yaml Author 2
  content/authors/list.yaml: 1:1: top level is a list: expected a mapping
en/posts/*.md EnPost 2
  content/en/posts/b.md: its kind field disagrees with the rule's kind "EnPost": remove the field, or change the rule`
	if g := strings.Join(got, "\n"); g != want {
		t.Errorf("rules:\n%s\nwant\n%s", g, want)
	}
	// The kind field the rule contradicts is reported, the id that agrees is not.
	unmatched := map[string]string{}
	for _, u := range rep.Unmatched {
		unmatched[u.Path] = u.Reason
	}
	if r := ruleOf(t, rep, "Post"); !slices.ContainsFunc(r.Problems, func(u Unmatched) bool {
		return u.Path == "content/posts/c*.md" && strings.Contains(u.Reason, "gives no valid id")
	}) {
		t.Errorf("c*.md: %+v", r.Problems)
	}
	if !strings.Contains(unmatched["package.json"], "configuration") {
		t.Errorf("package.json: %q", unmatched["package.json"])
	}
	if len(unmatched) != 1 {
		t.Errorf("unmatched: %v", unmatched)
	}
	src := file(rep, "schemas/data.cue")
	if !strings.Contains(src, `states: ["live"]`) || !strings.Contains(src, `initial: "live"`) {
		t.Errorf("schemas/data.cue:\n%s", src)
	}
}

func TestLifecycle(t *testing.T) {
	// Statuses of the default lifecycle need no #lifecycle.
	rep := mustInfer(t, posts(3, func(i int) string { return "status: " + []string{"draft", "published"}[i%2] + "\n" }), Options{})
	if r := ruleOf(t, rep, "Post"); len(r.Lifecycle) != 0 || strings.Contains(file(rep, "schemas/post.cue"), "#lifecycle") {
		t.Errorf("default states: %+v", r)
	}
	// Others get every state, draft first when used.
	rep = mustInfer(t, posts(4, func(i int) string { return "status: " + []string{"draft", "live", "in-review", "live"}[i] + "\n" }), Options{})
	src := file(rep, "schemas/post.cue")
	for _, w := range []string{`states: ["draft", "in-review", "live"]`, `initial: "draft"`, `"in-review": ["draft", "live"]`, `humanOnly: []`} {
		if !strings.Contains(src, w) {
			t.Errorf("lacks %q:\n%s", w, src)
		}
	}
	s := loadProposed(t, rep)
	if lc := s.Lifecycle("Post"); lc.Initial != "draft" || len(lc.States) != 3 {
		t.Errorf("lifecycle as loaded: %+v", lc)
	}
}

func loadProposed(t *testing.T, rep *Report) *schema.Schema {
	t.Helper()
	var files []schema.File
	for _, f := range rep.Files[1:] {
		files = append(files, schema.File{Path: f.Path, Data: []byte(f.Content)})
	}
	s, err := schema.Load(rep.Schemas, files)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestHostile feeds the walk what small refuses in a manifest: every such
// file is reported with the decoder's reason, never read past its limits.
func TestHostile(t *testing.T) {
	laughs := "---\na: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\ne: [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\n---\n"
	snap := memSnap{
		"posts/ok1.md":    "---\ntitle: a\n---\n",
		"posts/ok2.md":    "---\ntitle: b\n---\n",
		"posts/huge.md":   "---\ntitle: " + strings.Repeat("x", 2<<20) + "\n---\n",
		"posts/deep.md":   "---\na: " + strings.Repeat("[", 100) + strings.Repeat("]", 100) + "\n---\n",
		"posts/laughs.md": laughs,
		"posts/nul.md":    "---\ntitle: a\x00\n---\n",
		"posts/utf8.md":   "---\ntitle: \xff\n---\n",
		"posts/open.md":   "---\ntitle: never closed\n",
		"posts/toml.md":   "+++\ntitle = 'x'\n+++\n",
		"posts/multi.md":  "---\ntitle: a\n---\n---\nmore: b\n---\n",
		"posts/dup.md":    "---\ntitle: a\ntitle: b\n---\n",
	}
	rep := mustInfer(t, snap, Options{})
	r := ruleOf(t, rep, "Post")
	if len(r.Files) != 3 { // ok1, ok2, multi: a body may hold ---
		t.Errorf("files: %v", r.Files)
	}
	reasons := map[string]string{}
	for _, p := range r.Problems {
		reasons[p.Path] = p.Reason
	}
	for p, want := range map[string]string{
		"posts/huge.md":   "more than the limit of 1048576",
		"posts/deep.md":   "nesting deeper than 64",
		"posts/laughs.md": "aliases expand to more than",
		"posts/nul.md":    "NUL",
		"posts/utf8.md":   "invalid UTF-8",
		"posts/open.md":   "not closed",
		"posts/toml.md":   "TOML",
		"posts/dup.md":    "duplicate key",
	} {
		if !strings.Contains(reasons[p], want) {
			t.Errorf("%s: %q, want %q", p, reasons[p], want)
		}
	}
	// Deep within the limits: described to MaxInferDepth, open below.
	deep := "a: " + strings.Repeat("{b: ", 20) + "1" + strings.Repeat("}", 20) + "\n"
	rep = mustInfer(t, posts(2, func(int) string { return deep }), Options{})
	if f := fieldOf(t, rep, "Post", "a"); strings.Count(f.Type, "{") != MaxInferDepth || !strings.Contains(f.Type, "b: _") {
		t.Errorf("deep: %s", f.Type)
	}
	// Bounds on files and bytes stop the walk and say so.
	rep, err := Infer(posts(10, func(i int) string { return "a: 1\n" }), Options{MaxFiles: 4})
	if err != nil || rep.Candidates != 4 || !strings.Contains(rep.Truncated, "stopped after 4 files") {
		t.Errorf("MaxFiles: %v, %+v", err, rep)
	}
	rep, err = Infer(posts(10, func(i int) string { return "a: 1\n" }), Options{MaxTotalBytes: 60})
	if err != nil || rep.Candidates != 3 || !strings.Contains(rep.Truncated, "bytes") {
		t.Errorf("MaxTotalBytes: %v, %+v", err, rep)
	}
}

// TestCueVetAgrees checks the proposed schemas with cue itself: each file
// inferred from, as JSON (front matter and body, the reserved fields small
// keeps for itself left out), passes cue vet against its kind.
func TestCueVetAgrees(t *testing.T) {
	cue, err := exec.LookPath("cue")
	if err != nil {
		t.Skip("cue is not on PATH (PATH=$PWD/.tools/bin:$PATH)")
	}
	snap := posts(6, func(i int) string {
		return fmt.Sprintf("title: T%d\nlayout: %s\nn: %d\nauthor: {name: A, tags: [x]}\nstatus: %s\nslug: p%02d\n", i, []string{"a", "b"}[i%2], i, []string{"live", "gone"}[i%2], i)
	})
	for k, v := range posts(2, func(i int) string { return fmt.Sprintf("string: s\n_x: 1\n\"#d\": [1, a]\ndate: 2020-01-0%d\n", i+1) }) {
		snap[strings.Replace(k, "posts/", "notes/", 1)] = v
	}
	rep := mustInfer(t, snap, Options{})
	if f := fieldOf(t, rep, "Post", "slug"); !f.EqualsID {
		t.Fatalf("slug: %+v", f)
	}
	dir := t.TempDir()
	var schemas []string
	for _, f := range rep.Files[1:] {
		p := filepath.Join(dir, filepath.FromSlash(f.Path))
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(f.Content), 0o644); err != nil {
			t.Fatal(err)
		}
		schemas = append(schemas, p)
	}
	ctx := cuecontext.New()
	checked := 0
	for _, r := range rep.Rules {
		for _, p := range r.Files {
			d, err := decode(p, []byte(snap[p]), manifest.DefaultLimits)
			if err != nil {
				t.Fatal(err)
			}
			s := &ast.StructLit{}
			for _, el := range d.fields.Elts {
				if name, _, _ := ast.LabelName(el.(*ast.Field).Label); name != "status" && name != "kind" && name != "id" {
					s.Elts = append(s.Elts, el)
				}
			}
			s.Elts = append(s.Elts, &ast.Field{Label: ast.NewString("body"), Value: ast.NewString(d.bodyText)})
			if r.Kind == "Post" { // its slug is the id: the schema declares id, which small supplies
				s.Elts = append(s.Elts, &ast.Field{Label: ast.NewString("id"), Value: ast.NewString(strings.TrimSuffix(filepath.Base(p), ".md"))})
			}
			js, err := ctx.BuildExpr(s).MarshalJSON()
			if err != nil {
				t.Fatal(err)
			}
			data := filepath.Join(dir, strings.ReplaceAll(p, "/", "_")+".json")
			os.WriteFile(data, js, 0o644)
			out, err := exec.Command(cue, append([]string{"vet", "-d", "#" + r.Kind}, append(schemas, data)...)...).CombinedOutput()
			if err != nil {
				t.Errorf("cue vet %s (#%s): %v\n%s\n%s", p, r.Kind, err, out, js)
			}
			checked++
		}
	}
	if checked != 8 {
		t.Errorf("checked %d files", checked)
	}
}

func TestNoContentReasons(t *testing.T) {
	_, err := Infer(memSnap{"a/x.md": "no front matter\n", "a/y.md": "---\n- a list\n---\n"}, Options{})
	var nc *NoContentError
	if !errors.As(err, &nc) || len(nc.Unmatched) != 2 || !strings.Contains(nc.Unmatched[1].Reason, "expected a mapping") {
		t.Fatalf("%v: %+v", err, nc)
	}
}

// TestHostileNames: a directory whose name holds a line break ends up in
// no proposed file (it would end a // comment of a schema and make the
// rest CUE: `#Evil: {...}` in the package), and breaks nothing else;
// values and field names that look like CUE are quoted.
func TestHostileNames(t *testing.T) {
	snap := memSnap{}
	evil := "x\n#Evil: {a: 1}\n// z"
	for i, n := range []string{"alpha", "beta", "gamma", "delta", "eps", "zeta"} {
		snap["posts/"+n+".md"] = "---\ntitle: " + n + "\nkind_of: \"a" + strconv.Itoa(i%2) + "\\n}\\n#E: 1 //\"\n\"b\\n#F: 2\": 1\n---\n"
		snap[evil+"/"+n+".md"] = "---\ntitle: " + n + "\n---\n"
		snap["bad\xff/"+n+".md"] = "---\ntitle: " + n + "\n---\n"
	}
	rep := mustInfer(t, snap, Options{})
	if len(rep.Rules) != 1 || rep.Manifests != "posts" || rep.Rules[0].Glob != "*.md" {
		t.Fatalf("rules: %+v", rep.Rules)
	}
	for _, f := range rep.Files {
		if strings.Contains(f.Content, "#Evil") || strings.Contains(f.Content, "\n#E:") || strings.Contains(f.Content, "\n#F:") || strings.Contains(f.Content, "\xff") {
			t.Errorf("%s: injected:\n%s", f.Path, f.Content)
		}
	}
	n := 0
	for _, u := range rep.Unmatched {
		if strings.Contains(u.Reason, "control character") {
			n++
		}
	}
	if n != 12 {
		t.Errorf("unmatched for their names: %d, want 12: %+v", n, rep.Unmatched)
	}
	if got := commentText("a\nb"); got != `"a\nb"` {
		t.Errorf("commentText: %s", got)
	}
}
