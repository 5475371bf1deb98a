package builder

import (
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/smallhq/small/repo"
	"github.com/smallhq/small/scaffold"
)

// TestMain lets the test binary act as a build process, so that tests can
// kill a real build at any moment.
func TestMain(m *testing.M) {
	if dir := os.Getenv("SMALL_TEST_BUILD_DIR"); dir != "" {
		rev := os.Getenv("SMALL_TEST_BUILD_REV")
		if rev == "" {
			rev = "HEAD"
		}
		r, err := repo.Open(dir)
		if err == nil {
			var p *Plan
			var res *Result
			if p, res, err = Build(r, rev, BuildOptions{}); err == nil && p.Report.Failed() {
				err = fmt.Errorf("findings")
			}
			if err == nil && res.PacksErr != nil {
				fmt.Fprintln(os.Stderr, "warning:", res.PacksErr)
				os.Exit(4)
			}
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(3)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func git(t *testing.T, dir string, args ...string) string {
	t.Helper()
	return gitEnv(t, dir, nil, "", args...)
}

// newRepo makes a repository with the example kinds and n authors.
func newRepo(t *testing.T, n int) string {
	t.Helper()
	dir := t.TempDir()
	git(t, dir, "init", "-q", "-b", "main")
	if _, err := scaffold.Init(dir, true, scaffold.DefaultDirs); err != nil {
		t.Fatal(err)
	}
	for i := range n {
		data := fmt.Sprintf("kind: Author\nname: Author number %d\nbio: %s\n", i, strings.Repeat("Writes. ", 40))
		if err := os.WriteFile(filepath.Join(dir, "manifests", "authors", fmt.Sprintf("a%04d.yaml", i)), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	git(t, dir, "add", "-A")
	git(t, dir, "commit", "-qm", "content")
	return dir
}

func startBuild(t *testing.T, dir string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "SMALL_TEST_BUILD_DIR="+dir)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return cmd
}

// TestKilledAnywhere kills real builds (SIGKILL) at random moments: each time
// git fsck --strict is clean and the branch is at its old tip or at the
// finished build, never in between; the next build completes to the same
// commit an uninterrupted build makes.
func TestKilledAnywhere(t *testing.T) {
	if testing.Short() {
		t.Skip("kills builds; skipped with -short")
	}
	ref := newRepo(t, 400)
	began := time.Now()
	if err := startBuild(t, ref).Wait(); err != nil {
		t.Fatal(err)
	}
	took := time.Since(began)
	want := git(t, ref, "rev-parse", "small/artifacts", "refs/notes/small/lineage", "refs/notes/small/lifecycle")
	wantTip := strings.Fields(want)[0]

	rng := rand.New(rand.NewPCG(1, 2))
	midway := 0
	for i := range 10 {
		// A fresh repository each time, killed somewhere within the time
		// one build takes.
		dir := newRepo(t, 400)
		cmd := startBuild(t, dir)
		time.Sleep(time.Duration(rng.Int64N(int64(took))))
		cmd.Process.Signal(syscall.SIGKILL)
		cmd.Wait()
		git(t, dir, "fsck", "--strict", "--no-progress")
		tip := git(t, dir, "for-each-ref", "--format=%(objectname)", "refs/heads/small/artifacts")
		if tip != "" && tip != wantTip {
			t.Fatalf("kill %d: small/artifacts at %s, neither absent nor the finished build %s", i, tip, wantTip)
		}
		if tip == "" {
			midway++
		}
		if err := startBuild(t, dir).Wait(); err != nil {
			t.Fatalf("kill %d: the next build failed: %v", i, err)
		}
		if got := git(t, dir, "rev-parse", "small/artifacts", "refs/notes/small/lineage", "refs/notes/small/lifecycle"); got != want {
			t.Fatalf("kill %d: the next build made\n%s\nwant\n%s", i, got, want)
		}
	}
	t.Logf("one build takes %v; %d of 10 kills landed before the branch moved", took.Round(time.Millisecond), midway)
	if midway == 0 {
		t.Errorf("no kill landed before the build finished: the test did not test anything")
	}
}

// TestConcurrentBuilds runs builds of the same commit at once: each either
// succeeds or exits 3 (the branch moved); the result is one build, with its
// notes, as if built once.
func TestConcurrentBuilds(t *testing.T) {
	ref := newRepo(t, 100)
	if err := startBuild(t, ref).Wait(); err != nil {
		t.Fatal(err)
	}
	want := git(t, ref, "rev-parse", "small/artifacts", "refs/notes/small/lineage", "refs/notes/small/lifecycle")

	dir := newRepo(t, 100)
	var wg sync.WaitGroup
	codes := make([]int, 4)
	for i := range codes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cmd := startBuild(t, dir)
			cmd.Wait()
			codes[i] = cmd.ProcessState.ExitCode()
		}()
	}
	wg.Wait()
	for i, c := range codes {
		if c != 0 && c != 3 {
			t.Errorf("build %d exited %d, want 0 or 3", i, c)
		}
	}
	git(t, dir, "fsck", "--strict", "--no-progress")
	if err := startBuild(t, dir).Wait(); err != nil {
		t.Fatal(err)
	}
	if got := git(t, dir, "rev-parse", "small/artifacts", "refs/notes/small/lineage", "refs/notes/small/lifecycle"); got != want {
		t.Errorf("concurrent builds made\n%s\nwant\n%s", got, want)
	}
}
