package repo

import (
	"container/heap"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"
)

// MergeBase is the best common ancestor of a and b, as git merge-base
// gives it; of several (a criss-cross history), the least by id, so that
// every machine picks the same. A shallow clone that lacks it is a
// *ShallowError.
func (r *Repository) MergeBase(a, b Hash) (Hash, error) {
	ca, err := r.git.CommitObject(a.plumbing())
	if err != nil {
		return ZeroHash, fmt.Errorf("read commit %s: %w", a, err)
	}
	cb, err := r.git.CommitObject(b.plumbing())
	if err != nil {
		return ZeroHash, fmt.Errorf("read commit %s: %w", b, err)
	}
	bases, err := ca.MergeBase(cb)
	if errors.Is(err, plumbing.ErrObjectNotFound) {
		return ZeroHash, &ShallowError{Commit: b}
	}
	if err != nil {
		return ZeroHash, err
	}
	if len(bases) == 0 {
		if r.shallow() {
			return ZeroHash, &ShallowError{Commit: b}
		}
		return ZeroHash, fmt.Errorf("%s and %s have no common history", a.Short(), b.Short())
	}
	best := fromPlumbing(bases[0].Hash)
	for _, c := range bases[1:] {
		if h := fromPlumbing(c.Hash); h.String() < best.String() {
			best = h
		}
	}
	return best, nil
}

// IsAncestor reports whether a is b or one of its ancestors.
func (r *Repository) IsAncestor(a, b Hash) (bool, error) {
	if a == b {
		return true, nil
	}
	ca, err := r.git.CommitObject(a.plumbing())
	if err != nil {
		return false, fmt.Errorf("read commit %s: %w", a, err)
	}
	cb, err := r.git.CommitObject(b.plumbing())
	if err != nil {
		return false, fmt.Errorf("read commit %s: %w", b, err)
	}
	ok, err := ca.IsAncestor(cb)
	if errors.Is(err, plumbing.ErrObjectNotFound) {
		return false, &ShallowError{Commit: b}
	}
	return ok, err
}

// rangeSlop is how many more commits the walk reads once every commit left
// to read is known to be reachable from base, as git rev-list does, in
// case committer dates are out of order.
const rangeSlop = 5

// Range lists the commits reachable from head but not from base, merges
// included, as git rev-list base..head does, parents before children (ties
// broken by id, never by date). Committer dates only choose which commit to
// read next, as in git. A shallow clone whose history ends inside the range
// is a *ShallowError.
func (r *Repository) Range(base, head Hash) ([]*Commit, error) {
	type state struct {
		c             *object.Commit
		uninteresting bool
		queued        bool // pushed once, as git's SEEN
		done          bool // popped: its parents are queued
	}
	states := map[Hash]*state{}
	q := &commitQueue{}
	load := func(h Hash) (*state, error) {
		if s, ok := states[h]; ok {
			return s, nil
		}
		c, err := r.git.CommitObject(h.plumbing())
		if err != nil {
			return nil, err
		}
		s := &state{c: c}
		states[h] = s
		return s, nil
	}
	enqueue := func(h Hash, s *state) {
		if !s.queued {
			s.queued = true
			heap.Push(q, queued{h: h, when: s.c.Committer.When.Unix()})
		}
	}
	for _, start := range []struct {
		h             Hash
		uninteresting bool
	}{{head, false}, {base, true}} {
		s, err := load(start.h)
		if err != nil {
			return nil, fmt.Errorf("read commit %s: %w", start.h, err)
		}
		s.uninteresting = s.uninteresting || start.uninteresting
		enqueue(start.h, s)
	}
	// markUninteresting spreads "reachable from base" to h's ancestors
	// that have been read already, as git's mark_parents_uninteresting.
	var markUninteresting func(h Hash)
	markUninteresting = func(h Hash) {
		s, ok := states[h]
		if !ok || s.uninteresting {
			return
		}
		s.uninteresting = true
		if s.done {
			for _, p := range s.c.ParentHashes {
				markUninteresting(fromPlumbing(p))
			}
		}
	}
	everybodyUninteresting := func() bool {
		for _, it := range *q {
			if !states[it.h].uninteresting {
				return false
			}
		}
		return true
	}
	// stillInteresting is git's: after an uninteresting commit dated
	// when, the walk goes on while a queued commit is as new or newer, or
	// any queued commit is interesting, and then rangeSlop commits more.
	stillInteresting := func(when int64, slop int) int {
		switch {
		case q.Len() == 0:
			return 0
		case when <= (*q)[0].when, !everybodyUninteresting():
			return rangeSlop
		}
		return slop - 1
	}
	slop := rangeSlop
	for q.Len() > 0 {
		it := heap.Pop(q).(queued)
		h := it.h
		s := states[h]
		s.done = true
		for _, p := range s.c.ParentHashes {
			ph := fromPlumbing(p)
			ps, err := load(ph)
			if errors.Is(err, plumbing.ErrObjectNotFound) {
				if s.uninteresting {
					continue // history before base that a shallow clone lacks
				}
				return nil, &ShallowError{Commit: h}
			}
			if err != nil {
				return nil, fmt.Errorf("read commit %s: %w", ph, err)
			}
			if s.uninteresting {
				markUninteresting(ph)
			}
			enqueue(ph, ps)
		}
		if s.uninteresting {
			if slop = stillInteresting(it.when, slop); slop == 0 {
				break
			}
			continue
		}
		if len(s.c.ParentHashes) == 0 && r.IsShallowBoundary(h) {
			return nil, &ShallowError{Commit: h}
		}
	}
	in := map[Hash]*object.Commit{}
	for h, s := range states {
		if s.done && !s.uninteresting {
			in[h] = s.c
		}
	}
	// Parents before children: emit a commit once its parents in the
	// range are out, the least id first among those ready.
	waiting := map[Hash]int{}
	children := map[Hash][]Hash{}
	for h, c := range in {
		for _, p := range c.ParentHashes {
			if _, ok := in[fromPlumbing(p)]; ok {
				waiting[h]++
				children[fromPlumbing(p)] = append(children[fromPlumbing(p)], h)
			}
		}
	}
	var ready []Hash
	for h := range in {
		if waiting[h] == 0 {
			ready = append(ready, h)
		}
	}
	out := make([]*Commit, 0, len(in))
	for len(ready) > 0 {
		slices.SortFunc(ready, func(a, b Hash) int { return strings.Compare(b.String(), a.String()) })
		h := ready[len(ready)-1]
		ready = ready[:len(ready)-1]
		out = append(out, commitOf(in[h]))
		for _, ch := range children[h] {
			if waiting[ch]--; waiting[ch] == 0 {
				ready = append(ready, ch)
			}
		}
	}
	return out, nil
}

// EntryKind says what a file entry of a tree is.
type EntryKind int

// Kinds of tree entries that hold content.
const (
	Absent     EntryKind = iota // no entry at that path
	File                        // a regular file
	Executable                  // a regular file with the executable bit
	Symlink                     // a symbolic link
	Submodule                   // a commit of another repository (gitlink)
)

func (k EntryKind) String() string {
	return [...]string{"nothing", "a file", "an executable file", "a symbolic link", "a submodule"}[k]
}

func kindOf(m filemode.FileMode) EntryKind {
	switch m {
	case filemode.Executable:
		return Executable
	case filemode.Symlink:
		return Symlink
	case filemode.Submodule:
		return Submodule
	}
	return File
}

// PathChange is a path whose entry differs between two trees.
type PathChange struct {
	Path             string
	Old, New         Hash // ZeroHash where absent
	OldKind, NewKind EntryKind
}

// Changes lists the paths whose entry (content or kind) differs from tree
// old to tree new, in path order, descending only into subtrees that differ;
// symbolic links and submodules are entries like files. Either tree may be
// ZeroHash (empty).
func (r *Repository) Changes(old, new Hash) ([]PathChange, error) {
	var out []PathChange
	entries := func(h Hash) (map[string]object.TreeEntry, error) {
		m := map[string]object.TreeEntry{}
		if h.IsZero() {
			return m, nil
		}
		t, err := r.tree(h)
		if err != nil {
			return nil, fmt.Errorf("read tree %s: %w", h, err)
		}
		for _, e := range t.Entries {
			m[e.Name] = e
		}
		return m, nil
	}
	var walk func(a, b Hash, prefix string) error
	walk = func(a, b Hash, prefix string) error {
		if a == b {
			return nil
		}
		ea, err := entries(a)
		if err != nil {
			return err
		}
		eb, err := entries(b)
		if err != nil {
			return err
		}
		names := map[string]bool{}
		for n := range ea {
			names[n] = true
		}
		for n := range eb {
			names[n] = true
		}
		for _, n := range slices.Sorted(func(yield func(string) bool) {
			for n := range names {
				if !yield(n) {
					return
				}
			}
		}) {
			p := n
			if prefix != "" {
				p = prefix + "/" + n
			}
			x, inA := ea[n]
			y, inB := eb[n]
			dirA, dirB := inA && x.Mode == filemode.Dir, inB && y.Mode == filemode.Dir
			subA, subB := ZeroHash, ZeroHash
			if dirA {
				subA = fromPlumbing(x.Hash)
			}
			if dirB {
				subB = fromPlumbing(y.Hash)
			}
			if dirA || dirB {
				if err := walk(subA, subB, p); err != nil {
					return err
				}
			}
			fileA, fileB := inA && !dirA, inB && !dirB
			if !fileA && !fileB {
				continue
			}
			c := PathChange{Path: p}
			if fileA {
				c.Old, c.OldKind = fromPlumbing(x.Hash), kindOf(x.Mode)
			}
			if fileB {
				c.New, c.NewKind = fromPlumbing(y.Hash), kindOf(y.Mode)
			}
			if c.Old != c.New || c.OldKind != c.NewKind {
				out = append(out, c)
			}
		}
		return nil
	}
	if err := walk(old, new, ""); err != nil {
		return nil, err
	}
	slices.SortFunc(out, func(a, b PathChange) int { return strings.Compare(a.Path, b.Path) })
	return out, nil
}
