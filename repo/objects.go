package repo

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"
)

// Signature is a commit's author or committer.
type Signature struct {
	Name  string
	Email string
	When  time.Time // its zone is kept
}

// Commit is what small reads of a commit: identity, tree, parents, people
// and message.
type Commit struct {
	ID        Hash
	Tree      Hash
	Parents   []Hash
	Author    Signature
	Committer Signature
	Message   string
}

// Subject is the first line of the message.
func (c *Commit) Subject() string {
	s, _, _ := strings.Cut(c.Message, "\n")
	return s
}

// Trailers parses the message's trailer block as git interpret-trailers does.
func (c *Commit) Trailers() []Trailer { return ParseTrailers(c.Message) }

// Trailer returns the last value of a trailer key (case-insensitive), or "".
func (c *Commit) Trailer(key string) string {
	v := ""
	for _, t := range c.Trailers() {
		if strings.EqualFold(t.Key, key) {
			v = t.Value
		}
	}
	return v
}

func commitOf(c *object.Commit) *Commit {
	return &Commit{
		ID: fromPlumbing(c.Hash), Tree: fromPlumbing(c.TreeHash), Parents: fromPlumbingAll(c.ParentHashes),
		Author:    Signature{Name: c.Author.Name, Email: c.Author.Email, When: c.Author.When},
		Committer: Signature{Name: c.Committer.Name, Email: c.Committer.Email, When: c.Committer.When},
		Message:   c.Message,
	}
}

// RevisionError is a revision that does not name a commit.
type RevisionError struct {
	Rev string
	Err error
}

func (e *RevisionError) Error() string {
	return fmt.Sprintf("unknown revision %q: %v", e.Rev, e.Err)
}

func (e *RevisionError) Unwrap() error { return e.Err }

// Resolve resolves a revision (a branch, tag, hex id, HEAD~2, …) to a
// commit. A revision that names no commit here is a *RevisionError that
// says why: no commits yet, beyond a shallow clone, not fetched.
func (r *Repository) Resolve(rev string) (*Commit, error) {
	var h *plumbing.Hash
	var err error
	if id, ok := ParseHash(rev); ok {
		// A full id needs no resolving, and go-git would take it for a
		// ref name when the commit is not found at the first try (a git
		// gc replacing packs meanwhile).
		p := id.plumbing()
		h = &p
	} else {
		err = r.again(func() (err error) { h, err = r.git.ResolveRevision(plumbing.Revision(rev)); return err })
	}
	if err != nil {
		if errors.Is(err, plumbing.ErrReferenceNotFound) && rev == "HEAD" {
			return nil, &RevisionError{Rev: rev, Err: errors.New("the current branch has no commits yet")}
		}
		if errors.Is(err, plumbing.ErrObjectNotFound) && r.shallow() {
			return nil, &RevisionError{Rev: rev, Err: errors.New("it lies beyond the history of this shallow clone: fetch more (git fetch --deepen=N, or git fetch --unshallow)")}
		}
		return nil, &RevisionError{Rev: rev, Err: err}
	}
	var c *object.Commit
	if err := r.again(func() (err error) { c, err = r.git.CommitObject(*h); return err }); err != nil {
		if errors.Is(err, plumbing.ErrObjectNotFound) && r.shallow() {
			return nil, &RevisionError{Rev: rev, Err: errors.New("it lies beyond the history of this shallow clone: fetch more (git fetch --deepen=N, or git fetch --unshallow)")}
		}
		if errors.Is(err, plumbing.ErrObjectNotFound) {
			return nil, &RevisionError{Rev: rev, Err: fmt.Errorf("commit %s is not in this clone: fetch it first", h)}
		}
		return nil, &RevisionError{Rev: rev, Err: err}
	}
	return commitOf(c), nil
}

// ReadCommit reads a commit by id.
func (r *Repository) ReadCommit(h Hash) (*Commit, error) {
	var c *object.Commit
	err := r.again(func() (err error) {
		c, err = r.git.CommitObject(h.plumbing())
		return err
	})
	if errors.Is(err, plumbing.ErrObjectNotFound) {
		if r.shallow() {
			return nil, fmt.Errorf("commit %s is beyond the history of this shallow clone: fetch more (git fetch --deepen=N, or git fetch --unshallow)", h)
		}
		return nil, fmt.Errorf("commit %s is not in this repository: fetch it first", h)
	}
	if err != nil {
		return nil, fmt.Errorf("read commit %s: %w", h, err)
	}
	return commitOf(c), nil
}

// HasCommit reports whether the commit is in the repository.
func (r *Repository) HasCommit(h Hash) bool {
	_, err := r.git.CommitObject(h.plumbing())
	return err == nil
}

// IsShallowBoundary reports whether h is where a shallow clone's history ends.
func (r *Repository) IsShallowBoundary(h Hash) bool {
	hs, err := r.git.Storer.Shallow()
	if err != nil {
		return false
	}
	for _, s := range hs {
		if fromPlumbing(s) == h {
			return true
		}
	}
	return false
}

// Shallow reports whether the repository is a shallow clone.
func (r *Repository) Shallow() bool { return r.shallow() }

// shallow reports whether the repository is a shallow clone.
func (r *Repository) shallow() bool {
	hs, err := r.git.Storer.Shallow()
	return err == nil && len(hs) > 0
}

// ReadBlob returns a blob's bytes.
func (r *Repository) ReadBlob(h Hash) ([]byte, error) {
	var b *object.Blob
	err := r.again(func() (err error) {
		b, err = r.git.BlobObject(h.plumbing())
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("read blob %s: %w", h, err)
	}
	rd, err := b.Reader()
	if err != nil {
		return nil, err
	}
	defer rd.Close()
	// One allocation of the right size: a first build's note is megabytes.
	var buf bytes.Buffer
	buf.Grow(int(b.Size) + bytes.MinRead)
	_, err = buf.ReadFrom(rd)
	return buf.Bytes(), err
}

func (r *Repository) tree(h Hash) (*object.Tree, error) {
	if t := r.trees.get(h); t != nil {
		return t, nil
	}
	var t *object.Tree
	err := r.again(func() (err error) {
		t, err = r.git.TreeObject(h.plumbing())
		return err
	})
	if err == nil {
		r.trees.put(h, t)
	}
	return t, err
}

// treeCache keeps decoded trees by id: a check lists the head, the base and
// the build, whose trees are mostly the same objects, and a tree of 5,000
// entries takes longer to decode than to look up. A tree never changes.
type treeCache struct {
	mu      sync.Mutex
	m       map[Hash]*object.Tree
	entries int
}

// maxCachedEntries bounds the cache by the entries of the trees it holds.
const maxCachedEntries = 1 << 16

func (c *treeCache) get(h Hash) *object.Tree {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.m[h]
}

func (c *treeCache) put(h Hash, t *object.Tree) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || c.entries+len(t.Entries) > maxCachedEntries {
		c.m, c.entries = map[Hash]*object.Tree{}, 0
	}
	c.m[h] = t
	c.entries += len(t.Entries)
}

// Lookup finds what path names within tree: a file's blob or a directory's
// tree (dir), and whether there is anything there. The empty tree
// (ZeroHash) holds nothing.
//
// Each directory on the way is read once and kept (see treeCache): go-git's
// own lookup decodes a directory anew for every path below it, and an
// artifact tree's article/ may hold thousands of entries.
func (r *Repository) Lookup(tree Hash, path string) (id Hash, dir bool, ok bool) {
	for cur := tree; !cur.IsZero(); {
		t, err := r.tree(cur)
		if err != nil {
			return ZeroHash, false, false
		}
		name, rest, more := strings.Cut(path, "/")
		e, err := t.FindEntry(name)
		if err != nil {
			return ZeroHash, false, false
		}
		isDir := e.Mode == filemode.Dir
		if !more {
			return fromPlumbing(e.Hash), isDir, true
		}
		if !isDir {
			return ZeroHash, false, false
		}
		cur, path = fromPlumbing(e.Hash), rest
	}
	return ZeroHash, false, false
}

// FileAt is the id of the entry at path within tree that is not a
// directory (a file's blob, a link, a submodule's commit), or ZeroHash.
func (r *Repository) FileAt(tree Hash, path string) Hash {
	if h, dir, ok := r.Lookup(tree, path); ok && !dir {
		return h
	}
	return ZeroHash
}

// DirAt is the id of the directory at dir within tree, or ZeroHash; "" and
// "." are the tree itself.
func (r *Repository) DirAt(tree Hash, dir string) Hash {
	if dir == "" || dir == "." {
		return tree
	}
	if h, isDir, ok := r.Lookup(tree, dir); ok && isDir {
		return h
	}
	return ZeroHash
}

// TreeFiles lists the files below dir in a tree (all of it for ""), as
// path to blob id; a missing dir gives an empty map.
func (r *Repository) TreeFiles(tree Hash, dir string) (out map[string]Hash, err error) {
	err = r.again(func() (err error) {
		out, err = r.treeFiles(tree, dir)
		return err
	})
	return out, err
}

func (r *Repository) treeFiles(tree Hash, dir string) (map[string]Hash, error) {
	t, err := r.tree(tree)
	if err != nil {
		return nil, fmt.Errorf("read tree %s: %w", tree, err)
	}
	if dir != "" && dir != "." {
		t, err = t.Tree(dir)
		if errors.Is(err, object.ErrDirectoryNotFound) {
			return map[string]Hash{}, nil
		}
		if err != nil {
			return nil, fmt.Errorf("read %s in tree %s: %w", dir, tree, err)
		}
	}
	out := map[string]Hash{}
	prefix := ""
	if dir != "" && dir != "." {
		prefix = dir
	}
	err = r.walkFiles(t, prefix, func(p string, e object.TreeEntry) {
		if e.Mode != filemode.Submodule {
			out[p] = fromPlumbing(e.Hash)
		}
	})
	if err != nil {
		return nil, fmt.Errorf("walk tree %s: %w", tree, err)
	}
	return out, nil
}

// RegularFiles lists the regular files below dir in a tree (executable or
// not; no symbolic link, no submodule), as path to blob id.
func (r *Repository) RegularFiles(tree Hash, dir string) (out map[string]Hash, err error) {
	err = r.again(func() error {
		t, err := r.tree(tree)
		if err != nil {
			return fmt.Errorf("read tree %s: %w", tree, err)
		}
		prefix := ""
		if dir != "" && dir != "." {
			prefix = dir
			if t, err = t.Tree(dir); errors.Is(err, object.ErrDirectoryNotFound) {
				out = map[string]Hash{}
				return nil
			} else if err != nil {
				return fmt.Errorf("read %s in tree %s: %w", dir, tree, err)
			}
		}
		out = map[string]Hash{}
		return r.walkFiles(t, prefix, func(p string, e object.TreeEntry) {
			if k := kindOf(e.Mode); k == File || k == Executable {
				out[p] = fromPlumbing(e.Hash)
			}
		})
	})
	return out, err
}

// walkFiles calls fn with every entry below t that is not a directory, by
// its path under prefix. Unlike go-git's walker it takes names as git
// stores them, control characters included: validation reports such a
// path as a finding; it must not stop the reading.
func (r *Repository) walkFiles(t *object.Tree, prefix string, fn func(p string, e object.TreeEntry)) error {
	for _, e := range t.Entries {
		p := e.Name
		if prefix != "" {
			p = prefix + "/" + e.Name
		}
		if e.Mode == filemode.Dir {
			sub, err := r.tree(fromPlumbing(e.Hash))
			if err != nil {
				return fmt.Errorf("read %s: %w", p, err)
			}
			if err := r.walkFiles(sub, p, fn); err != nil {
				return err
			}
			continue
		}
		fn(p, e)
	}
	return nil
}

// Signature returns a commit's signature (its gpgsig header: an SSH or
// OpenPGP armored signature; empty when unsigned) and the bytes it signs:
// the commit object without that header, as git verify-commit checks it.
func (r *Repository) Signature(h Hash) (payload, signature []byte, err error) {
	var c *object.Commit
	if err := r.again(func() (err error) { c, err = r.git.CommitObject(h.plumbing()); return err }); err != nil {
		return nil, nil, fmt.Errorf("read commit %s: %w", h, err)
	}
	if c.PGPSignature == "" {
		return nil, nil, nil
	}
	o := &plumbing.MemoryObject{}
	if err := c.EncodeWithoutSignature(o); err != nil {
		return nil, nil, err
	}
	rd, err := o.Reader()
	if err != nil {
		return nil, nil, err
	}
	defer rd.Close()
	var buf bytes.Buffer
	if _, err := buf.ReadFrom(rd); err != nil {
		return nil, nil, err
	}
	return buf.Bytes(), []byte(c.PGPSignature), nil
}
