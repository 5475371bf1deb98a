package repo

import (
	"container/heap"
	"errors"
	"fmt"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
)

// ShallowError is history a question needs that a shallow clone lacks.
type ShallowError struct{ Commit Hash }

func (e *ShallowError) Error() string {
	return fmt.Sprintf("history before commit %s is not in this shallow clone: fetch more (git fetch --deepen=N, or git fetch --unshallow)", e.Commit.Short())
}

// Introductions finds, for each path below dir, the newest commit at or
// before from (by committer date) whose version of the path is the target
// blob while none of its parents' is: the commit that introduced that
// version. known gives the files below dir of commits whose objects may be
// missing (e.g. the previous build's manifest commit, known from its index),
// so that a shallow clone whose history reaches back to them needs no more.
func (r *Repository) Introductions(from Hash, dir string, targets map[string]Hash, known map[Hash]map[string]Hash) (map[string]Hash, error) {
	found := make(map[string]Hash, len(targets))
	if len(targets) == 0 {
		return found, nil
	}
	pending := make(map[string]Hash, len(targets))
	for p, h := range targets {
		pending[p] = h
	}
	q := &commitQueue{}
	seen := map[Hash]bool{}
	push := func(h Hash) error {
		if seen[h] {
			return nil
		}
		seen[h] = true
		c, err := r.git.CommitObject(h.plumbing())
		if err != nil {
			return err
		}
		heap.Push(q, queued{h: h, when: c.Committer.When.Unix(), tree: fromPlumbing(c.TreeHash), parents: fromPlumbingAll(c.ParentHashes)})
		return nil
	}
	if err := push(from); err != nil {
		return nil, fmt.Errorf("read commit %s: %w", from, err)
	}
	for q.Len() > 0 && len(pending) > 0 {
		c := heap.Pop(q).(queued)
		sub := r.DirAt(c.tree, dir)
		// changed: the paths whose version here differs from every parent's.
		var changed map[string]Hash
		for i, p := range c.parents {
			var diff map[string]Hash
			if files, ok := known[p]; ok && !r.HasCommit(p) {
				all, err := r.filesBelow(sub, dir)
				if err != nil {
					return nil, err
				}
				diff = map[string]Hash{}
				for path, h := range all {
					if files[path] != h {
						diff[path] = h
					}
				}
			} else {
				pc, err := r.git.CommitObject(p.plumbing())
				if errors.Is(err, plumbing.ErrObjectNotFound) {
					return nil, &ShallowError{Commit: c.h}
				}
				if err != nil {
					return nil, fmt.Errorf("read commit %s: %w", p, err)
				}
				if diff, err = r.DiffTrees(sub, r.DirAt(fromPlumbing(pc.TreeHash), dir), dir); err != nil {
					return nil, err
				}
				if err := push(p); err != nil {
					return nil, err
				}
			}
			if i == 0 {
				changed = diff
				continue
			}
			for path := range changed {
				if _, ok := diff[path]; !ok {
					delete(changed, path)
				}
			}
		}
		if len(c.parents) == 0 {
			if r.IsShallowBoundary(c.h) {
				return nil, &ShallowError{Commit: c.h}
			}
			var err error
			if changed, err = r.filesBelow(sub, dir); err != nil {
				return nil, err
			}
		}
		for path, h := range changed {
			if want, ok := pending[path]; ok && want == h {
				found[path] = c.h
				delete(pending, path)
			}
		}
	}
	for path := range pending {
		return nil, fmt.Errorf("no commit at or before %s introduced %s", from.Short(), path)
	}
	return found, nil
}

// filesBelow lists the files of tree t (the tree at dir), as full paths.
func (r *Repository) filesBelow(t Hash, dir string) (map[string]Hash, error) {
	if t.IsZero() {
		return map[string]Hash{}, nil
	}
	return r.DiffTrees(t, ZeroHash, dir)
}

// DiffTrees returns the files of tree a (at prefix) whose blob differs from
// tree b's, that are a symbolic link on one side only, or that b lacks,
// descending only into subtrees that differ.
// Either tree may be ZeroHash (empty).
func (r *Repository) DiffTrees(a, b Hash, prefix string) (map[string]Hash, error) {
	if prefix == "." {
		prefix = "" // the top of the repository
	}
	out := map[string]Hash{}
	var walk func(a, b Hash, prefix string) error
	walk = func(a, b Hash, prefix string) error {
		if a == b || a.IsZero() {
			return nil
		}
		ta, err := r.tree(a)
		if err != nil {
			return fmt.Errorf("read tree %s: %w", a, err)
		}
		bEntries := map[string]Hash{}
		bDirs := map[string]bool{}
		bModes := map[string]filemode.FileMode{}
		if !b.IsZero() {
			tb, err := r.tree(b)
			if err != nil {
				return fmt.Errorf("read tree %s: %w", b, err)
			}
			for _, e := range tb.Entries {
				bEntries[e.Name] = fromPlumbing(e.Hash)
				bDirs[e.Name] = e.Mode == filemode.Dir
				bModes[e.Name] = e.Mode
			}
		}
		for _, e := range ta.Entries {
			p := e.Name
			if prefix != "" {
				p = prefix + "/" + e.Name
			}
			switch {
			case e.Mode == filemode.Dir:
				other := ZeroHash
				if bDirs[e.Name] {
					other = bEntries[e.Name]
				}
				if err := walk(fromPlumbing(e.Hash), other, p); err != nil {
					return err
				}
			case e.Mode == filemode.Submodule:
			default:
				// A link and a file with the same bytes are not the same
				// entry: the link's bytes are a path.
				if h, ok := bEntries[e.Name]; !ok || h != fromPlumbing(e.Hash) || bDirs[e.Name] || (bModes[e.Name] == filemode.Symlink) != (e.Mode == filemode.Symlink) {
					out[p] = fromPlumbing(e.Hash)
				}
			}
		}
		return nil
	}
	return out, walk(a, b, prefix)
}

type queued struct {
	h       Hash
	when    int64
	tree    Hash
	parents []Hash
}

// commitQueue pops the newest commit first; ties go by id for determinism.
type commitQueue []queued

func (q commitQueue) Len() int { return len(q) }
func (q commitQueue) Less(i, j int) bool {
	if q[i].when != q[j].when {
		return q[i].when > q[j].when
	}
	return q[i].h.String() < q[j].h.String()
}
func (q commitQueue) Swap(i, j int) { q[i], q[j] = q[j], q[i] }
func (q *commitQueue) Push(x any)   { *q = append(*q, x.(queued)) }
func (q *commitQueue) Pop() any {
	old := *q
	x := old[len(old)-1]
	*q = old[:len(old)-1]
	return x
}

// CommitsBetween lists the commits reachable from head but not from base
// (git rev-list base..head), newest first by committer date.
func (r *Repository) CommitsBetween(base, head Hash) ([]*Commit, error) {
	hc, err := r.git.CommitObject(head.plumbing())
	if err != nil {
		return nil, fmt.Errorf("read commit %s: %w", head, err)
	}
	bc, err := r.git.CommitObject(base.plumbing())
	if err != nil {
		return nil, fmt.Errorf("read commit %s: %w", base, err)
	}
	stop := map[Hash]bool{}
	bases, err := hc.MergeBase(bc)
	if err != nil {
		var shallow *ShallowError
		if errors.As(err, &shallow) || errors.Is(err, plumbing.ErrObjectNotFound) {
			return nil, &ShallowError{Commit: head}
		}
		return nil, err
	}
	for _, b := range bases {
		stop[fromPlumbing(b.Hash)] = true
	}
	var out []*Commit
	seen := map[Hash]bool{}
	queue := []Hash{head}
	for len(queue) > 0 {
		h := queue[0]
		queue = queue[1:]
		if seen[h] || stop[h] {
			continue
		}
		seen[h] = true
		c, err := r.ReadCommit(h)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
		queue = append(queue, c.Parents...)
	}
	return out, nil
}
