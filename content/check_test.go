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
				// Changed on purpose: review -> published in one commit is
				// the path review, approved, published, which an agent may
				// not take; it was a transition finding.
				{diag.CodeHumanOnly, a, 3, `"review" -> "published" passes through approved in one commit: only a human may move Article/a into "approved", and commit ` + bad.ID.Short() + ` that made this change is by agent Robo`},
				{diag.CodeHumanOnly, b, 3, `"approved" -> "published": only a human may move Article/b into "published", and commit ` + bad.ID.Short() + ` that made this change is by agent Robo`},
				{diag.CodeViolation, "manifests/d.json", 0, ""},
				{diag.CodeStateUnknown, "manifests/e.yaml", 3, `"bogus" is not a state of Article`},
				// Changed on purpose: one finding per path.
				{diag.CodeAgentBoundary, "schemas/article.cue", 0, "commit " + bad.ID.Short() + " by agent Robo changes a path outside what agents may change (manifests)"},
			}},
		// Changed on purpose: each commit is judged on its own, so a's and
		// b's last moves are the agent's human-only steps; they were
		// draft -> published and review -> published, from the base.
		{name: "the whole history",
			opts: CheckOptions{Rev: "main", Base: "main~3"}, manifests: 4,
			want: []want{
				{diag.CodeHumanOnly, a, 3, `"review" -> "published" passes through approved in one commit`},
				{diag.CodeHumanOnly, b, 3, `"approved" -> "published"`},
				{diag.CodeViolation, "manifests/d.json", 0, ""},
				{diag.CodeStateUnknown, "manifests/e.yaml", 3, ""},
				{diag.CodeAgentBoundary, "schemas/article.cue", 0, "by agent Robo"},
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
	maps.Copy(files, map[string]string{a: article("A", "review"), b: article("B", "published"), c: article("C", "review")})
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
	// other rules still apply. (Changed on purpose: b went from draft to
	// published, which is now the unique shortest path and passes; it
	// goes back from published to draft instead.)
	write(map[string]string{b: article("B", "draft"), c: deleted, "manifests/new.yaml": article("N", "published")})
	res, err = Check(r, CheckOptions{Base: "HEAD~1"})
	if err != nil {
		t.Fatal(err)
	}
	expect(t, res.Report.Diagnostics,
		want{diag.CodeTransition, b, 3, `"published" -> "draft" is not an allowed transition: from published, allowed next: deprecated`},
		want{diag.CodeDelete, c, 0, `deleted in state "review": Article manifests`},
	)
	// Narrowed to paths, the manifests outside them are not deleted.
	res, err = Check(r, CheckOptions{Base: "HEAD~1", Paths: []string{a, b}})
	if err != nil {
		t.Fatal(err)
	}
	expect(t, res.Report.Diagnostics, want{diag.CodeTransition, b, 3, `"published" -> "draft"`})
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

// Formerly a known bug: with Paths and Base, the narrowed set of head
// manifests was compared with every manifest at the base, so each
// manifest outside Paths looked deleted (small validate --base REV FILE).
func TestCheckPathsWithBase(t *testing.T) {
	f := newFixture(t)
	files := baseFiles()
	files[a] = article("A", "draft")
	files[b] = article("B", "review")
	files["manifests/old/c.yaml"] = article("C", "review")
	files["manifests/old/d.yaml"] = article("D", "review")
	f.commit(human, "base", files)
	del := f.commit(human, "edit", map[string]string{a: article("A", "review"), "manifests/old/c.yaml": deleted})
	res, err := Check(f.r, CheckOptions{Rev: "main", Base: "main~1", Paths: []string{a}})
	if err != nil {
		t.Fatal(err)
	}
	expect(t, res.Report.Diagnostics)
	// A deletion in a directory asked about is a finding.
	res, err = Check(f.r, CheckOptions{Rev: "main", Base: "main~1", Paths: []string{"manifests/old"}})
	if err != nil {
		t.Fatal(err)
	}
	expect(t, res.Report.Diagnostics, want{diag.CodeDelete, "manifests/old/c.yaml", 0, `deleted in state "review" by commit ` + del.ID.Short()})
}

// TestCheckPolicyFromBase: who is an agent, what agents may change and the
// lifecycles come from the base of a change, never from the change (formerly
// a known bug: the agents were read from the head).
func TestCheckPolicyFromBase(t *testing.T) {
	twoGlobs := `agents: ["*@bots.example.com", "*@other.example.com"]` + "\n"
	t.Run("an agent drops itself from agents and approves", func(t *testing.T) {
		f := newFixture(t)
		files := baseFiles()
		files[a] = article("A", "review")
		f.commit(human, "base", files)
		head := f.commit(agentGlob, "approve", map[string]string{a: article("A", "approved"), "small.cue": "agents: []\n"})
		res, err := Check(f.r, CheckOptions{Rev: "main", Base: "main~1"})
		if err != nil {
			t.Fatal(err)
		}
		expect(t, res.Report.Diagnostics,
			want{diag.CodeHumanOnly, a, 3, "commit " + head.ID.Short() + " that made this change is by agent Robo"},
			want{diag.CodeAgentBoundary, "small.cue", 0, "commit " + head.ID.Short() + " by agent Robo changes a path outside what agents may change (manifests)"})
	})
	t.Run("an agent deletes its own glob, then approves", func(t *testing.T) {
		f := newFixture(t)
		files := baseFiles()
		files["small.cue"] = twoGlobs
		files[a] = article("A", "review")
		f.commit(human, "base", files)
		drop := f.commit(agentGlob, "drop my glob", map[string]string{"small.cue": `agents: ["*@other.example.com"]` + "\n"})
		approve := f.commit(agentGlob, "approve", map[string]string{a: article("A", "approved")})
		res, err := Check(f.r, CheckOptions{Rev: "main", Base: "main~2"})
		if err != nil {
			t.Fatal(err)
		}
		expect(t, res.Report.Diagnostics,
			want{diag.CodeHumanOnly, a, 3, "commit " + approve.ID.Short() + " that made this change is by agent Robo"},
			want{diag.CodeAgentBoundary, "small.cue", 0, "commit " + drop.ID.Short() + " by agent Robo"})
	})
	t.Run("an agent a human adds in the change is judged as the base has it", func(t *testing.T) {
		// A glob a human adds takes effect from the next change: in this
		// one, the base's small.cue does not know the new agent.
		f := newFixture(t)
		files := baseFiles()
		files[a] = article("A", "review")
		f.commit(human, "base", files)
		f.commit(human, "a new agent", map[string]string{"small.cue": twoGlobs})
		f.commit(actor{name: "Other", email: "x@other.example.com"}, "approve", map[string]string{a: article("A", "approved")})
		res, err := Check(f.r, CheckOptions{Rev: "main", Base: "main~2"})
		if err != nil {
			t.Fatal(err)
		}
		expect(t, res.Report.Diagnostics)
		// The next change is judged under it.
		f.commit(actor{name: "Other", email: "x@other.example.com"}, "publish", map[string]string{a: article("A", "published")})
		res, err = Check(f.r, CheckOptions{Rev: "main", Base: "main~1"})
		if err != nil {
			t.Fatal(err)
		}
		expect(t, res.Report.Diagnostics, want{diag.CodeHumanOnly, a, 3, "by agent Other"})
	})
	t.Run("a lifecycle a human relaxes in the change", func(t *testing.T) {
		f := newFixture(t)
		files := baseFiles()
		files[a] = article("A", "review")
		f.commit(human, "base", files)
		f.commit(human, "let agents approve", map[string]string{"schemas/article.cue": `package schemas

#Article: {
	title: string
	body?: string
	#lifecycle: {
		states: ["draft", "review", "approved", "published", "deprecated", "archived"]
		initial: "draft"
		transitions: {draft: ["review"], review: ["draft", "approved"], approved: ["review", "published"], published: ["deprecated"], deprecated: ["published", "archived"]}
		humanOnly: ["published"]
		deletable: ["draft", "archived"]
	}
}
`})
		f.commit(agentTrailer, "approve", map[string]string{a: article("A", "approved")})
		res, err := Check(f.r, CheckOptions{Rev: "main", Base: "main~2"})
		if err != nil {
			t.Fatal(err)
		}
		expect(t, res.Report.Diagnostics, want{diag.CodeHumanOnly, a, 3, `"review" -> "approved": only a human may move Article/a into "approved"`})
	})
	t.Run("a kind the change adds takes its lifecycle from the head", func(t *testing.T) {
		f := newFixture(t)
		f.commit(human, "base", baseFiles())
		f.commit(human, "a new kind", map[string]string{"schemas/note.cue": noteSchema})
		f.commit(agentTrailer, "a live note", map[string]string{"manifests/n.yaml": "kind: Note\ntext: x\nstatus: live\n"})
		res, err := Check(f.r, CheckOptions{Rev: "main", Base: "main~2"})
		if err != nil {
			t.Fatal(err)
		}
		expect(t, res.Report.Diagnostics, want{diag.CodeHumanOnly, "manifests/n.yaml", 3, `a new Note/n in "live" passes through "live"`})
	})
	t.Run("a base without small.cue is judged by the defaults", func(t *testing.T) {
		f := newFixture(t)
		f.commit(human, "base", map[string]string{"schemas/article.cue": articleSchema, a: article("A", "review")})
		f.commit(human, "set small up", map[string]string{"small.cue": baseConfig})
		f.commit(agentTrailer, "approve", map[string]string{a: article("A", "approved")})
		f.commit(agentGlob, "edit", map[string]string{b: article("B", "approved")}) // no agent under the defaults
		res, err := Check(f.r, CheckOptions{Rev: "main", Base: "main~3"})
		if err != nil {
			t.Fatal(err)
		}
		expect(t, res.Report.Diagnostics, want{diag.CodeHumanOnly, a, 3, "by agent writer-bot"})
	})
	t.Run("the limits are the base's", func(t *testing.T) {
		f := newFixture(t)
		files := baseFiles()
		files["small.cue"] = baseConfig + "limits: manifestBytes: 100\n"
		f.commit(human, "base", files)
		f.commit(human, "raise the limit", map[string]string{"small.cue": baseConfig,
			a: article("A", "") + "body: " + strings.Repeat("x", 200) + "\n"})
		res, err := Check(f.r, CheckOptions{Rev: "main", Base: "main~1"})
		if err != nil {
			t.Fatal(err)
		}
		expect(t, res.Report.Diagnostics, want{diag.CodeTooLarge, a, 0, ""})
		res, err = Check(f.r, CheckOptions{Rev: "main"})
		if err != nil {
			t.Fatal(err)
		}
		expect(t, res.Report.Diagnostics)
	})
}

// TestCheckBaseIsTheMergeBase: --base REV judges the change from the merge
// base of REV and the head, as a pull request's diff does, so that what
// the target did since the fork is not held against the change.
func TestCheckBaseIsTheMergeBase(t *testing.T) {
	f := newFixture(t)
	files := baseFiles()
	files[a] = article("A", "review")
	fork := f.commit(human, "base", files)
	f.commit(human, "publish on the target", map[string]string{"manifests/t.yaml": article("T", "published")})
	target := f.commit(agentTrailer, "an agent's commit on the target", map[string]string{"README.md": "x\n"})
	if err := f.r.UpdateRef("refs/heads/target", target.ID, repo.ZeroHash); err != nil {
		t.Fatal(err)
	}
	f.checkout(fork)
	head := f.commit(agentTrailer, "back to draft", map[string]string{a: article("A", "draft")})
	for _, spec := range []string{"target", "target...main", fork.ID.String()} {
		t.Run(spec, func(t *testing.T) {
			res, err := Check(f.r, CheckOptions{Rev: "main", Base: spec})
			if err != nil {
				t.Fatal(err)
			}
			expect(t, res.Report.Diagnostics)
		})
	}
	gotTarget, base, err := ResolveBase(f.r, "target", head)
	if err != nil {
		t.Fatal(err)
	}
	if gotTarget.ID != target.ID || base.ID != fork.ID {
		t.Errorf("ResolveBase = %s, %s; want the target %s and the fork %s", gotTarget.ID.Short(), base.ID.Short(), target.ID.Short(), fork.ID.Short())
	}
	// The agent's approval on the branch is found all the same.
	f.commit(agentTrailer, "propose", map[string]string{a: article("A", "review")})
	approve := f.commit(agentTrailer, "approve", map[string]string{a: article("A", "approved")})
	res, err := Check(f.r, CheckOptions{Rev: "main", Base: "target"})
	if err != nil {
		t.Fatal(err)
	}
	expect(t, res.Report.Diagnostics, want{diag.CodeHumanOnly, a, 3, "commit " + approve.ID.Short() + " that made this change is by agent writer-bot"})
}

// DESIGN, Known pitfalls: path.Match reads [bot] as a character class, so
// a glob for GitHub's bot addresses matches neither them nor only them.
func TestAgentGlobBrackets(t *testing.T) {
	f := newFixture(t)
	files := baseFiles()
	files["small.cue"] = `agents: ["*[bot]@users.noreply.github.com"]` + "\n"
	files[a] = article("A", "review")
	files[b] = article("B", "review")
	f.commit(human, "base", files)
	f.commit(actor{name: "dependabot[bot]", email: "dependabot[bot]@users.noreply.github.com"}, "approve", map[string]string{a: article("A", "approved")})
	f.commit(actor{name: "Dot", email: "dependabott@users.noreply.github.com"}, "approve", map[string]string{b: article("B", "approved")})
	res, err := Check(f.r, CheckOptions{Rev: "main", Base: "main~2"})
	if err != nil {
		t.Fatal(err)
	}
	expect(t, res.Report.Diagnostics, want{diag.CodeHumanOnly, a, 3, "by agent dependabot[bot]"})
}
