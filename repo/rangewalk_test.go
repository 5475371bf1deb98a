package repo

import (
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// TestRangeIsGitRevList builds a history with branches, merges both ways
// and skewed dates, and holds Range to git rev-list BASE..HEAD.
func TestRangeIsGitRevList(t *testing.T) {
	dir := t.TempDir()
	g := func(args ...string) string { return runGit(t, dir, "", args...) }
	commit := func(msg, date string) {
		t.Helper()
		runGitEnv(t, dir, []string{"GIT_AUTHOR_DATE=" + date, "GIT_COMMITTER_DATE=" + date}, "commit", "-q", "--allow-empty", "-m", msg)
	}
	g("init", "-q", "-b", "main")
	commit("root", "2026-01-01T00:00:00Z")
	commit("m1", "2026-01-02T00:00:00Z")
	g("checkout", "-q", "-b", "pr")
	commit("p1", "2026-01-03T00:00:00Z")
	g("checkout", "-q", "main")
	commit("m2", "2026-01-04T00:00:00Z")
	g("checkout", "-q", "pr")
	// The branch takes main in: main's commits are not the change's.
	runGitEnv(t, dir, []string{"GIT_AUTHOR_DATE=2026-01-05T00:00:00Z", "GIT_COMMITTER_DATE=2026-01-05T00:00:00Z"}, "merge", "-q", "--no-ff", "-m", "merge main", "main")
	// A commit dated before its parents: dates never decide membership.
	commit("p2 skewed", "2020-01-01T00:00:00Z")
	g("checkout", "-q", "-b", "side", "pr~1")
	commit("s1", "2026-01-06T00:00:00Z")
	g("checkout", "-q", "pr")
	runGitEnv(t, dir, []string{"GIT_AUTHOR_DATE=2026-01-07T00:00:00Z", "GIT_COMMITTER_DATE=2026-01-07T00:00:00Z"}, "merge", "-q", "--no-ff", "-m", "merge side", "side")

	r, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range [][2]string{{"main", "pr"}, {"main~1", "pr"}, {"pr", "main"}, {"main", "main"}, {"side", "pr"}, {"pr~2", "pr"}} {
		want := strings.Fields(g("rev-list", tc[0]+".."+tc[1]))
		base, _ := ParseHash(g("rev-parse", tc[0]))
		head, _ := ParseHash(g("rev-parse", tc[1]))
		got, err := r.Range(base, head)
		if err != nil {
			t.Fatalf("%s..%s: %v", tc[0], tc[1], err)
		}
		var ids []string
		pos := map[Hash]int{}
		for i, c := range got {
			ids = append(ids, c.ID.String())
			pos[c.ID] = i
		}
		for _, c := range got {
			for _, p := range c.Parents {
				if i, ok := pos[p]; ok && i > pos[c.ID] {
					t.Errorf("%s..%s: parent %s comes after its child %s", tc[0], tc[1], p.Short(), c.ID.Short())
				}
			}
		}
		slices.Sort(ids)
		slices.Sort(want)
		if !slices.Equal(ids, want) {
			t.Errorf("%s..%s: Range = %v, git rev-list = %v", tc[0], tc[1], ids, want)
		}
	}
	mb, err := r.MergeBase(mustParse(g("rev-parse", "main")), mustParse(g("rev-parse", "pr")))
	if want := g("merge-base", "main", "pr"); err != nil || mb.String() != want {
		t.Errorf("MergeBase = %s, %v; git merge-base = %s", mb, err, want)
	}
}

func mustParse(s string) Hash {
	h, _ := ParseHash(s)
	return h
}

func runGitEnv(t *testing.T, dir string, env []string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL="+os.DevNull,
		"GIT_AUTHOR_NAME=Ann", "GIT_AUTHOR_EMAIL=ann@example.com", "GIT_COMMITTER_NAME=Ann", "GIT_COMMITTER_EMAIL=ann@example.com")
	cmd.Env = append(cmd.Env, env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}
