package content

import (
	"strings"
	"testing"

	"github.com/smallhq/small/config"
	"github.com/smallhq/small/schema"
)

const frontMatterTopicSchema = `package schemas

import "strings"

#Topic: {
	id?:   string
	title: string & strings.MinRunes(3)
	tags?: [...string]
	author?: {name: string}
	body: strings.MaxRunes(100)
}
`

// A Markdown manifest is validated as the file the user sees: a finding in
// the front matter at its line and column, one about the body at the
// body's first line.
func TestFrontMatterFindingsAtTheirLines(t *testing.T) {
	s, err := schema.Load("schemas", []schema.File{{Path: "schemas/topic.cue", Data: []byte(frontMatterTopicSchema)}})
	if err != nil {
		t.Fatal(err)
	}
	v, err := s.NewValidator()
	if err != nil {
		t.Fatal(err)
	}
	lim := config.Default().ManifestLimits()
	src := "---\n" +
		"kind: Topic\n" +
		"title: Gi\n" + // 3: too short
		"tags: [vcs, 1]\n" + // 4: not a string
		"author:\n" +
		"  name: Ada\n" +
		"  mail: ada@example.com\n" + // 7: not allowed
		"---\n" +
		"\n" +
		"# Git\n" + // the body's first line is line 9, the blank one
		strings.Repeat("Git records every change. ", 10) + "\n"
	for _, variant := range []struct{ name, src string }{{"LF", src}, {"CRLF", strings.ReplaceAll(src, "\n", "\r\n")}} {
		m, ds := check(v, "topics/git/index.md", config.Match{Rule: -1}, []byte(variant.src), nil, lim, false, false)
		var got []string
		for _, d := range ds {
			got = append(got, d.String()+" ["+d.Code+"]")
		}
		want := []string{
			`topics/git/index.md:3:8: title: got "Gi", expected string & strings.MinRunes(3) [schema.violation]`,
			`topics/git/index.md:4:13: tags[1]: got 1, expected string [schema.violation]`,
			`topics/git/index.md:7:3: author.mail: field not allowed: expected one of name [schema.field-not-allowed]`,
			`topics/git/index.md:9:1: body: got a string of 268 characters ("# Git"...), expected string & strings.MaxRunes(100) [schema.violation]`,
		}
		if variant.name == "CRLF" {
			want[3] = `topics/git/index.md:9:1: body: got a string of 271 characters ("# Git"...), expected string & strings.MaxRunes(100) [schema.violation]`
		}
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("%s: findings\n%s\nwant\n%s", variant.name, strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
		if m.Kind != "Topic" || m.ID != "git" || m.Valid {
			t.Errorf("%s: manifest %+v", variant.name, m)
		}
	}

	// A valid one builds into canonical JSON holding the body verbatim.
	ok := "---\nkind: Topic\ntitle: Git\n---\n# Git\n\nA tool.\n"
	m, ds := check(v, "topics/git/index.md", config.Match{Rule: -1}, []byte(ok), nil, lim, true, false)
	if len(ds) != 0 || len(m.Artifacts) != 1 {
		t.Fatalf("valid topic: %v, %d artifacts", ds, len(m.Artifacts))
	}
	if a := m.Artifacts[0]; a.Path != "topic/git.json" || !strings.Contains(string(a.Data), `"body": "# Git\n\nA tool.\n"`) {
		t.Errorf("artifact %s:\n%s", a.Path, a.Data)
	}

	// A decoding finding names the file and its code.
	_, ds = check(v, "topics/git/index.md", config.Match{Rule: -1}, []byte("# Git\n"), nil, lim, false, false)
	if len(ds) != 1 || ds[0].String() != "topics/git/index.md:1:1: no front matter: expected the file to start with a line --- opening YAML front matter (the manifest's fields), closed by another --- line" || ds[0].Code != "manifest.front-matter-missing" {
		t.Errorf("no front matter: %v", ds)
	}
}
