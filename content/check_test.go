package content

import (
	"errors"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/smallhq/small/config"
	"github.com/smallhq/small/diag"
	"github.com/smallhq/small/repo"
)

// history is a base by a human, a commit by an agent and one by a human,
// all keeping the rules; bad is a further commit by an agent that breaks
// each of them. It returns the fixture and the ids of the base and of the
// last good commit.
func history(t *testing.T) (f *fixture, base, good, bad *repo.Commit) {
	t.Helper()
	f = newFixture(t)
	files := baseFiles()
	maps.Copy(files, map[string]string{a: article("A", "draft"), b: article("B", "review"), c: article("C", "draft")})
	base = f.commit(human, "base", files)
	f.commit(agentTrailer, "propose", map[string]string{a: article("A", "review"), "manifests/d.json": `{"kind": "Article", "title": "D"}`})
	good = f.commit(human, "approve", map[string]string{b: article("B", "approved")})
	if err := f.r.UpdateRef("refs/heads/good", good.ID, repo.ZeroHash); err != nil {
		t.Fatal(err)
	}
	bad = f.commit(agentGlob, "break every rule", map[string]string{
		a:                     article("A", "published"), // review -> published: no such transition
		b:                     article("B", "published"), // approved -> published: human only
		c:                     deleted,                   // fine: c was a draft
		"manifests/d.json":    `{"kind": "Article", "title": 4}`,
		"manifests/e.yaml":    article("E", "bogus"),
		"schemas/article.cue": articleSchema + "\n// widened\n",
	})
	return f, base, good, bad
}

func TestCheck(t *testing.T) {
	f, base, good, bad := history(t)
	tests := []struct {
		name      string
		opts      CheckOptions
		manifests int
		want      []want
	}{
		{name: "a history that keeps every rule",
			opts: CheckOptions{Rev: "good", Base: "main~3"}, manifests: 4},
		{name: "a base given by id",
			opts: CheckOptions{Rev: good.ID.String(), Base: base.ID.String()}, manifests: 4},
		{name: "a commit against itself",
			opts: CheckOptions{Rev: "main", Base: "main"}, manifests: 4,
			want: []want{
				{diag.CodeViolation, "manifests/d.json", 0, ""},
				{diag.CodeStateUnknown, "manifests/e.yaml", 3, `"bogus" is not a state of Article`},
			}},
		{name: "a commit that breaks every rule",
			opts: CheckOptions{Rev: "main", Base: "good"}, manifests: 4,
			want: []want{
				{diag.CodeTransition, a, 3, `"review" -> "published" is not an allowed transition: from review, allowed next: draft, approved`},
				{diag.CodeHumanOnly, b, 3, `"approved" -> "published": only a human may move Article/b into "published", and this version is by agent Robo`},
				{diag.CodeViolation, "manifests/d.json", 0, ""},
				{diag.CodeStateUnknown, "manifests/e.yaml", 3, `"bogus" is not a state of Article`},
				{diag.CodeAgentBoundary, "schemas", 0, "commit " + bad.ID.Short() + " by agent Robo changes the schemas (schemas/)"},
			}},
		{name: "the whole history",
			opts: CheckOptions{Rev: "main", Base: "main~3"}, manifests: 4,
			want: []want{
				{diag.CodeTransition, a, 3, `"draft" -> "published"`},
				{diag.CodeTransition, b, 3, `"review" -> "published" is not an allowed transition`},
				{diag.CodeViolation, "manifests/d.json", 0, ""},
				{diag.CodeStateUnknown, "manifests/e.yaml", 3, ""},
				{diag.CodeAgentBoundary, "schemas", 0, "by agent Robo"},
			}},
		{name: "without a base, validation only",
			opts: CheckOptions{Rev: "main"}, manifests: 4,
			want: []want{
				{diag.CodeViolation, "manifests/d.json", 0, ""},
				{diag.CodeStateUnknown, "manifests/e.yaml", 3, ""},
			}},
		{name: "narrowed to paths, without a base",
			opts: CheckOptions{Rev: "main", Paths: []string{a, "manifests/e.yaml"}}, manifests: 2,
			want: []want{{diag.CodeStateUnknown, "manifests/e.yaml", 3, ""}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := Check(f.r, tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			expect(t, res.Report.Diagnostics, tt.want...)
			if res.Report.Manifests != tt.manifests {
				t.Errorf("report counts %d manifests, want %d", res.Report.Manifests, tt.manifests)
			}
			if res.Report.Command != "validate" {
				t.Errorf("command %q, want validate", res.Report.Command)
			}
		})
	}
}

func TestCheckCommand(t *testing.T) {
	f, _, _, _ := history(t)
	res, err := Check(f.r, CheckOptions{Rev: "good", Base: "main~3", Command: "check"})
	if err != nil {
		t.Fatal(err)
	}
	if res.Report.Command != "check" {
		t.Errorf("command %q, want check", res.Report.Command)
	}
}

func TestCheckErrors(t *testing.T) {
	f, _, _, _ := history(t)
	for _, tt := range []struct{ name, rev, base, bad string }{
		{"an unknown revision", "nope", "", "nope"},
		{"an unknown base", "main", "nope", "nope"},
		{"a base before the first commit", "main", "main~4", "main~4"},
		{"an id of no object", "0123456789abcdef0123456789abcdef01234567", "", "0123456789abcdef0123456789abcdef01234567"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			res, err := Check(f.r, CheckOptions{Rev: tt.rev, Base: tt.base})
			var re *repo.RevisionError
			if !errors.As(err, &re) {
				t.Fatalf("got %v, %v; want a *repo.RevisionError", res, err)
			}
			if re.Rev != tt.bad {
				t.Errorf("RevisionError names %q, want %q", re.Rev, tt.bad)
			}
			if !strings.Contains(err.Error(), `unknown revision "`+tt.bad+`"`) {
				t.Errorf("error %q", err)
			}
		})
	}
	t.Run("a revision without small.cue", func(t *testing.T) {
		f := newFixture(t)
		f.commit(human, "no config", map[string]string{"schemas/article.cue": articleSchema, a: article("A", "")})
		_, err := Check(f.r, CheckOptions{Rev: "main"})
		var ce *config.Error
		if !errors.As(err, &ce) || len(ce.Diagnostics) != 1 || ce.Diagnostics[0].Code != diag.CodeConfigMissing {
			t.Fatalf("got %v; want a *config.Error with %s", err, diag.CodeConfigMissing)
		}
	})
}

// TestCheckWorkingTree runs Check on a repository that the git CLI made,
// committed (by an agent, with a trailer) and changed in its working tree.
func TestCheckWorkingTree(t *testing.T) {
	dir := t.TempDir()
	write := func(files map[string]string) {
		for p, c := range files {
			full := filepath.Join(dir, filepath.FromSlash(p))
			if c == deleted {
				if err := os.Remove(full); err != nil {
					t.Fatal(err)
				}
				continue
			}
			if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(full, []byte(c), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	runGit(t, dir, nil, "init", "-q", "-b", "main")
	files := baseFiles()
	maps.Copy(files, map[string]string{a: article("A", "review"), b: article("B", "draft"), c: article("C", "review")})
	write(files)
	runGit(t, dir, nil, "add", "-A")
	runGit(t, dir, nil, "commit", "-q", "-m", "base")
	write(map[string]string{a: article("A", "approved")})
	runGit(t, dir, []string{"GIT_AUTHOR_DATE=2023-11-14T22:14:20Z", "GIT_COMMITTER_DATE=2023-11-14T22:14:20Z"},
		"commit", "-q", "-a", "-m", "approve\n\nSmall-Agent: git-bot")

	r, err := repo.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	// The commit is an agent's.
	res, err := Check(r, CheckOptions{Rev: "HEAD", Base: "HEAD~1"})
	if err != nil {
		t.Fatal(err)
	}
	expect(t, res.Report.Diagnostics, want{diag.CodeHumanOnly, a, 3, "by agent git-bot"})

	// The working tree has no author: the same change passes there, the
	// other rules still apply.
	write(map[string]string{b: article("B", "published"), c: deleted, "manifests/new.yaml": article("N", "published")})
	res, err = Check(r, CheckOptions{Base: "HEAD~1"})
	if err != nil {
		t.Fatal(err)
	}
	expect(t, res.Report.Diagnostics,
		want{diag.CodeTransition, b, 3, `"draft" -> "published" is not an allowed transition`},
		want{diag.CodeDelete, c, 0, `deleted in state "review"`},
	)
	// Without a base, the working tree is validated only.
	res, err = Check(r, CheckOptions{})
	if err != nil {
		t.Fatal(err)
	}
	expect(t, res.Report.Diagnostics)
	if res.Report.Manifests != 3 {
		t.Errorf("report counts %d manifests, want 3", res.Report.Manifests)
	}
}
