package repo

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

func runGit(t *testing.T, dir, stdin string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL="+os.DevNull,
		"GIT_AUTHOR_NAME=Ann", "GIT_AUTHOR_EMAIL=ann@example.com", "GIT_COMMITTER_NAME=Ann", "GIT_COMMITTER_EMAIL=ann@example.com")
	cmd.Stdin = strings.NewReader(stdin)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

// TestNotesAtEveryFanout has git write 300 notes (which it fans out into
// ab/cdef… subtrees), then reads them with ReadNotes and adds one: git must
// read both its own notes and ours, and fsck must stay clean.
func TestNotesAtEveryFanout(t *testing.T) {
	dir := t.TempDir()
	runGit(t, dir, "", "init", "-q", "-b", "main")
	var stream strings.Builder
	for i := 1; i <= 300; i++ {
		fmt.Fprintf(&stream, "commit refs/heads/main\nmark :%d\ncommitter Ann <ann@example.com> %d +0000\ndata 3\nc%d\n", i, 1700000000+i, i%10)
		if i > 1 {
			fmt.Fprintf(&stream, "from :%d\n", i-1)
		}
		stream.WriteString("\n")
	}
	stream.WriteString("commit refs/notes/small/lineage\ncommitter Ann <ann@example.com> 1700000999 +0000\ndata 6\nnotes\n")
	for i := 1; i <= 300; i++ {
		fmt.Fprintf(&stream, "N inline :%d\ndata %d\nnote %03d\n", i, len(fmt.Sprintf("note %03d\n", i)), i)
	}
	runGit(t, dir, stream.String(), "fast-import", "--quiet")
	if top := runGit(t, dir, "", "ls-tree", "--name-only", "refs/notes/small/lineage"); len(strings.Fields(top)[0]) != 2 {
		t.Fatalf("git did not fan the notes tree out; top level:\n%s", top)
	}

	r, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	n, err := r.ReadNotes("refs/notes/small/lineage")
	if err != nil {
		t.Fatal(err)
	}
	if n.Len() != 300 {
		t.Fatalf("read %d notes, want 300", n.Len())
	}
	first, _ := ParseHash(runGit(t, dir, "", "rev-list", "--max-parents=0", "main"))
	text, ok, err := r.NoteText(n, first)
	if err != nil || !ok || string(text) != "note 001\n" {
		t.Fatalf("note on the first commit = %q, %v, %v", text, ok, err)
	}

	tip, _ := ParseHash(runGit(t, dir, "", "rev-parse", "main"))
	w := r.NewObjectWriter()
	sig := Signature{Name: "small", Email: "small@localhost", When: time.Unix(1700001000, 0).UTC()}
	// Replace git's note on the tip, keep the other 299.
	c, _, err := w.NotesCommit(n, map[Hash][]byte{tip: []byte("{\"artifact\":\"x\"}\n")}, sig, "ours\n")
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := r.UpdateRef("refs/notes/small/lineage", c, n.Commit); err != nil {
		t.Fatal(err)
	}
	if got := runGit(t, dir, "", "notes", "--ref=small/lineage", "show", "main"); got != `{"artifact":"x"}` {
		t.Errorf("git notes show main = %q", got)
	}
	if got := runGit(t, dir, "", "notes", "--ref=small/lineage", "show", first.String()); got != "note 001" {
		t.Errorf("git notes show first = %q", got)
	}
	if got := len(strings.Split(runGit(t, dir, "", "notes", "--ref=small/lineage", "list"), "\n")); got != 300 {
		t.Errorf("git notes list: %d notes, want 300", got)
	}
	runGit(t, dir, "", "fsck", "--strict", "--no-progress")

	// The same notes again make no new commit.
	n2, _ := r.ReadNotes("refs/notes/small/lineage")
	again, _, err := r.NewObjectWriter().NotesCommit(n2, map[Hash][]byte{tip: []byte("{\"artifact\":\"x\"}\n")}, sig, "ours\n")
	if err != nil || again != c {
		t.Errorf("writing the same note again made %s, want the unchanged %s (%v)", again, c, err)
	}
}

// TestUpdateRefCompareAndSwap checks the compare-and-swap and git's view of it.
func TestUpdateRefCompareAndSwap(t *testing.T) {
	dir := t.TempDir()
	runGit(t, dir, "", "init", "-q", "-b", "main")
	runGit(t, dir, "", "commit", "-q", "--allow-empty", "-m", "one")
	runGit(t, dir, "", "commit", "-q", "--allow-empty", "-m", "two")
	one, _ := ParseHash(runGit(t, dir, "", "rev-parse", "main~1"))
	two, _ := ParseHash(runGit(t, dir, "", "rev-parse", "main"))
	r, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.UpdateRef("refs/heads/small/artifacts", one, ZeroHash); err != nil {
		t.Fatal(err)
	}
	if err := r.UpdateRef("refs/heads/small/artifacts", two, ZeroHash); err == nil {
		t.Fatal("creating an existing ref succeeded")
	} else if want := "refs/heads/small/artifacts moved underneath (expected none, found " + one.String()[:12] + ")"; err.Error() != want {
		t.Errorf("error = %q, want %q", err, want)
	}
	if err := r.UpdateRef("refs/heads/small/artifacts", two, one); err != nil {
		t.Fatal(err)
	}
	if got := runGit(t, dir, "", "rev-parse", "small/artifacts"); got != two.String() {
		t.Errorf("git sees %s, want %s", got, two)
	}
	// A lock held by a live process is waited for, then reported.
	lock := dir + "/.git/refs/heads/small/artifacts.lock"
	f, _ := os.OpenFile(lock, os.O_CREATE|os.O_WRONLY, 0o644)
	f.Close()
	os.Chtimes(lock, time.Now(), time.Now().Add(time.Hour)) // fresh for the next 2 s at least
	if err := r.UpdateRef("refs/heads/small/artifacts", one, two); err == nil || !strings.Contains(err.Error(), "is being updated by another process") {
		t.Errorf("with a fresh foreign lock: %v", err)
	}
	// An old lock that nobody holds is stale and taken over.
	os.Chtimes(lock, time.Now(), time.Now().Add(-time.Minute))
	if err := r.UpdateRef("refs/heads/small/artifacts", one, two); err != nil {
		t.Errorf("with a stale lock: %v", err)
	}
}

// TestUpdateRefDirectoryConflicts refuses a ref that git could not have
// beside an existing one, loose or packed: refs/heads/small and
// refs/heads/small/x cannot both exist.
func TestUpdateRefDirectoryConflicts(t *testing.T) {
	dir := t.TempDir()
	runGit(t, dir, "", "init", "-q", "-b", "main")
	runGit(t, dir, "", "commit", "-q", "--allow-empty", "-m", "one")
	runGit(t, dir, "", "branch", "small")
	runGit(t, dir, "", "branch", "deep/a/b")
	runGit(t, dir, "", "pack-refs", "--all")
	runGit(t, dir, "", "branch", "loose")
	r, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	head, _ := r.Resolve("HEAD")
	for name, other := range map[string]string{
		"refs/heads/small/proposals/p1": "refs/heads/small", // packed, a directory of it
		"refs/heads/deep/a":             "refs/heads/deep/a/b",
		"refs/heads/loose/x":            "refs/heads/loose", // loose
	} {
		err := r.UpdateRef(name, head.ID, ZeroHash)
		var moved *RefMovedError
		if !errors.As(err, &moved) || moved.Conflict != other {
			t.Errorf("UpdateRef(%s) = %v, want a conflict with %s", name, err, other)
		}
	}
	if err := r.UpdateRef("refs/heads/smaller", head.ID, ZeroHash); err != nil {
		t.Errorf("a name that only starts like another: %v", err)
	}
	runGit(t, dir, "", "fsck", "--strict", "--no-progress")
	if out := runGit(t, dir, "", "for-each-ref", "--format=%(refname)"); out != "refs/heads/deep/a/b\nrefs/heads/loose\nrefs/heads/main\nrefs/heads/small\nrefs/heads/smaller" {
		t.Errorf("refs: %q", out)
	}
}
