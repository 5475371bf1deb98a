package builder

import (
	"os"
	"os/exec"
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
		{"a link turned into a file of the same bytes", true, true, func(t *testing.T, dir string) {
			link(t, dir, "a0001.yaml", "manifests/authors/link.yaml")
			git(t, dir, "add", "-A")
			git(t, dir, "commit", "-qm", "link")
		}, func(t *testing.T, dir string) {
			// git diff --raw: 120000 -> 100644, the same blob.
			if err := os.Remove(filepath.Join(dir, "manifests/authors/link.yaml")); err != nil {
				t.Fatal(err)
			}
			write(t, dir, "manifests/authors/link.yaml", "a0001.yaml")
			git(t, dir, "commit", "-qam", "link to file")
		}},
		{"an alias removed and its id taken by an agent", true, true, func(t *testing.T, dir string) {
			write(t, dir, "manifests/authors/a0001.yaml", "kind: Author\nname: Author one\nstatus: published\n")
			link(t, dir, "a0001.yaml", "manifests/authors/link.yaml")
			git(t, dir, "add", "-A")
			git(t, dir, "commit", "-qm", "alias")
		}, func(t *testing.T, dir string) {
			git(t, dir, "rm", "-q", "manifests/authors/link.yaml")
			git(t, dir, "commit", "-qm", "drop the alias")
			write(t, dir, "manifests/authors/new.yaml", "kind: Author\nid: link\nname: Someone\nstatus: deprecated\n")
			git(t, dir, "add", "-A")
			git(t, dir, "commit", "-qm", "add", "--trailer", "Small-Agent: bot")
		}},
		// Against the history it brings in, the merge touches every file:
		// all are evaluated.
		{"a commit without parents merged in", false, true, func(t *testing.T, dir string) {
			write(t, dir, "manifests/authors/a0001.yaml", "kind: Author\nname: Author one\nstatus: published\n")
			git(t, dir, "commit", "-qam", "publish")
		}, func(t *testing.T, dir string) {
			old := readFile(t, dir, "manifests/authors/a0001.yaml")
			git(t, dir, "checkout", "-q", "--orphan", "old")
			git(t, dir, "rm", "-rqf", "--cached", ".")
			git(t, dir, "clean", "-qfdx")
			write(t, dir, "small.cue", "") // replaced below by the merge
			os.Remove(filepath.Join(dir, "small.cue"))
			if err := os.MkdirAll(filepath.Join(dir, "manifests/authors"), 0o755); err != nil {
				t.Fatal(err)
			}
			write(t, dir, "manifests/authors/a0001.yaml", old)
			git(t, dir, "add", "manifests")
			git(t, dir, "commit", "-qm", "root", "--trailer", "Small-Agent: bot")
			git(t, dir, "checkout", "-qf", "pr")
			git(t, dir, "merge", "-q", "--no-edit", "--allow-unrelated-histories", "old")
		}},
		{"a forged index that says a published manifest is a draft", true, true, func(t *testing.T, dir string) {
			write(t, dir, "manifests/authors/a0002.yaml", readFile(t, dir, "manifests/authors/a0002.yaml")+"status: published\n")
			git(t, dir, "commit", "-qam", "publish")
		}, func(t *testing.T, dir string) {
			forge(t, dir, "manifests/authors/a0002.yaml", func(shard string) string {
				return strings.Replace(shard, "\tpublished\t", "\tdraft\t", 1)
			})
			git(t, dir, "rm", "-q", "manifests/authors/a0002.yaml")
			git(t, dir, "commit", "-qm", "delete", "--trailer", "Small-Agent: bot")
		}},
		// A lost shard: the manifests it listed are evaluated, the
		// others' verdicts stand.
		{"an index that lost a shard", true, true, func(t *testing.T, dir string) {
			write(t, dir, "manifests/authors/a0002.yaml", readFile(t, dir, "manifests/authors/a0002.yaml")+"status: published\n")
			git(t, dir, "commit", "-qam", "publish")
		}, func(t *testing.T, dir string) {
			forge(t, dir, "manifests/authors/a0002.yaml", func(string) string { return "" })
			git(t, dir, "rm", "-q", "manifests/authors/a0002.yaml")
			git(t, dir, "commit", "-qm", "delete", "--trailer", "Small-Agent: bot")
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

func link(t *testing.T, dir, target, name string) {
	t.Helper()
	if err := os.Symlink(target, filepath.Join(dir, filepath.FromSlash(name))); err != nil {
		t.Fatal(err)
	}
}

// forge rewrites the tip of the artifact branch as someone who can push
// there could: the index shard that holds manifest path becomes what edit
// makes of it (nothing removes it), the message and trailers stay.
func forge(t *testing.T, dir, path string, edit func(shard string) string) {
	t.Helper()
	name := IndexDir + "/" + shardOf(path)
	shard := git(t, dir, "show", "small/artifacts:"+name) + "\n"
	if !strings.Contains(shard, path+"\t") {
		t.Fatalf("%s does not hold %s", name, path)
	}
	idx := filepath.Join(t.TempDir(), "index")
	env := []string{"GIT_INDEX_FILE=" + idx}
	gitEnv(t, dir, env, "", "read-tree", "small/artifacts")
	if edited := edit(shard); edited == "" {
		gitEnv(t, dir, env, "", "rm", "-q", "--cached", name)
	} else {
		blob := gitEnv(t, dir, nil, edited, "hash-object", "-w", "--stdin")
		gitEnv(t, dir, env, "", "update-index", "--cacheinfo", "100644,"+blob+","+name)
	}
	tree := gitEnv(t, dir, env, "", "write-tree")
	msg := git(t, dir, "log", "-1", "--format=%B", "small/artifacts")
	args := []string{"commit-tree", tree}
	if parent, err := exec.Command("git", "-C", dir, "rev-parse", "-q", "--verify", "small/artifacts^").Output(); err == nil {
		args = append(args, "-p", strings.TrimSpace(string(parent)))
	}
	c := gitEnv(t, dir, nil, msg, args...)
	git(t, dir, "update-ref", "refs/heads/small/artifacts", c)
}

func gitEnv(t *testing.T, dir string, env []string, stdin string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL="+os.DevNull,
		"GIT_AUTHOR_NAME=Ann", "GIT_AUTHOR_EMAIL=ann@example.com", "GIT_COMMITTER_NAME=Ann",
		"GIT_COMMITTER_EMAIL=ann@example.com", "GIT_AUTHOR_DATE=2026-01-15T10:00:00Z", "GIT_COMMITTER_DATE=2026-01-15T10:00:00Z")
	cmd.Env = append(cmd.Env, env...)
	cmd.Stdin = strings.NewReader(stdin)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
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
