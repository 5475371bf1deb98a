package repo

import (
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

const (
	lineageRef   = "refs/notes/small/lineage"
	lifecycleRef = "refs/notes/small/lifecycle"
)

var testSig = Signature{Name: "small", Email: "small@localhost", When: time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)}

// notesRepo is a repository to write notes in, with three commits to
// annotate, in memory or on disk. other returns the repository another
// writer uses: on disk a second Repository, as another process would have.
type notesRepo struct {
	r       *Repository
	dir     string // "" in memory
	targets []Hash
	other   func(t *testing.T) *Repository
}

func newNotesRepo(t *testing.T, onDisk bool) *notesRepo {
	t.Helper()
	nr := &notesRepo{}
	if onDisk {
		nr.dir = t.TempDir()
		runGit(t, nr.dir, "", "init", "-q", "-b", "main")
		var err error
		if nr.r, err = Open(nr.dir); err != nil {
			t.Fatal(err)
		}
		nr.other = func(t *testing.T) *Repository {
			r, err := Open(nr.dir)
			if err != nil {
				t.Fatal(err)
			}
			return r
		}
	} else {
		nr.r = InMemory()
		nr.other = func(*testing.T) *Repository { return nr.r }
	}
	w := nr.r.NewObjectWriter()
	tree, err := w.FileTree(map[string]Hash{})
	if err != nil {
		t.Fatal(err)
	}
	var parent []Hash
	for i := range 3 {
		sig := testSig
		sig.When = sig.When.Add(time.Duration(i) * time.Hour)
		c, err := w.Commit(CommitSpec{Tree: tree, Parents: parent, Author: sig, Committer: sig, Message: fmt.Sprintf("build %d\n", i+1)})
		if err != nil {
			t.Fatal(err)
		}
		nr.targets = append(nr.targets, c)
		parent = []Hash{c}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := nr.r.UpdateRef("refs/heads/main", parent[0], ZeroHash); err != nil {
		t.Fatal(err)
	}
	return nr
}

// setNote writes one note as another writer would: NotesCommit, then
// UpdateRef with compare-and-swap.
func setNote(t *testing.T, r *Repository, ref string, target Hash, text string) Hash {
	t.Helper()
	n, err := r.ReadNotes(ref)
	if err != nil {
		t.Fatal(err)
	}
	w := r.NewObjectWriter()
	c, _, err := w.NotesCommit(n, map[Hash][]byte{target: []byte(text)}, testSig, "theirs\n")
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := r.UpdateRef(ref, c, n.Commit); err != nil {
		t.Fatal(err)
	}
	return c
}

// appendLine is a note edit that adds a line and keeps the lines there,
// sorted and unique, as small's edits do.
func appendLine(line string) NoteEdit {
	return func(current []byte) ([]byte, error) {
		lines := []string{line}
		for _, l := range strings.Split(string(current), "\n") {
			if l != "" {
				lines = append(lines, l)
			}
		}
		slices.Sort(lines)
		return []byte(strings.Join(slices.Compact(lines), "\n") + "\n"), nil
	}
}

func noteText(t *testing.T, r *Repository, ref string, target Hash) string {
	t.Helper()
	n, err := r.ReadNotes(ref)
	if err != nil {
		t.Fatal(err)
	}
	text, ok, err := r.NoteText(n, target)
	if err != nil {
		t.Fatal(err)
	}
	if !ok {
		return "<none>"
	}
	// NotesLookup must agree with ReadNotes.
	l, err := r.LookupNotes(ref)
	if err != nil {
		t.Fatal(err)
	}
	if b, _, err := l.Note(target); err != nil || string(b) != string(text) {
		t.Errorf("LookupNotes(%s).Note = %q, %v; ReadNotes says %q", ref, b, err, text)
	}
	return string(text)
}

func mustRefValue(t *testing.T, r *Repository, ref string) Hash {
	t.Helper()
	h, err := r.Ref(ref)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// TestWriteNotesConcurrentWriter moves a notes ref underneath WriteNotes
// once, after it has written its objects and before it moves its refs:
// WriteNotes must read the notes again, apply its edits anew and keep the
// other writer's note.
func TestWriteNotesConcurrentWriter(t *testing.T) {
	tests := []struct {
		name   string
		onDisk bool
		// before: notes already there; the other writer writes on its
		// ref/target; WriteNotes edits target 0 of both refs.
		before      bool
		otherRef    string
		otherTarget int
		wantCalls   []string
		wantX       map[string]string // ref -> text of the note on target 0
	}{
		{"memory, new ref, other target", false, false, lineageRef, 1,
			[]string{"objects", "objects", lineageRef, lifecycleRef},
			map[string]string{lineageRef: "ours\n", lifecycleRef: "ours\n"}},
		{"memory, existing ref, same target", false, true, lineageRef, 0,
			[]string{"objects", "objects", lineageRef, lifecycleRef},
			map[string]string{lineageRef: "ours\ntheirs\n", lifecycleRef: "old\nours\n"}},
		{"memory, the second ref moves", false, true, lifecycleRef, 0,
			[]string{"objects", lineageRef, "objects", lineageRef, lifecycleRef},
			map[string]string{lineageRef: "old\nours\n", lifecycleRef: "ours\ntheirs\n"}},
		{"disk, new ref, other target", true, false, lineageRef, 1,
			[]string{"objects", "objects", lineageRef, lifecycleRef},
			map[string]string{lineageRef: "ours\n", lifecycleRef: "ours\n"}},
		{"disk, existing ref, same target", true, true, lineageRef, 0,
			[]string{"objects", "objects", lineageRef, lifecycleRef},
			map[string]string{lineageRef: "ours\ntheirs\n", lifecycleRef: "old\nours\n"}},
		{"disk, the second ref moves", true, true, lifecycleRef, 0,
			[]string{"objects", lineageRef, "objects", lineageRef, lifecycleRef},
			map[string]string{lineageRef: "old\nours\n", lifecycleRef: "ours\ntheirs\n"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			nr := newNotesRepo(t, tt.onDisk)
			x, other := nr.targets[0], nr.targets[tt.otherTarget]
			if tt.before {
				for _, ref := range []string{lineageRef, lifecycleRef} {
					setNote(t, nr.r, ref, x, "old\n")
					setNote(t, nr.r, ref, nr.targets[2], "kept\n")
				}
			}
			var calls []string
			var theirs Hash
			edits := 0
			edit := appendLine("ours")
			counting := func(current []byte) ([]byte, error) { edits++; return edit(current) }
			changes := []NotesChange{
				{Ref: lineageRef, Edits: map[Hash]NoteEdit{x: counting}},
				{Ref: lifecycleRef, Edits: map[Hash]NoteEdit{x: counting}},
			}
			commits, err := nr.r.WriteNotes(nr.r.NewObjectWriter(), changes, testSig, "ours\n", func(stage string) {
				calls = append(calls, stage)
				if stage == "objects" && theirs.IsZero() {
					// On target 0 "theirs" replaces "old": ours is applied to it.
					theirs = setNote(t, nr.other(t), tt.otherRef, other, "theirs\n")
				}
			})
			if err != nil {
				t.Fatalf("WriteNotes: %v", err)
			}
			if !reflect.DeepEqual(calls, tt.wantCalls) {
				t.Errorf("checkpoints = %q, want %q (a retry after the ref moved)", calls, tt.wantCalls)
			}
			if edits != 4 {
				t.Errorf("edits applied %d times, want 4 (two refs, twice)", edits)
			}
			for i, ref := range []string{lineageRef, lifecycleRef} {
				if got := mustRefValue(t, nr.r, ref); got != commits[i] {
					t.Errorf("%s = %s, WriteNotes returned %s", ref, got, commits[i])
				}
				if got := noteText(t, nr.r, ref, x); got != tt.wantX[ref] {
					t.Errorf("note on target 0 in %s = %q, want %q", ref, got, tt.wantX[ref])
				}
			}
			// The other writer's note survives, and ours sits on top of its commit.
			if got := noteText(t, nr.r, tt.otherRef, other); !strings.Contains(got, "theirs") {
				t.Errorf("the other writer's note on %s is gone: %q", tt.otherRef, got)
			}
			moved := slices.Index([]string{lineageRef, lifecycleRef}, tt.otherRef)
			c, err := nr.r.ReadCommit(commits[moved])
			if err != nil || len(c.Parents) != 1 || c.Parents[0] != theirs {
				t.Errorf("notes commit on %s: %+v, %v; want it on top of the other writer's %s", tt.otherRef, c, err, theirs)
			}
			if tt.before {
				for _, ref := range []string{lineageRef, lifecycleRef} {
					if got := noteText(t, nr.r, ref, nr.targets[2]); got != "kept\n" {
						t.Errorf("untouched note in %s = %q", ref, got)
					}
				}
			}
			if tt.onDisk {
				// git sees the same notes, and the repository is sound.
				if got := runGit(t, nr.dir, "", "notes", "--ref=small/lineage", "show", x.String()); got+"\n" != tt.wantX[lineageRef] {
					t.Errorf("git notes show = %q", got)
				}
				runGit(t, nr.dir, "", "fsck", "--strict", "--no-progress")
			}
		})
	}
}

// TestWriteNotesGivesUp: a writer that moves the ref at every attempt wins;
// WriteNotes stops after its retries with a *RefMovedError.
func TestWriteNotesGivesUp(t *testing.T) {
	nr := newNotesRepo(t, false)
	attempts := 0
	_, err := nr.r.WriteNotes(nr.r.NewObjectWriter(),
		[]NotesChange{{Ref: lineageRef, Edits: map[Hash]NoteEdit{nr.targets[0]: appendLine("ours")}}}, testSig, "ours\n",
		func(stage string) {
			if stage == "objects" {
				attempts++
				setNote(t, nr.r, lineageRef, nr.targets[1], fmt.Sprintf("theirs %d\n", attempts))
			}
		})
	var moved *RefMovedError
	if !errors.As(err, &moved) || !errors.Is(err, ErrRefMoved) || moved.Ref != lineageRef {
		t.Fatalf("WriteNotes = %v, want a *RefMovedError on %s", err, lineageRef)
	}
	if attempts != maxNotesRetries+1 {
		t.Errorf("%d attempts, want %d", attempts, maxNotesRetries+1)
	}
	if got := noteText(t, nr.r, lineageRef, nr.targets[0]); got != "<none>" {
		t.Errorf("our note was written after all: %q", got)
	}
}

// TestWriteNotesTwice: notes that are already as edited move nothing.
func TestWriteNotesTwice(t *testing.T) {
	for _, onDisk := range []bool{false, true} {
		t.Run(map[bool]string{false: "memory", true: "disk"}[onDisk], func(t *testing.T) {
			nr := newNotesRepo(t, onDisk)
			x, y := nr.targets[0], nr.targets[1]
			set := func(text string) NoteEdit { return func([]byte) ([]byte, error) { return []byte(text), nil } }
			tests := []struct {
				name    string
				changes []NotesChange
				moves   bool
			}{
				{"first write", []NotesChange{
					{Ref: lineageRef, Edits: map[Hash]NoteEdit{x: set("a\n"), y: set("b\n")}},
					{Ref: lifecycleRef, Edits: map[Hash]NoteEdit{x: appendLine("e1")}},
				}, true},
				{"same notes again", []NotesChange{
					{Ref: lineageRef, Edits: map[Hash]NoteEdit{x: set("a\n"), y: set("b\n")}},
					{Ref: lifecycleRef, Edits: map[Hash]NoteEdit{x: appendLine("e1")}},
				}, false},
				{"a subset again", []NotesChange{{Ref: lineageRef, Edits: map[Hash]NoteEdit{y: set("b\n")}}}, false},
				{"no edits on an existing ref", []NotesChange{{Ref: lineageRef, Edits: map[Hash]NoteEdit{}}}, false},
				{"one changed note moves its ref only", []NotesChange{
					{Ref: lineageRef, Edits: map[Hash]NoteEdit{x: set("a\n")}},
					{Ref: lifecycleRef, Edits: map[Hash]NoteEdit{x: appendLine("e2")}},
				}, true},
			}
			for _, tt := range tests {
				before := map[string]Hash{lineageRef: mustRefValue(t, nr.r, lineageRef), lifecycleRef: mustRefValue(t, nr.r, lifecycleRef)}
				w := nr.r.NewObjectWriter()
				commits, err := nr.r.WriteNotes(w, tt.changes, testSig, "notes\n", nil)
				if err != nil {
					t.Fatalf("%s: %v", tt.name, err)
				}
				moved := false
				for i, ch := range tt.changes {
					now := mustRefValue(t, nr.r, ch.Ref)
					if now != commits[i] {
						t.Errorf("%s: %s = %s, WriteNotes returned %s", tt.name, ch.Ref, now, commits[i])
					}
					if now != before[ch.Ref] {
						moved = true
						if tt.name == "one changed note moves its ref only" && ch.Ref == lineageRef {
							t.Errorf("%s: %s moved, though its note was unchanged", tt.name, ch.Ref)
						}
					}
				}
				if moved != tt.moves {
					t.Errorf("%s: refs moved = %v, want %v", tt.name, moved, tt.moves)
				}
				if !tt.moves && w.Len() != 0 {
					t.Errorf("%s: %d objects left staged", tt.name, w.Len())
				}
			}
			if got := noteText(t, nr.r, lifecycleRef, x); got != "e1\ne2\n" {
				t.Errorf("lifecycle note = %q", got)
			}
			if got := noteText(t, nr.r, lineageRef, y); got != "b\n" {
				t.Errorf("lineage note on y = %q", got)
			}
			if onDisk {
				if got := runGit(t, nr.dir, "", "rev-list", "--count", lineageRef); got != "1" {
					t.Errorf("%s has %s commits, want 1", lineageRef, got)
				}
				if got := runGit(t, nr.dir, "", "rev-list", "--count", lifecycleRef); got != "2" {
					t.Errorf("%s has %s commits, want 2", lifecycleRef, got)
				}
			}
		})
	}
}

// TestInMemoryRoundTrip writes a blob, trees and commits to an in-memory
// repository and reads them back; moves a branch with compare-and-swap.
func TestInMemoryRoundTrip(t *testing.T) {
	r := InMemory()
	if r.Root() != "" {
		t.Errorf("Root = %q", r.Root())
	}
	if h, err := r.Ref("refs/heads/main"); err != nil || !h.IsZero() {
		t.Errorf("Ref of a missing branch = %s, %v", h, err)
	}
	var re *RevisionError
	if _, err := r.Resolve("main"); !errors.As(err, &re) {
		t.Errorf("Resolve(main) before any commit = %v, want a *RevisionError", err)
	}

	w := r.NewObjectWriter()
	blob, err := w.Blob([]byte("hello\n"))
	if err != nil {
		t.Fatal(err)
	}
	if blob.String() != "ce013625030ba8dba906f756967f9e9ca394464a" { // git hash-object of "hello\n"
		t.Errorf("blob id = %s", blob)
	}
	blob2, _ := w.Blob([]byte("bye\n"))
	tree, err := w.FileTree(map[string]Hash{"a/b.txt": blob, "a.txt": blob2, "c.txt": blob})
	if err != nil {
		t.Fatal(err)
	}
	sig := Signature{Name: "Ann", Email: "ann@example.com", When: time.Date(2025, 3, 1, 12, 0, 0, 0, time.FixedZone("", 3600))}
	spec := CommitSpec{Tree: tree, Author: sig, Committer: sig, Message: "First\n\nSmall-Agent: drafter\n"}
	c1, err := w.Commit(spec)
	if err != nil {
		t.Fatal(err)
	}
	if r.HasCommit(c1) {
		t.Error("a commit is visible before Flush")
	}
	if w.Len() != 5 { // two blobs, two trees, one commit
		t.Errorf("staged %d objects, want 5", w.Len())
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if !r.HasCommit(c1) || w.Len() != 0 {
		t.Errorf("after Flush: HasCommit %v, Len %d", r.HasCommit(c1), w.Len())
	}
	// The same spec gives the same id elsewhere; what is there is not staged again.
	if again, _ := InMemory().NewObjectWriter().Commit(spec); again != c1 {
		t.Errorf("the same commit in another repository is %s, want %s", again, c1)
	}
	w2 := r.NewObjectWriter()
	if h, _ := w2.Blob([]byte("hello\n")); h != blob || w2.Len() != 0 {
		t.Errorf("re-staging a blob the repository has: %s, Len %d", h, w2.Len())
	}
	c2, _ := w2.Commit(CommitSpec{Tree: tree, Parents: []Hash{c1}, Author: sig, Committer: sig, Message: "Second\n"})
	if err := w2.Flush(); err != nil {
		t.Fatal(err)
	}

	// Compare-and-swap.
	other := c1
	other[0] ^= 0xff
	steps := []struct {
		name     string
		new, old Hash
		moved    bool
		got      Hash // what a *RefMovedError found
	}{
		{"create", c1, ZeroHash, false, ZeroHash},
		{"create again", c2, ZeroHash, true, c1},
		{"wrong old value", c2, other, true, c1},
		{"old value is the new one", c2, c2, true, c1},
		{"right old value", c2, c1, false, ZeroHash},
		{"stale old value", c1, c1, true, c2},
	}
	for _, s := range steps {
		err := r.UpdateRef("refs/heads/main", s.new, s.old)
		if !s.moved {
			if err != nil {
				t.Fatalf("%s: %v", s.name, err)
			}
			continue
		}
		var me *RefMovedError
		if !errors.As(err, &me) || !errors.Is(err, ErrRefMoved) {
			t.Fatalf("%s: UpdateRef = %v, want a *RefMovedError", s.name, err)
		}
		if me.Ref != "refs/heads/main" || me.Expected != s.old || me.Got != s.got || me.Locked != "" {
			t.Errorf("%s: %+v", s.name, me)
		}
		if want := "refs/heads/main moved underneath (expected "; !strings.HasPrefix(err.Error(), want) {
			t.Errorf("%s: error = %q", s.name, err)
		}
	}
	if h := mustRefValue(t, r, "refs/heads/main"); h != c2 {
		t.Errorf("main = %s, want %s", h, c2)
	}

	// Resolve a branch name, and read back what was written.
	for rev, want := range map[string]Hash{"main": c2, "refs/heads/main": c2, "main~1": c1, c1.String(): c1} {
		c, err := r.Resolve(rev)
		if err != nil || c.ID != want {
			t.Errorf("Resolve(%q) = %v, %v; want %s", rev, c, err, want)
		}
	}
	if _, err := r.Resolve("nope"); !errors.As(err, &re) || re.Rev != "nope" {
		t.Errorf("Resolve(nope) = %v, want a *RevisionError", err)
	}
	c, err := r.Resolve("main~1")
	if err != nil {
		t.Fatal(err)
	}
	if c.Tree != tree || len(c.Parents) != 0 || c.Subject() != "First" || c.Trailer("Small-Agent") != "drafter" ||
		c.Author.Name != "Ann" || !c.Author.When.Equal(sig.When) || c.Message != spec.Message {
		t.Errorf("commit read back = %+v", c)
	}
	if _, off := c.Author.When.Zone(); off != 3600 {
		t.Errorf("author zone offset = %d, want 3600", off)
	}
	if b, err := r.ReadBlob(blob); err != nil || string(b) != "hello\n" {
		t.Errorf("ReadBlob = %q, %v", b, err)
	}
	for path, want := range map[string]struct {
		h       Hash
		dir, ok bool
	}{
		"a/b.txt": {blob, false, true}, "a.txt": {blob2, false, true}, "c.txt": {blob, false, true},
		"a": {ZeroHash, true, true}, "nope": {ZeroHash, false, false}, "a/nope": {ZeroHash, false, false},
	} {
		h, dir, ok := r.Lookup(tree, path)
		if dir != want.dir || ok != want.ok || !want.h.IsZero() && h != want.h {
			t.Errorf("Lookup(%q) = %s, %v, %v", path, h, dir, ok)
		}
	}
	files, err := r.TreeFiles(tree, "")
	if err != nil || !reflect.DeepEqual(files, map[string]Hash{"a/b.txt": blob, "a.txt": blob2, "c.txt": blob}) {
		t.Errorf("TreeFiles = %v, %v", files, err)
	}
	if files, err := r.TreeFiles(tree, "a"); err != nil || !reflect.DeepEqual(files, map[string]Hash{"a/b.txt": blob}) {
		t.Errorf("TreeFiles(a) = %v, %v", files, err)
	}

	// Notes round trip in memory too.
	nc := setNote(t, r, lineageRef, c2, "{\"artifact\":\"x\"}\n")
	if got := noteText(t, r, lineageRef, c2); got != "{\"artifact\":\"x\"}\n" {
		t.Errorf("note = %q", got)
	}
	if got := noteText(t, r, lineageRef, c1); got != "<none>" {
		t.Errorf("note on c1 = %q", got)
	}
	if n, _ := r.ReadNotes(lineageRef); n.Commit != nc || n.Len() != 1 {
		t.Errorf("ReadNotes = %+v", n)
	}
}
