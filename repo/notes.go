package repo

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
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

// NoteText returns the note on target, and whether there is one.
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
		if have, ok := n.notes[target]; !ok || have != fromPlumbing(plumbing.ComputeHash(plumbing.BlobObject, text)) {
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
	tree, err := w.notesTree(next.notes)
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

// notesTree stages the tree of a set of notes: flat, or fanned out by two
// hex digits past notesFanout notes, a function of the notes alone.
func (w *ObjectWriter) notesTree(notes map[Hash]Hash) (Hash, error) {
	files := make(map[string]Hash, len(notes))
	for target, blob := range notes {
		name := target.String()
		if len(notes) > notesFanout {
			name = name[:2] + "/" + name[2:]
		}
		files[name] = blob
	}
	return w.FileTree(files)
}

// MergeNotesCommit stages the merge of two states of a notes ref, as git
// notes merge does: a commit whose parents are ours and theirs, holding
// every note of both; where both annotate the same object differently,
// merge gives the text. Call it only when neither state contains the
// other: the merge commit is what lets ours be pushed over theirs.
func (w *ObjectWriter) MergeNotesCommit(r *Repository, ours, theirs *Notes, merge func(ours, theirs []byte) []byte, author Signature, message string) (Hash, error) {
	next := make(map[Hash]Hash, len(ours.notes)+len(theirs.notes))
	for k, v := range ours.notes {
		next[k] = v
	}
	for target, tb := range theirs.notes {
		ob, ok := ours.notes[target]
		if ok && ob == tb {
			continue
		}
		if !ok {
			next[target] = tb
			continue
		}
		a, err := r.ReadBlob(ob)
		if err != nil {
			return ZeroHash, err
		}
		b, err := r.ReadBlob(tb)
		if err != nil {
			return ZeroHash, err
		}
		text := merge(a, b)
		h, err := w.Blob(text)
		if err != nil {
			return ZeroHash, err
		}
		next[target] = h
	}
	tree, err := w.notesTree(next)
	if err != nil {
		return ZeroHash, err
	}
	return w.Commit(CommitSpec{Tree: tree, Parents: []Hash{ours.Commit, theirs.Commit}, Author: author, Committer: author, Message: message})
}

// NoteEdit computes the new text of a note from its current text (nil when
// the object has no note yet).
type NoteEdit func(current []byte) ([]byte, error)

// NotesChange is a set of note edits on one notes ref.
type NotesChange struct {
	Ref   string
	Edits map[Hash]NoteEdit
}

// maxNotesRetries bounds how often WriteNotes reads notes refs again after
// another writer moved one.
const maxNotesRetries = 5

// WriteNotes is the one way small writes notes. It reads each notes ref,
// applies the edits to the notes there, stages the notes commits in w, and
// writes them, with whatever else w holds, as one packfile; then it moves the
// refs in order, each with compare-and-swap. When another writer moved a
// ref meanwhile, it reads the notes again and applies the edits anew, so
// that nobody's note is lost; a ref whose notes are already as edited is not
// moved. checkpoint, when set, is called with "objects" once the objects are
// written and with each ref's name once it has moved or was found as edited
// already (crash tests stop the process there). It returns the notes commits, in the order of changes.
func (r *Repository) WriteNotes(w *ObjectWriter, changes []NotesChange, author Signature, message string, checkpoint func(string)) ([]Hash, error) {
	if checkpoint == nil {
		checkpoint = func(string) {}
	}
	for attempt := 0; ; attempt++ {
		commits := make([]Hash, len(changes))
		current := make([]*Notes, len(changes))
		for i, ch := range changes {
			n, err := r.ReadNotes(ch.Ref)
			if err != nil {
				return nil, err
			}
			set := make(map[Hash][]byte, len(ch.Edits))
			for target, edit := range ch.Edits {
				text, _, err := r.NoteText(n, target)
				if err != nil {
					return nil, err
				}
				if set[target], err = edit(text); err != nil {
					return nil, err
				}
			}
			if commits[i], _, err = w.NotesCommit(n, set, author, message); err != nil {
				return nil, err
			}
			current[i] = n
		}
		if err := w.Flush(); err != nil {
			return nil, err
		}
		checkpoint("objects")
		var err error
		for i, ch := range changes {
			if commits[i] != current[i].Commit {
				if err = r.UpdateRef(ch.Ref, commits[i], current[i].Commit); err != nil {
					break
				}
			}
			checkpoint(ch.Ref)
		}
		if errors.Is(err, ErrRefMoved) && attempt < maxNotesRetries {
			continue // another writer added notes meanwhile: edit them again
		}
		if err != nil {
			return nil, err
		}
		return commits, nil
	}
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
	return r.LookupNotesAt(h)
}

// LookupNotesAt opens one commit of a notes ref's history for lookups.
func (r *Repository) LookupNotesAt(h Hash) (*NotesLookup, error) {
	var c *object.Commit
	if err := r.again(func() (err error) { c, err = r.git.CommitObject(h.plumbing()); return err }); err != nil {
		return nil, fmt.Errorf("read notes commit %s: %w", h.Short(), err)
	}
	t, err := c.Tree()
	if err != nil {
		return nil, fmt.Errorf("read notes commit %s: %w", h.Short(), err)
	}
	return &NotesLookup{r: r, root: t}, nil
}

// Note returns the note on target, and whether there is one.
func (n *NotesLookup) Note(target Hash) ([]byte, bool, error) {
	blob, ok := n.find(target)
	if !ok {
		return nil, false, nil
	}
	b, err := n.r.ReadBlob(blob)
	return b, err == nil, err
}

// find returns the blob of the note on target, at any fan-out depth.
func (n *NotesLookup) find(target Hash) (Hash, bool) {
	if n.root == nil {
		return ZeroHash, false
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
		return fromPlumbing(e.Hash), true
	}
	return ZeroHash, false
}

// NoteLines calls fn with each line of the note on target (without its
// line break), in order, until fn returns false or the note ends, and
// reports whether there is a note. The note is read as fn goes: one line
// of a first build's note, megabytes of JSON lines, costs what comes
// before it, not the whole. fn may see a line again if a concurrent git
// gc makes the reading start over.
func (n *NotesLookup) NoteLines(target Hash, fn func(line []byte) bool) (bool, error) {
	blob, ok := n.find(target)
	if !ok {
		return false, nil
	}
	err := n.r.again(func() error {
		b, err := n.r.git.BlobObject(blob.plumbing())
		if err != nil {
			return err
		}
		rd, err := b.Reader()
		if err != nil {
			return err
		}
		defer rd.Close()
		br := bufio.NewReaderSize(rd, 64<<10)
		for {
			line, err := br.ReadSlice('\n')
			if err == bufio.ErrBufferFull {
				// A line longer than the buffer: gathered whole.
				long := append([]byte(nil), line...)
				for err == bufio.ErrBufferFull {
					line, err = br.ReadSlice('\n')
					long = append(long, line...)
				}
				line = long
			}
			if len(line) > 0 && !fn(bytes.TrimSuffix(line, []byte("\n"))) {
				return nil
			}
			if err == io.EOF {
				return nil
			}
			if err != nil {
				return err
			}
		}
	})
	if err != nil {
		return true, fmt.Errorf("read note blob %s: %w", blob, err)
	}
	return true, nil
}

// NotesChanged lists the objects whose note differs between two commits of
// a notes ref (either may be ZeroHash): added, changed or removed.
func (r *Repository) NotesChanged(old, new Hash) ([]Hash, error) {
	treeOf := func(h Hash) (Hash, error) {
		if h.IsZero() {
			return ZeroHash, nil
		}
		c, err := r.ReadCommit(h)
		if err != nil {
			return ZeroHash, err
		}
		return c.Tree, nil
	}
	a, err := treeOf(old)
	if err != nil {
		return nil, err
	}
	b, err := treeOf(new)
	if err != nil {
		return nil, err
	}
	seen := map[Hash]bool{}
	var out []Hash
	for _, pair := range [][2]Hash{{b, a}, {a, b}} {
		files, err := r.DiffTrees(pair[0], pair[1], "")
		if err != nil {
			return nil, err
		}
		for name := range files {
			if h, ok := ParseHash(strings.ReplaceAll(name, "/", "")); ok && !seen[h] {
				seen[h] = true
				out = append(out, h)
			}
		}
	}
	return out, nil
}
