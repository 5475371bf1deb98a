package schema

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

func loadDir(t *testing.T, dir string) *Schema {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join(dir, "*.cue"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no schemas in %s", dir)
	}
	var files []File
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, File{Path: "schemas/" + filepath.Base(p), Data: b})
	}
	s, err := Load("schemas", files)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// property finds a property's schema in an exported document.
func property(t *testing.T, doc map[string]any, path ...string) map[string]any {
	t.Helper()
	cur := doc
	for _, p := range path {
		props, _ := cur["properties"].(map[string]any)
		next, ok := props[p].(map[string]any)
		if !ok {
			t.Fatalf("no property %s in %v", strings.Join(path, "."), cur)
		}
		cur = next
	}
	return cur
}

func exportJSON(t *testing.T, s *Schema, kind string) (map[string]any, string) {
	t.Helper()
	b, err := s.JSONSchema(kind)
	if err != nil {
		t.Fatalf("export %s: %v", kind, err)
	}
	var doc map[string]any
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatalf("export %s is not JSON: %v\n%s", kind, err, b)
	}
	return doc, string(b)
}

func TestExportExample(t *testing.T) {
	s := loadDir(t, "../scaffold/files/example/schemas")
	doc, raw := exportJSON(t, s, "Article")
	if doc["$schema"] != JSONSchemaDialect || doc["title"] != "Article" || doc["additionalProperties"] != false {
		t.Errorf("head: %v", doc)
	}
	if got := property(t, doc, "kind")["const"]; got != "Article" {
		t.Errorf("kind: %v", got)
	}
	if got := property(t, doc, "layout")["default"]; got != "standard" {
		t.Errorf("layout default: %v", got)
	}
	title := property(t, doc, "title")
	if title["minLength"] != 3.0 || title["maxLength"] != 120.0 {
		t.Errorf("title: %v", title)
	}
	if tags := property(t, doc, "tags"); tags["maxItems"] != 8.0 {
		t.Errorf("tags: %v", tags)
	}
	if p := property(t, doc, "publishedAt"); p["format"] != "date-time" {
		t.Errorf("publishedAt: %v", p)
	}
	if d := property(t, doc, "author")["description"]; d != "The id of an Author manifest, the same in every locale." {
		t.Errorf("author's doc comment: %v", d)
	}
	req, _ := json.Marshal(doc["required"])
	if string(req) != `["kind","title","author","body"]` {
		t.Errorf("required: %s", req)
	}
	if !strings.Contains(raw, `"draft"`) || !strings.Contains(raw, `"archived"`) {
		t.Errorf("status states missing")
	}
	// The same bytes each time.
	again, _ := s.JSONSchema("Article")
	if string(again) != raw {
		t.Errorf("export is not deterministic")
	}
}

func TestExportUnknownKind(t *testing.T) {
	s := loadDir(t, "../scaffold/files/example/schemas")
	_, err := s.JSONSchema("Artcle")
	var uk *UnknownKindError
	if !errors.As(err, &uk) || uk.Near != "Article" {
		t.Fatalf("got %v", err)
	}
	if want := `unknown kind "Artcle" (did you mean "Article"?): expected one of Article, Author`; err.Error() != want {
		t.Errorf("got %q, want %q", err, want)
	}
	if _, err := s.Describe("Entry"); !errors.As(err, &uk) {
		t.Errorf("a hidden helper is not a kind: %v", err)
	}
	if _, err := s.OpenAPI("Nope"); !errors.As(err, &uk) {
		t.Errorf("openapi: %v", err)
	}
}

// The odd schemas: every construct a hostile or careless package may
// hold exports without a panic, and where JSON Schema cannot follow, the
// export says so rather than accept silently.
func TestExportOddSchemas(t *testing.T) {
	s := loadDir(t, "testdata/export")
	for _, k := range s.Kinds {
		if _, _ = exportJSON(t, s, k); t.Failed() {
			return
		}
		if _, err := s.Describe(k); err != nil {
			t.Errorf("describe %s: %v", k, err)
		}
	}
	doc, _ := exportJSON(t, s, "Odd")
	comment := func(field, want string) {
		t.Helper()
		c, _ := property(t, doc, field)["$comment"].(string)
		if !strings.Contains(c, want) {
			t.Errorf("%s: $comment %q, want it to say %q", field, c, want)
		}
	}
	comment("cc", "a string CUE computes from other fields")
	comment("q", "net.IPv4")
	comment("x", "bytes")
	comment("jj", "cannot compile the pattern")
	comment("dd", "len(a) > 3")
	if p := property(t, doc, "a")["pattern"]; p != "^x-" {
		t.Errorf("strings.HasPrefix: %v", p)
	}
	if p := property(t, doc, "b")["pattern"]; p != `\.md$` {
		t.Errorf("strings.HasSuffix: %v", p)
	}
	if p := property(t, doc, "e")["pattern"]; p != "[Hh][Ee][Ll][Ll][Oo]" {
		t.Errorf("(?i): %v", p)
	}
	if p := property(t, doc, "n")["default"]; p != 5.0 {
		t.Errorf("default: %v", p)
	}
	if r := property(t, doc, "o")["$ref"]; r != "#/$defs/Odd" {
		t.Errorf("recursion: %v", r)
	}
	// Alternatives of a disjunction inside a definition are closed too.
	aa, _ := property(t, doc, "aa")["anyOf"].([]any)
	for _, a := range aa {
		if a.(map[string]any)["additionalProperties"] != false {
			t.Errorf("open alternative: %v", a)
		}
	}
	pat, _ := exportJSON(t, s, "Pat")
	l := property(t, pat, "l")
	if _, ok := l["properties"].(map[string]any)["fixed"]; !ok || l["patternProperties"] == nil {
		t.Errorf("a struct with fields and pattern constraints keeps both: %v", l)
	}
	if c, _ := property(t, pat, "n")["$comment"].(string); !strings.Contains(c, `!~"^x"`) {
		t.Errorf("a label pattern JSON Schema cannot express: %q", c)
	}
	broken, _ := exportJSON(t, s, "Broken")
	if c, _ := property(t, broken, "day")["$comment"].(string); !strings.Contains(c, "CUE accepts no value here") {
		t.Errorf("an undefined reference: %q", c)
	}
	disj, _ := exportJSON(t, s, "Disj")
	if alts, _ := disj["anyOf"].([]any); len(alts) != 2 {
		t.Errorf("a kind that is a disjunction: %v", disj)
	} else if _, ok := alts[0].(map[string]any)["properties"].(map[string]any)["kind"]; !ok {
		t.Errorf("each alternative carries the reserved fields: %v", alts[0])
	}
}

func TestExportBounded(t *testing.T) {
	// Each level refers twice to the one below, without definitions:
	// written out in place, 2^16 nodes.
	var b strings.Builder
	b.WriteString("package schemas\n#Big: {a: _l0}\n")
	for i := 0; i < 16; i++ {
		fmt.Fprintf(&b, "_l%d: {x: _l%d, y: _l%d}\n", i, i+1, i+1)
	}
	b.WriteString("_l16: int\n")
	s, err := Load("schemas", []File{{Path: "schemas/big.cue", Data: []byte(b.String())}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.JSONSchema("Big")
	var ee *ExportError
	if !errors.As(err, &ee) || !strings.Contains(err.Error(), "more than") {
		t.Fatalf("got %v", err)
	}
}

func TestDescribeExample(t *testing.T) {
	s := loadDir(t, "../scaffold/files/example/schemas")
	d, err := s.Describe("Article")
	if err != nil {
		t.Fatal(err)
	}
	if d.Kind != "Article" || d.Defined != "schemas/article.cue:12" || d.Doc == "" || d.OtherFields != "none" || d.Lifecycle.Initial != "draft" {
		t.Errorf("head: %+v", d)
	}
	byName := map[string]FieldDescription{}
	var names []string
	for _, f := range d.Fields {
		byName[f.Name] = f
		names = append(names, f.Name)
	}
	if got := strings.Join(names, " "); got != "kind id status locale title author layout tags publishedAt summary body" {
		t.Errorf("fields: %s", got)
	}
	if f := byName["title"]; !f.Required || f.Type != "string" || strings.Join(f.Constraints, "; ") != "at least 3 characters; at most 120 characters" {
		t.Errorf("title: %+v", f)
	}
	if f := byName["layout"]; f.Required || string(f.Default) != `"standard"` || len(f.Enum) != 3 {
		t.Errorf("layout: %+v", f)
	}
	if f := byName["author"]; f.Type != "string (_#ID)" || f.Doc != "The id of an Author manifest, the same in every locale." {
		t.Errorf("author: %+v", f)
	}
	if f := byName["kind"]; !f.Reserved || !f.Required {
		t.Errorf("kind: %+v", f)
	}
	if f := byName["tags"]; f.Type != "list of string" || !strings.Contains(strings.Join(f.Constraints, ";"), "each item: matches") {
		t.Errorf("tags: %+v", f)
	}
}

func TestDescribeNested(t *testing.T) {
	s := loadDir(t, "../content/testdata/agreement")
	d, err := s.Describe("Gadget")
	if err != nil {
		t.Fatal(err)
	}
	paths := map[string]FieldDescription{}
	for _, f := range d.Fields {
		paths[f.Path] = f
	}
	if p := paths["items[].name"].Parent; p != "items" {
		t.Errorf("items[].name's parent: %q", p)
	}
	for _, p := range []string{"nested.level", "nested.deep.leaf", "items[].name", "items[].qty", "owner.name", "owner.friends", "owners[].name"} {
		if _, ok := paths[p]; !ok {
			t.Errorf("no field %s", p)
		}
	}
	if !paths["req"].Required || paths["nested.deep"].Required || !paths["nested.level"].Required {
		t.Errorf("required: req %v, nested.deep %v, nested.level %v", paths["req"].Required, paths["nested.deep"].Required, paths["nested.level"].Required)
	}
	p, err := s.Describe("Person")
	if err != nil || p.Lifecycle.Initial != "active" {
		t.Errorf("Person: %v %+v", err, p.Lifecycle)
	}
}

func TestOpenAPI(t *testing.T) {
	s := loadDir(t, "../scaffold/files/example/schemas")
	b, err := s.OpenAPI()
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		OpenAPI    string `json:"openapi"`
		Components struct {
			Schemas map[string]map[string]any `json:"schemas"`
		} `json:"components"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	if doc.OpenAPI != "3.1.0" || len(doc.Components.Schemas) != 2 {
		t.Fatalf("%s", b)
	}
	if !strings.Contains(string(b), `"$ref": "#/components/schemas/Article/$defs/_ID"`) {
		t.Errorf("references point inside the document")
	}
	if _, ok := doc.Components.Schemas["Article"]["$schema"]; ok {
		t.Errorf("no $schema inside OpenAPI components")
	}
}

// The rewritten patterns match what Go's match, as JavaScript runs them
// (node, with the u flag ajv uses).
func TestECMAScriptPatternAgreesWithGo(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node is not installed: the rewritten patterns are checked by the ajv agreement test only")
	}
	patterns := []string{
		`^[a-z0-9][a-z0-9._-]{0,127}$`, `^\pL+$`, `(?i)hello`, `^[[:alpha:]]+$`, `\Aab\z`, `^.+$`, `^\s+$`, `^\w+\b`,
		`(?s)a.b`, `(?m)^b$`, `(?U)a+`, `\Qa.b\E`, `(?P<y>\d{4})-(\d{2})`, `[^a-c]`, `^[\x{1F600}-\x{1F64F}]$`,
		`a{2,}`, `(ab|cd)+?`, `^[\-\]\\^]+$`, `/`, `^$`, `[\d\D]`, `(?i)k`, `^\x00?$`, `\p{Greek}+`, `[^\n]`,
	}
	inputs := []string{"", "a", "ab", "abc", "hello", "HeLLo", "ſ", "K", "\u212a", "a\nb", "a\rb", "b", "x\nb\ny", "a.b", "axb",
		"2024-01", " \t", "\v", "\u00a0", "😀", "😀😀", "Ωμέγα", "a-]\\^", "/", "\x00", "word boundary", "aaa", "abcd"}
	type pair struct {
		P string `json:"p"`
		S string `json:"s"`
	}
	var pairs []pair
	var want []bool
	for _, p := range patterns {
		js, err := ECMAScriptPattern(p)
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		re := regexp.MustCompile(p)
		for _, s := range inputs {
			pairs = append(pairs, pair{js, s})
			want = append(want, re.MatchString(s))
		}
	}
	in, _ := json.Marshal(pairs)
	script := `let d='';process.stdin.on('data',c=>d+=c).on('end',()=>{console.log(JSON.stringify(JSON.parse(d).map(x=>new RegExp(x.p,'u').test(x.s))))})`
	cmd := exec.Command(node, "-e", script)
	cmd.Stdin = strings.NewReader(string(in))
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("node: %v", err)
	}
	var got []bool
	if err := json.Unmarshal(out, &got); err != nil || len(got) != len(want) {
		t.Fatalf("node said %s (%v)", out, err)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("%q on %q: JavaScript %v, Go %v", pairs[i].P, pairs[i].S, got[i], want[i])
		}
	}
}

func TestECMAScriptPatternRefusesWhatGoRefuses(t *testing.T) {
	if _, err := ECMAScriptPattern(`a{1001}`); err == nil {
		t.Error("RE2 refuses repeats over 1000")
	}
	if _, err := ECMAScriptPattern(`(?<!a)b`); err == nil {
		t.Error("RE2 has no lookbehind")
	}
}
