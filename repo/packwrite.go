package repo

import (
	"bufio"
	"compress/zlib"
	"crypto/sha1"
	"fmt"
	"hash"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/go-git/go-billy/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/format/idxfile"
)

// writePack writes objects as one packfile and its index into dir
// (objects/pack), in the order git writes them: the pack under a
// temporary name, synced and renamed into place, then its index the same
// way, then the directory. Until the index is there, no git sees the pack
// (git lists packs by their index) and neither does small (packsWithIndex);
// a kill leaves at worst a temporary file or a pack without an index,
// which nothing reads. (go-git's own writer names the index first, and
// git gc deletes an index it finds without its pack: a git gc finishing
// at that moment took the pack's objects with it.)
func writePack(dir string, objects []plumbing.Hash, get func(plumbing.Hash) (plumbing.EncodedObject, error)) (plumbing.Hash, error) {
	f, err := os.CreateTemp(dir, "tmp_pack_")
	if err != nil {
		return plumbing.ZeroHash, err
	}
	tmp := f.Name()
	defer func() {
		f.Close()
		os.Remove(tmp) // gone already when renamed
	}()
	pw := &packStream{w: bufio.NewWriterSize(f, 1<<16), sum: sha1.New(), crc: crc32.NewIEEE()}
	// The header: "PACK", version 2, the number of objects.
	pw.write([]byte{'P', 'A', 'C', 'K', 0, 0, 0, 2,
		byte(len(objects) >> 24), byte(len(objects) >> 16), byte(len(objects) >> 8), byte(len(objects))})
	var idx idxfile.Writer
	zw := zlib.NewWriter(pw)
	for _, h := range objects {
		o, err := get(h)
		if err != nil {
			return plumbing.ZeroHash, err
		}
		at := pw.n
		pw.crc.Reset()
		pw.write(entryHeader(o.Type(), o.Size()))
		r, err := o.Reader()
		if err != nil {
			return plumbing.ZeroHash, err
		}
		zw.Reset(pw)
		_, err = io.Copy(zw, r)
		r.Close()
		if err == nil {
			err = zw.Close()
		}
		if err == nil {
			err = pw.err
		}
		if err != nil {
			return plumbing.ZeroHash, err
		}
		idx.Add(h, uint64(at), pw.crc.Sum32())
	}
	var sum plumbing.Hash
	copy(sum[:], pw.sum.Sum(nil))
	if _, err := pw.w.Write(sum[:]); err != nil {
		return plumbing.ZeroHash, err
	}
	if pw.err != nil {
		return plumbing.ZeroHash, pw.err
	}
	if err := finishFile(f, pw.w); err != nil {
		return plumbing.ZeroHash, err
	}
	if err := idx.OnFooter(sum); err != nil {
		return plumbing.ZeroHash, err
	}
	index, err := idx.Index()
	if err != nil {
		return plumbing.ZeroHash, err
	}
	fi, err := os.CreateTemp(dir, "tmp_idx_")
	if err != nil {
		return plumbing.ZeroHash, err
	}
	tmpIdx := fi.Name()
	defer func() {
		fi.Close()
		os.Remove(tmpIdx)
	}()
	bi := bufio.NewWriterSize(fi, 1<<16)
	if _, err := idxfile.NewEncoder(bi).Encode(index); err != nil {
		return plumbing.ZeroHash, err
	}
	if err := finishFile(fi, bi); err != nil {
		return plumbing.ZeroHash, err
	}
	base := filepath.Join(dir, "pack-"+sum.String())
	if err := os.Rename(tmp, base+".pack"); err != nil {
		return plumbing.ZeroHash, err
	}
	if err := os.Rename(tmpIdx, base+".idx"); err != nil {
		return plumbing.ZeroHash, err
	}
	return sum, syncDir(dir)
}

// packStream is the pack as it is written: counted, hashed for the
// trailer, and each entry's bytes summed for the index.
type packStream struct {
	w   *bufio.Writer
	sum hash.Hash
	crc hash.Hash32
	n   int64
	err error
}

func (p *packStream) Write(b []byte) (int, error) {
	p.write(b)
	return len(b), p.err
}

func (p *packStream) write(b []byte) {
	if p.err != nil {
		return
	}
	if _, p.err = p.w.Write(b); p.err != nil {
		return
	}
	p.sum.Write(b)
	p.crc.Write(b)
	p.n += int64(len(b))
}

// entryHeader is a pack entry's header: its type and size, seven bits at a
// time after the first four.
func entryHeader(t plumbing.ObjectType, size int64) []byte {
	c := byte(t)<<4 | byte(size&0x0f)
	size >>= 4
	var out []byte
	for size > 0 {
		out = append(out, c|0x80)
		c = byte(size & 0x7f)
		size >>= 7
	}
	return append(out, c)
}

// finishFile flushes, syncs, makes read-only (as git leaves packs) and
// closes a file.
func finishFile(f *os.File, w *bufio.Writer) error {
	if err := w.Flush(); err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return err
	}
	if err := f.Chmod(0o444); err != nil {
		return err
	}
	return f.Close()
}

// packsWithIndex is the git directory as go-git reads it, but for a pack
// without its index, which it leaves out of objects/pack, as git does: a
// pack being written (its index comes next) or left so by a kill, that
// go-git would otherwise fail to open at every read.
type packsWithIndex struct{ billy.Filesystem }

func (p packsWithIndex) ReadDir(path string) ([]os.FileInfo, error) {
	entries, err := p.Filesystem.ReadDir(path)
	if err != nil || filepath.ToSlash(filepath.Clean(path)) != "objects/pack" {
		return entries, err
	}
	idx := map[string]bool{}
	for _, e := range entries {
		if base, ok := strings.CutSuffix(e.Name(), ".idx"); ok {
			idx[base] = true
		}
	}
	out := entries[:0:0]
	for _, e := range entries {
		if base, ok := strings.CutSuffix(e.Name(), ".pack"); ok && !idx[base] {
			continue
		}
		out = append(out, e)
	}
	return out, nil
}

// Chmod is the underlying file system's, when it has one.
func (p packsWithIndex) Chmod(name string, mode os.FileMode) error {
	if c, ok := p.Filesystem.(billy.Chmod); ok {
		return c.Chmod(name, mode)
	}
	return fmt.Errorf("chmod %s: not supported", name)
}
