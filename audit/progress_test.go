package audit

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/smallhq/small/builder"
	"github.com/smallhq/small/progress"
	"github.com/smallhq/small/protocol"
	"github.com/smallhq/small/repo"
	"github.com/smallhq/small/scaffold"
)

func git(t *testing.T, dir string, args ...string) {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL="+os.DevNull,
		"GIT_AUTHOR_NAME=Test Author", "GIT_AUTHOR_EMAIL=author@example.com",
		"GIT_COMMITTER_NAME=Test Committer", "GIT_COMMITTER_EMAIL=committer@example.com",
		"GIT_AUTHOR_DATE=2026-01-15T10:00:00Z", "GIT_COMMITTER_DATE=2026-01-15T10:00:00Z")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("git %v: %v\n%s", args, err, out)
	}
}

// TestVerifyCounts: small verify's work is in steps, one per build, each
// counting the manifests its rebuild evaluates.
func TestVerifyCounts(t *testing.T) {
	dir := t.TempDir()
	git(t, dir, "init", "-q", "-b", "main")
	if _, err := scaffold.Init(dir, true, scaffold.DefaultDirs); err != nil {
		t.Fatal(err)
	}
	git(t, dir, "add", "-A")
	git(t, dir, "commit", "-qm", "content")
	build := func() {
		t.Helper()
		r, err := repo.Open(dir)
		if err != nil {
			t.Fatal(err)
		}
		if p, _, err := builder.Build(r, "HEAD", builder.BuildOptions{}); err != nil || p.Report.Failed() {
			t.Fatalf("build: %v", err)
		}
	}
	build()
	os.WriteFile(filepath.Join(dir, "manifests", "authors", "zed.yaml"), []byte("kind: Author\nname: Zed\n"), 0o644)
	git(t, dir, "add", "-A")
	git(t, dir, "commit", "-qm", "one more")
	build()

	r, err := repo.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	var pg progress.Counter
	rep, err := Verify(r, protocol.BranchRef("small/artifacts"), Options{ReadOnly: true, Progress: &pg})
	if err != nil || !rep.Compliant {
		t.Fatalf("verify: %v %+v", err, rep)
	}
	got := pg.Load()
	if got.Steps != 2 || got.Step != 2 || got.StepDone != 1 || got.StepTotal != 1 || got.Done != got.Total || got.Total < 2 {
		t.Fatalf("counted %+v: want 2 steps, the second of 1 manifest, all done", got)
	}
}
