package repo

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"
)

// Trailer is one "Key: value" line of a commit message's trailer block.
type Trailer struct{ Key, Value string }

// CommitInfo is what small reads of a commit: identity, people, message.
type CommitInfo struct {
	ID        Hash
	Tree      Hash
	Parents   []Hash
	Author    Signature
	Committer Signature
	Message   string
}

// Subject is the first line of the message.
func (c *CommitInfo) Subject() string {
	s, _, _ := strings.Cut(c.Message, "\n")
	return s
}

// Trailers parses the message's trailer block as git interpret-trailers does.
func (c *CommitInfo) Trailers() []Trailer { return ParseTrailers(c.Message) }

// Trailer returns the last value of a trailer key (case-insensitive), or "".
func (c *CommitInfo) Trailer(key string) string {
	v := ""
	for _, t := range c.Trailers() {
		if strings.EqualFold(t.Key, key) {
			v = t.Value
		}
	}
	return v
}

// ReadCommit reads a commit by id.
func (r *Repository) ReadCommit(h Hash) (*CommitInfo, error) {
	var c *object.Commit
	err := r.again(func() (err error) {
		c, err = r.git.CommitObject(h)
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
	return &CommitInfo{
		ID: c.Hash, Tree: c.TreeHash, Parents: c.ParentHashes,
		Author:    Signature{Name: c.Author.Name, Email: c.Author.Email, When: c.Author.When},
		Committer: Signature{Name: c.Committer.Name, Email: c.Committer.Email, When: c.Committer.When},
		Message:   c.Message,
	}, nil
}

// IsShallowBoundary reports whether h is where a shallow clone's history ends.
func (r *Repository) IsShallowBoundary(h Hash) bool {
	hs, err := r.git.Storer.Shallow()
	if err != nil {
		return false
	}
	for _, s := range hs {
		if s == h {
			return true
		}
	}
	return false
}

// TreeFiles lists the files below dir in a tree (all of it for ""), as
// path to blob id; a missing dir gives an empty map.
func (r *Repository) TreeFiles(tree Hash, dir string) (map[string]Hash, error) {
	var t *object.Tree
	err := r.again(func() (err error) {
		t, err = r.git.TreeObject(tree)
		return err
	})
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
	w := object.NewTreeWalker(t, true, nil)
	defer w.Close()
	for {
		name, e, err := w.Next()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("walk tree %s: %w", tree, err)
		}
		if e.Mode == filemode.Dir || e.Mode == filemode.Submodule {
			continue
		}
		if dir != "" && dir != "." {
			name = dir + "/" + name
		}
		out[name] = e.Hash
	}
}

// FileBlob returns the blob id of the file at path within tree, or ZeroHash.
func (r *Repository) FileBlob(tree Hash, path string) Hash {
	t, err := r.git.TreeObject(tree)
	if err != nil {
		return ZeroHash
	}
	e, err := t.FindEntry(path)
	if err != nil || e.Mode == filemode.Dir {
		return ZeroHash
	}
	return e.Hash
}

// PathID returns the id of the file or directory at path within tree, or
// ZeroHash.
func (r *Repository) PathID(tree Hash, path string) Hash {
	if tree.IsZero() {
		return ZeroHash
	}
	var t *object.Tree
	if r.again(func() (err error) { t, err = r.git.TreeObject(tree); return err }) != nil {
		return ZeroHash
	}
	e, err := t.FindEntry(path)
	if err != nil {
		return ZeroHash
	}
	return e.Hash
}

// EntryID returns the id of a top-level entry of tree (a file or a
// directory), or ZeroHash. Only the root tree is read.
func (r *Repository) EntryID(tree Hash, name string) Hash {
	var t *object.Tree
	if r.again(func() (err error) { t, err = r.git.TreeObject(tree); return err }) != nil {
		return ZeroHash
	}
	for _, e := range t.Entries {
		if e.Name == name {
			return e.Hash
		}
	}
	return ZeroHash
}

// SubtreeID returns the id of the tree at dir within tree, or ZeroHash.
func (r *Repository) SubtreeID(tree Hash, dir string) Hash {
	t, err := r.git.TreeObject(tree)
	if err != nil {
		return ZeroHash
	}
	e, err := t.FindEntry(dir)
	if err != nil || e.Mode != filemode.Dir {
		return ZeroHash
	}
	return e.Hash
}

// ParseTrailers returns the trailers of a commit message: the lines
// "Key: value" of its last paragraph, with continuation lines folded in, when
// that paragraph is a trailer block as git sees it (at least a quarter of
// its lines are trailers, and it is not the subject).
func ParseTrailers(msg string) []Trailer {
	msg = strings.TrimRight(msg, "\n")
	paras := strings.Split(msg, "\n\n")
	if len(paras) < 2 {
		return nil
	}
	last := strings.Split(strings.Trim(paras[len(paras)-1], "\n"), "\n")
	var out []Trailer
	trailerLines := 0
	for _, line := range last {
		if line == "" {
			continue
		}
		if (line[0] == ' ' || line[0] == '\t') && len(out) > 0 {
			out[len(out)-1].Value += " " + strings.TrimSpace(line)
			continue
		}
		key, val, ok := strings.Cut(line, ":")
		if !ok || key == "" || strings.TrimFunc(key, isTokenRune) != "" {
			continue
		}
		trailerLines++
		out = append(out, Trailer{Key: key, Value: strings.TrimSpace(val)})
	}
	if trailerLines == 0 || trailerLines*4 < len(last) {
		return nil
	}
	return out
}

func isTokenRune(r rune) bool {
	return r == '-' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9'
}
