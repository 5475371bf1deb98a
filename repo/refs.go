package repo

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/storer"
)

// ErrRefMoved is a ref that no longer has the value a compare-and-swap expected.
var ErrRefMoved = errors.New("ref moved")

// RefMovedError says which ref moved, and to what, or that another process
// holds its lock.
type RefMovedError struct {
	Ref           string
	Expected, Got Hash
	Locked        string // the lock file another process holds, if that is why
	// Conflict is an existing ref that the ref cannot exist beside: one
	// whose name is a directory of the other's (refs/heads/small and
	// refs/heads/small/artifacts), as git refuses.
	Conflict string
}

func (e *RefMovedError) Error() string {
	if e.Conflict != "" {
		return fmt.Sprintf("%s cannot be created: %s exists, and git keeps no ref both as a ref and as a directory of refs", e.Ref, e.Conflict)
	}
	if e.Locked != "" {
		return fmt.Sprintf("%s is being updated by another process (%s exists; remove it if no git or small is running)", e.Ref, e.Locked)
	}
	return fmt.Sprintf("%s moved underneath (expected %s, found %s)", e.Ref, short(e.Expected), short(e.Got))
}

func (e *RefMovedError) Is(target error) bool { return target == ErrRefMoved }

func short(h Hash) string {
	if h.IsZero() {
		return "none"
	}
	return h.Short()
}

// Ref returns the value of a ref (e.g. refs/heads/small/artifacts), or
// ZeroHash when it does not exist.
func (r *Repository) Ref(name string) (Hash, error) {
	ref, err := r.git.Storer.Reference(plumbing.ReferenceName(name))
	if errors.Is(err, plumbing.ErrReferenceNotFound) {
		return ZeroHash, nil
	}
	if err != nil {
		return ZeroHash, fmt.Errorf("read %s: %w", name, err)
	}
	return fromPlumbing(ref.Hash()), nil
}

// UpdateRef sets ref name to new if it still has the value old (ZeroHash:
// it must not exist), as git does: under name.lock, created exclusively,
// written, synced and renamed over the ref, so that a crash leaves the ref
// at its old or its new value. A ref that moved is a *RefMovedError.
//
// While small holds a lock it also holds an flock on it, which the kernel
// drops when the process dies: a lock left by a killed small is recognised
// as stale and taken over, so the next build completes. A lock held by a
// live small, or freshly made by git, is waited for, up to lockWait.
func (r *Repository) UpdateRef(name string, new, old Hash) error {
	if r.commonDir == "" {
		return r.updateRefInMemory(name, new, old)
	}
	if old.IsZero() {
		if other, err := r.RefConflict(name); err != nil {
			return err
		} else if other != "" {
			return &RefMovedError{Ref: name, Expected: old, Conflict: other}
		}
	}
	file := filepath.Join(r.commonDir, filepath.FromSlash(name))
	if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
		return err
	}
	lock := file + ".lock"
	f, err := acquireLock(lock)
	if err != nil {
		if errors.Is(err, errLocked) {
			return &RefMovedError{Ref: name, Expected: old, Locked: lock}
		}
		return fmt.Errorf("lock %s: %w", name, err)
	}
	committed := false
	defer func() {
		if !committed {
			os.Remove(lock)
			f.Close()
		}
	}()
	cur, err := r.Ref(name)
	if err != nil {
		return err
	}
	if cur != old {
		return &RefMovedError{Ref: name, Expected: old, Got: cur}
	}
	if _, err := io.WriteString(f, new.String()+"\n"); err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return err
	}
	if err := os.Rename(lock, file); err != nil {
		return fmt.Errorf("update %s: %w", name, err)
	}
	committed = true
	return f.Close()
}

// RefConflict names an existing ref (loose or packed) that name cannot
// exist beside: a ref that is a directory of name's, or one of whose
// directories name is. "" when there is none.
func (r *Repository) RefConflict(name string) (string, error) {
	refs, err := r.git.Storer.IterReferences()
	if err != nil {
		return "", err
	}
	defer refs.Close()
	conflict := ""
	err = refs.ForEach(func(ref *plumbing.Reference) error {
		other := ref.Name().String()
		if strings.HasPrefix(name, other+"/") || strings.HasPrefix(other, name+"/") {
			conflict = other
			return storer.ErrStop
		}
		return nil
	})
	return conflict, err
}

var errLocked = errors.New("locked")

const (
	lockWait     = 2 * time.Second
	lockStaleAge = 100 * time.Millisecond
)

// acquireLock creates lock exclusively and flocks it, taking over a stale
// lock (unflocked and older than lockStaleAge) and waiting for a live one.
func acquireLock(lock string) (*os.File, error) {
	deadline := time.Now().Add(lockWait)
	for {
		f, err := os.OpenFile(lock, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o644)
		if err == nil {
			if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
				f.Close()
				os.Remove(lock)
				return nil, err
			}
			return f, nil
		}
		if errors.Is(err, fs.ErrNotExist) && time.Now().Before(deadline) {
			// git pack-refs (git gc) removes a ref's directory once it
			// has no loose ref left: make it again, as git does.
			if err := os.MkdirAll(filepath.Dir(lock), 0o755); err != nil {
				return nil, err
			}
			continue
		}
		if !errors.Is(err, os.ErrExist) {
			return nil, err
		}
		if stale(lock) {
			os.Remove(lock)
			continue
		}
		if time.Now().After(deadline) {
			return nil, errLocked
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// stale reports whether nobody holds an existing lock file: no process has
// it flocked, and it is older than a live git would keep a lock. (A git
// transaction that holds a lock longer, git update-ref --stdin waiting for
// its commit, can lose it: see docs/protocol.md.)
func stale(lock string) bool {
	f, err := os.Open(lock)
	if err != nil {
		return false
	}
	defer f.Close()
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		return false
	}
	defer syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
	st, err := f.Stat()
	return err == nil && time.Since(st.ModTime()) > lockStaleAge
}

// updateRefInMemory is UpdateRef for a repository without a git directory.
func (r *Repository) updateRefInMemory(name string, new, old Hash) error {
	cur, err := r.Ref(name)
	if err != nil {
		return err
	}
	if cur != old {
		return &RefMovedError{Ref: name, Expected: old, Got: cur}
	}
	return r.git.Storer.SetReference(plumbing.NewHashReference(plumbing.ReferenceName(name), new.plumbing()))
}

// SymbolicRef returns the ref a symbolic ref (HEAD, refs/remotes/origin/HEAD)
// points at and that ref's value; "" and ZeroHash when it is not a symbolic
// ref or its target does not exist.
func (r *Repository) SymbolicRef(name string) (string, Hash) {
	ref, err := r.git.Storer.Reference(plumbing.ReferenceName(name))
	if err != nil || ref.Type() != plumbing.SymbolicReference {
		return "", ZeroHash
	}
	h, _ := r.Ref(ref.Target().String())
	if h.IsZero() {
		return "", ZeroHash
	}
	return ref.Target().String(), h
}

// DefaultBranchTips names the branch the content lives on and its tips:
// the branch the remote's HEAD (origin/HEAD) points at, else main, else
// master; its tips are the remote's and the local branch of the same
// name, whichever exist (a commit made here and not yet pushed is on the
// default branch of this clone). "" and none when there is no such
// branch: the branch HEAD is on is no stand-in, it may be anyone's.
func (r *Repository) DefaultBranchTips() (string, []Hash) {
	local := func(name string) []Hash {
		if h, _ := r.Ref("refs/heads/" + name); !h.IsZero() {
			return []Hash{h}
		}
		return nil
	}
	if target, h := r.SymbolicRef("refs/remotes/origin/HEAD"); !h.IsZero() {
		name := strings.TrimPrefix(target, "refs/remotes/")
		return name, append([]Hash{h}, local(strings.TrimPrefix(name, "origin/"))...)
	}
	for _, name := range []string{"main", "master"} {
		tips := local(name)
		if h, _ := r.Ref("refs/remotes/origin/" + name); !h.IsZero() {
			tips = append(tips, h)
		}
		if tips != nil {
			return name, tips
		}
	}
	return "", nil
}

// DefaultBranch names the branch a repository's content lives on, as a
// workflow's branches: filter needs it: the branch origin/HEAD points at,
// else the branch HEAD is on (unborn, in a new repository, included);
// "" when HEAD is detached and there is no origin/HEAD.
func (r *Repository) DefaultBranch() string {
	if target, h := r.SymbolicRef("refs/remotes/origin/HEAD"); !h.IsZero() {
		return strings.TrimPrefix(target, "refs/remotes/origin/")
	}
	ref, err := r.git.Storer.Reference(plumbing.HEAD)
	if err != nil || ref.Type() != plumbing.SymbolicReference || !ref.Target().IsBranch() {
		return ""
	}
	return ref.Target().Short()
}

// HeadRef is the ref HEAD names (refs/heads/<branch>), whether or not that
// branch has commits yet; "" when HEAD is detached.
func (r *Repository) HeadRef() string {
	ref, err := r.git.Storer.Reference(plumbing.HEAD)
	if err != nil || ref.Type() != plumbing.SymbolicReference {
		return ""
	}
	return ref.Target().String()
}

// CheckedOut lists the branches (full ref names) that a worktree of this
// repository has checked out, unborn ones included: this one's HEAD and
// those of its linked worktrees (git worktree add), which git keeps in
// <common dir>/worktrees/<name>/HEAD.
func (r *Repository) CheckedOut() []string {
	var out []string
	if h := r.HeadRef(); h != "" {
		out = append(out, h)
	}
	if r.commonDir == "" {
		return out
	}
	heads := []string{filepath.Join(r.commonDir, "HEAD")}
	more, _ := filepath.Glob(filepath.Join(r.commonDir, "worktrees", "*", "HEAD"))
	for _, f := range append(heads, more...) {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		if target, ok := strings.CutPrefix(strings.TrimSpace(string(b)), "ref: "); ok && !slices.Contains(out, target) {
			out = append(out, target)
		}
	}
	return out
}
