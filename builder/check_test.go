package builder

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/smallhq/small/content"
	"github.com/smallhq/small/diag"
	"github.com/smallhq/small/repo"
)

// TestCheckFromTheBaseBuild asserts that small check, taking the verdicts
// of unchanged manifests from the build of the merge base, reports exactly
// what a full evaluation of the head reports, and that it falls back to a
// full evaluation whenever the build was made under other rules.
func TestCheckFromTheBaseBuild(t *testing.T) {
	const draftArticle = "kind: Article\ntitle: A new piece\nauthor: a0001\nbody: Words.\n"
	cases := []struct {
		name     string
		reuse    bool // whether the build stands in for evaluating the rest
		findings bool // whether the change has findings
		// base, when set, runs on main before it is built.
		base func(t *testing.T, dir string)
		// change runs in the repository on branch pr, off the built main.
		change func(t *testing.T, dir string)
	}{
		{"one valid edit", true, false, nil, func(t *testing.T, dir string) {
			write(t, dir, "manifests/authors/a0003.yaml", "kind: Author\nname: Author three, renamed\n")
			git(t, dir, "commit", "-qam", "edit")
		}},
		{"an invalid new manifest", true, true, nil, func(t *testing.T, dir string) {
			write(t, dir, "manifests/articles/bad.yaml", "kind: Article\ntitle: No\nauthor: a0001\n")
			git(t, dir, "add", "-A")
			git(t, dir, "commit", "-qm", "bad")
		}},
		{"an id an unchanged manifest has", true, true, nil, func(t *testing.T, dir string) {
			write(t, dir, "manifests/authors/again.yaml", "kind: Author\nid: a0007\nname: Someone else\n")
			git(t, dir, "add", "-A")
			git(t, dir, "commit", "-qm", "duplicate")
		}},
		{"a status walked back within the change", true, true, nil, func(t *testing.T, dir string) {
			write(t, dir, "manifests/articles/new.yaml", draftArticle)
			git(t, dir, "add", "-A")
			git(t, dir, "commit", "-qm", "draft")
			git(t, dir, "commit", "-qm", "placeholder", "--allow-empty")
			write(t, dir, "manifests/articles/hello-world.yaml", readFile(t, dir, "manifests/articles/hello-world.yaml")+"status: bogus\n")
			git(t, dir, "commit", "-qam", "bogus state",
				"--trailer", "Small-Agent: bot")
			git(t, dir, "checkout", "-q", "main", "--", "manifests/articles/hello-world.yaml")
			git(t, dir, "commit", "-qam", "undo")
		}},
		{"an unchanged manifest deleted and restored", true, true, func(t *testing.T, dir string) {
			write(t, dir, "manifests/authors/a0002.yaml", readFile(t, dir, "manifests/authors/a0002.yaml")+"status: published\n")
			git(t, dir, "commit", "-qam", "publish")
		}, func(t *testing.T, dir string) {
			old := readFile(t, dir, "manifests/authors/a0002.yaml")
			git(t, dir, "rm", "-q", "manifests/authors/a0002.yaml")
			git(t, dir, "commit", "-qm", "delete", "--trailer", "Small-Agent: bot")
			write(t, dir, "manifests/authors/a0002.yaml", old)
			git(t, dir, "add", "-A")
			git(t, dir, "commit", "-qm", "restore")
		}},
		{"a rename", true, false, nil, func(t *testing.T, dir string) {
			git(t, dir, "mv", "manifests/authors/a0004.yaml", "manifests/authors/renamed.yaml")
			git(t, dir, "commit", "-qm", "rename")
		}},
		{"a merge of main into the change", true, false, nil, func(t *testing.T, dir string) {
			write(t, dir, "manifests/articles/new.yaml", draftArticle)
			git(t, dir, "add", "-A")
			git(t, dir, "commit", "-qm", "draft")
			git(t, dir, "checkout", "-q", "main")
			write(t, dir, "manifests/authors/a0005.yaml", "kind: Author\nname: Changed on main\n")
			git(t, dir, "commit", "-qam", "main moves")
			build(t, dir) // as CI does on main
			git(t, dir, "checkout", "-q", "pr")
			git(t, dir, "merge", "-q", "--no-edit", "main")
		}},
		{"a schema change", false, true, nil, func(t *testing.T, dir string) {
			// Every author now needs an email: unchanged manifests fail.
			s := readFile(t, dir, "schemas/author.cue")
			write(t, dir, "schemas/author.cue", s[:len(s)-2]+"\temail!: string\n}\n")
			git(t, dir, "commit", "-qam", "emails")
		}},
		{"a small.cue change", false, false, nil, func(t *testing.T, dir string) {
			write(t, dir, "small.cue", readFile(t, dir, "small.cue")+"\n// A comment.\n")
			git(t, dir, "commit", "-qam", "comment")
		}},
		{"a symbolic link", true, false, nil, func(t *testing.T, dir string) {
			if err := os.Symlink("a0001.yaml", filepath.Join(dir, "manifests/authors/link.yaml")); err != nil {
				t.Fatal(err)
			}
			git(t, dir, "add", "-A")
			git(t, dir, "commit", "-qm", "link")
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := newRepo(t, 12)
			if tc.base != nil {
				tc.base(t, dir)
			}
			build(t, dir)
			git(t, dir, "checkout", "-q", "-b", "pr")
			tc.change(t, dir)
			r, err := repo.Open(dir)
			if err != nil {
				t.Fatal(err)
			}
			opts := content.CheckOptions{Rev: "HEAD", Base: "main", Command: "check"}
			full, err := content.Check(r, opts)
			if err != nil {
				t.Fatal(err)
			}
			fast, _, err := Check(r, opts)
			if err != nil {
				t.Fatal(err)
			}
			if got := fast.Reused > 0; got != tc.reuse {
				t.Errorf("reused %d verdicts from the build, want reuse = %v", fast.Reused, tc.reuse)
			}
			fast.Report.Plan = nil
			if a, b := reportJSON(t, &full.Report), reportJSON(t, &fast.Report); a != b {
				t.Errorf("the check from the build differs from a full evaluation:\nfull: %s\nfast: %s", a, b)
			}
			if got := len(full.Report.Diagnostics) > 0; got != tc.findings {
				t.Errorf("findings: %v, want %v", full.Report.Diagnostics, tc.findings)
			}
		})
	}
}

// build builds HEAD as small build does.
func build(t *testing.T, dir string) {
	t.Helper()
	r, err := repo.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if p, _, err := Build(r, "HEAD", BuildOptions{}); err != nil || p.Report.Failed() {
		t.Fatalf("build: %v %v", err, p.Report.Diagnostics)
	}
}

func write(t *testing.T, dir, name, data string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, filepath.FromSlash(name)), []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

func readFile(t *testing.T, dir, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(name)))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func reportJSON(t *testing.T, r *diag.Report) string {
	t.Helper()
	var b strings.Builder
	if err := r.WriteJSON(&b); err != nil {
		t.Fatal(err)
	}
	return b.String()
}
