package content

import (
	"errors"
	"maps"
	"strings"
	"testing"

	"github.com/smallhq/small/diag"
)

// authorSchema is a second kind, so that an id may be used by two kinds.
const authorSchema = `package schemas

#Author: {
	name: string
}
`

func TestValidate(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string // added to baseFiles
		opts  Options
		want  []want
		// checked: the manifests validated, in path order, with their state
		// ("" for those whose kind is unknown); only when set.
		checked map[string]string
		valid   int // how many of them are valid, when checked is set
	}{
		{
			name:    "a valid manifest in its initial state",
			files:   map[string]string{"manifests/a.yaml": article("Hello", "")},
			checked: map[string]string{"manifests/a.yaml": "draft"},
			valid:   1,
		},
		{
			name: "valid manifests in YAML, YML and JSON, with a status",
			files: map[string]string{
				"manifests/a.yaml":     article("Hello", "review"),
				"manifests/sub/b.yml":  article("Hi", "published"),
				"manifests/c.json":     `{"kind": "Article", "title": "Hey", "status": "approved"}`,
				"manifests/README.md":  "# not a manifest\n",
				"manifests/notes.txt":  "not a manifest either\n",
				"elsewhere/d.yaml":     "kind: Nope\n",
				"schemas/README.md":    "the kinds\n",
				"manifests/author.yml": "kind: Author\nname: Ada\n",
				"schemas/author.cue":   authorSchema,
			},
			checked: map[string]string{
				"manifests/a.yaml": "review", "manifests/sub/b.yml": "published", "manifests/c.json": "approved",
				"manifests/author.yml": "draft",
			},
			valid: 4,
		},
		{
			name:  "a value of the wrong type",
			files: map[string]string{"manifests/a.yaml": "kind: Article\ntitle: 42\n"},
			want:  []want{{diag.CodeViolation, "manifests/a.yaml", 2, "expected string"}},
		},
		{
			name:  "a required field missing",
			files: map[string]string{"manifests/a.yaml": "kind: Article\nbody: text\n"},
			want:  []want{{diag.CodeMissingField, "manifests/a.yaml", 0, "required field is missing"}},
		},
		{
			name:  "a field the kind does not declare",
			files: map[string]string{"manifests/a.yaml": "kind: Article\ntitle: Hello\nauthor: ada\n"},
			want:  []want{{diag.CodeFieldNotAllowed, "manifests/a.yaml", 3, "not allowed"}},
		},
		{
			name:  "an unknown kind, with a suggestion",
			files: map[string]string{"manifests/a.yaml": "title: Hello\nkind: Articel\n"},
			want:  []want{{diag.CodeKindUnknown, "manifests/a.yaml", 2, `unknown kind "Articel" (did you mean "Article"?): expected one of Article`}},
		},
		{
			name:  "no kind",
			files: map[string]string{"manifests/a.yaml": "title: Hello\n"},
			want:  []want{{diag.CodeKindMissing, "manifests/a.yaml", 0, "required field is missing"}},
		},
		{
			name:  "an id that breaks the pattern",
			files: map[string]string{"manifests/a.yaml": "kind: Article\nid: Not_Valid\ntitle: Hello\n"},
			want:  []want{{diag.CodeIDInvalid, "manifests/a.yaml", 2, ""}},
		},
		{
			name:  "malformed YAML",
			files: map[string]string{"manifests/a.yaml": "kind: Article\ntitle: [unclosed\n"},
			want:  []want{{diag.CodeParse, "manifests/a.yaml", 0, ""}},
		},
		{
			name: "the same kind and id in two files, each naming the other",
			files: map[string]string{
				"manifests/a.yaml":     "kind: Article\nid: same\ntitle: A\n",
				"manifests/sub/b.json": "{\n  \"kind\": \"Article\",\n  \"id\": \"same\",\n  \"title\": \"B\"\n}\n",
			},
			want: []want{
				{diag.CodeIDDuplicate, "manifests/a.yaml", 2, `Article "same" is also defined in manifests/sub/b.json`},
				{diag.CodeIDDuplicate, "manifests/sub/b.json", 3, `Article "same" is also defined in manifests/a.yaml`},
			},
			checked: map[string]string{"manifests/a.yaml": "draft", "manifests/sub/b.json": "draft"},
			valid:   0,
		},
		{
			name: "an id from the file name clashing with an explicit one",
			files: map[string]string{
				"manifests/same.yaml": article("A", ""),
				"manifests/other.yml": "kind: Article\nid: same\ntitle: B\n",
			},
			want: []want{
				{diag.CodeIDDuplicate, "manifests/other.yml", 2, "also defined in manifests/same.yaml"},
				{diag.CodeIDDuplicate, "manifests/same.yaml", 1, "also defined in manifests/other.yml"},
			},
		},
		{
			name: "the same id for two kinds",
			files: map[string]string{
				"schemas/author.cue":        authorSchema,
				"manifests/ada.yaml":        article("A", ""),
				"manifests/authors/ada.yml": "kind: Author\nname: Ada\n",
			},
			checked: map[string]string{"manifests/ada.yaml": "draft", "manifests/authors/ada.yml": "draft"},
			valid:   2,
		},
		{
			name:  "an unknown lifecycle state",
			files: map[string]string{"manifests/a.yaml": "kind: Article\ntitle: Hello\nstatus: bogus\n"},
			want: []want{{diag.CodeStateUnknown, "manifests/a.yaml", 3,
				`"bogus" is not a state of Article: expected one of draft, review, approved, published, deprecated, archived`}},
		},
		{
			name: "a kind's own lifecycle",
			files: map[string]string{
				"schemas/note.cue":  noteSchema,
				"manifests/n1.yaml": "kind: Note\ntext: x\nstatus: live\n",
				"manifests/n2.yaml": "kind: Note\ntext: x\nstatus: review\n",
			},
			want: []want{{diag.CodeStateUnknown, "manifests/n2.yaml", 3, `"review" is not a state of Note: expected one of draft, live, orphan`}},
		},
		{
			name: "paths narrow validation to a file",
			files: map[string]string{
				"manifests/a.yaml": article("Hello", ""),
				"manifests/b.yaml": "kind: Article\n",
			},
			opts:    Options{Paths: []string{"manifests/a.yaml"}},
			checked: map[string]string{"manifests/a.yaml": "draft"},
			valid:   1,
		},
		{
			name: "paths narrow validation to a directory, given twice and unclean",
			files: map[string]string{
				"manifests/a.yaml":     "kind: Article\n",
				"manifests/sub/b.yaml": article("B", ""),
				"manifests/sub/c.json": `{"kind": "Article", "title": "C"}`,
				"manifests/subway.yml": "kind: Article\n",
			},
			opts:    Options{Paths: []string{"manifests/sub/", "manifests/sub/c.json", "./manifests/sub"}},
			checked: map[string]string{"manifests/sub/b.yaml": "draft", "manifests/sub/c.json": "draft"},
			valid:   2,
		},
		{
			name: "several findings, one worker",
			files: map[string]string{
				"manifests/a.yaml": article("Hello", ""),
				"manifests/b.yaml": "kind: Article\ntitle: 1\n",
				"manifests/c.yaml": article("Hello", "bogus"),
			},
			opts: Options{Workers: 1},
			want: []want{
				{diag.CodeViolation, "manifests/b.yaml", 2, ""},
				{diag.CodeStateUnknown, "manifests/c.yaml", 3, ""},
			},
			checked: map[string]string{"manifests/a.yaml": "draft", "manifests/b.yaml": "draft", "manifests/c.yaml": "bogus"},
			valid:   1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			files := baseFiles()
			maps.Copy(files, tt.files)
			c := f.commit(human, "content", files)
			res, err := f.validateAt(c, tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			if res.Report.Stopped != "" || res.Schema == nil {
				t.Fatalf("validation stopped: %s", res.Report.Stopped)
			}
			expect(t, res.Report.Diagnostics, tt.want...)
			if tt.checked == nil {
				return
			}
			if res.Report.Manifests != len(tt.checked) || len(res.Manifests) != len(tt.checked) {
				t.Errorf("checked %d manifests (report: %d), want %d", len(res.Manifests), res.Report.Manifests, len(tt.checked))
			}
			valid := 0
			for i, m := range res.Manifests {
				if i > 0 && res.Manifests[i-1].Path >= m.Path {
					t.Errorf("manifests out of path order: %s before %s", res.Manifests[i-1].Path, m.Path)
				}
				state, ok := tt.checked[m.Path]
				if !ok {
					t.Errorf("checked %s, which is not among the wanted", m.Path)
				} else if m.State != state {
					t.Errorf("%s: state %q, want %q", m.Path, m.State, state)
				}
				if m.Valid {
					valid++
				}
			}
			if valid != tt.valid {
				t.Errorf("%d valid manifests, want %d", valid, tt.valid)
			}
		})
	}
}

// TestValidateIdentity checks what Validate records of a manifest: kind,
// id (explicit or from the file name), status and their positions.
func TestValidateIdentity(t *testing.T) {
	f := newFixture(t)
	files := baseFiles()
	files["manifests/hello-world.yaml"] = "kind: Article\ntitle: Hello\n"
	files["manifests/x.yaml"] = "kind: Article\n\nid: explicit\ntitle: Hello\nstatus: review\n"
	res, err := f.validateAt(f.commit(human, "content", files), Options{})
	if err != nil {
		t.Fatal(err)
	}
	expect(t, res.Report.Diagnostics)
	if len(res.Manifests) != 2 {
		t.Fatalf("%d manifests, want 2", len(res.Manifests))
	}
	a, b := res.Manifests[0], res.Manifests[1]
	if a.Kind != "Article" || a.ID != "hello-world" || a.Status != "" || a.State != "draft" || !a.Valid {
		t.Errorf("hello-world.yaml: %+v", a)
	}
	if b.ID != "explicit" || b.Status != "review" || b.State != "review" || b.IDLine != 3 || b.StatusLine != 5 || b.StatusColumn != 9 {
		t.Errorf("x.yaml: %+v", b)
	}
}

func TestValidatePathError(t *testing.T) {
	f := newFixture(t)
	files := baseFiles()
	files["manifests/a.yaml"] = article("Hello", "")
	files["manifests/notes.txt"] = "not a manifest\n"
	c := f.commit(human, "content", files)
	for _, p := range []string{"manifests/none", "manifests/none.yaml", "manifests/notes.txt", "schemas", "manifests/a"} {
		t.Run(p, func(t *testing.T) {
			res, err := f.validateAt(c, Options{Paths: []string{"manifests/a.yaml", p}})
			var pe *PathError
			if !errors.As(err, &pe) {
				t.Fatalf("got %v, %v; want a *PathError", res, err)
			}
			if pe.Path != p || pe.Root != "manifests" {
				t.Errorf("PathError %+v, want Path %q, Root manifests", pe, p)
			}
			if !strings.Contains(err.Error(), p+": no manifests there") {
				t.Errorf("error %q", err)
			}
		})
	}
}

func TestValidateBrokenSchemas(t *testing.T) {
	tests := []struct {
		name    string
		schemas map[string]string // replaces schemas/article.cue
		stopped string
		code    string
	}{
		{"a syntax error", map[string]string{"schemas/article.cue": "package schemas\n\n#Article: {title: string\n"},
			"the schemas in schemas/ do not compile: no manifest was checked", diag.CodeSchemaSyntax},
		{"conflicting definitions", map[string]string{"schemas/article.cue": "package schemas\n\n#Article: {title: string}\n#Article: {title: int}\n"},
			"the schemas in schemas/ do not compile", diag.CodeSchemaInvalid},
		{"two package names", map[string]string{"schemas/article.cue": articleSchema, "schemas/other.cue": "package other\n\n#Other: {}\n"},
			"the schemas in schemas/ do not compile", diag.CodeSchemaInvalid},
		{"a bad lifecycle", map[string]string{"schemas/article.cue": "package schemas\n\n#Article: {\n\t#lifecycle: {states: [\"draft\"], initial: \"live\"}\n}\n"},
			"the schemas in schemas/ do not compile", diag.CodeSchemaInvalid},
		{"no kind", map[string]string{"schemas/article.cue": "package schemas\n\n_#Helper: {}\n"},
			"the schemas in schemas/ define no kind: no manifest was checked", diag.CodeSchemaEmpty},
		{"no .cue file", map[string]string{"schemas/article.cue": deleted, "schemas/README.md": "none yet\n"},
			"the schemas in schemas/ define no kind: no manifest was checked", diag.CodeSchemaEmpty},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			f.commit(human, "base", baseFiles())
			changes := map[string]string{"manifests/a.yaml": article("Hello", ""), "manifests/b.yaml": "kind: Nope\n"}
			maps.Copy(changes, tt.schemas)
			head := f.commit(human, "schemas", changes)
			res, err := f.validateAt(head, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if res.Schema != nil || res.Manifests != nil {
				t.Errorf("Schema %v, Manifests %v: want none", res.Schema, res.Manifests)
			}
			if !strings.HasPrefix(res.Report.Stopped, tt.stopped) {
				t.Errorf("Stopped = %q, want %q", res.Report.Stopped, tt.stopped)
			}
			if res.Report.Manifests != 2 {
				t.Errorf("report counts %d manifests, want 2", res.Report.Manifests)
			}
			if len(res.Report.Diagnostics) == 0 {
				t.Fatal("no diagnostics")
			}
			for _, d := range res.Report.Diagnostics {
				if d.Code != tt.code || strings.HasPrefix(d.File, "manifests/") {
					t.Errorf("diagnostic %s [%s], want code %s about the schemas", d, d.Code, tt.code)
				}
			}
			// The lifecycle rules have nothing to apply.
			base, err := f.r.ReadCommit(head.Parents[0])
			if err != nil {
				t.Fatal(err)
			}
			pol, err := LoadPolicy(f.r, base, res.Schema)
			if err != nil {
				t.Fatal(err)
			}
			ds, err := Gate(f.r, Change{Base: base, Result: res, Policy: pol})
			if len(ds) != 0 || err != nil {
				t.Errorf("Gate on broken schemas = %v, %v; want nothing", ds, err)
			}
		})
	}
}

// TestValidateCustomDirectories follows small.cue's schemas and manifests.
func TestValidateCustomDirectories(t *testing.T) {
	f := newFixture(t)
	c := f.commit(human, "content", map[string]string{
		"small.cue":          "schemas: \"defs\"\nmanifests: \"content\"\n",
		"defs/article.cue":   articleSchema,
		"defs/sub/other.cue": "package other\n\nthis is not even CUE\n", // another package: not read
		"content/a.yaml":     "kind: Article\ntitle: 1\n",
		"manifests/b.yaml":   "kind: Nope\n", // outside the manifests root
	})
	res, err := f.validateAt(c, Options{})
	if err != nil {
		t.Fatal(err)
	}
	expect(t, res.Report.Diagnostics, want{diag.CodeViolation, "content/a.yaml", 2, ""})
	if _, err := f.validateAt(c, Options{Paths: []string{"manifests"}}); err == nil {
		t.Error("a path outside the manifests root was accepted")
	} else if pe := (*PathError)(nil); !errors.As(err, &pe) || pe.Root != "content" {
		t.Errorf("error %v, want a *PathError with Root content", err)
	}
}
