package repo

import (
	"errors"
	"fmt"
	"strings"

	git "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"
	gitstorage "github.com/go-git/go-git/v5/storage"
	"github.com/go-git/go-git/v5/storage/memory"
)

// ErrReadOnly is a write asked of a repository View: a view only reads.
var ErrReadOnly = errors.New("a view of staged objects writes nothing")

// View is a read-only repository that sees the objects w has staged as if
// they had been written, beside everything the repository has: a commit can
// be judged (read, walked, diffed, checked) before anything of it reaches
// the disk. Its refs are the repository's, and it moves none of them.
func (w *ObjectWriter) View() *Repository {
	st := &stagedStorer{Storer: w.r.git.Storer, mem: w.mem}
	return &Repository{git: &git.Repository{Storer: st}, root: w.r.root}
}

// stagedStorer reads objects from the staged ones first, then from the
// repository, and refuses every write.
type stagedStorer struct {
	gitstorage.Storer
	mem *memory.Storage
}

func (s *stagedStorer) EncodedObject(t plumbing.ObjectType, h plumbing.Hash) (plumbing.EncodedObject, error) {
	if o, err := s.mem.EncodedObject(t, h); err == nil {
		return o, nil
	}
	return s.Storer.EncodedObject(t, h)
}

func (s *stagedStorer) HasEncodedObject(h plumbing.Hash) error {
	if s.mem.HasEncodedObject(h) == nil {
		return nil
	}
	return s.Storer.HasEncodedObject(h)
}

func (s *stagedStorer) EncodedObjectSize(h plumbing.Hash) (int64, error) {
	if n, err := s.mem.EncodedObjectSize(h); err == nil {
		return n, nil
	}
	return s.Storer.EncodedObjectSize(h)
}

func (s *stagedStorer) SetEncodedObject(plumbing.EncodedObject) (plumbing.Hash, error) {
	return plumbing.ZeroHash, ErrReadOnly
}

func (s *stagedStorer) SetReference(*plumbing.Reference) error { return ErrReadOnly }

func (s *stagedStorer) CheckAndSetReference(_, _ *plumbing.Reference) error { return ErrReadOnly }

func (s *stagedStorer) RemoveReference(plumbing.ReferenceName) error { return ErrReadOnly }

func (s *stagedStorer) PackRefs() error { return ErrReadOnly }

func (s *stagedStorer) SetShallow([]plumbing.Hash) error { return ErrReadOnly }

// TreePathError is a file an EditTree cannot place: a path that is not a
// clean relative one, or that a directory or file of the tree stands in
// the way of.
type TreePathError struct{ Path, Why string }

func (e *TreePathError) Error() string { return fmt.Sprintf("%s: %s", e.Path, e.Why) }

// EditTree stages the tree that is base with the given files (slash
// separated paths to blob ids) written as regular files, and returns its
// id. Every other entry of base is kept as it is, with its mode
// (executables, symbolic links, submodules); base may be ZeroHash (empty).
// A path through a file of base, or onto a directory of it, is a
// *TreePathError.
func (w *ObjectWriter) EditTree(base Hash, files map[string]Hash) (Hash, error) {
	for p := range files {
		for _, part := range strings.Split(p, "/") {
			if part == "" || part == "." || part == ".." {
				return ZeroHash, &TreePathError{Path: p, Why: "not a clean relative path"}
			}
		}
	}
	return w.editTree(base, "", files)
}

func (w *ObjectWriter) editTree(base Hash, prefix string, edits map[string]Hash) (Hash, error) {
	var entries []object.TreeEntry
	if !base.IsZero() {
		t, err := w.r.tree(base)
		if err != nil {
			return ZeroHash, err
		}
		entries = append(entries, t.Entries...)
	}
	at := map[string]int{}
	for i, e := range entries {
		at[e.Name] = i
	}
	set := func(e object.TreeEntry) {
		if i, ok := at[e.Name]; ok {
			entries[i] = e
			return
		}
		at[e.Name] = len(entries)
		entries = append(entries, e)
	}
	sub := map[string]map[string]Hash{}
	for p, h := range edits {
		name, rest, nested := strings.Cut(p, "/")
		if nested {
			if sub[name] == nil {
				sub[name] = map[string]Hash{}
			}
			sub[name][rest] = h
			continue
		}
		if i, ok := at[name]; ok && entries[i].Mode == filemode.Dir {
			return ZeroHash, &TreePathError{Path: prefix + p, Why: "a directory in the tree"}
		}
		set(object.TreeEntry{Name: name, Mode: filemode.Regular, Hash: h.plumbing()})
	}
	for name, es := range sub {
		child := ZeroHash
		if i, ok := at[name]; ok {
			if entries[i].Mode != filemode.Dir {
				return ZeroHash, &TreePathError{Path: prefix + name, Why: "a file in the tree, where a directory is needed"}
			}
			child = fromPlumbing(entries[i].Hash)
		}
		h, err := w.editTree(child, prefix+name+"/", es)
		if err != nil {
			return ZeroHash, err
		}
		set(object.TreeEntry{Name: name, Mode: filemode.Dir, Hash: h.plumbing()})
	}
	t := &object.Tree{Entries: entries}
	sortTree(t)
	o := w.mem.NewEncodedObject()
	if err := t.Encode(o); err != nil {
		return ZeroHash, err
	}
	return w.put(o)
}
