package repo

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"
	gitstorage "github.com/go-git/go-git/v5/storage"
	"github.com/go-git/go-git/v5/storage/memory"
)

// TreeEntry is one entry of a tree being written: a blob (file) or a tree.
type TreeEntry struct {
	Name string
	Hash Hash
	Tree bool
}

// ObjectWriter stages new objects in memory and writes them to the
// repository as one packfile: 10,000 artifacts are one file, not 10,000
// loose objects. Nothing is visible to a ref until Flush has returned.
type ObjectWriter struct {
	r      *Repository
	mem    *memory.Storage
	hashes []plumbing.Hash
	seen   map[plumbing.Hash]bool
	mu     sync.Mutex // guards seen and spool while SpoolBlob runs on many goroutines
	spool  *spool     // blobs written to disk as they come (spool.go)
}

// NewObjectWriter starts a batch of objects.
func (r *Repository) NewObjectWriter() *ObjectWriter {
	return &ObjectWriter{r: r, mem: memory.NewStorage(), seen: map[plumbing.Hash]bool{}}
}

func (w *ObjectWriter) put(o plumbing.EncodedObject) (Hash, error) {
	h := o.Hash()
	if w.seen[h] {
		return fromPlumbing(h), nil
	}
	// Objects the repository has already need not be written again.
	if w.r.git.Storer.HasEncodedObject(h) == nil {
		w.seen[h] = true
		return fromPlumbing(h), nil
	}
	if _, err := w.mem.SetEncodedObject(o); err != nil {
		return ZeroHash, err
	}
	w.seen[h] = true
	w.hashes = append(w.hashes, h)
	return fromPlumbing(h), nil
}

// Blob stages a blob and returns its id. A large one goes to disk, as
// SpoolBlob does, once the writer spools: a build's notes of 100,000
// records are not held twice.
func (w *ObjectWriter) Blob(data []byte) (Hash, error) {
	if w.spool != nil && len(data) >= spoolAbove {
		return w.SpoolBlob(data)
	}
	o := w.mem.NewEncodedObject()
	o.SetType(plumbing.BlobObject)
	o.SetSize(int64(len(data)))
	wr, err := o.Writer()
	if err != nil {
		return ZeroHash, err
	}
	if _, err := wr.Write(data); err != nil {
		return ZeroHash, err
	}
	if err := wr.Close(); err != nil {
		return ZeroHash, err
	}
	return w.put(o)
}

// Tree stages a tree of the given entries, sorted as Git requires.
func (w *ObjectWriter) Tree(entries []TreeEntry) (Hash, error) {
	t := &object.Tree{Entries: make([]object.TreeEntry, len(entries))}
	for i, e := range entries {
		mode := filemode.Regular
		if e.Tree {
			mode = filemode.Dir
		}
		t.Entries[i] = object.TreeEntry{Name: e.Name, Mode: mode, Hash: e.Hash.plumbing()}
	}
	sortTree(t)
	o := w.mem.NewEncodedObject()
	if err := t.Encode(o); err != nil {
		return ZeroHash, err
	}
	return w.put(o)
}

// sortTree orders a tree's entries as Git requires: by name, a directory as
// if its name ended in "/".
func sortTree(t *object.Tree) {
	sort.Slice(t.Entries, func(i, j int) bool { return treeKey(t.Entries[i]) < treeKey(t.Entries[j]) })
}

func treeKey(e object.TreeEntry) string {
	if e.Mode == filemode.Dir {
		return e.Name + "/"
	}
	return e.Name
}

// FileTree stages the trees for a set of files (slash-separated path to blob
// id) and returns the root tree's id.
func (w *ObjectWriter) FileTree(files map[string]Hash) (Hash, error) {
	type dir struct {
		files map[string]Hash
		dirs  map[string]*dir
	}
	newDir := func() *dir { return &dir{files: map[string]Hash{}, dirs: map[string]*dir{}} }
	root := newDir()
	for p, h := range files {
		d := root
		parts := strings.Split(p, "/")
		for _, part := range parts[:len(parts)-1] {
			sub, ok := d.dirs[part]
			if !ok {
				sub = newDir()
				d.dirs[part] = sub
			}
			d = sub
		}
		d.files[parts[len(parts)-1]] = h
	}
	var write func(d *dir) (Hash, error)
	write = func(d *dir) (Hash, error) {
		entries := make([]TreeEntry, 0, len(d.files)+len(d.dirs))
		for name, h := range d.files {
			entries = append(entries, TreeEntry{Name: name, Hash: h})
		}
		for name, sub := range d.dirs {
			h, err := write(sub)
			if err != nil {
				return ZeroHash, err
			}
			entries = append(entries, TreeEntry{Name: name, Hash: h, Tree: true})
		}
		return w.Tree(entries)
	}
	return write(root)
}

// CommitSpec describes a commit to write.
type CommitSpec struct {
	Tree      Hash
	Parents   []Hash
	Author    Signature
	Committer Signature
	Message   string
}

// Commit stages an unsigned commit and returns its id. The same spec gives
// the same id on every machine.
func (w *ObjectWriter) Commit(c CommitSpec) (Hash, error) {
	oc := &object.Commit{
		TreeHash:     c.Tree.plumbing(),
		ParentHashes: toPlumbingAll(c.Parents),
		Author:       object.Signature{Name: c.Author.Name, Email: c.Author.Email, When: c.Author.When},
		Committer:    object.Signature{Name: c.Committer.Name, Email: c.Committer.Email, When: c.Committer.When},
		Message:      c.Message,
	}
	o := w.mem.NewEncodedObject()
	if err := oc.Encode(o); err != nil {
		return ZeroHash, err
	}
	return w.put(o)
}

// syncPack flushes a packfile, its index and the directory entries that
// name them to disk, so that no ref ever names objects a power cut could
// take away: git does the same (core.fsync) before it moves a ref.
func (r *Repository) syncPack(sum string) error {
	if r.commonDir == "" {
		return nil
	}
	dir := filepath.Join(r.commonDir, "objects", "pack")
	for _, name := range []string{"pack-" + sum + ".pack", "pack-" + sum + ".idx", ""} {
		f, err := os.Open(filepath.Join(dir, name))
		if err != nil {
			return err
		}
		err = f.Sync()
		f.Close()
		if err != nil {
			return err
		}
	}
	return nil
}

// Len is the number of objects staged that the repository lacks.
func (w *ObjectWriter) Len() int {
	n := len(w.hashes)
	if w.spool != nil {
		n += len(w.spool.order)
	}
	return n
}

func newMemStorage() *memory.Storage { return memory.NewStorage() }

// Flush writes the staged objects as one packfile with its index, both
// synced, the pack first (writePack). A crash midway leaves at worst a
// temporary file or a pack no reader lists; no ref points at the objects
// yet.
func (w *ObjectWriter) Flush() error {
	if w.spool != nil {
		return w.flushSpool()
	}
	if len(w.hashes) == 0 {
		return nil
	}
	if w.r.commonDir == "" {
		// An in-memory repository takes the objects one by one.
		for _, h := range w.hashes {
			o, err := w.mem.EncodedObject(plumbing.AnyObject, h)
			if err != nil {
				return err
			}
			if _, err := w.r.git.Storer.SetEncodedObject(o); err != nil {
				return err
			}
		}
		w.hashes = nil
		w.mem = memory.NewStorage()
		return nil
	}
	dir := filepath.Join(w.r.commonDir, "objects", "pack")
	if _, err := writePack(dir, w.hashes, func(h plumbing.Hash) (plumbing.EncodedObject, error) {
		return w.mem.EncodedObject(plumbing.AnyObject, h)
	}); err != nil {
		return fmt.Errorf("write packfile: %w", err)
	}
	// The next read lists the packs again, and finds the new one.
	w.r.st.Reindex()
	w.hashes = nil
	w.mem = memory.NewStorage()
	return nil
}

// EditTree stages the tree that is base (ZeroHash: an empty tree) with the
// given files set: path to blob id, written as regular files, ZeroHash to
// remove one. Only the trees on those paths are written anew; every other
// entry keeps its id and mode. A directory left empty disappears, as in Git.
// A path that is not clean, that leads through a file of base, or that
// names one of its directories is a *TreePathError: an edit never replaces
// a file with a directory or a directory with a file.
func (w *ObjectWriter) EditTree(base Hash, files map[string]Hash) (Hash, error) {
	return w.editTree(base, "", files)
}

// TreePathError is a file an EditTree cannot place: a path that is not a
// clean relative one, or that a directory or file of the tree stands in
// the way of.
type TreePathError struct{ Path, Why string }

func (e *TreePathError) Error() string { return fmt.Sprintf("edit tree: %q: %s", e.Path, e.Why) }

func (w *ObjectWriter) editTree(base Hash, prefix string, files map[string]Hash) (Hash, error) {
	here := map[string]Hash{}
	below := map[string]map[string]Hash{}
	for p, h := range files {
		dir, rest, ok := strings.Cut(p, "/")
		if dir == "" || dir == "." || dir == ".." || ok && rest == "" {
			return ZeroHash, &TreePathError{Path: prefix + p, Why: "not a clean relative path"}
		}
		if !ok {
			here[p] = h
			continue
		}
		if below[dir] == nil {
			below[dir] = map[string]Hash{}
		}
		below[dir][rest] = h
	}
	var entries []object.TreeEntry
	if !base.IsZero() {
		t, err := w.r.tree(base)
		if err != nil {
			return ZeroHash, err
		}
		entries = slices.Clone(t.Entries)
	}
	set := func(e object.TreeEntry, remove bool) {
		i := slices.IndexFunc(entries, func(x object.TreeEntry) bool { return x.Name == e.Name })
		switch {
		case i >= 0 && remove:
			entries = slices.Delete(entries, i, i+1)
		case i >= 0:
			entries[i] = e
		case !remove:
			entries = append(entries, e)
		}
	}
	for name, h := range here {
		if i := slices.IndexFunc(entries, func(x object.TreeEntry) bool { return x.Name == name }); i >= 0 && entries[i].Mode == filemode.Dir {
			return ZeroHash, &TreePathError{Path: prefix + name, Why: "a directory in the tree"}
		}
		set(object.TreeEntry{Name: name, Mode: filemode.Regular, Hash: h.plumbing()}, h.IsZero())
	}
	for name, sub := range below {
		from := ZeroHash
		for _, e := range entries {
			if e.Name != name {
				continue
			}
			if e.Mode != filemode.Dir {
				return ZeroHash, &TreePathError{Path: prefix + name, Why: "a file in the tree, where a directory is needed"}
			}
			from = fromPlumbing(e.Hash)
		}
		h, err := w.editTree(from, prefix+name+"/", sub)
		if err != nil {
			return ZeroHash, err
		}
		set(object.TreeEntry{Name: name, Mode: filemode.Dir, Hash: h.plumbing()}, h == emptyTree)
	}
	sort.Slice(entries, func(i, j int) bool { return treeKey(entries[i]) < treeKey(entries[j]) })
	o := w.mem.NewEncodedObject()
	if err := (&object.Tree{Entries: entries}).Encode(o); err != nil {
		return ZeroHash, err
	}
	return w.put(o)
}

// emptyTree is the id of the tree with no entries.
var emptyTree, _ = ParseHash("4b825dc642cb6eb9a060e54bf8d69288fbee4904")

// View is the repository as it will be once the staged objects are
// written: it reads them before the repository's own objects and refs as
// they are, and it writes nothing. small judges a commit it proposes
// through it before deciding to write it.
//
// Its refs are the repository's, read only: a view moves none (no
// commonDir, so UpdateRef goes through the storage, which refuses).
func (w *ObjectWriter) View() (*Repository, error) {
	g, err := git.Open(&staged{Storer: w.r.git.Storer, mem: w.mem}, nil)
	if err != nil {
		return nil, err
	}
	return &Repository{git: g, st: w.r.st, root: w.r.root}, nil
}

// ErrReadOnly is a ref change asked of a View: a view moves no ref.
var ErrReadOnly = errors.New("a view of staged objects moves no ref")

func (s *staged) SetReference(*plumbing.Reference) error { return ErrReadOnly }

func (s *staged) CheckAndSetReference(_, _ *plumbing.Reference) error { return ErrReadOnly }

func (s *staged) RemoveReference(plumbing.ReferenceName) error { return ErrReadOnly }

func (s *staged) PackRefs() error { return ErrReadOnly }

func (s *staged) SetShallow([]plumbing.Hash) error { return ErrReadOnly }

// staged reads the objects an ObjectWriter holds before the storage's.
type staged struct {
	gitstorage.Storer
	mem *memory.Storage
}

func (s *staged) EncodedObject(t plumbing.ObjectType, h plumbing.Hash) (plumbing.EncodedObject, error) {
	if o, err := s.mem.EncodedObject(t, h); err == nil {
		return o, nil
	}
	return s.Storer.EncodedObject(t, h)
}

func (s *staged) HasEncodedObject(h plumbing.Hash) error {
	if s.mem.HasEncodedObject(h) == nil {
		return nil
	}
	return s.Storer.HasEncodedObject(h)
}

func (s *staged) EncodedObjectSize(h plumbing.Hash) (int64, error) {
	if n, err := s.mem.EncodedObjectSize(h); err == nil {
		return n, nil
	}
	return s.Storer.EncodedObjectSize(h)
}

// SetEncodedObject keeps what go-git would write in memory: a view writes
// nothing to the repository.
func (s *staged) SetEncodedObject(o plumbing.EncodedObject) (plumbing.Hash, error) {
	return s.mem.SetEncodedObject(o)
}
