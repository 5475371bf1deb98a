package repo

import (
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestMain lets the test binary roll a repository's packs up in a process
// of its own, for the kill test.
func TestMain(m *testing.M) {
	if dir := os.Getenv("SMALL_TEST_ROLLUP_DIR"); dir != "" {
		r, err := Open(dir)
		if err == nil {
			_, err = r.RollUpPacks(nil)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// rollUpIn runs RollUpPacks in a process group of its own: killing the
// group kills git pack-objects too, as a kill of CI's job would.
func rollUpIn(t *testing.T, dir string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "SMALL_TEST_ROLLUP_DIR="+dir)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return cmd
}

// TestRollupKilledAnywhere kills roll-ups (SIGKILL to small and the git it
// runs) at random moments: each time git fsck --strict is clean, every
// object written is there to git and to small, and the next roll-up
// leaves the packs a progression again.
func TestRollupKilledAnywhere(t *testing.T) {
	if testing.Short() {
		t.Skip("kills roll-ups; skipped with -short")
	}
	ref, r := newGitRepo(t)
	b := newBuilds(t, r)
	b.build(200)
	for range 40 {
		b.build(30) // 40 packs that want rolling up, but for the first
	}
	objects := b.objs
	copyRepo := func() string {
		dir := filepath.Join(t.TempDir(), "repo")
		if out, err := exec.Command("cp", "-a", ref, dir).CombinedOutput(); err != nil {
			t.Fatalf("cp: %v %s", err, out)
		}
		return dir
	}
	// How long one roll-up takes, uninterrupted.
	dir := copyRepo()
	began := time.Now()
	if err := rollUpIn(t, dir).Wait(); err != nil {
		t.Fatal(err)
	}
	took := time.Since(began)
	want := len(packNames(t, dir))

	rng := rand.New(rand.NewPCG(5, 6))
	var early, midway, late int
	for i := range 12 {
		dir := copyRepo()
		before := len(packNames(t, dir))
		cmd := rollUpIn(t, dir)
		time.Sleep(time.Duration(rng.Int64N(int64(took))))
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		cmd.Wait()
		switch n := len(packNames(t, dir)); n {
		case before:
			early++ // the new pack not in place yet (git's temporary file at most)
		case want:
			late++
		default:
			midway++ // the new pack in place, old ones not all deleted
		}
		runGit(t, dir, "", "fsck", "--strict", "--no-progress")
		c := &builds{t: t, objs: objects, blobs: b.blobs, commit: b.commit}
		c.gitHasAll(dir)
		r2, err := Open(dir)
		if err != nil {
			t.Fatal(err)
		}
		c.readAll(r2)
		if err := rollUpIn(t, dir).Wait(); err != nil {
			t.Fatalf("kill %d: the next roll-up: %v", i, err)
		}
		if n := len(packNames(t, dir)); n > want+1 {
			t.Errorf("kill %d: %d packs after the next roll-up, want %d or so", i, n, want)
		}
		runGit(t, dir, "", "fsck", "--strict", "--no-progress")
		c.gitHasAll(dir)
		entries, _ := os.ReadDir(filepath.Join(dir, ".git", "objects", "pack"))
		var left []string
		for _, e := range entries {
			if !strings.HasPrefix(e.Name(), "pack-") {
				left = append(left, e.Name())
			}
		}
		if len(left) > 0 {
			t.Logf("kill %d: left in objects/pack: %v", i, left)
		}
	}
	t.Logf("one roll-up of 40 packs takes %v; of 12 kills, %d landed before the new pack was in place, %d after, before the old ones were all gone, %d at the end",
		took.Round(time.Millisecond), early, midway, late)
}
