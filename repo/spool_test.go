package repo

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// TestSpoolBlobWritesAPackGitReads spools blobs from many goroutines
// (some twice, one the repository has already, one empty, one past the
// 16-bit size of a small header), stages a tree and a commit beside them,
// and flushes: git reads every object back with the same bytes, fsck
// --strict is clean, exactly one pack is added, and no temporary file is
// left. Reads through the same Repository see the new pack at once.
func TestSpoolBlobWritesAPackGitReads(t *testing.T) {
	dir := t.TempDir()
	runGit(t, dir, "", "init", "-q", "-b", "main")
	os.WriteFile(filepath.Join(dir, "old.txt"), []byte("already here\n"), 0o644)
	runGit(t, dir, "", "add", "-A")
	runGit(t, dir, "", "commit", "-qm", "base")
	runGit(t, dir, "", "gc", "-q")
	r, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	packsBefore, _ := filepath.Glob(filepath.Join(dir, ".git/objects/pack/pack-*.pack"))

	w := r.NewObjectWriter()
	blobs := map[string][]byte{"old.txt": []byte("already here\n"), "empty": {}, "big": bytes.Repeat([]byte("0123456789abcdef"), 1<<16)}
	for i := range 300 {
		blobs[fmt.Sprintf("f%03d.json", i)] = []byte(fmt.Sprintf("{\"n\": %d}\n", i%250)) // 50 repeated
	}
	ids := map[string]Hash{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	errs := make(chan error, len(blobs))
	for name, data := range blobs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			h, err := w.SpoolBlob(data)
			if err != nil {
				errs <- err
				return
			}
			if h != BlobID(data) {
				errs <- fmt.Errorf("%s: id %s, want %s", name, h, BlobID(data))
			}
			mu.Lock()
			ids[name] = h
			mu.Unlock()
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	// Read back before Flush, from the spool.
	if got, err := w.ReadBlob(ids["big"]); err != nil || !bytes.Equal(got, blobs["big"]) {
		t.Fatalf("ReadBlob of a spooled blob: %d bytes, %v", len(got), err)
	}
	tree, err := w.FileTree(ids)
	if err != nil {
		t.Fatal(err)
	}
	sig := Signature{Name: "T", Email: "t@example.com"}
	commit, err := w.Commit(CommitSpec{Tree: tree, Author: sig, Committer: sig, Message: "spooled\n"})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	packsAfter, _ := filepath.Glob(filepath.Join(dir, ".git/objects/pack/pack-*.pack"))
	if len(packsAfter) != len(packsBefore)+1 {
		t.Errorf("packs: %d before, %d after; want one more", len(packsBefore), len(packsAfter))
	}
	if tmp, _ := filepath.Glob(filepath.Join(dir, ".git/objects/pack/tmp_*")); len(tmp) > 0 {
		t.Errorf("temporary files left: %v", tmp)
	}
	if out := runGit(t, dir, "", "fsck", "--strict", "--no-dangling", commit.String()); strings.TrimSpace(out) != "" {
		t.Errorf("git fsck: %s", out)
	}
	for name, data := range blobs {
		if got := runGit(t, dir, "", "cat-file", "blob", commit.String()+":"+name); got != strings.TrimSpace(string(data)) {
			t.Errorf("git reads %s as %d bytes, want %d", name, len(got), len(data))
		}
		if got, err := r.ReadBlob(ids[name]); err != nil || !bytes.Equal(got, data) {
			t.Errorf("small reads %s back: %v", name, err)
		}
	}
	runGit(t, dir, "", "verify-pack", strings.TrimSuffix(newest(packsBefore, packsAfter), ".pack")+".idx")
}

// TestSpoolDiscardLeavesNothing: a plan that spooled and was not applied
// removes its file, and the repository gains no object.
func TestSpoolDiscardLeavesNothing(t *testing.T) {
	dir := t.TempDir()
	runGit(t, dir, "", "init", "-q", "-b", "main")
	r, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	w := r.NewObjectWriter()
	h, err := w.SpoolBlob([]byte("never written\n"))
	if err != nil {
		t.Fatal(err)
	}
	if tmp, _ := filepath.Glob(filepath.Join(dir, ".git/objects/pack/tmp_pack_small_*")); len(tmp) != 1 {
		t.Fatalf("spool files while spooling: %v", tmp)
	}
	w.Discard()
	if left, _ := filepath.Glob(filepath.Join(dir, ".git/objects/pack/*")); len(left) > 0 {
		t.Errorf("left after Discard: %v", left)
	}
	if _, err := r.ReadBlob(h); err == nil {
		t.Errorf("a discarded blob is in the repository")
	}
	if err := w.Flush(); err != nil {
		t.Errorf("Flush after Discard: %v", err)
	}
}

// newest is the pack in after that is not in before.
func newest(before, after []string) string {
	for _, p := range after {
		found := false
		for _, q := range before {
			found = found || p == q
		}
		if !found {
			return p
		}
	}
	return ""
}
