package repo

import (
	"bufio"
	"bytes"
	"compress/zlib"
	"crypto/sha1"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"sync"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/format/idxfile"
)

// BlobID is the id Git gives a blob of these bytes, computed without
// staging or writing anything.
func BlobID(data []byte) Hash {
	return fromPlumbing(plumbing.ComputeHash(plumbing.BlobObject, data))
}

// A spool holds the blobs of a large write on disk as they come, as the
// body of the packfile Flush makes of them, so that a build of 100,000
// artifacts holds none of their bytes in memory: each is compressed by the
// goroutine that spools it and appended to a temporary file in
// objects/pack (tmp_pack_*, which git's own gc removes if small is killed
// before it finishes). What stays in memory is a few dozen bytes per blob.
type spool struct {
	mu      sync.Mutex
	f       *os.File
	off     int64 // where the next entry goes; the pack header comes first
	entries map[plumbing.Hash]spoolEntry
	order   []plumbing.Hash
	err     error // the first write that failed: the spool is unusable
}

// spoolEntry is one blob in the spool file.
type spoolEntry struct {
	off  int64  // of its pack entry header
	hdr  uint32 // length of that header
	clen uint32 // length of its compressed bytes
	crc  uint32 // of header and compressed bytes, for the pack index
	size int64  // of the blob
}

// spoolAbove is the size from which Blob spools, once a writer spools.
const spoolAbove = 1 << 20

// packHeaderLen is the size of a packfile's header: "PACK", version, count.
const packHeaderLen = 12

// SpoolBlob is Blob for the bulk of a write: the blob's bytes go to disk
// now, in the packfile Flush will install, rather than into memory. It is
// safe to call from many goroutines at once (they compress in parallel);
// ReadBlob reads a spooled blob back. A repository with no directory (in
// memory) stages it as Blob does.
func (w *ObjectWriter) SpoolBlob(data []byte) (Hash, error) {
	if w.r.commonDir == "" {
		w.mu.Lock()
		defer w.mu.Unlock()
		return w.Blob(data)
	}
	h := plumbing.ComputeHash(plumbing.BlobObject, data)
	w.mu.Lock()
	if w.seen[h] {
		w.mu.Unlock()
		return fromPlumbing(h), nil
	}
	if w.r.git.Storer.HasEncodedObject(h) == nil {
		w.seen[h] = true
		w.mu.Unlock()
		return fromPlumbing(h), nil
	}
	w.mu.Unlock()

	var buf bytes.Buffer
	hdr := entryHeader(plumbing.BlobObject, int64(len(data)))
	buf.Write(hdr)
	zw := zlib.NewWriter(&buf)
	zw.Write(data) // a bytes.Buffer does not fail
	zw.Close()
	entry := buf.Bytes()

	w.mu.Lock()
	defer w.mu.Unlock()
	if w.seen[h] {
		return fromPlumbing(h), nil
	}
	s, err := w.openSpool()
	if err != nil {
		return ZeroHash, err
	}
	if _, err := s.f.WriteAt(entry, s.off); err != nil {
		s.err = fmt.Errorf("spool objects: %w", err)
		return ZeroHash, s.err
	}
	s.entries[h] = spoolEntry{off: s.off, hdr: uint32(len(hdr)), clen: uint32(len(entry) - len(hdr)), crc: crc32.ChecksumIEEE(entry), size: int64(len(data))}
	s.order = append(s.order, h)
	s.off += int64(len(entry))
	w.seen[h] = true
	return fromPlumbing(h), nil
}

// openSpool returns the spool, creating its file on first use.
func (w *ObjectWriter) openSpool() (*spool, error) {
	if w.spool != nil {
		return w.spool, w.spool.err
	}
	dir := filepath.Join(w.r.commonDir, "objects", "pack")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	f, err := os.CreateTemp(dir, "tmp_pack_small_")
	if err != nil {
		return nil, fmt.Errorf("spool objects: %w", err)
	}
	w.spool = &spool{f: f, off: packHeaderLen, entries: map[plumbing.Hash]spoolEntry{}}
	return w.spool, nil
}

// spooled returns a spooled blob's bytes, and whether it is in the spool.
func (w *ObjectWriter) spooled(h plumbing.Hash) ([]byte, bool, error) {
	w.mu.Lock()
	s := w.spool
	var e spoolEntry
	ok := false
	if s != nil {
		e, ok = s.entries[h]
	}
	w.mu.Unlock()
	if !ok {
		return nil, false, nil
	}
	zr, err := zlib.NewReader(io.NewSectionReader(s.f, e.off+int64(e.hdr), int64(e.clen)))
	if err != nil {
		return nil, true, fmt.Errorf("read spooled object %s: %w", h, err)
	}
	data := make([]byte, e.size)
	if _, err := io.ReadFull(zr, data); err != nil {
		return nil, true, fmt.Errorf("read spooled object %s: %w", h, err)
	}
	return data, true, nil
}

// ReadBlob returns a blob's bytes: staged, spooled, or the repository's.
func (w *ObjectWriter) ReadBlob(h Hash) ([]byte, error) {
	if data, ok, err := w.spooled(h.plumbing()); ok || err != nil {
		return data, err
	}
	if o, err := w.mem.EncodedObject(plumbing.BlobObject, h.plumbing()); err == nil {
		rd, err := o.Reader()
		if err != nil {
			return nil, err
		}
		defer rd.Close()
		return io.ReadAll(rd)
	}
	return w.r.ReadBlob(h)
}

// Discard removes what the writer spooled to disk and forgets what it
// staged: a plan that is not applied leaves nothing behind.
func (w *ObjectWriter) Discard() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.spool != nil {
		name := w.spool.f.Name()
		w.spool.f.Close()
		os.Remove(name)
		w.spool = nil
	}
	w.hashes = nil
	w.seen = map[plumbing.Hash]bool{}
}

// flushSpool completes the spool into a packfile with the staged objects
// appended, writes its index and installs both, index first (git lists
// packs by their index, go-git by the pack: neither sees one without the
// other), each flushed to disk before a ref may name what they hold.
func (w *ObjectWriter) flushSpool() error {
	s := w.spool
	if s.err != nil {
		return s.err
	}
	// The staged objects (trees, commits, index files, notes) join the
	// spooled blobs.
	for _, h := range w.hashes {
		o, err := w.mem.EncodedObject(plumbing.AnyObject, h)
		if err != nil {
			return err
		}
		rd, err := o.Reader()
		if err != nil {
			return err
		}
		var buf bytes.Buffer
		hdr := entryHeader(o.Type(), o.Size())
		buf.Write(hdr)
		zw := zlib.NewWriter(&buf)
		_, err = io.Copy(zw, rd)
		rd.Close()
		if err != nil {
			return err
		}
		zw.Close()
		entry := buf.Bytes()
		if _, err := s.f.WriteAt(entry, s.off); err != nil {
			return err
		}
		s.entries[h] = spoolEntry{off: s.off, hdr: uint32(len(hdr)), clen: uint32(len(entry) - len(hdr)), crc: crc32.ChecksumIEEE(entry), size: o.Size()}
		s.order = append(s.order, h)
		s.off += int64(len(entry))
	}
	if len(s.order) > 1<<31 {
		return errors.New("write packfile: too many objects")
	}
	var head [packHeaderLen]byte
	copy(head[:], "PACK")
	binary.BigEndian.PutUint32(head[4:], 2)
	binary.BigEndian.PutUint32(head[8:], uint32(len(s.order)))
	if _, err := s.f.WriteAt(head[:], 0); err != nil {
		return err
	}
	// The trailer is the SHA-1 of everything before it: read back from
	// the page cache, once.
	sum := sha1.New()
	if _, err := io.Copy(sum, io.NewSectionReader(s.f, 0, s.off)); err != nil {
		return err
	}
	var checksum plumbing.Hash
	copy(checksum[:], sum.Sum(nil))
	if _, err := s.f.WriteAt(checksum[:], s.off); err != nil {
		return err
	}
	if err := s.f.Sync(); err != nil {
		return err
	}
	iw := new(idxfile.Writer)
	iw.OnHeader(uint32(len(s.order)))
	for _, h := range s.order {
		e := s.entries[h]
		iw.Add(h, uint64(e.off), e.crc)
	}
	if err := iw.OnFooter(checksum); err != nil {
		return err
	}
	idx, err := iw.Index()
	if err != nil {
		return err
	}
	dir := filepath.Dir(s.f.Name())
	base := filepath.Join(dir, "pack-"+checksum.String())
	tmpIdx, err := os.CreateTemp(dir, "tmp_idx_small_")
	if err != nil {
		return err
	}
	defer os.Remove(tmpIdx.Name()) // gone already when renamed
	bi := bufio.NewWriterSize(tmpIdx, 1<<16)
	if _, err := idxfile.NewEncoder(bi).Encode(idx); err != nil {
		tmpIdx.Close()
		return err
	}
	if err := finishFile(tmpIdx, bi); err != nil {
		return err
	}
	// As writePack: the pack first, then its index (git lists packs by
	// their index), then the directory.
	if err := s.f.Chmod(0o444); err != nil {
		return err
	}
	name := s.f.Name()
	if err := s.f.Close(); err != nil {
		return err
	}
	if err := os.Rename(name, base+".pack"); err != nil {
		return err
	}
	if err := os.Rename(tmpIdx.Name(), base+".idx"); err != nil {
		return err
	}
	if err := syncDir(dir); err != nil {
		return err
	}
	// The next read lists the packs again, and finds the new one.
	w.r.st.Reindex()
	w.spool = nil
	w.hashes = nil
	w.mem = newMemStorage()
	return nil
}
