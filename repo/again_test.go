package repo

import (
	"os"
	"path/filepath"
	"testing"
)

// TestReadsAfterARepack reads objects through one Repository while git
// repack -a -d replaces every packfile it listed, as git gc --auto (which
// git commit starts in the background) does under a running small.
func TestReadsAfterARepack(t *testing.T) {
	dir := t.TempDir()
	runGit(t, dir, "", "init", "-q")
	var blobs []string
	for i := range 3 {
		name := filepath.Join(dir, "f")
		if err := os.WriteFile(name, []byte{byte('a' + i)}, 0o644); err != nil {
			t.Fatal(err)
		}
		runGit(t, dir, "", "add", "f")
		runGit(t, dir, "", "commit", "-qm", "c")
		blobs = append(blobs, runGit(t, dir, "", "rev-parse", "HEAD:f"))
		runGit(t, dir, "", "repack", "-q") // one pack per commit
	}
	r, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	// Read from the newest pack only: the older ones are listed, not open.
	last, _ := ParseHash(blobs[2])
	if _, err := r.ReadBlob(last); err != nil {
		t.Fatal(err)
	}
	runGit(t, dir, "", "repack", "-q", "-a", "-d") // the packs small listed are gone
	for _, b := range blobs {
		h, _ := ParseHash(b)
		if data, err := r.ReadBlob(h); err != nil || len(data) != 1 {
			t.Errorf("ReadBlob(%s) after a repack = %q, %v", b, data, err)
		}
	}
}

// TestEveryReadAfterARepack: a read that has no retry of its own (a walk of
// the history, a merge base) works through a Repository whose packs git
// replaced since it listed them: the storage lists them again.
func TestEveryReadAfterARepack(t *testing.T) {
	dir := t.TempDir()
	runGit(t, dir, "", "init", "-q")
	for i := range 4 {
		if err := os.WriteFile(filepath.Join(dir, "f"), []byte{byte('a' + i)}, 0o644); err != nil {
			t.Fatal(err)
		}
		runGit(t, dir, "", "add", "f")
		runGit(t, dir, "", "commit", "-qm", "c")
		runGit(t, dir, "", "repack", "-q", "-d") // one pack per commit, no loose object
	}
	r, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	head, err := r.Resolve("HEAD")
	if err != nil {
		t.Fatal(err)
	}
	first, _ := ParseHash(runGit(t, dir, "", "rev-list", "--max-parents=0", "HEAD"))
	runGit(t, dir, "", "repack", "-q", "-a", "-d") // every pack small listed is gone
	commits, err := r.CommitsBetween(first, head.ID)
	if err != nil || len(commits) != 3 {
		t.Fatalf("CommitsBetween after a repack: %d commits, %v", len(commits), err)
	}
	runGit(t, dir, "", "repack", "-q", "-a", "-d", "-f")
	if mb, err := r.MergeBase(first, head.ID); err != nil || mb != first {
		t.Fatalf("MergeBase after a repack: %s, %v", mb, err)
	}
}
