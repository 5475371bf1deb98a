package builder

import (
	"cmp"
	"maps"
	"slices"
	"strings"

	"github.com/smallhq/small/content"
	"github.com/smallhq/small/lineage"
	"github.com/smallhq/small/protocol"
	"github.com/smallhq/small/repo"
)

// References. Each index entry keeps the manifests its @ref fields name
// (RefUse): for a kind that reads #refs (its #outputs may show them),
// with the path and blob of the version the build read, which the lineage
// records of its #outputs artifacts list as "uses"; for any other kind,
// the kind and id only, since its artifacts do not depend on them.
//
// The build's index also keeps a reverse index under .small/refs/,
// sharded by the first byte of sha256(Kind/id): one line per (manifest
// referenced, manifest referring), marked when the referrer reads #refs.
// A build finds in it the readers of the manifests that changed, and
// builds them again (and no other), reading only the shards of the
// changed manifests' names; small lineage --used-by reads one shard.

// RefIndexDir holds the reverse index of references.
const RefIndexDir = ".small/refs"

// RefUse is one manifest a manifest's @ref fields name, as built.
type RefUse struct {
	Kind, ID string
	Locale   string // the translation that answered, when the default locale has none
	// Path and Blob are the version the build read: set only when the
	// referrer's kind reads #refs.
	Path, Blob string
}

// Name is the manifest referenced, as small names it: Kind/id.
func (u RefUse) Name() string { return u.Kind + "/" + u.ID }

// read says the referrer's kind read it (#refs).
func (u RefUse) read() bool { return u.Blob != "" }

// Ref is the use as a lineage record lists it.
func (u RefUse) Ref() lineage.UseRef {
	return lineage.UseRef{Kind: u.Kind, ID: u.ID, Locale: u.Locale, Path: u.Path, Blob: u.Blob}
}

// readUses are the references an entry's #outputs read, as lineage
// records list them; nil when none.
func readUses(uses []RefUse) []lineage.UseRef {
	var out []lineage.UseRef
	for _, u := range uses {
		if u.read() {
			out = append(out, u.Ref())
		}
	}
	return out
}

// usesOf is what an artifact of entry e used: its #outputs read the
// manifests referenced; its document (kind/id.json) never does.
func usesOf(e *IndexEntry, artifact string) []lineage.UseRef {
	if e == nil || artifact == protocol.ArtifactPath(e.Kind, e.ID, e.Locale) {
		return nil
	}
	return readUses(e.Refs)
}

// refUses makes the uses of a validated manifest: the blob of each
// version read, looked up in the commit, when its kind reads #refs.
func refUses(h *assetHasher, mf *content.Manifest) ([]RefUse, error) {
	var out []RefUse
	for _, to := range mf.Refs {
		u := RefUse{Kind: to.Kind, ID: to.ID, Locale: to.Locale}
		if mf.ReadsRefs && to.Path != "" {
			b, err := h.blobAt(to.Path)
			if err != nil {
				return nil, err
			}
			u.Path, u.Blob = to.Path, b.String()
		}
		out = append(out, u)
	}
	return out, nil
}

// refLine is one line of the reverse index: a manifest that references
// another.
type refLine struct {
	Target   string // Kind/id
	Referrer string // manifest path
	Read     bool   // the referrer's kind reads #refs
}

func refShardOf(target string) string { return shardOf(target) }

func compareRefLines(a, b refLine) int {
	return cmp.Or(strings.Compare(a.Target, b.Target), strings.Compare(a.Referrer, b.Referrer))
}

func encodeRefLines(lines []refLine) []byte {
	slices.SortFunc(lines, compareRefLines)
	var b strings.Builder
	for _, l := range lines {
		mark := "-"
		if l.Read {
			mark = "read"
		}
		b.WriteString(escaper.Replace(l.Target) + "\t" + escaper.Replace(l.Referrer) + "\t" + mark + "\n")
	}
	return []byte(b.String())
}

type badRefIndexError struct{ name string }

func (e *badRefIndexError) Error() string {
	return e.name + ": expected lines of 3 fields: Kind/id referenced, manifest path referring, read or -"
}

func parseRefLines(name string, data []byte) ([]refLine, error) {
	var out []refLine
	for _, line := range strings.Split(strings.TrimSuffix(string(data), "\n"), "\n") {
		if line == "" {
			continue
		}
		f := strings.Split(line, "\t")
		if len(f) != 3 || (f[2] != "read" && f[2] != "-") || !strings.Contains(f[0], "/") || f[1] == "" {
			return nil, &badRefIndexError{name}
		}
		out = append(out, refLine{Target: unescape(f[0]), Referrer: unescape(f[1]), Read: f[2] == "read"})
	}
	return out, nil
}

// refsOf returns the prior build's reverse index lines of the shards
// (all when shards is nil).
func (pr *prior) refsOf(r *repo.Repository, shards map[string]bool) ([]refLine, error) {
	if pr.refLines != nil {
		var out []refLine
		for _, l := range pr.refLines {
			if shards == nil || shards[refShardOf(l.Target)] {
				out = append(out, l)
			}
		}
		return out, nil
	}
	var out []refLine
	for _, name := range slices.Sorted(maps.Keys(pr.indexFiles)) {
		s, ok := strings.CutPrefix(name, RefIndexDir+"/")
		if !ok || (shards != nil && !shards[s]) {
			continue
		}
		b, err := r.ReadBlob(pr.indexFiles[name])
		if err != nil {
			return nil, err
		}
		ls, err := parseRefLines(name, b)
		if err != nil {
			return nil, err
		}
		out = append(out, ls...)
	}
	return out, nil
}

// referrersOf returns the manifests of the prior build that reference
// one of targets (Kind/id), in path order.
func (pr *prior) referrersOf(r *repo.Repository, targets map[string]bool) ([]string, error) {
	if pr.index.Refs == 0 || len(targets) == 0 {
		return nil, nil
	}
	shards := map[string]bool{}
	for t := range targets {
		shards[refShardOf(t)] = true
	}
	lines, err := pr.refsOf(r, shards)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, l := range lines {
		if targets[l.Target] {
			out = append(out, l.Referrer)
		}
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

// readersOf returns the manifests of the prior build whose kind reads
// #refs and that reference one of targets (Kind/id), in path order.
func (pr *prior) readersOf(r *repo.Repository, targets map[string]bool) ([]string, error) {
	if pr.index.Refs == 0 || len(targets) == 0 {
		return nil, nil
	}
	shards := map[string]bool{}
	for t := range targets {
		shards[refShardOf(t)] = true
	}
	lines, err := pr.refsOf(r, shards)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, l := range lines {
		if l.Read && targets[l.Target] {
			out = append(out, l.Referrer)
		}
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

// refOutput is what a plan writes of the reverse index.
type refOutput struct {
	shards map[string][]byte    // file name to content
	kept   map[string]repo.Hash // shards kept as they were
	count  int                  // lines in all
}

// refChanges computes the reverse index of the new build: the previous
// lines of the shards the changes touch (all on a full build), less the
// replaced manifests', plus the fresh ones'.
func refChanges(r *repo.Repository, prev *prior, d *delta, fresh []IndexEntry) (*refOutput, error) {
	linesOf := func(e *IndexEntry) []refLine {
		var out []refLine
		for _, u := range e.Refs {
			l := refLine{Target: u.Name(), Referrer: e.Path, Read: u.read()}
			if !slices.Contains(out, l) {
				out = append(out, l)
			}
		}
		return out
	}
	out := &refOutput{shards: map[string][]byte{}}
	var lines []refLine
	if d.dirty == nil {
		for i := range d.keptInShards {
			lines = append(lines, linesOf(&d.keptInShards[i])...)
		}
		for i := range fresh {
			lines = append(lines, linesOf(&fresh[i])...)
		}
		out.count = len(lines)
		for s, ls := range groupRefLines(lines) {
			out.shards[RefIndexDir+"/"+s] = encodeRefLines(ls)
		}
		return out, nil
	}
	dirty := map[string]bool{}
	removed := 0
	for _, es := range [][]IndexEntry{d.replaced, fresh} {
		for i := range es {
			for _, l := range linesOf(&es[i]) {
				dirty[refShardOf(l.Target)] = true
			}
		}
	}
	out.kept = map[string]repo.Hash{}
	for name, h := range prev.indexFiles {
		if s, ok := strings.CutPrefix(name, RefIndexDir+"/"); ok && !dirty[s] {
			out.kept[name] = h
		}
	}
	out.count = prev.index.Refs
	if len(dirty) == 0 {
		return out, nil
	}
	old, err := prev.refsOf(r, dirty)
	if err != nil {
		return nil, err
	}
	gone := map[string]bool{}
	for _, e := range d.replaced {
		gone[e.Path] = true
	}
	for _, l := range old {
		if gone[l.Referrer] {
			removed++
			continue
		}
		lines = append(lines, l)
	}
	for i := range fresh {
		ls := linesOf(&fresh[i])
		lines = append(lines, ls...)
		out.count += len(ls)
	}
	out.count -= removed
	groups := groupRefLines(lines)
	for s := range dirty {
		if ls := groups[s]; len(ls) > 0 {
			out.shards[RefIndexDir+"/"+s] = encodeRefLines(ls)
		}
	}
	return out, nil
}

func groupRefLines(lines []refLine) map[string][]refLine {
	groups := map[string][]refLine{}
	for _, l := range lines {
		s := refShardOf(l.Target)
		groups[s] = append(groups[s], l)
	}
	return groups
}

// placeRefs adds the reverse index of references to the plan's output.
func (p *Plan) placeRefs(r *repo.Repository, prev *prior, d *delta, fresh []IndexEntry) error {
	out, err := refChanges(r, prev, d, fresh)
	if err != nil {
		return err
	}
	p.out.refs = *out
	p.out.index.Refs = out.count
	p.out.addIndexFiles(out.shards, out.kept)
	return nil
}

// refsStand returns a function that reports whether the versions an
// index entry's #outputs read are, in commit m, the blobs it was built
// with.
func refsStand(r *repo.Repository, m *repo.Commit) func(e IndexEntry) bool {
	h := &assetHasher{r: r, tree: m.Tree}
	return func(e IndexEntry) bool {
		for _, u := range e.Refs {
			if !u.read() {
				continue
			}
			if b, err := h.blobAt(u.Path); err != nil || b.String() != u.Blob {
				return false
			}
		}
		return true
	}
}
