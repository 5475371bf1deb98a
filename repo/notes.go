package repo

import (
	"fmt"
	"strings"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"
)

// Notes is the state of a notes ref (e.g. refs/notes/small/lineage): its
// commit and which note blob annotates which object.
type Notes struct {
	Ref    string
	Commit Hash          // ZeroHash when the ref does not exist yet
	notes  map[Hash]Hash // annotated object -> note blob
}

// ReadNotes reads a notes ref. Notes trees fan out (ab/cdef…) as they grow,
// and git and other tools choose the depth; notes are found at every depth.
func (r *Repository) ReadNotes(ref string) (*Notes, error) {
	n := &Notes{Ref: ref, notes: map[Hash]Hash{}}
	h, err := r.Ref(ref)
	if err != nil || h.IsZero() {
		return n, err
	}
	n.Commit = h
	c, err := r.ReadCommit(h)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", ref, err)
	}
	files, err := r.TreeFiles(c.Tree, "")
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", ref, err)
	}
	for name, blob := range files {
		if target, ok := ParseHash(strings.ReplaceAll(name, "/", "")); ok {
			n.notes[target] = blob
		}
	}
	return n, nil
}

// Len is how many objects have a note.
func (n *Notes) Len() int { return len(n.notes) }

// Note returns the blob of the note on target.
func (n *Notes) Note(target Hash) (Hash, bool) {
	h, ok := n.notes[target]
	return h, ok
}

// Text returns the note on target, and whether there is one.
func (r *Repository) NoteText(n *Notes, target Hash) ([]byte, bool, error) {
	h, ok := n.notes[target]
	if !ok {
		return nil, false, nil
	}
	b, err := r.ReadBlob(h)
	return b, err == nil, err
}

// notesFanout is how many notes a flat notes tree holds before small fans
// it out by the first two hex digits, as git does for large notes trees.
const notesFanout = 256

// NotesCommit stages a commit of the notes ref that sets the given notes,
// keeping every other note. The tree is a function of the set of notes alone
// (flat, or fanned out by two hex digits past 256 notes), so that the same
// notes make the same commit on every machine.
//
// When every note in set is already there, unchanged, no commit is made and
// the current one is returned: a build that is run again, or completed
// after a crash, leaves the notes history as one uninterrupted build would.
func (w *ObjectWriter) NotesCommit(n *Notes, set map[Hash][]byte, author Signature, message string) (Hash, *Notes, error) {
	same := !n.Commit.IsZero()
	for target, text := range set {
		if have, ok := n.notes[target]; !ok || have != plumbing.ComputeHash(plumbing.BlobObject, text) {
			same = false
			break
		}
	}
	if same {
		return n.Commit, n, nil
	}
	next := &Notes{Ref: n.Ref, notes: make(map[Hash]Hash, len(n.notes)+len(set))}
	for k, v := range n.notes {
		next.notes[k] = v
	}
	for target, text := range set {
		h, err := w.Blob(text)
		if err != nil {
			return ZeroHash, nil, err
		}
		next.notes[target] = h
	}
	files := make(map[string]Hash, len(next.notes))
	for target, blob := range next.notes {
		name := target.String()
		if len(next.notes) > notesFanout {
			name = name[:2] + "/" + name[2:]
		}
		files[name] = blob
	}
	tree, err := w.FileTree(files)
	if err != nil {
		return ZeroHash, nil, err
	}
	var parents []Hash
	if !n.Commit.IsZero() {
		parents = []Hash{n.Commit}
	}
	h, err := w.Commit(CommitSpec{Tree: tree, Parents: parents, Author: author, Committer: author, Message: message})
	if err != nil {
		return ZeroHash, nil, err
	}
	next.Commit = h
	return h, next, nil
}

// NotesLookup finds single notes of a notes ref without reading the whole
// notes tree, as git notes show does: at the path of the object's id, fanned
// out by two hex digits at any depth git or small may have chosen.
type NotesLookup struct {
	r    *Repository
	root *object.Tree // nil when the ref does not exist
}

// LookupNotes opens a notes ref for single lookups.
func (r *Repository) LookupNotes(ref string) (*NotesLookup, error) {
	h, err := r.Ref(ref)
	if err != nil || h.IsZero() {
		return &NotesLookup{r: r}, err
	}
	var c *object.Commit
	if err := r.again(func() (err error) { c, err = r.git.CommitObject(h); return err }); err != nil {
		return nil, fmt.Errorf("read %s: %w", ref, err)
	}
	t, err := c.Tree()
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", ref, err)
	}
	return &NotesLookup{r: r, root: t}, nil
}

// Note returns the note on target, and whether there is one.
func (n *NotesLookup) Note(target Hash) ([]byte, bool, error) {
	if n.root == nil {
		return nil, false, nil
	}
	hex := target.String()
	for depth := 0; depth <= 4; depth++ {
		p := hex[2*depth:]
		for i := depth - 1; i >= 0; i-- {
			p = hex[2*i:2*i+2] + "/" + p
		}
		e, err := n.root.FindEntry(p)
		if err != nil {
			continue
		}
		if e.Mode == filemode.Dir {
			continue
		}
		b, err := n.r.ReadBlob(e.Hash)
		return b, err == nil, err
	}
	return nil, false, nil
}
