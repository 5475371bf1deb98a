package repo

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// TestWritePackAsGitDoes: the pack and index small writes are what git
// verify-pack accepts, read-only as git leaves them, and nothing else is
// left in objects/pack.
func TestWritePackAsGitDoes(t *testing.T) {
	dir, r := newGitRepo(t)
	b := newBuilds(t, r)
	b.build(3)
	b.build(300) // sizes past the first header byte, trees of many entries
	big := strings.Repeat("0123456789abcdef", 1<<16)
	w := r.NewObjectWriter()
	h, err := w.Blob([]byte(big))
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	for _, p := range packNames(t, dir) {
		base := filepath.Join(dir, ".git", "objects", "pack", "pack-"+p)
		runGit(t, dir, "", "verify-pack", base+".idx")
		for _, ext := range []string{".pack", ".idx"} {
			fi, err := os.Stat(base + ext)
			if err != nil {
				t.Fatal(err)
			}
			if fi.Mode().Perm() != 0o444 {
				t.Errorf("%s%s: mode %v, want read-only", p, ext, fi.Mode().Perm())
			}
		}
	}
	entries, _ := os.ReadDir(filepath.Join(dir, ".git", "objects", "pack"))
	for _, e := range entries {
		if !strings.HasPrefix(e.Name(), "pack-") {
			t.Errorf("left in objects/pack: %s", e.Name())
		}
	}
	if got := runGit(t, dir, "", "cat-file", "-s", h.String()); got != fmt.Sprint(len(big)) {
		t.Errorf("git cat-file -s of the big blob: %s", got)
	}
	if data, err := r.ReadBlob(h); err != nil || string(data) != big {
		t.Errorf("ReadBlob of the big blob: %d bytes, %v", len(data), err)
	}
	b.readAll(r)
	runGit(t, dir, "", "fsck", "--strict", "--no-progress")
}

// TestPackWithoutIndex: a pack whose index is not there (being written,
// or left so by a kill) is no pack to small, as to git: every read works
// beside it.
func TestPackWithoutIndex(t *testing.T) {
	dir, r := newGitRepo(t)
	b := newBuilds(t, r)
	b.build(3)
	junk := filepath.Join(dir, ".git", "objects", "pack", "pack-"+strings.Repeat("ab", 20)+".pack")
	if err := os.WriteFile(junk, []byte("PACK half written"), 0o444); err != nil {
		t.Fatal(err)
	}
	r2, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	b.readAll(r2)
	b.r = r2
	b.build(2)
	b.readAll(r2)
	runGit(t, dir, "", "fsck", "--strict", "--no-progress")
}

// TestWritesWhileGitGC writes 200 packs of objects no ref names yet while
// git gc runs in a loop: each object is there, to git, as soon as Flush
// returns. (go-git's own writer named the index before the pack, and git gc
// deletes an index it finds without its pack: one that finished at that
// moment took the pack's objects with it.)
func TestWritesWhileGitGC(t *testing.T) {
	if testing.Short() {
		t.Skip("runs git gc in a loop; skipped with -short")
	}
	dir, r := newGitRepo(t)
	b := newBuilds(t, r)
	b.build(200)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var once sync.Once
	end := func() { once.Do(func() { close(stop); wg.Wait() }) }
	defer end()
	gcs := 0
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			if out, err := gitQuiet(dir, "gc", "-q"); err != nil && !gitRace.MatchString(out) {
				t.Errorf("git gc: %v\n%s", err, out)
			}
			gcs++
		}
	}()
	for i := range 200 {
		w := r.NewObjectWriter()
		h, err := w.Blob([]byte(fmt.Sprintf("written beside git gc, %d\n", i)))
		if err != nil {
			t.Fatal(err)
		}
		if err := w.Flush(); err != nil {
			t.Fatalf("write %d: %v", i, err)
		}
		cmd := exec.Command("git", "cat-file", "-e", h.String())
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("write %d: object %s is not there: %v %s", i, h, err, out)
		}
		if _, err := r.ReadBlob(h); err != nil {
			t.Fatalf("write %d: ReadBlob(%s): %v", i, h, err)
		}
	}
	end()
	runGit(t, dir, "", "fsck", "--strict", "--no-progress")
	t.Logf("200 packs written beside %d runs of git gc", gcs)
}
