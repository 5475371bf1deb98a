package repo

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"
)

// ErrSymlink is a path that is, or passes through, a symbolic link where
// a regular file is expected and links are not followed.
var ErrSymlink = errors.New("is a symbolic link")

// FileHead is the start of a regular file and its size.
type FileHead struct {
	Head []byte // the first bytes, at most as many as asked for
	Size int64
}

// headReader is a snapshot that can read the start of a file without
// reading the rest (the working tree and trees of commits can).
type headReader interface {
	head(name string, n int) (FileHead, error)
}

// ReadHead reads the first n bytes of the regular file at name and its
// size, without reading the rest of it, and without following symbolic
// links: a path that is one, or passes through one, is ErrSymlink; a
// directory is ErrDirectory; a FIFO, device, socket or submodule is
// ErrNotRegular; a missing file wraps fs.ErrNotExist. A snapshot that
// cannot read heads (another package's wrapper) is read whole, up to max
// bytes (a larger file is a *TooLargeError).
func ReadHead(s Snapshot, name string, n int, max int64) (FileHead, error) {
	if h, ok := s.(headReader); ok {
		return h.head(name, n)
	}
	data, err := s.Read(name, max)
	if err != nil {
		return FileHead{}, err
	}
	return FileHead{Head: data[:min(n, len(data))], Size: int64(len(data))}, nil
}

func (w *workTree) head(name string, n int) (FileHead, error) {
	// Every directory on the way must be one: os.Lstat follows links in
	// all but the last element.
	full := w.root
	parts := strings.Split(name, "/")
	for i, p := range parts {
		full = filepath.Join(full, p)
		info, err := os.Lstat(full)
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) {
				return FileHead{}, fmt.Errorf("%s: %w", name, fs.ErrNotExist)
			}
			return FileHead{}, err
		}
		last := i == len(parts)-1
		switch {
		case info.Mode()&fs.ModeSymlink != 0:
			return FileHead{}, fmt.Errorf("%s: %w", strings.Join(parts[:i+1], "/"), ErrSymlink)
		case !last && !info.IsDir():
			return FileHead{}, fmt.Errorf("%s: %w", name, fs.ErrNotExist)
		case last && info.IsDir():
			return FileHead{}, ErrDirectory
		case last && !info.Mode().IsRegular():
			return FileHead{}, ErrNotRegular
		}
	}
	f, err := os.Open(full)
	if err != nil {
		return FileHead{}, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return FileHead{}, err
	}
	if !st.Mode().IsRegular() { // replaced between Lstat and Open
		return FileHead{}, ErrNotRegular
	}
	b, err := io.ReadAll(io.LimitReader(f, int64(n)))
	if err != nil {
		return FileHead{}, err
	}
	return FileHead{Head: b, Size: st.Size()}, nil
}

func (t *treeSnapshot) head(name string, n int) (out FileHead, err error) {
	err = t.r.again(func() (err error) {
		out, err = t.head1(name, n)
		return err
	})
	return out, err
}

func (t *treeSnapshot) head1(name string, n int) (FileHead, error) {
	tree, err := t.tree()
	if err != nil {
		return FileHead{}, err
	}
	parts := strings.Split(name, "/")
	for i, p := range parts {
		var entry *object.TreeEntry
		for j := range tree.Entries {
			if tree.Entries[j].Name == p {
				entry = &tree.Entries[j]
				break
			}
		}
		if entry == nil {
			return FileHead{}, fmt.Errorf("%s: %w", name, fs.ErrNotExist)
		}
		last := i == len(parts)-1
		switch {
		case entry.Mode == filemode.Symlink:
			return FileHead{}, fmt.Errorf("%s: %w", path.Join(parts[:i+1]...), ErrSymlink)
		case entry.Mode == filemode.Dir && last:
			return FileHead{}, ErrDirectory
		case entry.Mode == filemode.Dir:
			if tree, err = t.r.tree(fromPlumbing(entry.Hash)); err != nil {
				return FileHead{}, fmt.Errorf("read %s in the %s: %w", path.Join(parts[:i+1]...), t.name, err)
			}
		case !last:
			return FileHead{}, fmt.Errorf("%s: %w", name, fs.ErrNotExist)
		case entry.Mode != filemode.Regular && entry.Mode != filemode.Executable:
			return FileHead{}, ErrNotRegular
		default:
			return t.blobHead(entry.Hash, n)
		}
	}
	return FileHead{}, fmt.Errorf("%s: %w", name, fs.ErrNotExist)
}

// blobHead reads the first n bytes of a blob and its size.
func (t *treeSnapshot) blobHead(h plumbing.Hash, n int) (FileHead, error) {
	b, err := object.GetBlob(t.r.git.Storer, h)
	if errors.Is(err, plumbing.ErrObjectNotFound) {
		return FileHead{}, fmt.Errorf("its blob %s is not in this clone (a partial clone?): fetch it, e.g. git fetch origin, or git checkout the commit", fromPlumbing(h).Short())
	}
	if err != nil {
		return FileHead{}, fmt.Errorf("read blob %s: %w", h, err)
	}
	r, err := b.Reader()
	if err != nil {
		return FileHead{}, fmt.Errorf("read blob %s: %w", h, err)
	}
	defer r.Close()
	data, err := io.ReadAll(io.LimitReader(r, int64(n)))
	if err != nil {
		return FileHead{}, fmt.Errorf("read blob %s: %w", h, err)
	}
	return FileHead{Head: data, Size: b.Size}, nil
}

// BlobHead reads the first n bytes of a blob and its size, without
// reading the rest of it.
func (r *Repository) BlobHead(h Hash, n int) (out FileHead, err error) {
	t := &treeSnapshot{r: r}
	err = r.again(func() (err error) {
		out, err = t.blobHead(h.plumbing(), n)
		return err
	})
	return out, err
}
