package repo

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/format/packfile"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/plumbing/storer"
	"github.com/go-git/go-git/v5/storage/memory"
)

// Hash is a Git object id.
type Hash = plumbing.Hash

// ZeroHash is the id of no object: as an old value, "the ref must not exist".
var ZeroHash = plumbing.ZeroHash

// ParseHash reads a full hex object id.
func ParseHash(s string) (Hash, bool) {
	if len(s) != 40 || strings.Trim(s, "0123456789abcdef") != "" {
		return ZeroHash, false
	}
	return plumbing.NewHash(s), true
}

// Signature is a commit's author or committer.
type Signature struct {
	Name  string
	Email string
	When  time.Time // its zone is kept
}

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
	hashes []Hash
	seen   map[Hash]bool
}

// NewObjectWriter starts a batch of objects.
func (r *Repository) NewObjectWriter() *ObjectWriter {
	return &ObjectWriter{r: r, mem: memory.NewStorage(), seen: map[Hash]bool{}}
}

func (w *ObjectWriter) put(o plumbing.EncodedObject) (Hash, error) {
	h := o.Hash()
	if w.seen[h] {
		return h, nil
	}
	// Objects the repository has already need not be written again.
	if w.r.git.Storer.HasEncodedObject(h) == nil {
		w.seen[h] = true
		return h, nil
	}
	if _, err := w.mem.SetEncodedObject(o); err != nil {
		return ZeroHash, err
	}
	w.seen[h] = true
	w.hashes = append(w.hashes, h)
	return h, nil
}

// Blob stages a blob and returns its id.
func (w *ObjectWriter) Blob(data []byte) (Hash, error) {
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
		t.Entries[i] = object.TreeEntry{Name: e.Name, Mode: mode, Hash: e.Hash}
	}
	// Git orders a tree's entries by name, a directory as if its name ended in "/".
	sort.Slice(t.Entries, func(i, j int) bool { return treeKey(t.Entries[i]) < treeKey(t.Entries[j]) })
	o := w.mem.NewEncodedObject()
	if err := t.Encode(o); err != nil {
		return ZeroHash, err
	}
	return w.put(o)
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
		TreeHash:     c.Tree,
		ParentHashes: c.Parents,
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

// Len is the number of objects staged that the repository lacks.
func (w *ObjectWriter) Len() int { return len(w.hashes) }

// Flush writes the staged objects as one packfile with its index. A crash
// midway leaves at worst a temporary file; no ref points at the objects yet.
func (w *ObjectWriter) Flush() error {
	if len(w.hashes) == 0 {
		return nil
	}
	pw, ok := w.r.git.Storer.(storer.PackfileWriter)
	if !ok {
		return errors.New("the repository's storage cannot take a packfile")
	}
	out, err := pw.PackfileWriter()
	if err != nil {
		return fmt.Errorf("start packfile: %w", err)
	}
	enc := packfile.NewEncoder(out, w.mem, false)
	if _, err := enc.Encode(w.hashes, 0); err != nil {
		out.Close()
		return fmt.Errorf("write packfile: %w", err)
	}
	if err := out.Close(); err != nil {
		return fmt.Errorf("write packfile: %w", err)
	}
	w.hashes = nil
	w.mem = memory.NewStorage()
	return nil
}

// ErrRefMoved is a ref that no longer has the value a compare-and-swap expected.
var ErrRefMoved = errors.New("ref moved")

// RefMovedError says which ref moved, and to what, or that another process
// holds its lock.
type RefMovedError struct {
	Ref           string
	Expected, Got Hash
	Locked        string // the lock file another process holds, if that is why
}

func (e *RefMovedError) Error() string {
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
	return h.String()[:12]
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
	return ref.Hash(), nil
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
// it flocked, and it is older than a live git would keep a lock.
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

// ReadBlob returns a blob's bytes.
func (r *Repository) ReadBlob(h Hash) ([]byte, error) {
	var b *object.Blob
	err := r.again(func() (err error) {
		b, err = r.git.BlobObject(h)
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
