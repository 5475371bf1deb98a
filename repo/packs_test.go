package repo

import (
	"fmt"
	"math/bits"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// builds writes one build's worth of objects as small does: one pack of
// new blobs, the trees above them and a commit on a branch, moved by
// compare-and-swap. It returns every object it wrote.
type builds struct {
	t      *testing.T
	r      *Repository
	tip    Hash
	n      int
	ref    string
	objs   []Hash
	blobs  map[Hash]string
	commit []Hash
}

func newBuilds(t *testing.T, r *Repository) *builds {
	return &builds{t: t, r: r, ref: "refs/heads/small/artifacts", blobs: map[Hash]string{}}
}

func (b *builds) build(files int) {
	b.t.Helper()
	w := b.r.NewObjectWriter()
	set := map[string]Hash{}
	for j := range files {
		text := fmt.Sprintf("build %d, file %d\n", b.n, j)
		h, err := w.Blob([]byte(text))
		if err != nil {
			b.t.Fatal(err)
		}
		set[fmt.Sprintf("d%d/f%d-%d", j%3, b.n, j)] = h
		b.blobs[h] = text
	}
	var base Hash
	if !b.tip.IsZero() {
		c, err := b.r.ReadCommit(b.tip)
		if err != nil {
			b.t.Fatalf("build %d: read the tip: %v", b.n, err)
		}
		base = c.Tree
	}
	tree, err := w.EditTree(base, set)
	if err != nil {
		b.t.Fatal(err)
	}
	sig := Signature{Name: "small", Email: "small@localhost", When: time.Unix(1767225600+int64(b.n), 0).UTC()}
	var parents []Hash
	if !b.tip.IsZero() {
		parents = []Hash{b.tip}
	}
	c, err := w.Commit(CommitSpec{Tree: tree, Parents: parents, Author: sig, Committer: sig, Message: fmt.Sprintf("build %d\n", b.n)})
	if err != nil {
		b.t.Fatal(err)
	}
	b.objs = append(b.objs, w.hashesForTest()...)
	if err := w.Flush(); err != nil {
		b.t.Fatalf("build %d: %v", b.n, err)
	}
	if err := b.r.UpdateRef(b.ref, c, b.tip); err != nil {
		b.t.Fatalf("build %d: %v", b.n, err)
	}
	b.tip = c
	b.commit = append(b.commit, c)
	b.n++
}

func (w *ObjectWriter) hashesForTest() []Hash {
	out := make([]Hash, len(w.hashes))
	for i, h := range w.hashes {
		out[i] = fromPlumbing(h)
	}
	return out
}

// readAll reads every blob and commit written, through r.
func (b *builds) readAll(r *Repository) {
	b.t.Helper()
	for h, text := range b.blobs {
		data, err := r.ReadBlob(h)
		if err != nil || string(data) != text {
			b.t.Fatalf("blob %s: %q, %v; want %q", h.Short(), data, err, text)
		}
	}
	for _, c := range b.commit {
		if _, err := r.ReadCommit(c); err != nil {
			b.t.Fatalf("commit %s: %v", c.Short(), err)
		}
	}
}

// gitHasAll has git itself check that every object written is there.
func (b *builds) gitHasAll(dir string) {
	b.t.Helper()
	var in strings.Builder
	for _, h := range b.objs {
		in.WriteString(h.String() + "\n")
	}
	out := runGit(b.t, dir, in.String(), "cat-file", "--batch-check=%(objectname) %(objecttype)")
	if strings.Contains(out, "missing") {
		b.t.Fatalf("git cat-file: objects missing:\n%s", out)
	}
	if n := len(strings.Split(out, "\n")); n != len(b.objs) {
		b.t.Fatalf("git cat-file answered %d lines for %d objects", n, len(b.objs))
	}
}

func packNames(t *testing.T, dir string) []string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(dir, ".git", "objects", "pack", "pack-*.pack"))
	if err != nil {
		t.Fatal(err)
	}
	for i := range m {
		m[i] = strings.TrimSuffix(strings.TrimPrefix(filepath.Base(m[i]), "pack-"), ".pack")
	}
	return m
}

func packSizes(t *testing.T, dir string) []int {
	t.Helper()
	var n []int
	for _, p := range packNames(t, dir) {
		c, err := idxObjects(filepath.Join(dir, ".git", "objects", "pack", "pack-"+p+".idx"))
		if err != nil {
			t.Fatal(err)
		}
		n = append(n, c)
	}
	slices.Sort(n)
	return n
}

func newGitRepo(t *testing.T) (string, *Repository) {
	t.Helper()
	dir := t.TempDir()
	runGit(t, dir, "", "init", "-q", "-b", "main")
	runGit(t, dir, "", "config", "gc.auto", "0") // nothing but the test repacks
	r, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	return dir, r
}

// TestPacksStayFew makes 300 builds, rolling up after each as small build
// does: the packs stay a geometric progression, O(log n) of them; every
// object written is there, read through the same Repository right after
// each roll-up (whose packs it deleted) and through git; git fsck --strict
// is clean; no ref moved but by the builds.
func TestPacksStayFew(t *testing.T) {
	dir, r := newGitRepo(t)
	b := newBuilds(t, r)
	rolled, most := 0, 0
	for i := range 300 {
		b.build(1 + i%4)
		res, err := r.RollUpPacks(nil)
		if err != nil {
			t.Fatalf("build %d: %v", i, err)
		}
		if res.Skipped != "" {
			t.Fatalf("build %d: skipped: %s", i, res.Skipped)
		}
		if res.Rolled > 0 {
			rolled++
			if res.Rolled < 2 || res.Pack == "" {
				t.Fatalf("build %d: %+v", i, res)
			}
		}
		sizes := packSizes(t, dir)
		if res.Packs != len(sizes) {
			t.Fatalf("build %d: RollUpPacks says %d packs, there are %d", i, res.Packs, len(sizes))
		}
		most = max(most, len(sizes))
		// A geometric progression of n objects has at most log2(n)
		// packs; the largest, which is never rolled up, may add one.
		total := 0
		for _, s := range sizes {
			total += s
		}
		if limit := bits.Len(uint(total)) + 1; len(sizes) > limit {
			t.Fatalf("build %d: %d packs %v for %d objects, more than %d", i, len(sizes), sizes, total, limit)
		}
		if i%25 == 0 {
			b.readAll(r)
		}
	}
	b.readAll(r)
	if got := runGit(t, dir, "", "rev-parse", b.ref); got != b.tip.String() {
		t.Fatalf("%s at %s, want %s", b.ref, got, b.tip)
	}
	runGit(t, dir, "", "fsck", "--strict", "--no-progress")
	b.gitHasAll(dir)
	r2, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	b.readAll(r2)
	t.Logf("300 builds, %d objects: %d roll-ups, at most %d packs, %d at the end %v", len(b.objs), rolled, most, len(packNames(t, dir)), packSizes(t, dir))
	if rolled < 100 {
		t.Errorf("only %d roll-ups in 300 builds", rolled)
	}
}

// TestNothingToRollUp: a repository whose packs already form a progression
// is left as it is, and so is one with a single pack or none; the largest
// pack is never rewritten, though git's --geometric would.
func TestNothingToRollUp(t *testing.T) {
	dir, r := newGitRepo(t)
	if res, err := r.RollUpPacks(nil); err != nil || res != (Rollup{}) {
		t.Fatalf("no packs: %+v, %v", res, err)
	}
	b := newBuilds(t, r)
	b.build(40) // 40 blobs, 4 trees, a commit
	b.build(40) // two packs of about the same size: git would roll both up
	before := packNames(t, dir)
	res, err := r.RollUpPacks(nil)
	if err != nil || res.Rolled != 0 || res.Packs != 2 {
		t.Fatalf("two packs: %+v, %v", res, err)
	}
	b.build(30)
	b.build(1) // 45, 45, 35 and 4 objects: all but the largest need rolling up
	res, err = r.RollUpPacks(nil)
	if err != nil || res.Rolled != 3 || res.Packs != 2 {
		t.Fatalf("%+v, %v; packs %v", res, err, packSizes(t, dir))
	}
	after := packNames(t, dir)
	kept := 0
	for _, p := range before {
		if slices.Contains(after, p) {
			kept++
		}
	}
	if kept != 1 {
		t.Errorf("%d of the first two packs left, want the largest one", kept)
	}
	b.readAll(r)
	runGit(t, dir, "", "fsck", "--strict", "--no-progress")
}

// TestRollupPicksAsGitDoes sets up packs of many sizes and compares the
// packs RollUpPacks replaces with the ones git repack --geometric=2 -d
// replaces when told to keep the largest.
func TestRollupPicksAsGitDoes(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 15))
	for round := range 12 {
		var sizes []int
		for range 2 + rng.IntN(6) {
			sizes = append(sizes, 1+rng.IntN(60))
		}
		var dirs [2]string
		var largest string
		for k := range dirs {
			dirs[k] = t.TempDir()
			runGit(t, dirs[k], "", "init", "-q")
			for i, n := range sizes {
				var in strings.Builder
				for j := range n {
					fmt.Fprintf(&in, "blob\ndata <<EOF\nround %d pack %d object %d\nEOF\n", round, i, j)
				}
				runGit(t, dirs[k], in.String(), "-c", "fastimport.unpackLimit=1", "fast-import", "--quiet")
			}
		}
		ours, err := Open(dirs[0])
		if err != nil {
			t.Fatal(err)
		}
		ps, err := listPacks(filepath.Join(dirs[0], ".git", "objects", "pack"))
		if err != nil {
			t.Fatal(err)
		}
		largest = ps.packs[len(ps.packs)-1].name
		if _, err := ours.RollUpPacks(nil); err != nil {
			t.Fatal(err)
		}
		runGit(t, dirs[1], "", "repack", "-q", "-d", "--geometric=2", "--keep-pack=pack-"+largest+".pack", "--no-write-bitmap-index")
		// Packs are named by their content: the same packs left over
		// in both, and one new pack or none.
		left := func(dir string) []string {
			var out []string
			for _, p := range packNames(t, dir) {
				if slices.ContainsFunc(ps.packs, func(q pack) bool { return q.name == p }) {
					out = append(out, p)
				}
			}
			slices.Sort(out)
			return out
		}
		slices.Sort(sizes)
		if a, b := left(dirs[0]), left(dirs[1]); !slices.Equal(a, b) {
			t.Errorf("packs of %v objects: small leaves %v, git %v", sizes, a, b)
		}
		if a, b := len(packNames(t, dirs[0])), len(packNames(t, dirs[1])); a != b {
			t.Errorf("packs of %v objects: small leaves %d packs, git %d", sizes, a, b)
		}
		runGit(t, dirs[0], "", "fsck", "--strict", "--no-progress")
	}
}

// TestRollupLeavesAlone: packs with a .keep file and cruft packs are not
// small's to move; a partial clone and a repository with alternates are
// left alone altogether.
func TestRollupLeavesAlone(t *testing.T) {
	t.Run("keep", func(t *testing.T) {
		dir, r := newGitRepo(t)
		b := newBuilds(t, r)
		b.build(60)
		b.build(2)
		b.build(2)
		b.build(2)
		names := packNames(t, dir)
		var kept string
		for _, p := range names {
			if n, _ := idxObjects(filepath.Join(dir, ".git", "objects", "pack", "pack-"+p+".idx")); n < 10 && kept == "" {
				kept = p
			}
		}
		if err := os.WriteFile(filepath.Join(dir, ".git", "objects", "pack", "pack-"+kept+".keep"), nil, 0o644); err != nil {
			t.Fatal(err)
		}
		res, err := r.RollUpPacks(nil)
		if err != nil || res.Rolled != 2 {
			t.Fatalf("%+v, %v", res, err)
		}
		if !slices.Contains(packNames(t, dir), kept) {
			t.Errorf("the kept pack is gone")
		}
		b.readAll(r)
	})
	t.Run("promisor", func(t *testing.T) {
		dir, r := newGitRepo(t)
		b := newBuilds(t, r)
		b.build(60)
		b.build(2)
		b.build(2)
		b.build(2)
		p := packNames(t, dir)[0]
		if err := os.WriteFile(filepath.Join(dir, ".git", "objects", "pack", "pack-"+p+".promisor"), nil, 0o644); err != nil {
			t.Fatal(err)
		}
		before := packNames(t, dir)
		res, err := r.RollUpPacks(nil)
		if err != nil || res.Rolled != 0 || !strings.Contains(res.Skipped, "partial clone") {
			t.Fatalf("%+v, %v", res, err)
		}
		if !slices.Equal(before, packNames(t, dir)) {
			t.Errorf("packs moved in a partial clone")
		}
	})
	t.Run("alternates", func(t *testing.T) {
		dir, r := newGitRepo(t)
		other := t.TempDir()
		runGit(t, other, "", "init", "-q")
		if err := os.WriteFile(filepath.Join(dir, ".git", "objects", "info", "alternates"), []byte(filepath.Join(other, ".git", "objects")+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		b := newBuilds(t, r)
		b.build(60)
		b.build(2)
		b.build(2)
		b.build(2)
		res, err := r.RollUpPacks(nil)
		if err != nil || res.Rolled != 0 || !strings.Contains(res.Skipped, "alternates") {
			t.Fatalf("%+v, %v", res, err)
		}
	})
}

// TestRollupAndMultiPackIndex: a multi-pack-index that names a pack small
// deletes goes first, as git repack -d does; git reads every object after,
// and git multi-pack-index write makes a new one.
func TestRollupAndMultiPackIndex(t *testing.T) {
	dir, r := newGitRepo(t)
	b := newBuilds(t, r)
	b.build(60)
	b.build(2)
	b.build(2)
	runGit(t, dir, "", "multi-pack-index", "write", "--bitmap")
	midx := filepath.Join(dir, ".git", "objects", "pack", "multi-pack-index")
	if _, err := os.Stat(midx); err != nil {
		t.Fatal(err)
	}
	b.build(2)
	res, err := r.RollUpPacks(nil)
	if err != nil || res.Rolled < 2 {
		t.Fatalf("%+v, %v", res, err)
	}
	if _, err := os.Stat(midx); !os.IsNotExist(err) {
		t.Errorf("the multi-pack-index naming a deleted pack is still there: %v", err)
	}
	if m, _ := filepath.Glob(midx + "-*"); len(m) > 0 {
		t.Errorf("left behind: %v", m)
	}
	runGit(t, dir, "", "fsck", "--strict", "--no-progress")
	b.gitHasAll(dir)
	b.build(20)
	if res, err := r.RollUpPacks(nil); err != nil || res.Rolled != 2 {
		t.Fatalf("%+v, %v", res, err)
	}
	runGit(t, dir, "", "multi-pack-index", "write")
	runGit(t, dir, "", "multi-pack-index", "verify", "--no-progress")
	// A multi-pack-index that names none of the packs rolled up stays.
	b.build(2)
	b.build(2)
	res, err = r.RollUpPacks(nil)
	if err != nil || res.Rolled < 2 {
		t.Fatalf("%+v, %v", res, err)
	}
	if _, err := os.Stat(midx); err != nil {
		t.Errorf("a multi-pack-index naming none of the packs rolled up is gone: %v", err)
	}
	runGit(t, dir, "", "fsck", "--strict", "--no-progress")
	b.readAll(r)
}

// TestRollupWhileGitGC runs git gc, git repack -A -d and git repack
// --geometric in a loop while builds write and roll up: every build
// succeeds, every object stays, fsck is clean. A roll-up may find its packs
// gone (skipped), never fail for it.
func TestRollupWhileGitGC(t *testing.T) {
	if testing.Short() {
		t.Skip("runs git gc in a loop; skipped with -short")
	}
	dir, r := newGitRepo(t)
	b := newBuilds(t, r)
	b.build(200)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var halt sync.Once
	end := func() { halt.Do(func() { close(stop); wg.Wait() }) }
	defer end()
	gcs, gcFailed := 0, 0
	wg.Add(1)
	go func() {
		defer wg.Done()
		// Not git repack -a -d alone: it drops what no ref names yet,
		// such as the pack of a build whose branch has not moved, for
		// any writer, git's own too; git gc keeps such objects (-A).
		cmds := [][]string{{"gc", "-q"}, {"repack", "-q", "-A", "-d"}, {"repack", "-q", "-d", "--geometric=2"}}
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			// git gc and git repack fail now and then when a ref they
			// pack moves underneath (a build), or a pack they listed is
			// gone (a roll-up, or another repack: git repack takes no
			// lock): git's race with any writer or repacker. They write
			// nothing then, and the next run succeeds.
			cmd := cmds[i%len(cmds)]
			if out, err := gitQuiet(dir, cmd...); err != nil {
				gcFailed++
				if !gitRace.MatchString(out) {
					t.Errorf("git %s: %v\n%s", strings.Join(cmd, " "), err, out)
				}
			}
			gcs++
		}
	}()
	skipped, failed := 0, 0
	for i := range 120 {
		b.build(1 + i%5)
		res, err := r.RollUpPacks(nil)
		if err != nil {
			failed++
			t.Logf("build %d: roll-up: %v", i, err)
		}
		if res.Skipped != "" {
			skipped++
		}
		if i%10 == 0 {
			b.readAll(r)
		}
	}
	end()
	b.readAll(r)
	runGit(t, dir, "", "fsck", "--strict", "--no-progress")
	b.gitHasAll(dir)
	r2, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	b.readAll(r2)
	t.Logf("120 builds beside %d git gc/repack runs (%d of them lost a race and wrote nothing): %d roll-ups skipped, %d failed", gcs, gcFailed, skipped, failed)
	if failed > 0 {
		t.Errorf("%d roll-ups failed", failed)
	}
}

// gitRace is what git gc and git repack say when they lose a race.
var gitRace = regexp.MustCompile(`cannot lock ref|could not find pack|cannot open pack index|unable to add recent objects|packfile .* cannot be accessed|unable to read`)

func gitQuiet(dir string, args ...string) (string, error) {
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL="+os.DevNull)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// TestRollupPackSizeLimit: under pack.packSizeLimit git pack-objects
// writes several packs; every object of the packs rolled up is in one of
// them before any is deleted.
func TestRollupPackSizeLimit(t *testing.T) {
	dir, r := newGitRepo(t)
	runGit(t, dir, "", "config", "pack.packSizeLimit", "1m")
	rng := rand.New(rand.NewPCG(3, 4))
	var blobs []Hash
	for i := range 4 {
		w := r.NewObjectWriter()
		n := 100
		if i > 0 {
			n = 700 << 10 // incompressible: three of them need two packs of 1 MiB
		}
		data := make([]byte, n)
		for j := range data {
			data[j] = byte(rng.Uint32())
		}
		h, err := w.Blob(data)
		if err != nil {
			t.Fatal(err)
		}
		blobs = append(blobs, h)
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
	}
	// 1, 1, 1, 1 objects: the largest stays, the other three roll up.
	res, err := r.RollUpPacks(nil)
	if err != nil || res.Rolled != 3 {
		t.Fatalf("%+v, %v", res, err)
	}
	if res.Packs < 3 {
		t.Errorf("%d packs after rolling three into packs of 1 MiB at most beside the largest", res.Packs)
	}
	for _, h := range blobs {
		if _, err := r.ReadBlob(h); err != nil {
			t.Errorf("blob %s: %v", h.Short(), err)
		}
	}
	runGit(t, dir, "", "fsck", "--strict", "--no-progress")
}
