package config

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestFileGlobMatch(t *testing.T) {
	for _, tc := range []struct {
		glob, path string
		want       []string // nil: no match
	}{
		{"topics/*/index.md", "topics/git/index.md", []string{"git"}},
		{"topics/*/index.md", "topics/git/sub/index.md", nil},
		{"topics/*/index.md", "topics/index.md", nil},
		{"topics/*/index.md", "xtopics/git/index.md", nil},
		{"topics/*/index.md", "topics/git/index.mdx", nil},
		{"*.md", "a.md", []string{"a"}},
		{"*.md", ".md", []string{""}},
		{"*.md", "a/b.md", nil},
		{"**/*.md", "a.md", []string{"", "a"}},
		{"**/*.md", "a/b/c.md", []string{"a/b", "c"}},
		{"posts/**/*.md", "posts/x.md", []string{"", "x"}},
		{"posts/**/*.md", "posts/2024/01/x.md", []string{"2024/01", "x"}},
		{"posts/**/*.md", "postsx/a.md", nil},
		{"posts/**", "posts", []string{""}},
		{"posts/**", "posts/a/b", []string{"a/b"}},
		{"posts/**", "postsa", nil},
		{"**", "a/b/c", []string{"a/b/c"}},
		{"**/**", "a/b", []string{"a", "b"}},
		{"a/**/b/**/c", "a/b/c", []string{"", ""}},
		{"a/**/b/**/c", "a/x/b/y/z/c", []string{"x", "y/z"}},
		{"*-*", "a-b-c", []string{"a-b", "c"}},
		{"[abc]/?.md", "[abc]/?.md", []string{}},
		{"[abc]/x.md", "[abc]/x.md", []string{}},
		{"[abc]/x.md", "a/x.md", nil},
		{"?.md", "a.md", nil},
		{"{a,b}.md", "{a,b}.md", []string{}},
		{"a.md", "aXmd", nil},
		{"*a*a*a*a*b", strings.Repeat("a", 40), nil},
		{"é/*", "é/ü", []string{"ü"}},
	} {
		g, err := CompileFileGlob(tc.glob)
		if err != nil {
			t.Fatalf("%q: %v", tc.glob, err)
		}
		caps, ok := g.Match(tc.path)
		if ok != (tc.want != nil) {
			t.Errorf("%q on %q: match %v, want %v", tc.glob, tc.path, ok, tc.want != nil)
			continue
		}
		if ok && strings.Join(caps, "|") != strings.Join(tc.want, "|") {
			t.Errorf("%q on %q: captures %q, want %q", tc.glob, tc.path, caps, tc.want)
		}
	}
}

// A glob made to backtrack matches a long path in linear time.
func TestFileGlobHostile(t *testing.T) {
	g, err := CompileFileGlob(strings.Repeat("*a", 15) + "*b")
	if err != nil {
		t.Fatal(err)
	}
	p := strings.Repeat("a", 100_000)
	start := time.Now()
	if _, ok := g.Match(p); ok {
		t.Error("matched a path without b")
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("took %v", d)
	}
}

func TestFileGlobErrors(t *testing.T) {
	for _, tc := range []struct{ glob, want string }{
		{"", "empty glob"},
		{"/abs/*.md", "starts with /"},
		{"dir/", "ends with /"},
		{"a//b", "empty segment"},
		{"a/../b", `".." segment`},
		{"./a", `"." segment`},
		{".git/*", ".git"},
		{"a**/b", "** must be a whole path segment"},
		{"a/***", "** must be a whole path segment"},
		{"a\\*", "backslash"},
		{"a\nb", "control character"},
		{strings.Repeat("a", 600), "more than 512"},
		{strings.Repeat("*/", 40) + "x", "wildcards, more than 32"},
	} {
		_, err := CompileFileGlob(tc.glob)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: got %v, want an error with %q", tc.glob, err, tc.want)
		}
	}
}

func TestFilesRules(t *testing.T) {
	src := `manifests: "."
files: [
	{glob: "topics/*/index.md", kind: "Topic", id: "$1"},
	{glob: "collections/*/index.md", kind: "Collection", id: "$1", body: "description"},
	{glob: "**/*.yaml"},
]
`
	c, err := Parse("small.cue", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		path string
		ok   bool
		want Match
	}{
		{"topics/git/index.md", true, Match{Rule: 0, Glob: "topics/*/index.md", Kind: "Topic", ID: "git"}},
		{"collections/x/index.md", true, Match{Rule: 1, Glob: "collections/*/index.md", Kind: "Collection", ID: "x", Body: "description"}},
		{"a/b.yaml", true, Match{Rule: 2, Glob: "**/*.yaml"}},
		{".github/workflows/ci.yaml", true, Match{Rule: 2, Glob: "**/*.yaml"}},
		{"topics/git/logo.png", false, Match{}},
		{"README.md", false, Match{}},
		{"small.cue", false, Match{}},
		{"schemas/x.yaml", false, Match{}},
	} {
		m, ok := c.Manifest(tc.path)
		if ok != tc.ok || m != tc.want {
			t.Errorf("Manifest(%q) = %+v, %v; want %+v, %v", tc.path, m, ok, tc.want, tc.ok)
		}
	}
	if got := (Match{Rule: 0, Glob: "topics/*/index.md"}).RuleName(); got != "files rule 1 (topics/*/index.md)" {
		t.Errorf("RuleName: %q", got)
	}
	// Without agentPaths, agents may change what the rules match, nothing else.
	for p, want := range map[string]bool{"topics/git/index.md": true, "topics/git/notes.txt": false, "small.cue": false,
		"schemas/topic.cue": false, "README.md": false, ".github/workflows/ci.yaml": true} {
		if got := c.AgentMayChange(p); got != want {
			t.Errorf("AgentMayChange(%q) = %v, want %v", p, got, want)
		}
	}
	if !strings.Contains(c.AgentScope(), "topics/*/index.md") {
		t.Errorf("AgentScope: %q", c.AgentScope())
	}
	// With agentPaths, they win.
	c, err = Parse("small.cue", []byte(src+`agentPaths: ["topics"]`+"\n"))
	if err != nil {
		t.Fatal(err)
	}
	if !c.AgentMayChange("topics/git/logo.png") || c.AgentMayChange("collections/x/index.md") {
		t.Errorf("explicit agentPaths not used: %v", c.AgentPaths)
	}
}

func TestFilesRulesUnderRoot(t *testing.T) {
	c, err := Parse("small.cue", []byte(`manifests: "content"
files: [{glob: "*.md", id: "post-$1"}]
`))
	if err != nil {
		t.Fatal(err)
	}
	if m, ok := c.Manifest("content/hello.md"); !ok || m.ID != "post-hello" || m.Kind != "" {
		t.Errorf("content/hello.md: %+v %v", m, ok)
	}
	for _, p := range []string{"hello.md", "content/a/hello.md", "contentx/hello.md", "content/hello.yaml"} {
		if c.IsManifest(p) {
			t.Errorf("%s is a manifest", p)
		}
	}
	// Without rules: by extension, under the root; .md is not a manifest.
	d := Default()
	for p, want := range map[string]bool{"manifests/a.yaml": true, "manifests/a/b.json": true, "manifests/a.yml": true,
		"manifests/a.md": false, "a.yaml": false, "small.cue": false} {
		if m, ok := d.Manifest(p); ok != want || ok && m.Rule != -1 {
			t.Errorf("default Manifest(%q) = %+v, %v", p, m, ok)
		}
	}
}

func TestFilesRulesErrors(t *testing.T) {
	for _, tc := range []struct{ src, want string }{
		{"manifests: \".\"\n", `small.cue:1:12: manifests: "." without files rules would make every *.yaml`},
		{"manifests: \".\"\nfiles: []\n", `small.cue:1:12: manifests: "." without files rules`},
		{"files: [{glob: \"a/**b\"}]\n", `small.cue:1:16: files.0.glob: "a/**b": ** must be a whole path segment`},
		{"files: [\n\t{glob: \"*.md\"},\n\t{glob: \"t/*/i.md\", kind: \"Topic\", id: \"$2\"},\n]\n", `small.cue:3:40: files.1.id: "$2": $2, but the glob has 1 wildcard: expected $1`},
		{"files: [{glob: \"*/*.md\", id: \"$1-$3\"}]\n", `files.0.id: "$1-$3": $3, but the glob has 2 wildcards: expected $1 to $2`},
		{"files: [{glob: \"x.md\", id: \"$1\"}]\n", `small.cue:1:28: files.0.id: "$1": $1, but the glob has no wildcard`},
		{"files: [{glob: \"*.md\", id: \"$0\"}]\n", `files.0.id: "$0": $0: wildcards are numbered from $1`},
		{"files: [{glob: \"*.md\", id: \"a$\"}]\n", `files.0.id: "a$": a $ must be followed by the number`},
		{"files: [{glob: \"*.md\", id: \"Bad\"}]\n", `files.0.id: "Bad" is not a valid id`},
		{"files: [{glob: \"*.md\", kind: \"#Topic\"}]\n", `small.cue:1:30: files.0.kind: "#Topic" is not a kind`},
		{"files: [{glob: \"*.md\", kind: \"1Topic\"}]\n", `files.0.kind: "1Topic" is not a kind`},
		{"files: [{glob: \"*/*.md\", kind: \"K-$1\"}]\n", `files.0.kind: "K-$1" is not a kind`},
		{"files: [{glob: \"*.md\", body: \"status\"}]\n", `small.cue:1:30: files.0.body: "status" is a field small reserves`},
		{"files: [{glob: \"*.md\", body: \"locale\"}]\n", `files.0.body: "locale" is a field small reserves`},
		{"files: [{glob: \"*.md\", body: \"a b\"}]\n", `files.0.body: "a b" is not a field name`},
		{"files: [{glob: \"*.md\", bogus: 1}]\n", `files.0.bogus: field not allowed`},
		{"files: [{kind: \"Topic\"}]\n", `files.0.glob:`},
	} {
		_, err := Parse("small.cue", []byte(tc.src))
		var ce *Error
		if !errors.As(err, &ce) || !strings.Contains(ce.Error(), tc.want) {
			t.Errorf("%q:\n got %v\nwant %s", tc.src, err, tc.want)
		}
	}
	// $N in kind, within the count, is fine.
	if _, err := Parse("small.cue", []byte("files: [{glob: \"*/*.md\", kind: \"$1\", id: \"$2\"}]\n")); err != nil {
		t.Error(err)
	}
}

// TestFilesRulesPathScopedIDs: a rule's id may have segments, from $N
// joined by '/' or from a ** capture, so that docs/v1/install.yaml and
// docs/v2/install.yaml need not share the id install.
func TestFilesRulesPathScopedIDs(t *testing.T) {
	c, err := Parse("small.cue", []byte(`files: [
	{glob: "docs/**/*.yaml", kind: "Doc", id: "$1/$2"},
	{glob: "guides/**", kind: "Guide", id: "$1"},
	{glob: "api/*/*/*.yaml", kind: "API", id: "$1/$2-$3"},
	{glob: "**/*.yaml"},
]
`))
	if err != nil {
		t.Fatal(err)
	}
	for p, want := range map[string]string{
		"manifests/docs/v1/install.yaml":      "v1/install",
		"manifests/docs/v2/install.yaml":      "v2/install",
		"manifests/docs/v2/cli/run.yaml":      "v2/cli/run",
		"manifests/docs/install.yaml":         "install", // ** matched nothing: no empty segment
		"manifests/guides/a/b/c.md":           "a/b/c.md",
		"manifests/api/v1/users/get.yaml":     "v1/users-get",
		"manifests/docs/v1/a.b/c.yaml":        "v1/a.b/c",
		"manifests/docs/V1/install.yaml":      "V1/install", // given, and refused as an id by the manifest's reader
		"manifests/docs/v1/.hidden/x.yaml":    "v1/.hidden/x",
		"manifests/docs/1/2/3/4/5/6/7/8.yaml": "1/2/3/4/5/6/7/8",
	} {
		m, ok := c.Manifest(p)
		if !ok || m.ID != want {
			t.Errorf("Manifest(%q) = %+v, %v; want id %q", p, m, ok, want)
		}
	}
	for _, tc := range []struct{ src, want string }{
		{"files: [{glob: \"**/*.md\", id: \"../$2\"}]\n", `files.0.id: "../$2" cannot give a valid id (with each $N standing for x: "../x"): a ".." segment`},
		{"files: [{glob: \"**/*.md\", id: \"$1//$2\"}]\n", `files.0.id: "$1//$2" cannot give a valid id (with each $N standing for x: "x//x"): an empty segment (//)`},
		{"files: [{glob: \"**/*.md\", id: \"/$1/$2\"}]\n", `"/$1/$2" cannot give a valid id (with each $N standing for x: "/x/x"): it starts with '/'`},
		{"files: [{glob: \"**/*.md\", id: \"$1/$2/\"}]\n", `it ends with '/'`},
		{"files: [{glob: \"**/*.md\", id: \"$1.json/$2\"}]\n", `"x.json" ends in .json and has a segment after it`},
		{"files: [{glob: \"*.md\", id: \"a/b/c/d/e/f/g/h/$1\"}]\n", `it has 9 segments, more than 8`},
		{"files: [{glob: \"*.md\", id: \"v1/./x\"}]\n", `files.0.id: "v1/./x" is not a valid id: a "." segment`},
		{"files: [{glob: \"*.md\", id: \"v1/\u0430\"}]\n", `"\u0430" starts with '\u0430'`},
	} {
		_, err := Parse("small.cue", []byte(tc.src))
		var ce *Error
		if !errors.As(err, &ce) || !strings.Contains(ce.Error(), tc.want) {
			t.Errorf("%q:\n got %v\nwant %s", tc.src, err, tc.want)
		}
	}
	// A literal path-scoped id is fine.
	if _, err := Parse("small.cue", []byte("files: [{glob: \"intro.md\", id: \"v1/intro\"}]\n")); err != nil {
		t.Error(err)
	}
}

func TestBuildsLikeFiles(t *testing.T) {
	a, _ := Parse("small.cue", []byte("manifests: \".\"\nfiles: [{glob: \"*/index.md\", id: \"$1\"}]\n"))
	b, _ := Parse("small.cue", []byte("manifests: \".\"\nfiles: [{glob: \"*/index.md\", id: \"x-$1\"}]\n"))
	if a == nil || b == nil || a.BuildsLike(b) || !a.BuildsLike(a) {
		t.Error("a change of files rules must rebuild")
	}
}

// BenchmarkManifest classifies paths of a large tree under four rules.
func BenchmarkManifest(b *testing.B) {
	c, err := Parse("small.cue", []byte(`manifests: "."
files: [
	{glob: "topics/*/index.md", kind: "Topic", id: "$1"},
	{glob: "collections/*/index.md", kind: "Collection", id: "$1"},
	{glob: "posts/**/*.md", kind: "Post", id: "$2"},
	{glob: "people/*.yaml", kind: "Person", id: "$1"},
]
`))
	if err != nil {
		b.Fatal(err)
	}
	paths := []string{"topics/git/index.md", "topics/git/git.png", "posts/2024/01/hello-world.md", "node_modules/a/b/c/index.js", "README.md"}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		c.Manifest(paths[i%len(paths)])
	}
}
