package repo

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"
)

// Errors of Read that say what a path is instead of a file; both snapshots
// give the same ones, so the working tree and a commit read alike.
var (
	ErrOutsideRepository = errors.New("symbolic link leads outside the repository")
	ErrDanglingLink      = errors.New("symbolic link leads to nothing")
	ErrLinkLoop          = errors.New("symbolic links loop")
	ErrDirectory         = errors.New("is a directory")
	ErrNotRegular        = errors.New("is not a regular file (a FIFO, device or socket)")
)

// TooLargeError is a file over the size a caller accepts.
type TooLargeError struct{ Size, Max int64 }

func (e *TooLargeError) Error() string {
	return fmt.Sprintf("file is %d bytes, more than the limit of %d (limits.manifestBytes)", e.Size, e.Max)
}

// FileEntry is a file in a snapshot.
type FileEntry struct {
	Path    string // repository-relative, slash-separated
	Size    int64
	Symlink bool
}

// Snapshot is a set of files to read content from: a commit's tree or the
// working tree. Paths are repository-relative and slash-separated.
// A Snapshot of a commit is not safe for concurrent use.
type Snapshot interface {
	// Name says what the snapshot is, e.g. "working tree" or "commit 1a2b3c4d".
	Name() string
	// Files lists the files below dir, sorted by path; none if dir is missing.
	Files(dir string) ([]FileEntry, error)
	// Read returns a file's bytes, following symbolic links that stay inside
	// the repository. A file larger than max is a *TooLargeError.
	Read(name string, max int64) ([]byte, error)
}

// maxLinkHops bounds how many symbolic links one Read follows.
const maxLinkHops = 8

// WorkingTree is the snapshot of the files on disk in the working tree.
func (r *Repository) WorkingTree() Snapshot { return &workTree{root: r.root} }

type workTree struct{ root string }

func (w *workTree) Name() string { return "working tree" }

func (w *workTree) Files(dir string) ([]FileEntry, error) {
	base := filepath.Join(w.root, filepath.FromSlash(dir))
	var out []FileEntry
	err := filepath.WalkDir(base, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if p == base && errors.Is(err, fs.ErrNotExist) {
				return fs.SkipAll
			}
			return err
		}
		if d.IsDir() {
			if d.Name() == ".git" {
				return fs.SkipDir
			}
			return nil
		}
		// FIFOs, sockets and devices are listed too: Read refuses them
		// without opening them, so validation reports them.
		rel, err := filepath.Rel(w.root, p)
		if err != nil {
			return err
		}
		var size int64
		if info, err := d.Info(); err == nil {
			size = info.Size()
		}
		out = append(out, FileEntry{Path: filepath.ToSlash(rel), Size: size, Symlink: d.Type()&fs.ModeSymlink != 0})
		return nil
	})
	slices.SortFunc(out, func(a, b FileEntry) int { return strings.Compare(a.Path, b.Path) })
	return out, err
}

func (w *workTree) Read(name string, max int64) ([]byte, error) {
	full := filepath.Join(w.root, filepath.FromSlash(name))
	info, err := os.Lstat(full)
	if err != nil {
		return nil, err
	}
	if info.Mode()&fs.ModeSymlink != 0 {
		target, err := filepath.EvalSymlinks(full)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			return nil, ErrDanglingLink
		case err != nil && strings.Contains(err.Error(), "too many links"):
			return nil, ErrLinkLoop
		case err != nil:
			return nil, err
		}
		root, err := filepath.EvalSymlinks(w.root)
		if err != nil {
			return nil, err
		}
		if rel, err := filepath.Rel(root, target); err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
			return nil, ErrOutsideRepository
		}
		full = target
		if info, err = os.Stat(full); err != nil {
			return nil, err
		}
	}
	// Never open what is not a regular file: opening a FIFO waits forever.
	switch {
	case info.IsDir():
		return nil, ErrDirectory
	case !info.Mode().IsRegular():
		return nil, ErrNotRegular
	}
	f, err := os.Open(full)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	// Read at most max+1 bytes: the size may change between stat and read.
	b, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > max {
		st, _ := f.Stat()
		return nil, &TooLargeError{Size: st.Size(), Max: max}
	}
	return b, nil
}

// Snapshot is the snapshot of a commit's tree.
func (r *Repository) Snapshot(c *Commit) Snapshot {
	return r.TreeSnapshot(c.Tree, "commit "+c.ID.Short())
}

// TreeSnapshot is the snapshot of a tree, named for messages (e.g. "index").
func (r *Repository) TreeSnapshot(tree Hash, name string) Snapshot {
	return &treeSnapshot{r: r, id: tree, name: name, blobs: map[string]plumbing.Hash{}}
}

type treeSnapshot struct {
	r    *Repository
	id   Hash // the root tree
	name string
	root *object.Tree // read on first use
	// blobs remembers the blob of every regular file Files has listed, so
	// that Read need not walk the tree again for each file.
	blobs map[string]plumbing.Hash
}

func (t *treeSnapshot) Name() string { return t.name }

// tree is the commit's root tree.
func (t *treeSnapshot) tree() (*object.Tree, error) {
	if t.root == nil {
		root, err := t.r.tree(t.id)
		if err != nil {
			return nil, fmt.Errorf("read the tree of the %s: %w", t.name, err)
		}
		t.root = root
	}
	return t.root, nil
}

// Files and Read read again, once, when git gc replaced a pack meanwhile.
func (t *treeSnapshot) Files(dir string) (out []FileEntry, err error) {
	err = t.r.again(func() (err error) {
		out, err = t.files(dir)
		return err
	})
	return out, err
}

func (t *treeSnapshot) Read(name string, max int64) (out []byte, err error) {
	err = t.r.again(func() (err error) {
		out, err = t.read(name, max)
		return err
	})
	return out, err
}

func (t *treeSnapshot) files(dir string) ([]FileEntry, error) {
	tree, err := t.tree()
	if err != nil {
		return nil, err
	}
	if dir != "" && dir != "." {
		sub, err := tree.Tree(dir)
		if errors.Is(err, object.ErrDirectoryNotFound) {
			return nil, nil
		}
		if err != nil {
			return nil, fmt.Errorf("read %s in the %s: %w", dir, t.name, err)
		}
		tree = sub
	}
	var out []FileEntry
	prefix := ""
	if dir != "" && dir != "." {
		prefix = dir
	}
	err = t.r.walkFiles(tree, prefix, func(p string, entry object.TreeEntry) {
		switch entry.Mode {
		case filemode.Regular, filemode.Executable:
			t.blobs[p] = entry.Hash
		case filemode.Symlink:
		default:
			return
		}
		out = append(out, FileEntry{Path: p, Symlink: entry.Mode == filemode.Symlink})
	})
	if err != nil {
		return nil, fmt.Errorf("walk %s in the %s: %w", dir, t.name, err)
	}
	slices.SortFunc(out, func(a, b FileEntry) int { return strings.Compare(a.Path, b.Path) })
	return out, nil
}

func (t *treeSnapshot) read(name string, max int64) ([]byte, error) {
	if h, ok := t.blobs[name]; ok {
		return t.readBlob(h, max)
	}
	root, err := t.tree()
	if err != nil {
		return nil, err
	}
	for hop := 0; ; hop++ {
		f, err := root.File(name)
		if errors.Is(err, plumbing.ErrObjectNotFound) {
			return nil, fmt.Errorf("its blob is not in this clone (a partial clone?): fetch it, e.g. git fetch origin, or git checkout the commit")
		}
		if errors.Is(err, object.ErrFileNotFound) || errors.Is(err, object.ErrDirectoryNotFound) {
			if _, terr := root.Tree(name); terr == nil {
				return nil, ErrDirectory
			}
			if hop > 0 {
				return nil, ErrDanglingLink
			}
			return nil, fmt.Errorf("%s: %w", name, fs.ErrNotExist)
		}
		if err != nil {
			return nil, fmt.Errorf("read %s in the %s: %w", name, t.name, err)
		}
		if f.Mode == filemode.Submodule {
			return nil, ErrNotRegular
		}
		if f.Mode == filemode.Symlink {
			if hop == maxLinkHops {
				return nil, ErrLinkLoop
			}
			target, err := blobBytes(f, 4096)
			if err != nil {
				return nil, err
			}
			next := path.Join(path.Dir(name), string(target))
			if path.IsAbs(string(target)) || next == ".." || strings.HasPrefix(next, "../") {
				return nil, ErrOutsideRepository
			}
			name = next
			continue
		}
		if f.Size > max {
			return nil, &TooLargeError{Size: f.Size, Max: max}
		}
		return blobBytes(f, max)
	}
}

// readBlob reads a blob by id, refusing one larger than max before reading it.
func (t *treeSnapshot) readBlob(h plumbing.Hash, max int64) ([]byte, error) {
	b, err := object.GetBlob(t.r.git.Storer, h)
	if errors.Is(err, plumbing.ErrObjectNotFound) {
		return nil, fmt.Errorf("its blob %s is not in this clone (a partial clone?): fetch it, e.g. git fetch origin, or git checkout the commit", fromPlumbing(h).Short())
	}
	if err != nil {
		return nil, fmt.Errorf("read blob %s: %w", h, err)
	}
	if b.Size > max {
		return nil, &TooLargeError{Size: b.Size, Max: max}
	}
	r, err := b.Reader()
	if err != nil {
		return nil, fmt.Errorf("read blob %s: %w", h, err)
	}
	defer r.Close()
	return io.ReadAll(io.LimitReader(r, max+1))
}

func blobBytes(f *object.File, max int64) ([]byte, error) {
	r, err := f.Reader()
	if errors.Is(err, plumbing.ErrObjectNotFound) {
		return nil, fmt.Errorf("its blob %s is not in this clone (a partial clone?): fetch it, e.g. git fetch origin, or git checkout the commit", fromPlumbing(f.Hash).Short())
	}
	if err != nil {
		return nil, fmt.Errorf("read blob %s: %w", f.Hash, err)
	}
	defer r.Close()
	return io.ReadAll(io.LimitReader(r, max+1))
}

// TreeOf is the root tree of a snapshot of a commit or a tree: the same id
// means the same files, byte for byte, so what is read of them may be kept
// across snapshots. ok is false for the working tree, whose files change.
func TreeOf(s Snapshot) (Hash, bool) {
	if t, ok := s.(*treeSnapshot); ok {
		return t.id, true
	}
	return Hash{}, false
}
