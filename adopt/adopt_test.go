package adopt

import (
	"errors"
	"io/fs"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/smallhq/small/repo"
)

// memSnap is a snapshot of files in memory.
type memSnap map[string]string

func (m memSnap) Name() string { return "test" }

func (m memSnap) Files(dir string) ([]repo.FileEntry, error) {
	var out []repo.FileEntry
	for p, d := range m {
		if dir == "" || strings.HasPrefix(p, dir+"/") {
			out = append(out, repo.FileEntry{Path: p, Size: int64(len(d))})
		}
	}
	slices.SortFunc(out, func(a, b repo.FileEntry) int { return strings.Compare(a.Path, b.Path) })
	return out, nil
}

func (m memSnap) Read(name string, max int64) ([]byte, error) {
	d, ok := m[name]
	if !ok {
		return nil, fs.ErrNotExist
	}
	if int64(len(d)) > max {
		return nil, &repo.TooLargeError{Size: int64(len(d)), Max: max}
	}
	return []byte(d), nil
}

func mustInfer(t *testing.T, snap memSnap, opts Options) *Report {
	t.Helper()
	rep, err := Infer(snap, opts)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rep.Rules {
		for _, p := range r.Problems {
			if strings.Contains(p.Reason, "a bug") {
				t.Errorf("%s: %s", p.Path, p.Reason)
			}
		}
	}
	return rep
}

// file is a proposed file's content, its runs of blanks made one space
// (cue fmt aligns fields).
func file(rep *Report, p string) string {
	for _, f := range rep.Files {
		if f.Path == p {
			return blanks.ReplaceAllString(f.Content, " ")
		}
	}
	return ""
}

var blanks = regexp.MustCompile(`[ \t]+`)

func TestJekyllTree(t *testing.T) {
	snap := memSnap{
		"topics/git/index.md":       "---\ntitle: Git\nlogo: git.png\ntags: [vcs, tools]\n---\nGit is a VCS.\n",
		"topics/git/git.png":        pngHeader,
		"topics/go/index.md":        "---\ntitle: Go\nlogo: go.png\nreleased: 2009-11-10\n---\nGo.\n",
		"topics/go/go.png":          pngHeader,
		"topics/rust/index.md":      "---\ntitle: Rust\nlogo: rust.png\n---\n",
		"topics/rust/rust.png":      pngHeader,
		"collections/x/index.md":    "---\nitems: [git, go]\ndisplay_name: X\n---\nA collection.\n",
		"collections/y/index.md":    "---\nitems: []\ndisplay_name: Y\n---\n",
		"README.md":                 "# A site\n",
		"_config.yml":               "title: site\n",
		"_site/topics/git/index.md": "---\ntitle: built\n---\n",
		".github/workflows/x.yml":   "on: push\n",
		"node_modules/a/index.md":   "---\na: 1\n---\n",
		"docs/lonely.md":            "---\ntitle: alone\n---\n",
		"topics/git/notes.txt":      "not content",
	}
	rep := mustInfer(t, snap, Options{})
	if rep.Manifests != "." {
		t.Errorf("manifests = %q", rep.Manifests)
	}
	var got []string
	for _, r := range rep.Rules {
		got = append(got, r.Glob+" "+r.Kind+" "+r.ID+" "+strings.Join(r.Files, ","))
	}
	want := []string{
		"topics/*/index.md Topic $1 topics/git/index.md,topics/go/index.md,topics/rust/index.md",
		"collections/*/index.md Collection $1 collections/x/index.md,collections/y/index.md",
	}
	if !slices.Equal(got, want) {
		t.Errorf("rules:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	var unmatched []string
	for _, u := range rep.Unmatched {
		unmatched = append(unmatched, u.Path+": "+u.Reason)
	}
	wantU := []string{
		"README.md: no front matter (a first line of ---)",
		"_config.yml: a YAML or JSON file at the top of the repository: configuration, not content",
		"docs/lonely.md: the only file of its shape (docs/*.md, */lonely.md)",
	}
	if !slices.Equal(unmatched, wantU) {
		t.Errorf("unmatched:\n%s\nwant\n%s", strings.Join(unmatched, "\n"), strings.Join(wantU, "\n"))
	}
	topic := file(rep, "schemas/topic.cue")
	for _, w := range []string{
		"#Topic: {",
		"\n body: string\n",
		`logo: string @asset(root=".", types="image/png")`,
		"\n title: string @unique()\n",
		"\n tags?: [...string]\n",
		"\n released?: string\n",
	} {
		if !strings.Contains(topic, w) {
			t.Errorf("schemas/topic.cue lacks %q:\n%s", w, topic)
		}
	}
	coll := file(rep, "schemas/collection.cue")
	for _, w := range []string{"\n items: [...string]\n", "\n display_name: string\n"} {
		if !strings.Contains(coll, w) {
			t.Errorf("schemas/collection.cue lacks %q:\n%s", w, coll)
		}
	}
	cfg := file(rep, "small.cue")
	if !strings.Contains(cfg, `{glob: "topics/*/index.md", kind: "Topic", id: "$1"}, // 3 files`) {
		t.Errorf("small.cue:\n%s", cfg)
	}
	// Deterministic: the same snapshot, the same bytes.
	again := mustInfer(t, snap, Options{})
	for i := range rep.Files {
		if rep.Files[i] != again.Files[i] {
			t.Errorf("%s differs between two runs", rep.Files[i].Path)
		}
	}
}

func TestNoContent(t *testing.T) {
	_, err := Infer(memSnap{"README.md": "# hi\n", "main.go": "package main\n"}, Options{})
	var nc *NoContentError
	if !errors.As(err, &nc) || nc.Candidates != 1 || len(nc.Unmatched) != 1 {
		t.Fatalf("err = %v", err)
	}
	_, err = Infer(memSnap{"main.go": "package main\n"}, Options{})
	if !errors.As(err, &nc) || nc.Candidates != 0 {
		t.Fatalf("err = %v", err)
	}
}
