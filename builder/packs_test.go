package builder

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
)

// buildRev runs a real build of rev (the test binary as small build),
// and returns its exit status: 0 built, 3 failed, 4 built with a warning
// about the packs.
func buildRev(t *testing.T, dir, rev string) (int, string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "SMALL_TEST_BUILD_DIR="+dir, "SMALL_TEST_BUILD_REV="+rev)
	out, _ := cmd.CombinedOutput()
	return cmd.ProcessState.ExitCode(), string(out)
}

// manifestCommits makes n commits on top of HEAD, each changing one
// author's bio, and returns them, oldest first.
func manifestCommits(t *testing.T, dir string, n int) []string {
	t.Helper()
	var revs []string
	for i := range n {
		name := filepath.Join(dir, "manifests", "authors", fmt.Sprintf("a%04d.yaml", i%7))
		data := fmt.Sprintf("kind: Author\nname: Author number %d\nbio: Changed %d times.\n", i%7, i)
		if err := os.WriteFile(name, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
		git(t, dir, "commit", "-qam", fmt.Sprintf("change %d", i))
		revs = append(revs, git(t, dir, "rev-parse", "HEAD"))
	}
	return revs
}

// gitRace is what git gc and git repack say when they lose a race to a
// ref that moves or a pack that goes while they run: they write nothing
// then, and the next run succeeds.
var gitRace = regexp.MustCompile(`cannot lock ref|could not find pack|cannot open pack index|unable to add recent objects|packfile .* cannot be accessed|unable to read`)

// TestBuildsWhileGitGC runs 40 real builds while git gc and git repack
// --geometric run in a loop beside them: every build succeeds, no pack
// warning, git fsck --strict is clean, and the artifact branch has every
// build with its notes.
func TestBuildsWhileGitGC(t *testing.T) {
	if testing.Short() {
		t.Skip("runs git gc in a loop; skipped with -short")
	}
	dir := newRepo(t, 30)
	git(t, dir, "config", "gc.auto", "0")
	revs := manifestCommits(t, dir, 40)
	if code, out := buildRev(t, dir, revs[0]+"~1"); code != 0 {
		t.Fatalf("the first build: exit %d\n%s", code, out)
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var once sync.Once
	end := func() { once.Do(func() { close(stop); wg.Wait() }) }
	defer end()
	gcs, lost := 0, 0
	wg.Add(1)
	go func() {
		defer wg.Done()
		cmds := [][]string{{"gc", "-q"}, {"repack", "-q", "-d", "--geometric=2"}}
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			cmd := exec.Command("git", cmds[i%2]...)
			cmd.Dir = dir
			if out, err := cmd.CombinedOutput(); err != nil {
				lost++
				if !gitRace.Match(out) {
					t.Errorf("git %s: %v\n%s", strings.Join(cmds[i%2], " "), err, out)
				}
			}
			gcs++
		}
	}()
	for i, rev := range revs {
		if code, out := buildRev(t, dir, rev); code != 0 {
			t.Fatalf("build %d of %s: exit %d\n%s", i+2, rev[:12], code, out)
		}
	}
	end()
	git(t, dir, "fsck", "--strict", "--no-progress")
	if n := git(t, dir, "rev-list", "--count", "small/artifacts"); n != "41" {
		t.Errorf("small/artifacts has %s commits, want 41", n)
	}
	notes := git(t, dir, "notes", "--ref=small/lineage", "list")
	if n := len(strings.Split(notes, "\n")); n != 41 {
		t.Errorf("%d lineage notes, want 41", n)
	}
	// Every build's tree reads in full.
	for _, c := range strings.Fields(git(t, dir, "rev-list", "small/artifacts")) {
		git(t, dir, "ls-tree", "-r", c)
	}
	t.Logf("40 builds beside %d git gc and git repack --geometric runs (%d lost a race and wrote nothing)", gcs, lost)
}

// TestBuildsKeepPacksFew: 60 builds with no git gc leave a handful of
// packs, not 60, and whatever git fsck --strict checks holds.
func TestBuildsKeepPacksFew(t *testing.T) {
	dir := newRepo(t, 30)
	git(t, dir, "config", "gc.auto", "0")
	revs := manifestCommits(t, dir, 60)
	if code, out := buildRev(t, dir, revs[0]+"~1"); code != 0 {
		t.Fatalf("the first build: exit %d\n%s", code, out)
	}
	most := 0
	for i, rev := range revs {
		if code, out := buildRev(t, dir, rev); code != 0 {
			t.Fatalf("build %d: exit %d\n%s", i+2, code, out)
		}
		packs, _ := filepath.Glob(filepath.Join(dir, ".git", "objects", "pack", "*.pack"))
		most = max(most, len(packs))
	}
	packs, _ := filepath.Glob(filepath.Join(dir, ".git", "objects", "pack", "*.pack"))
	if most > 8 {
		t.Errorf("up to %d packs in 61 builds, want at most 8", most)
	}
	git(t, dir, "fsck", "--strict", "--no-progress")
	if n := git(t, dir, "rev-list", "--count", "small/artifacts"); n != "61" {
		t.Errorf("small/artifacts has %s commits, want 61", n)
	}
	t.Logf("61 builds: at most %d packs, %d at the end", most, len(packs))
}
