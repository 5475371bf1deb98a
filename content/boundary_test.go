package content

import (
	"maps"
	"os"
	"path/filepath"
	"testing"

	"github.com/smallhq/small/diag"
	"github.com/smallhq/small/repo"
)

// outside is the message of a boundary finding about a path outside the
// default agentPaths; {1} is the commit's short id.
const outside = "changes a path outside what agents may change (manifests): agents act only through manifests; a human must make this change"

func TestGateBoundary(t *testing.T) {
	otherConfig := baseConfig + "limits: depth: 32\n"
	withPaths := baseConfig + `agentPaths: ["manifests", ".github", ".gitattributes"]` + "\n"
	tests := []struct {
		name  string
		base  map[string]string // added to baseFiles
		steps []step
		want  []want // {1}, {2}, ... are the steps' short ids
	}{
		{name: "an agent changes manifests only",
			base: map[string]string{a: article("A", "draft")},
			steps: one(agentTrailer, map[string]string{a: article("A", "review"), b: article("B", ""),
				"manifests/c.json": `{"kind": "Article", "title": "C"}`, "manifests/notes.txt": "not a manifest, but under manifests/\n"})},
		{name: "an agent deletes a manifest",
			base:  map[string]string{a: article("A", "draft")},
			steps: one(agentGlob, map[string]string{a: deleted})},
		// Changed on purpose: agents may change only agentPaths, by default
		// the manifests; this used to pass, only the schemas and small.cue
		// being guarded.
		{name: "an agent changes a file outside the schemas and small.cue",
			steps: one(agentTrailer, map[string]string{"README.md": "hello\n"}),
			want:  []want{{diag.CodeAgentBoundary, "README.md", 0, "commit {1} by agent writer-bot " + outside}}},
		{name: "a human changes the schemas, small.cue and more",
			steps: one(human, map[string]string{"schemas/article.cue": articleSchema + "\n#Page: {title: string}\n", "small.cue": otherConfig,
				"README.md": "hello\n", ".github/workflows/x.yml": "on: push\n"})},
		// Changed on purpose: one finding per path, named by its file (it
		// was one for the schemas directory).
		{name: "an agent changes a schema",
			steps: one(agentTrailer, map[string]string{"schemas/article.cue": articleSchema + "\n// more\n"}),
			want:  []want{{diag.CodeAgentBoundary, "schemas/article.cue", 0, "commit {1} by agent writer-bot " + outside}}},
		{name: "an agent adds a schema file",
			steps: one(agentTrailer, map[string]string{"schemas/page.cue": "package schemas\n\n#Page: {title: string}\n"}),
			want:  []want{{diag.CodeAgentBoundary, "schemas/page.cue", 0, outside}}},
		{name: "an agent deletes a schema file",
			base:  map[string]string{"schemas/page.cue": "package schemas\n\n#Page: {title: string}\n"},
			steps: one(agentTrailer, map[string]string{"schemas/page.cue": deleted}),
			want:  []want{{diag.CodeAgentBoundary, "schemas/page.cue", 0, outside}}},
		{name: "an agent changes a file below the schemas",
			steps: one(agentTrailer, map[string]string{"schemas/README.md": "the kinds\n"}),
			want:  []want{{diag.CodeAgentBoundary, "schemas/README.md", 0, outside}}},
		{name: "an agent changes small.cue",
			steps: one(agentTrailer, map[string]string{"small.cue": otherConfig}),
			want:  []want{{diag.CodeAgentBoundary, "small.cue", 0, "commit {1} by agent writer-bot " + outside}}},
		{name: "an agent known by e-mail changes small.cue and the schemas",
			steps: one(agentGlob, map[string]string{"small.cue": otherConfig, "schemas/article.cue": articleSchema + "\n// more\n", a: article("A", "")}),
			want: []want{
				{diag.CodeAgentBoundary, "schemas/article.cue", 0, "commit {1} by agent Robo " + outside},
				{diag.CodeAgentBoundary, "small.cue", 0, "commit {1} by agent Robo " + outside},
			}},
		{name: "an agent's schema change, then a human's manifest change",
			steps: []step{
				{agentTrailer, map[string]string{"schemas/article.cue": articleSchema + "\n// more\n"}},
				{human, map[string]string{a: article("A", "")}},
			},
			want: []want{{diag.CodeAgentBoundary, "schemas/article.cue", 0, "commit {1} by agent writer-bot"}}},
		{name: "a human's schema change, then an agent's manifest change",
			steps: []step{
				{human, map[string]string{"schemas/article.cue": articleSchema + "\n// more\n"}},
				{agentTrailer, map[string]string{a: article("A", "")}},
			}},
		{name: "an agent's change to small.cue that a human reverts is still the agent's",
			steps: []step{
				{agentTrailer, map[string]string{"small.cue": otherConfig}},
				{human, map[string]string{"small.cue": baseConfig}},
			},
			want: []want{{diag.CodeAgentBoundary, "small.cue", 0, "commit {1} by agent writer-bot"}}},
		{name: "two agents' commits, each reported",
			steps: []step{
				{agentTrailer, map[string]string{"small.cue": otherConfig}},
				{agentGlob, map[string]string{"schemas/article.cue": articleSchema + "\n// more\n"}},
			},
			want: []want{
				{diag.CodeAgentBoundary, "schemas/article.cue", 0, "commit {2} by agent Robo"},
				{diag.CodeAgentBoundary, "small.cue", 0, "commit {1} by agent writer-bot"},
			}},
		{name: "the same path changed by two agent commits",
			steps: []step{
				{agentTrailer, map[string]string{"README.md": "one\n"}},
				{agentTrailer, map[string]string{"README.md": "two\n"}},
			},
			want: []want{
				{diag.CodeAgentBoundary, "README.md", 0, "commit {1} by agent writer-bot"},
				{diag.CodeAgentBoundary, "README.md", 0, "commit {2} by agent writer-bot"},
			}},

		// agentPaths, read from the base's small.cue.
		{name: "by default, an agent changes neither .github nor .gitattributes",
			steps: one(agentTrailer, map[string]string{".github/workflows/x.yml": "on: push\n", ".gitattributes": "* text=auto\n"}),
			want: []want{
				{diag.CodeAgentBoundary, ".gitattributes", 0, "commit {1} by agent writer-bot " + outside},
				{diag.CodeAgentBoundary, ".github/workflows/x.yml", 0, "commit {1} by agent writer-bot " + outside},
			}},
		{name: "agentPaths that list them",
			base:  map[string]string{"small.cue": withPaths},
			steps: one(agentTrailer, map[string]string{".github/workflows/x.yml": "on: push\n", ".gitattributes": "* text=auto\n", a: article("A", "")})},
		{name: "agentPaths that list them, and what they do not list",
			base:  map[string]string{"small.cue": withPaths},
			steps: one(agentTrailer, map[string]string{".githubx/y.yml": "x\n", ".gitattributes.bak": "x\n", "schemas/article.cue": articleSchema + "\n// more\n"}),
			want: []want{
				{diag.CodeAgentBoundary, ".gitattributes.bak", 0, "changes a path outside what agents may change (manifests, .github, .gitattributes)"},
				{diag.CodeAgentBoundary, ".githubx/y.yml", 0, "(manifests, .github, .gitattributes)"},
				{diag.CodeAgentBoundary, "schemas/article.cue", 0, "(manifests, .github, .gitattributes)"},
			}},
		{name: "agentPaths the change itself widens are not the policy",
			steps: one(agentTrailer, map[string]string{"small.cue": withPaths, ".github/workflows/x.yml": "on: push\n"}),
			want: []want{
				{diag.CodeAgentBoundary, ".github/workflows/x.yml", 0, "commit {1} by agent writer-bot " + outside},
				{diag.CodeAgentBoundary, "small.cue", 0, "commit {1} by agent writer-bot " + outside},
			}},
		{name: "agentPaths that a human widens in the change apply from the next change",
			steps: []step{
				{human, map[string]string{"small.cue": withPaths}},
				{agentTrailer, map[string]string{".github/workflows/x.yml": "on: push\n"}},
			},
			want: []want{{diag.CodeAgentBoundary, ".github/workflows/x.yml", 0, "commit {2} by agent writer-bot " + outside}}},
		{name: "agentPaths that do not list the manifests",
			base:  map[string]string{"small.cue": baseConfig + `agentPaths: ["docs"]` + "\n", a: article("A", "draft")},
			steps: one(agentTrailer, map[string]string{"docs/x.md": "x\n", a: article("A", "review")}),
			want:  []want{{diag.CodeAgentBoundary, a, 0, "changes a path outside what agents may change (docs)"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			files := baseFiles()
			maps.Copy(files, tt.base)
			base := f.commit(human, "base", files)
			commits := []*repo.Commit{base}
			head := base
			for _, s := range tt.steps {
				head = f.commit(s.by, "change", s.changes)
				commits = append(commits, head)
			}
			expect(t, f.gate(Change{Base: base, Head: head}, head), named(tt.want, commits...)...)
		})
	}
}

// TestGateBoundaryCustomDirectories follows the base's small.cue: its
// manifests root is what agents may change by default, and its schemas
// are outside it.
func TestGateBoundaryCustomDirectories(t *testing.T) {
	f := newFixture(t)
	base := f.commit(human, "base", map[string]string{
		"small.cue":        "schemas: \"defs\"\nmanifests: \"content\"\n",
		"defs/article.cue": articleSchema,
		"schemas/x.cue":    "package x\n", // not the schemas any more
	})
	head := f.commit(agentTrailer, "change", map[string]string{
		"defs/article.cue": articleSchema + "\n// more\n",
		"schemas/x.cue":    "package y\n",
		"content/a.yaml":   article("A", ""),
		"manifests/b.yaml": article("B", ""), // outside the manifests root
	})
	// Changed on purpose: schemas/x.cue, outside the schemas, used to pass.
	const msg = " by agent writer-bot changes a path outside what agents may change (content)"
	expect(t, f.gate(Change{Base: base, Head: head}, head),
		want{diag.CodeAgentBoundary, "defs/article.cue", 0, "commit " + head.ID.Short() + msg},
		want{diag.CodeAgentBoundary, "manifests/b.yaml", 0, msg},
		want{diag.CodeAgentBoundary, "schemas/x.cue", 0, msg})
}

// TestGateBoundaryMerges checks a pull request's branch that a human
// brings up to date by merging the target, which a human changed. The
// change is judged from the merge base of the target and the head, which
// is the target once merged.
func TestGateBoundaryMerges(t *testing.T) {
	tests := []struct {
		name   string
		branch []step // commits on the branch, before the merge
		merger actor
		want   []want
	}{
		{name: "an agent's manifest change",
			branch: one(agentTrailer, map[string]string{a: article("A", "review")}),
			merger: human},
		{name: "an agent's schema change",
			branch: []step{
				{agentTrailer, map[string]string{a: article("A", "review")}},
				{agentGlob, map[string]string{"schemas/page.cue": "package schemas\n\n#Page: {title: string}\n"}},
			},
			merger: human,
			want:   []want{{diag.CodeAgentBoundary, "schemas/page.cue", 0, "by agent Robo " + outside}}},
		// Formerly a known bug: a merge was compared with its first parent
		// only, so an agent's merge of the target took the target's
		// schemas for its own change.
		{name: "an agent's merge of the target",
			branch: one(agentTrailer, map[string]string{a: article("A", "review")}),
			merger: agentTrailer},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			files := baseFiles()
			files[a] = article("A", "draft")
			fork := f.commit(human, "base", files)
			target := f.commit(human, "schema", map[string]string{"schemas/article.cue": articleSchema + "\n// by a human\n", "small.cue": baseConfig + "\n"})
			f.checkout(fork)
			for _, s := range tt.branch {
				f.commit(s.by, "change", s.changes)
			}
			head := f.merge(tt.merger, "merge the target", target, map[string]string{
				"schemas/article.cue": articleSchema + "\n// by a human\n", "small.cue": baseConfig + "\n"})
			mb, err := f.r.MergeBase(target.ID, head.ID)
			if err != nil {
				t.Fatal(err)
			}
			if mb != target.ID {
				t.Fatalf("merge base %s, want the target %s", mb.Short(), target.ID.Short())
			}
			expect(t, f.gate(Change{Base: target, Target: target, Head: head}, head), tt.want...)
		})
	}
}

// TestGateRangeAfterMergingTheTarget: the commits judged are those of git
// rev-list TARGET..HEAD, which stops at every commit the target has, not
// only at merge bases (formerly a known bug: the walk went on behind the
// fork point after the branch merged the target).
func TestGateRangeAfterMergingTheTarget(t *testing.T) {
	f := newFixture(t)
	files := baseFiles()
	files[a] = article("A", "draft")
	f.commit(agentTrailer, "set up by an agent, long ago", files)
	fork := f.commit(human, "base", map[string]string{b: article("B", ""), "README.md": "by a human\n"})
	target := f.commit(human, "more", map[string]string{c: article("C", "")})
	f.checkout(fork)
	mine := f.commit(agentTrailer, "review", map[string]string{a: article("A", "review")})
	head := f.merge(human, "merge the target", target, map[string]string{c: article("C", "")})
	commits, err := f.r.Range(target.ID, head.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(commits) != 2 || commits[0].ID != mine.ID || commits[1].ID != head.ID {
		for _, c := range commits {
			t.Logf("listed %s %s", c.ID.Short(), c.Subject())
		}
		t.Errorf("Range(target, head) listed %d commits, want %s then the merge", len(commits), mine.ID.Short())
	}
	expect(t, f.gate(Change{Base: target, Target: target, Head: head}, head))
	// As Check resolves it: the merge base of the target and the head.
	res, err := Check(f.r, CheckOptions{Rev: head.ID.String(), Base: target.ID.String()})
	if err != nil {
		t.Fatal(err)
	}
	expect(t, res.Report.Diagnostics)
}

// TestGateSymlinksAndSubmodules runs on a repository the git CLI made, as
// the in-memory fixture writes regular files only: an agent's commit adds
// no symbolic link and no submodule, even under manifests/.
func TestGateSymlinksAndSubmodules(t *testing.T) {
	dir := t.TempDir()
	write := func(p, content string) {
		full := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	runGit(t, dir, nil, "init", "-q", "-b", "main")
	for p, content := range baseFiles() {
		write(p, content)
	}
	write(a, article("A", "draft"))
	runGit(t, dir, nil, "add", "-A")
	runGit(t, dir, nil, "commit", "-q", "-m", "base")
	later := []string{"GIT_AUTHOR_DATE=2023-11-14T22:14:20Z", "GIT_COMMITTER_DATE=2023-11-14T22:14:20Z"}

	t.Run("a symbolic link under manifests/", func(t *testing.T) {
		runGit(t, dir, nil, "checkout", "-q", "-B", "link", "main")
		if err := os.Symlink("a.yaml", filepath.Join(dir, "manifests", "link.yaml")); err != nil {
			t.Fatal(err)
		}
		write(a, article("A", "review"))
		runGit(t, dir, nil, "add", "-A")
		runGit(t, dir, later, "commit", "-q", "-m", "link\n\nSmall-Agent: git-bot")
		r, err := repo.Open(dir)
		if err != nil {
			t.Fatal(err)
		}
		head, err := r.Resolve("link")
		if err != nil {
			t.Fatal(err)
		}
		res, err := Check(r, CheckOptions{Rev: "link", Base: "main"})
		if err != nil {
			t.Fatal(err)
		}
		expect(t, res.Report.Diagnostics, want{diag.CodeAgentBoundary, "manifests/link.yaml", 0,
			"commit " + head.ID.Short() + " by agent git-bot changes a symbolic link: agents act only through manifests; a human must make this change"})
	})
	t.Run("a submodule under manifests/", func(t *testing.T) {
		runGit(t, dir, nil, "checkout", "-q", "-f", "-B", "sub", "main")
		mainID := runGit(t, dir, nil, "rev-parse", "main")
		runGit(t, dir, nil, "update-index", "--add", "--cacheinfo", "160000,"+mainID+",manifests/sub")
		runGit(t, dir, later, "commit", "-q", "-m", "submodule\n\nSmall-Agent: git-bot")
		r, err := repo.Open(dir)
		if err != nil {
			t.Fatal(err)
		}
		res, err := Check(r, CheckOptions{Rev: "sub", Base: "main"})
		if err != nil {
			t.Fatal(err)
		}
		expect(t, res.Report.Diagnostics, want{diag.CodeAgentBoundary, "manifests/sub", 0, "by agent git-bot changes a submodule"})
	})
	t.Run("a symbolic link a human adds", func(t *testing.T) {
		runGit(t, dir, nil, "checkout", "-q", "-f", "-B", "human-link", "main")
		if err := os.Symlink("a.yaml", filepath.Join(dir, "manifests", "link.yaml")); err != nil {
			t.Fatal(err)
		}
		runGit(t, dir, nil, "add", "-A")
		runGit(t, dir, later, "commit", "-q", "-m", "link")
		r, err := repo.Open(dir)
		if err != nil {
			t.Fatal(err)
		}
		res, err := Check(r, CheckOptions{Rev: "human-link", Base: "main"})
		if err != nil {
			t.Fatal(err)
		}
		expect(t, res.Report.Diagnostics)
	})
}
