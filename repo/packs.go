// Packs that stay few: every build writes one packfile, and go-git looks an
// object up in every pack's index in turn, so 1,000 builds would make
// every read ten times slower. RollUpPacks puts them together
// geometrically, as git repack --geometric=2 does, with git pack-objects
// doing the packing.

package repo

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/format/idxfile"
)

// Rollup is what RollUpPacks did.
type Rollup struct {
	Rolled  int    // packs put together into one (0: none needed it)
	Objects int    // objects in them
	Pack    string // the new pack's checksum; "" when nothing was rolled up
	Packs   int    // packfiles the repository has afterwards
	Skipped string // why packs that needed it were left alone, if they were
}

// rollupFactor is the geometric progression the packs are kept in: sorted
// by how many objects they hold, each holds at least twice as many as the
// next smaller one (git repack --geometric=2). n objects then never take
// more than log2(n) packs, and an object is rewritten about log2(n) times
// in its life.
const rollupFactor = 2

// orphanAge is how old an index without its pack must be before
// RollUpPacks removes it: go-git writes a pack's index a moment before it
// renames the pack into place, and no writer takes longer than this.
const orphanAge = time.Hour

// RollUpPacks keeps the repository's packfiles few. When the packs no
// longer form a geometric progression (each at least twice the size of the
// next smaller one), it picks the smallest packs as git repack --geometric=2
// would, has git pack-objects write their objects as one new pack, checks
// that the new pack holds every one of them, flushes it to disk, and only
// then deletes them: a kill at any moment leaves at worst a redundant pack
// or git's temporary file, never a missing object. Objects are moved,
// never dropped; no ref is read or moved. Most calls find nothing to do,
// for the cost of listing objects/pack and reading each index's header.
//
// It leaves alone what git leaves alone (packs with a .keep file, cruft
// packs) and what it should not touch: the largest pack (the clone's or
// the last git gc's, which git gc looks after: rewriting it on a
// one-manifest build would cost as much as a full one), every pack of a
// partial clone (promisor packs keep their own rules), repositories that
// borrow objects (alternates) or use an incremental multi-pack-index, and
// a pack that is still being written. A multi-pack-index that names a pack it deletes is
// deleted first, as git repack -d does. Two calls at once in the same
// repository do not both roll up: the second one skips.
//
// stage, when not nil, is called after each step that a crash test may
// want to stop at: "written" (the new pack is on disk, nothing is deleted)
// and "deleting" (the first old pack is gone, its index and the other
// packs are not).
//
// A pack deleted underneath it (a concurrent git gc) is not an error; git
// failing to pack is, and leaves every pack as it was.
func (r *Repository) RollUpPacks(stage func(string)) (Rollup, error) {
	if r.commonDir == "" {
		return Rollup{}, nil
	}
	dir := filepath.Join(r.commonDir, "objects", "pack")
	ps, err := listPacks(dir)
	if err != nil {
		return Rollup{}, err
	}
	res := Rollup{Packs: len(ps.packs)}
	if len(ps.rollup()) < 2 {
		return res, nil
	}
	if why := r.leaveAlone(ps); why != "" {
		res.Skipped = why
		return res, nil
	}
	unlock, ok, err := lockDir(dir)
	if err != nil {
		return res, err
	}
	if !ok {
		res.Skipped = "another small is rolling up the packs"
		return res, nil
	}
	defer unlock()
	// What is there now, under the lock.
	if ps, err = listPacks(dir); err != nil {
		return res, err
	}
	res.Packs = len(ps.packs)
	roll := ps.rollup()
	if len(roll) < 2 {
		return res, nil
	}
	objects, err := objectsOf(dir, roll)
	if err != nil {
		if gone(dir, roll) {
			res.Skipped = "packs went away underneath (a git gc or repack?)"
			return res, nil
		}
		return res, fmt.Errorf("roll up packs: %w", err)
	}
	res.Objects = len(objects)
	var sums []string // one new pack, or several under pack.packSizeLimit
	if len(objects) > 0 {
		if sums, err = r.packObjects(dir, objects); err != nil {
			if gone(dir, roll) {
				res.Skipped = "packs went away underneath (a git gc or repack?)"
				return res, nil
			}
			return res, err
		}
		err := checkRolled(dir, sums, objects)
		for i := 0; err == nil && i < len(sums); i++ {
			err = r.syncPack(sums[i])
		}
		if errors.Is(err, fs.ErrNotExist) && gone(dir, slices.Concat(roll, packsNamed(sums))) {
			// Another repack took the new pack already: nothing was
			// deleted here, and what it made holds the objects.
			res.Skipped = "packs went away underneath (a git gc or repack?)"
			return res, nil
		}
		if err != nil {
			return res, fmt.Errorf("roll up packs: %w", err)
		}
		res.Pack = sums[0]
	}
	res.Rolled = len(roll)
	if stage != nil {
		stage("written")
	}
	// From here on every object is in the new pack: what is left is to
	// delete the old ones, and whatever fails leaves them redundant.
	defer r.forgetPacks()
	if err := dropStaleMultiPackIndex(dir, roll); err != nil {
		return res, err
	}
	first := true
	for _, p := range roll {
		if slices.Contains(sums, p.name) {
			continue
		}
		between := func() {}
		if first && stage != nil {
			between = func() { stage("deleting") }
		}
		first = false
		if err := removePack(dir, p.name, between); err != nil {
			return res, err
		}
	}
	if err := syncDir(dir); err != nil {
		return res, err
	}
	removeOrphans(dir, ps.orphans)
	after, err := listPacks(dir)
	if err == nil {
		res.Packs = len(after.packs)
	}
	return res, nil
}

// pack is one packfile of objects/pack.
type pack struct {
	name    string // the checksum, as in pack-<name>.pack
	objects int
	// movable: neither kept (.keep), cruft (.mtimes), promised
	// (.promisor), nor without a readable version 2 index yet.
	movable bool
}

type packList struct {
	packs    []pack   // every pack-*.pack, sorted by objects, then name
	promisor bool     // some pack has a .promisor file
	midxDir  bool     // an incremental multi-pack-index (multi-pack-index.d)
	orphans  []string // index, .rev and .bitmap files without their pack, old enough to remove
}

// listPacks reads objects/pack: its packs and how many objects each holds
// (from the index's header alone).
func listPacks(dir string) (*packList, error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return &packList{}, nil
	}
	if err != nil {
		return nil, err
	}
	files := map[string]bool{}
	for _, e := range entries {
		files[e.Name()] = true
	}
	ps := &packList{midxDir: files["multi-pack-index.d"]}
	for _, e := range entries {
		name := e.Name()
		if ext := filepath.Ext(name); ext == ".idx" || ext == ".rev" || ext == ".bitmap" {
			if base, ok := packBase(name); ok && !files["pack-"+base+".pack"] {
				if fi, err := e.Info(); err == nil && time.Since(fi.ModTime()) > orphanAge {
					ps.orphans = append(ps.orphans, name)
				}
			}
			continue
		}
		base, ok := packBase(name)
		if !ok || filepath.Ext(name) != ".pack" {
			continue
		}
		p := pack{name: base}
		if files["pack-"+base+".promisor"] {
			ps.promisor = true
		}
		if files["pack-"+base+".idx"] {
			n, err := idxObjects(filepath.Join(dir, "pack-"+base+".idx"))
			if err == nil {
				p.objects = n
				p.movable = !files["pack-"+base+".keep"] && !files["pack-"+base+".mtimes"] && !files["pack-"+base+".promisor"]
			} else if !errors.Is(err, fs.ErrNotExist) && !errors.Is(err, errIdxVersion) {
				return nil, err
			}
		}
		ps.packs = append(ps.packs, p)
	}
	slices.SortFunc(ps.packs, func(a, b pack) int {
		if a.objects != b.objects {
			return a.objects - b.objects
		}
		return strings.Compare(a.name, b.name)
	})
	return ps, nil
}

// packBase is the checksum of a file named pack-<40 hex>.<ext>.
func packBase(name string) (string, bool) {
	rest, ok := strings.CutPrefix(name, "pack-")
	if !ok {
		return "", false
	}
	base, _, _ := strings.Cut(rest, ".")
	if _, ok := ParseHash(base); !ok {
		return "", false
	}
	return base, true
}

var errIdxVersion = errors.New("not a version 2 pack index")

// idxObjects is how many objects a pack index (version 2) names: the last
// entry of its fan-out table.
func idxObjects(name string) (int, error) {
	f, err := os.Open(name)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	var head [8 + 256*4]byte
	if _, err := io.ReadFull(f, head[:]); err != nil {
		return 0, fmt.Errorf("%s: %w", name, err)
	}
	if !bytes.Equal(head[:4], []byte{0xff, 't', 'O', 'c'}) || binary.BigEndian.Uint32(head[4:8]) != 2 {
		return 0, errIdxVersion
	}
	return int(binary.BigEndian.Uint32(head[len(head)-4:])), nil
}

// rollup is the packs to put together, as git repack --geometric picks
// them: the smallest movable packs, as many as it takes for the movable
// packs left and the new one to form a geometric progression. The largest
// movable pack is never among them.
func (ps *packList) rollup() []pack {
	var movable []pack
	for _, p := range ps.packs {
		if p.movable {
			movable = append(movable, p)
		}
	}
	if len(movable) < 3 {
		return nil // the largest and at most one other: nothing to put together
	}
	movable = movable[:len(movable)-1] // the largest stays
	// From the top, the packs that already form a progression.
	i := len(movable) - 1
	for ; i > 0; i-- {
		if movable[i].objects < rollupFactor*movable[i-1].objects {
			break
		}
	}
	split := i
	if split > 0 {
		split++ // the lighter of the pair that broke the progression goes too
	}
	total := 0
	for _, p := range movable[:split] {
		total += p.objects
	}
	// The new pack may break the progression above it: take those too.
	for ; split < len(movable) && movable[split].objects < rollupFactor*total; split++ {
		total += movable[split].objects
	}
	return movable[:split]
}

// leaveAlone says why the packs of this repository are not small's to roll
// up, or "".
func (r *Repository) leaveAlone(ps *packList) string {
	for _, v := range []string{"GIT_OBJECT_DIRECTORY", "GIT_ALTERNATE_OBJECT_DIRECTORIES", "GIT_QUARANTINE_PATH"} {
		if os.Getenv(v) != "" {
			return v + " is set"
		}
	}
	switch {
	case ps.promisor:
		return "a partial clone (promisor packs)"
	case ps.midxDir:
		return "an incremental multi-pack-index"
	}
	// git gc and git maintenance say they are at work with these files
	// (git takes them for stale after 12 hours): small waits its turn.
	for _, f := range []string{"gc.pid", filepath.Join("objects", "maintenance.lock")} {
		if fi, err := os.Stat(filepath.Join(r.commonDir, f)); err == nil && time.Since(fi.ModTime()) < 12*time.Hour {
			return "git gc or git maintenance is running (" + filepath.ToSlash(f) + ")"
		}
	}
	if b, err := os.ReadFile(filepath.Join(r.commonDir, "objects", "info", "alternates")); err == nil && len(bytes.TrimSpace(b)) > 0 {
		return "objects borrowed from another repository (alternates)"
	}
	if r.st != nil {
		if cfg, err := r.st.Storage.Config(); err == nil && cfg.Raw != nil {
			if v := cfg.Raw.Section("extensions").Option("preciousObjects"); v != "" && v != "false" {
				return "extensions.preciousObjects"
			}
		}
	}
	return ""
}

// lockDir takes an flock on a directory, without waiting: false when
// another process holds it. The kernel lets go of it when the process
// dies, kill -9 included.
func lockDir(dir string) (unlock func(), ok bool, err error) {
	f, err := os.Open(dir)
	if err != nil {
		return nil, false, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, false, nil
		}
		return nil, false, fmt.Errorf("lock %s: %w", dir, err)
	}
	return func() {
		syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
	}, true, nil
}

// objectsOf reads the indexes of packs: the objects they hold.
func objectsOf(dir string, packs []pack) ([]plumbing.Hash, error) {
	var all []plumbing.Hash
	for _, p := range packs {
		idx, err := readIdx(dir, p.name)
		if err != nil {
			return nil, err
		}
		it, err := idx.Entries()
		if err != nil {
			return nil, err
		}
		for {
			e, err := it.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				return nil, fmt.Errorf("pack-%s.idx: %w", p.name, err)
			}
			all = append(all, e.Hash)
		}
	}
	return all, nil
}

// gone reports whether one of packs is no longer there.
func gone(dir string, packs []pack) bool {
	for _, p := range packs {
		if _, err := os.Stat(filepath.Join(dir, "pack-"+p.name+".pack")); errors.Is(err, fs.ErrNotExist) {
			return true
		}
	}
	return false
}

// packObjects has git pack-objects write objects as one new pack (or
// several, under pack.packSizeLimit), in git's own format, with its deltas
// and fsync, and returns their checksums. Given the objects by name (not
// the packs, as git repack --geometric gives them), it needs no walk of
// the history for hints and leaves none of them out for being in another
// pack too: the new pack stands alone.
func (r *Repository) packObjects(dir string, objects []plumbing.Hash) ([]string, error) {
	var in bytes.Buffer
	in.Grow(len(objects) * 41)
	for _, h := range objects {
		in.WriteString(h.String())
		in.WriteByte('\n')
	}
	args := []string{"--git-dir=" + r.commonDir, "pack-objects", "--delta-base-offset", "--non-empty", "-q", filepath.Join(dir, "pack")}
	cmd := exec.Command("git", args...)
	cmd.Dir = r.commonDir
	cmd.Stdin = &in
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		if _, ok := err.(*exec.ExitError); !ok {
			return nil, fmt.Errorf("git pack-objects: %w", err)
		}
		return nil, &GitError{Args: args[1:2], Stderr: errb.String()}
	}
	sums := strings.Fields(out.String())
	for _, s := range sums {
		if _, ok := ParseHash(s); !ok {
			return nil, fmt.Errorf("git pack-objects: unexpected output %q", out.String())
		}
	}
	if len(sums) == 0 {
		return nil, errors.New("git pack-objects wrote no pack")
	}
	return sums, nil
}

func packsNamed(sums []string) []pack {
	out := make([]pack, len(sums))
	for i, s := range sums {
		out[i] = pack{name: s}
	}
	return out
}

// checkRolled makes sure that the new packs hold every object of the
// packs they replace before any of them is deleted.
func checkRolled(dir string, sums []string, objects []plumbing.Hash) error {
	var fresh []*idxfile.MemoryIndex
	for _, sum := range sums {
		idx, err := readIdx(dir, sum)
		if err != nil {
			return fmt.Errorf("the new pack: %w", err)
		}
		fresh = append(fresh, idx)
	}
	for _, h := range objects {
		if !slices.ContainsFunc(fresh, func(idx *idxfile.MemoryIndex) bool { ok, _ := idx.Contains(h); return ok }) {
			return fmt.Errorf("the new pack lacks object %s: nothing deleted", h)
		}
	}
	return nil
}

func readIdx(dir, name string) (*idxfile.MemoryIndex, error) {
	f, err := os.Open(filepath.Join(dir, "pack-"+name+".idx"))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	idx := idxfile.NewMemoryIndex()
	if err := idxfile.NewDecoder(f).Decode(idx); err != nil {
		return nil, fmt.Errorf("pack-%s.idx: %w", name, err)
	}
	return idx, nil
}

// dropStaleMultiPackIndex deletes the multi-pack-index, with its bitmap
// and reverse index, when it names one of the packs about to go, as git
// repack -d does: git would otherwise look for objects where they no
// longer are. git maintenance writes it again.
func dropStaleMultiPackIndex(dir string, roll []pack) error {
	name := filepath.Join(dir, "multi-pack-index")
	b, err := os.ReadFile(name)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	names, ok := midxPackNames(b)
	stale := !ok // unreadable: drop it rather than leave it naming a deleted pack
	for _, p := range roll {
		stale = stale || names["pack-"+p.name+".idx"]
	}
	if !stale {
		return nil
	}
	if err := os.Remove(name); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if n := e.Name(); strings.HasPrefix(n, "multi-pack-index-") && (strings.HasSuffix(n, ".bitmap") || strings.HasSuffix(n, ".rev")) {
			if err := os.Remove(filepath.Join(dir, n)); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return err
			}
		}
	}
	return syncDir(dir)
}

// midxPackNames reads the names of the pack indexes a multi-pack-index
// covers (its PNAM chunk); false when it cannot.
func midxPackNames(b []byte) (map[string]bool, bool) {
	if len(b) < 12 || string(b[:4]) != "MIDX" {
		return nil, false
	}
	chunks := int(b[6])
	table := b[12:]
	if len(table) < (chunks+1)*12 {
		return nil, false
	}
	for i := 0; i < chunks; i++ {
		e := table[i*12:]
		if string(e[:4]) != "PNAM" {
			continue
		}
		start, end := binary.BigEndian.Uint64(e[4:12]), binary.BigEndian.Uint64(e[16:24])
		if start > end || end > uint64(len(b)) {
			return nil, false
		}
		names := map[string]bool{}
		for _, n := range bytes.Split(b[start:end], []byte{0}) {
			if len(n) > 0 {
				names[string(n)] = true
			}
		}
		return names, true
	}
	return nil, false
}

// removePack deletes a pack and the files that go with it, the pack
// first, as git does: no reader lists a pack without its index (git lists
// indexes, small packs that have one), and a kill midway leaves at worst
// an index without its pack, which git gc deletes, and so does a later
// roll-up. between is called once the pack is gone. Files already gone (a
// concurrent git gc took them) are no error.
func removePack(dir, name string, between func()) error {
	for i, ext := range []string{".pack", ".rev", ".bitmap", ".idx"} {
		if err := os.Remove(filepath.Join(dir, "pack-"+name+ext)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		if i == 0 {
			between()
		}
	}
	return nil
}

// removeOrphans deletes index, .rev and .bitmap files that have had no
// pack for a long time: what a kill in the middle of removePack leaves.
func removeOrphans(dir string, names []string) {
	for _, n := range names {
		base, _ := packBase(n)
		if _, err := os.Stat(filepath.Join(dir, "pack-"+base+".pack")); errors.Is(err, fs.ErrNotExist) {
			os.Remove(filepath.Join(dir, n))
		}
	}
}

func syncDir(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Sync()
}

// forgetPacks makes go-git list the packfiles again at the next read and
// closes the ones it kept open: some of them are gone.
func (r *Repository) forgetPacks() {
	if r.st == nil {
		return
	}
	r.st.Reindex()
	r.st.ObjectStorage.Close()
}
