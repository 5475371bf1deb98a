package builder

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/smallhq/small/lineage"
	"github.com/smallhq/small/protocol"
	"github.com/smallhq/small/repo"
)

// Assets. Each file a valid manifest's @asset fields name is copied into
// the artifact tree at protocol.AssetPath: content-addressed by its
// SHA-256, so that manifests naming the same bytes share one file and new
// bytes are a new path. The tree entry is the repository's own blob (the
// same bytes: nothing is written again). The artifact JSON keeps the
// field's value as the author wrote it; the lineage record of each of the
// manifest's artifacts lists its assets (source path, blob, sha256,
// artifact path), and each asset file has records of its own (created,
// retracted) naming the manifest that brought it or let it go.
//
// The build's index keeps, beside each manifest's entry, the assets it
// uses, and a reverse index under .small/assets/ sharded by the first
// byte of the asset's blob id: one line per (asset, manifest) use, so
// that a build finds the manifests of a changed file, and whether an
// asset file is still used, reading only the shards its changes touch.

// AssetIndexDir holds the reverse index of assets.
const AssetIndexDir = ".small/assets"

// AssetUse is one file a manifest's @asset fields name, as built.
type AssetUse struct {
	Source string // repository path in the manifest commit
	Blob   string // git blob id
	SHA256 string // hex SHA-256 of its bytes
}

// valid reports whether the use's ids are well formed (an index read back).
func (a AssetUse) valid() bool {
	_, ok := repo.ParseHash(a.Blob)
	return ok && a.Source != "" && protocol.IsAssetPath(protocol.AssetDir+"/"+a.SHA256[:min(2, len(a.SHA256))]+"/"+a.SHA256)
}

// ArtifactPath is where the asset is in the artifact tree.
func (a AssetUse) ArtifactPath() string { return protocol.AssetPath(a.SHA256, a.Source) }

// Ref is the asset as a lineage record lists it.
func (a AssetUse) Ref() lineage.AssetRef {
	return lineage.AssetRef{Path: a.Source, Blob: a.Blob, SHA256: a.SHA256, ArtifactPath: a.ArtifactPath()}
}

// assetRefs are the uses as a lineage record lists them.
func assetRefs(uses []AssetUse) []lineage.AssetRef {
	if len(uses) == 0 {
		return nil
	}
	out := make([]lineage.AssetRef, len(uses))
	for i, u := range uses {
		out[i] = u.Ref()
	}
	return out
}

// AssetChange is an asset file a build adds to or removes from the
// artifact tree.
type AssetChange struct {
	Path   string // its artifact path
	Action string // lineage.Created or lineage.Retracted
	Use    AssetUse
	Owner  *IndexEntry // the manifest that brought it, or let it go
}

// String is how plan and build list the change: its action, its path and
// the file it copies.
func (c AssetChange) String() string {
	s := fmt.Sprintf("%-9s %s", c.Action, c.Path)
	if c.Use.Source != "" {
		s += " (asset " + c.Use.Source + ")"
	}
	return s
}

// assetLine is one line of the reverse index: a manifest that uses an asset.
type assetLine struct {
	AssetUse
	Manifest string
}

func assetShardOf(blob string) string {
	if len(blob) < 2 {
		return "00"
	}
	return blob[:2]
}

func encodeAssetLines(lines []assetLine) []byte {
	slices.SortFunc(lines, compareAssetLines)
	var b strings.Builder
	for _, l := range lines {
		for i, f := range []string{l.Blob, l.SHA256, l.Source, l.Manifest} {
			if i > 0 {
				b.WriteByte('\t')
			}
			b.WriteString(escaper.Replace(f))
		}
		b.WriteByte('\n')
	}
	return []byte(b.String())
}

func compareAssetLines(a, b assetLine) int {
	for _, c := range [][2]string{{a.Blob, b.Blob}, {a.Source, b.Source}, {a.Manifest, b.Manifest}} {
		if n := strings.Compare(c[0], c[1]); n != 0 {
			return n
		}
	}
	return 0
}

func parseAssetLines(name string, data []byte) ([]assetLine, error) {
	var out []assetLine
	for _, line := range strings.Split(strings.TrimSuffix(string(data), "\n"), "\n") {
		if line == "" {
			continue
		}
		f := strings.Split(line, "\t")
		if len(f) != 4 {
			return nil, &badAssetIndexError{name}
		}
		l := assetLine{AssetUse{Source: unescape(f[2]), Blob: unescape(f[0]), SHA256: unescape(f[1])}, unescape(f[3])}
		if !l.valid() {
			return nil, &badAssetIndexError{name}
		}
		out = append(out, l)
	}
	return out, nil
}

type badAssetIndexError struct{ name string }

func (e *badAssetIndexError) Error() string {
	return e.name + ": expected lines of 4 fields: blob id, sha256, source path, manifest path"
}

// readAssetShards reads the lines of the given shards of the reverse index
// (all of them when shards is nil) from a build's index files.
func readAssetShards(r *repo.Repository, files map[string]repo.Hash, shards map[string]bool) ([]assetLine, error) {
	var out []assetLine
	for _, name := range slices.Sorted(maps.Keys(files)) {
		s, ok := strings.CutPrefix(name, AssetIndexDir+"/")
		if !ok || (shards != nil && !shards[s]) {
			continue
		}
		b, err := r.ReadBlob(files[name])
		if err != nil {
			return nil, err
		}
		ls, err := parseAssetLines(name, b)
		if err != nil {
			return nil, err
		}
		out = append(out, ls...)
	}
	return out, nil
}

// assetsOf returns the prior build's reverse index lines of the shards.
func (pr *prior) assetsOf(r *repo.Repository, shards map[string]bool) ([]assetLine, error) {
	if pr.assetLines != nil {
		var out []assetLine
		for _, l := range pr.assetLines {
			if shards == nil || shards[assetShardOf(l.Blob)] {
				out = append(out, l)
			}
		}
		return out, nil
	}
	return readAssetShards(r, pr.indexFiles, shards)
}

// assetHasher reads and hashes the assets of a manifest commit, each blob once.
type assetHasher struct {
	r      *repo.Repository
	tree   repo.Hash
	sums   map[repo.Hash]string
	looked int                  // lookups so far
	all    map[string]repo.Hash // every file of the tree, once lookups are many
}

// manyLookups is how many lookups one at a time (each reads the trees on
// the way, a directory of 10,000 entries each time) are worth before one
// listing of the whole tree is cheaper.
const manyLookups = 256

// blobAt is the blob at path p of the commit.
func (h *assetHasher) blobAt(p string) (repo.Hash, error) {
	if h.all == nil && h.looked >= manyLookups {
		all, err := h.r.TreeFiles(h.tree, "")
		if err != nil {
			return repo.ZeroHash, err
		}
		h.all = all
	}
	h.looked++
	if h.all != nil {
		return h.all[p], nil
	}
	return h.r.FileAt(h.tree, p), nil
}

// uses returns the assets at the given paths of the commit.
func (h *assetHasher) uses(paths []string) ([]AssetUse, error) {
	var out []AssetUse
	for _, p := range paths {
		b, err := h.blobAt(p)
		if err != nil {
			return nil, err
		}
		sum, ok := h.sums[b]
		if !ok {
			data, err := h.r.ReadBlob(b)
			if err != nil {
				return nil, err
			}
			s := sha256.Sum256(data)
			sum = hex.EncodeToString(s[:])
			h.sums[b] = sum
		}
		out = append(out, AssetUse{Source: p, Blob: b.String(), SHA256: sum})
	}
	return out, nil
}

// assetOutput is what a plan writes of assets: the reverse index's shards
// (to write, and kept), the asset files added and removed, and how many
// the new tree holds.
type assetOutput struct {
	shards  map[string][]byte    // file name to content; nil content: no file
	kept    map[string]repo.Hash // shards kept as they were
	changes []AssetChange        // sorted by path
	count   int
}

// assetChanges computes the reverse index of the new build and the asset
// files it adds and removes, from the previous build's lines of the
// shards the changes touch (all of them on a full build), less the lines
// of the replaced manifests, plus the lines of the fresh ones.
func assetChanges(r *repo.Repository, who *attribution, m *repo.Commit, prev *prior, d *delta, fresh []IndexEntry) (*assetOutput, error) {
	full := d.dirty == nil
	var dirty map[string]bool
	if !full {
		dirty = map[string]bool{}
		for _, es := range [][]IndexEntry{d.replaced, fresh} {
			for _, e := range es {
				for _, a := range e.Assets {
					dirty[assetShardOf(a.Blob)] = true
				}
			}
		}
		if len(dirty) == 0 {
			return &assetOutput{kept: keptAssetShards(prev, dirty), count: prev.index.Assets}, nil
		}
	}
	old, err := prev.assetsOf(r, dirty)
	if err != nil {
		return nil, err
	}
	gone := map[string]bool{}
	for _, e := range d.replaced {
		gone[e.Path] = true
	}
	byPath := map[string]*IndexEntry{}
	var lines []assetLine
	if full {
		for i := range d.keptInShards {
			e := &d.keptInShards[i]
			byPath[e.Path] = e
			for _, a := range e.Assets {
				lines = append(lines, assetLine{a, e.Path})
			}
		}
	} else {
		for _, l := range old {
			if !gone[l.Manifest] {
				lines = append(lines, l)
			}
		}
	}
	for i := range fresh {
		e := &fresh[i]
		byPath[e.Path] = e
		for _, a := range e.Assets {
			lines = append(lines, assetLine{a, e.Path})
		}
	}
	slices.SortFunc(lines, compareAssetLines)

	// The asset files before and after, in the shards considered.
	before := map[string]bool{}
	if full {
		for p := range prev.files {
			if protocol.IsAssetPath(p) {
				before[p] = true
			}
		}
	} else {
		for _, l := range old {
			before[l.ArtifactPath()] = true
		}
	}
	after := map[string]assetLine{}
	for _, l := range lines {
		if _, ok := after[l.ArtifactPath()]; !ok {
			after[l.ArtifactPath()] = l // the first user by blob, source, manifest
		}
	}
	out := &assetOutput{shards: map[string][]byte{}}
	// Who brought an asset: the first fresh manifest, by path, that uses it.
	firstFresh := map[string]*IndexEntry{}
	for i := range fresh {
		for _, a := range fresh[i].Assets {
			if _, ok := firstFresh[a.ArtifactPath()]; !ok {
				firstFresh[a.ArtifactPath()] = &fresh[i]
			}
		}
	}
	for p, l := range after {
		if before[p] {
			continue
		}
		owner := firstFresh[p]
		if owner == nil {
			owner = byPath[l.Manifest]
		}
		out.changes = append(out.changes, AssetChange{Path: p, Action: lineage.Created, Use: l.AssetUse, Owner: owner})
	}
	// Who let an asset go: the first replaced manifest, by path, that used
	// it, at the commit built.
	lastUse := map[string]*assetLine{}
	for i := range old {
		l := &old[i]
		if gone[l.Manifest] {
			if o, ok := lastUse[l.ArtifactPath()]; !ok || l.Manifest < o.Manifest {
				lastUse[l.ArtifactPath()] = l
			}
		}
	}
	if full {
		for _, e := range d.replaced {
			for _, a := range e.Assets {
				l := assetLine{a, e.Path}
				if o, ok := lastUse[a.ArtifactPath()]; !ok || l.Manifest < o.Manifest {
					lastUse[a.ArtifactPath()] = &l
				}
			}
		}
	}
	replaced := map[string]IndexEntry{}
	for _, e := range d.replaced {
		replaced[e.Path] = e
	}
	for p := range before {
		if _, ok := after[p]; ok {
			continue
		}
		ch := AssetChange{Path: p, Action: lineage.Retracted}
		if l := lastUse[p]; l != nil {
			ch.Use = l.AssetUse
			o := replaced[l.Manifest]
			o.Commit = m.ID.String()
			if o.Actor, _, err = who.of(m.ID); err != nil {
				return nil, err
			}
			ch.Owner = &o
		} else {
			// A file no index line accounts for: the build removes it all
			// the same, recorded under no manifest.
			ch.Use = AssetUse{Blob: prev.files[p].String(), SHA256: assetSum(p)}
			ch.Owner = &IndexEntry{Commit: m.ID.String()}
			if ch.Owner.Actor, _, err = who.of(m.ID); err != nil {
				return nil, err
			}
		}
		out.changes = append(out.changes, ch)
	}
	slices.SortFunc(out.changes, func(a, b AssetChange) int { return strings.Compare(a.Path, b.Path) })

	// The shards to write: every one touched, an emptied one as no file.
	groups := map[string][]assetLine{}
	for _, l := range lines {
		s := assetShardOf(l.Blob)
		groups[s] = append(groups[s], l)
	}
	for s := range dirty {
		if _, ok := groups[s]; !ok {
			groups[s] = nil
		}
	}
	for s, ls := range groups {
		if len(ls) > 0 {
			out.shards[AssetIndexDir+"/"+s] = encodeAssetLines(ls)
		}
	}
	out.kept = keptAssetShards(prev, dirty)
	if full {
		out.kept = nil
		out.count = len(after)
	} else {
		out.count = prev.index.Assets
		for _, c := range out.changes {
			if c.Action == lineage.Created {
				out.count++
			} else {
				out.count--
			}
		}
	}
	return out, nil
}

// assetSum is the SHA-256 an asset path names.
func assetSum(p string) string {
	name := p[strings.LastIndexByte(p, '/')+1:]
	return name[:min(64, len(name))]
}

// keptAssetShards are the previous build's reverse index shards that no
// change touches (none on a full build: dirty nil).
func keptAssetShards(prev *prior, dirty map[string]bool) map[string]repo.Hash {
	if dirty == nil {
		return nil
	}
	kept := map[string]repo.Hash{}
	for name, h := range prev.indexFiles {
		if s, ok := strings.CutPrefix(name, AssetIndexDir+"/"); ok && !dirty[s] {
			kept[name] = h
		}
	}
	return kept
}

// usersOfChanged finds, for the files that differ between the previous
// build's manifest commit and the one built (gone: path to the blob the
// previous one had), the manifests of the previous build that use them as
// assets, reading only the reverse index shards of those blobs.
func usersOfChanged(r *repo.Repository, prev *prior, gone map[string]repo.Hash) ([]string, error) {
	shards := map[string]bool{}
	for _, h := range gone {
		shards[assetShardOf(h.String())] = true
	}
	lines, err := prev.assetsOf(r, shards)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, l := range lines {
		if h, ok := gone[l.Source]; ok && h.String() == l.Blob {
			out = append(out, l.Manifest)
		}
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

// AssetUsage says what the latest build of branch has of the asset name
// names: its path in the artifact tree (assets/sha256/…), or a path of
// the repository that a manifest's @asset field names, as the build's
// manifest commit has it. It is nil when name is neither.
func AssetUsage(r *repo.Repository, branch, name string) (*lineage.AssetUsage, error) {
	// A few lookups in the tip's tree, never a listing of it: small
	// lineage asks this of every name.
	tip, err := r.Ref(branch)
	if err != nil || tip.IsZero() {
		return nil, err
	}
	c, err := r.ReadCommit(tip)
	if err != nil {
		return nil, err
	}
	mc, ok := repo.ParseHash(c.Trailer(protocol.TrailerManifestCommit))
	if !ok {
		return nil, nil
	}
	// A build without assets has no reverse index of them: one lookup,
	// where its metadata is a blob that every build changes (a long
	// chain of deltas in a packed history).
	if r.DirAt(c.Tree, AssetIndexDir).IsZero() {
		return nil, nil
	}
	idx, err := readIndexMeta(r, map[string]repo.Hash{IndexMeta: r.FileAt(c.Tree, IndexMeta)})
	if err != nil || idx.Assets == 0 {
		return nil, nil
	}
	var blob repo.Hash
	if protocol.IsAssetPath(name) {
		blob = r.FileAt(c.Tree, name)
	} else if m, err := r.ReadCommit(mc); err == nil {
		blob = r.FileAt(m.Tree, name)
	}
	if blob.IsZero() {
		return nil, nil
	}
	shard := AssetIndexDir + "/" + assetShardOf(blob.String())
	prev := &prior{commit: c, manifestCommit: mc, index: idx, indexFiles: map[string]repo.Hash{}}
	if h := r.FileAt(c.Tree, shard); !h.IsZero() {
		prev.indexFiles[shard] = h
	}
	lines, err := prev.assetsOf(r, nil)
	if err != nil {
		return nil, err
	}
	var use *lineage.AssetUsage
	for _, l := range lines {
		if l.Blob == blob.String() && (name == l.Source || name == l.ArtifactPath()) {
			use = &lineage.AssetUsage{ArtifactPath: l.ArtifactPath(), Blob: l.Blob, SHA256: l.SHA256}
			break
		}
	}
	if use == nil {
		return nil, nil
	}
	// Every source with these bytes and this path, and its users.
	var users []assetLine
	for _, l := range lines {
		if l.Blob == use.Blob && l.ArtifactPath() == use.ArtifactPath {
			users = append(users, l)
		}
	}
	shards := map[string]bool{}
	for _, l := range users {
		shards[shardOf(l.Manifest)] = true
		name := IndexDir + "/" + shardOf(l.Manifest)
		if h := r.FileAt(c.Tree, name); !h.IsZero() {
			prev.indexFiles[name] = h
		}
	}
	entries, err := prev.shardEntries(r, shards)
	if err != nil {
		return nil, err
	}
	byPath := map[string]IndexEntry{}
	for _, e := range entries {
		byPath[e.Path] = e
	}
	use.Sources, use.UsedBy = []string{}, []lineage.AssetUser{}
	for _, l := range users {
		if !slices.Contains(use.Sources, l.Source) {
			use.Sources = append(use.Sources, l.Source)
		}
		e := byPath[l.Manifest]
		use.UsedBy = append(use.UsedBy, lineage.AssetUser{Kind: e.Kind, ID: e.ID, Manifest: l.Manifest, Source: l.Source})
	}
	slices.Sort(use.Sources)
	slices.SortFunc(use.UsedBy, func(a, b lineage.AssetUser) int {
		return strings.Compare(a.Manifest+"\x00"+a.Source, b.Manifest+"\x00"+b.Source)
	})
	return use, nil
}
