package builder

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/smallhq/small/lineage"
	"github.com/smallhq/small/protocol"
	"github.com/smallhq/small/repo"
)

// The index of a build lives in its tree under .small/: which manifest
// version built which artifacts. It is the cache of incremental builds and,
// like everything small records, lives in Git. It is small's own
// bookkeeping, not part of small/v1.
const (
	// IndexMeta holds the protocol and the blob id of small.cue built from.
	IndexMeta = ".small/build.json"
	// IndexDir holds the entries in 256 shards by the first byte of
	// sha256(manifest path), so that a build rewrites only the shards its
	// changes touch.
	IndexDir = ".small/index"
)

// Index is a build's index.
type Index struct {
	Protocol string `json:"protocol"`
	Config   string `json:"config"`    // blob id of small.cue
	Count    int    `json:"manifests"` // how many manifests the build has
	// Assets is how many asset files the build's tree holds (see
	// assets.go); absent when none, so that builds without assets keep
	// the bytes they always had.
	Assets int `json:"assets,omitempty"`
	// Refs is how many lines the reverse index of references holds (see
	// refs.go); absent when none, for the same reason.
	Refs      int          `json:"refs,omitempty"`
	Manifests []IndexEntry `json:"-"` // sorted by path, when loaded
}

// IndexEntry is one manifest of a build.
type IndexEntry struct {
	Path      string
	Blob      string
	Kind      string
	ID        string
	Locale    string // a translation's; "" for the default locale's version
	Status    string
	Commit    string // the commit that introduced this version
	Actor     lineage.Actor
	Artifacts []string
	Assets    []AssetUse // the files its @asset fields name, by source path
	Refs      []RefUse   // the manifests its @ref fields name, by kind and id (refs.go)
}

// key names the entry: its kind, id and locale.
func (e IndexEntry) key() [3]string { return [3]string{e.Kind, e.ID, e.Locale} }

// Name is how small names the entry's artifact: Kind/id, or Kind/id@locale.
func (e IndexEntry) Name() string { return protocol.EntryName(e.Kind, e.ID, e.Locale) }

// State is the manifest's lifecycle state as built.
func (e IndexEntry) State() string { return e.Status }

// shardOf names the index shard of a manifest path.
func shardOf(manifestPath string) string {
	sum := sha256.Sum256([]byte(manifestPath))
	return hex.EncodeToString(sum[:1])
}

// An entry is one line of tab-separated fields, escaped so that no field
// holds a tab or a line break; lines parse an order of magnitude faster
// than JSON, and a one-manifest build reads them all.
var escaper = strings.NewReplacer(`\`, `\\`, "\t", `\t`, "\n", `\n`, "\r", `\r`)

func unescape(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) {
			i++
			switch s[i] {
			case 't':
				b.WriteByte('\t')
			case 'n':
				b.WriteByte('\n')
			case 'r':
				b.WriteByte('\r')
			default:
				b.WriteByte(s[i])
			}
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

const entryFields = 9 // before the artifacts

// withHuman marks an actor type followed by two more fields, the name and
// e-mail of the person the agent worked with (lineage.Actor.Human), before
// the artifacts. Indexes written before it existed never have it.
const withHuman = "+"

// withAssets marks an actor type (after withHuman) followed, after the
// person if any, by the number of the manifest's assets and three fields
// each (source path, blob id, sha256), before the artifacts. Indexes
// written before small knew assets never have it.
const withAssets = "*"

// withRefs marks an actor type (after withHuman and withAssets) followed,
// after the assets if any, by the number of the manifest's references and
// four fields each (kind, id or id@locale, path, blob: the last two empty
// when its kind does not read #refs), before the artifacts. Indexes
// written before small recorded references never have it.
const withRefs = "&"

func encodeEntry(b *strings.Builder, e IndexEntry) {
	// A translation's id field is id@locale: an id never holds '@', so
	// indexes written before translations read the same.
	id := e.ID
	if e.Locale != "" {
		id += "@" + e.Locale
	}
	fields := []string{e.Path, e.Blob, e.Kind, id, e.Status, e.Commit, e.Actor.Type, e.Actor.Name, e.Actor.Email}
	if h := e.Actor.Human; h != (lineage.Person{}) {
		fields[6] += withHuman
		fields = append(fields, h.Name, h.Email)
	}
	if len(e.Assets) > 0 {
		fields[6] += withAssets
		fields = append(fields, strconv.Itoa(len(e.Assets)))
		for _, a := range e.Assets {
			fields = append(fields, a.Source, a.Blob, a.SHA256)
		}
	}
	if len(e.Refs) > 0 {
		fields[6] += withRefs
		fields = append(fields, strconv.Itoa(len(e.Refs)))
		for _, u := range e.Refs {
			id := u.ID
			if u.Locale != "" {
				id += "@" + u.Locale
			}
			fields = append(fields, u.Kind, id, u.Path, u.Blob)
		}
	}
	for i, f := range fields {
		if i > 0 {
			b.WriteByte('\t')
		}
		b.WriteString(escaper.Replace(f))
	}
	for _, a := range e.Artifacts {
		b.WriteByte('\t')
		b.WriteString(escaper.Replace(a))
	}
	b.WriteByte('\n')
}

func decodeEntry(line string) (IndexEntry, error) {
	f := strings.Split(line, "\t")
	if len(f) < entryFields {
		return IndexEntry{}, fmt.Errorf("index line has %d fields, expected at least %d", len(f), entryFields)
	}
	for i := range f {
		f[i] = unescape(f[i])
	}
	e := IndexEntry{Path: f[0], Blob: f[1], Kind: f[2], ID: f[3], Status: f[4], Commit: f[5],
		Actor: lineage.Actor{Type: f[6], Name: f[7], Email: f[8]}, Artifacts: f[entryFields:]}
	if i := strings.LastIndexByte(e.ID, '@'); i >= 0 {
		e.ID, e.Locale = e.ID[:i], e.ID[i+1:]
	}
	assets, refs := false, false
	e.Actor.Type, refs = strings.CutSuffix(e.Actor.Type, withRefs)
	e.Actor.Type, assets = strings.CutSuffix(e.Actor.Type, withAssets)
	next := entryFields
	if t, ok := strings.CutSuffix(e.Actor.Type, withHuman); ok {
		if len(f) < entryFields+2 {
			return IndexEntry{}, fmt.Errorf("index line has %d fields, expected at least %d for an actor with a person beside it", len(f), entryFields+2)
		}
		e.Actor.Type, e.Actor.Human = t, lineage.Person{Name: f[entryFields], Email: f[entryFields+1]}
		next += 2
	}
	if assets {
		n, err := strconv.Atoi(f[min(next, len(f)-1)])
		if next >= len(f) || err != nil || n <= 0 || n > (len(f)-next-1)/3 {
			return IndexEntry{}, fmt.Errorf("index line has no valid count of assets at field %d", next+1)
		}
		for i := range n {
			a := f[next+1+3*i:]
			u := AssetUse{Source: a[0], Blob: a[1], SHA256: a[2]}
			if !u.valid() {
				return IndexEntry{}, fmt.Errorf("index line names asset %q with blob %q and sha256 %q: expected hex ids", u.Source, u.Blob, u.SHA256)
			}
			e.Assets = append(e.Assets, u)
		}
		next += 1 + 3*n
	}
	if refs {
		n, err := strconv.Atoi(f[min(next, len(f)-1)])
		if next >= len(f) || err != nil || n <= 0 || n > (len(f)-next-1)/4 {
			return IndexEntry{}, fmt.Errorf("index line has no valid count of references at field %d", next+1)
		}
		for i := range n {
			a := f[next+1+4*i:]
			u := RefUse{Kind: a[0], ID: a[1], Path: a[2], Blob: a[3]}
			if j := strings.LastIndexByte(u.ID, '@'); j >= 0 {
				u.ID, u.Locale = u.ID[:j], u.ID[j+1:]
			}
			if _, ok := repo.ParseHash(u.Blob); u.Kind == "" || u.ID == "" || (u.Blob != "" && !ok) || (u.Blob == "") != (u.Path == "") {
				return IndexEntry{}, fmt.Errorf("index line names reference %s/%s with path %q and blob %q: expected a kind, an id, and a path with a hex blob id or neither", u.Kind, u.ID, u.Path, u.Blob)
			}
			e.Refs = append(e.Refs, u)
		}
		next += 1 + 4*n
	}
	e.Artifacts = f[next:]
	return e, nil
}

// renderShards renders the shards of entries that dirty names (all of them
// when dirty is nil), as file name to content; an empty shard has no file.
func renderShards(entries []IndexEntry, dirty map[string]bool) map[string][]byte {
	groups := map[string][]IndexEntry{}
	for _, e := range entries {
		s := shardOf(e.Path)
		if dirty == nil || dirty[s] {
			groups[s] = append(groups[s], e)
		}
	}
	out := make(map[string][]byte, len(groups))
	for s, es := range groups {
		slices.SortFunc(es, func(a, b IndexEntry) int { return strings.Compare(a.Path, b.Path) })
		var b strings.Builder
		for _, e := range es {
			encodeEntry(&b, e)
		}
		out[IndexDir+"/"+s] = []byte(b.String())
	}
	return out
}

// readIndexMeta reads the index's metadata (files: the index's files).
func readIndexMeta(r *repo.Repository, files map[string]repo.Hash) (*Index, error) {
	idx := &Index{}
	if h, ok := files[IndexMeta]; ok {
		b, err := r.ReadBlob(h)
		if err != nil {
			return nil, err
		}
		if err := json.Unmarshal(b, idx); err != nil {
			return nil, fmt.Errorf("read %s: %w", IndexMeta, err)
		}
	}
	return idx, nil
}

// readShards reads the entries of the given shards (all when shards is nil).
func readShards(r *repo.Repository, files map[string]repo.Hash, shards map[string]bool) ([]IndexEntry, error) {
	var out []IndexEntry
	for name, h := range files {
		s, ok := strings.CutPrefix(name, IndexDir+"/")
		if !ok || (shards != nil && !shards[s]) {
			continue
		}
		b, err := r.ReadBlob(h)
		if err != nil {
			return nil, err
		}
		es, err := parseShard(name, b)
		if err != nil {
			return nil, fmt.Errorf("read %w", err)
		}
		out = append(out, es...)
	}
	slices.SortFunc(out, func(a, b IndexEntry) int { return strings.Compare(a.Path, b.Path) })
	return out, nil
}

// parseShard reads the entries of one index shard (name is for errors).
func parseShard(name string, data []byte) ([]IndexEntry, error) {
	var out []IndexEntry
	for _, line := range strings.Split(strings.TrimSuffix(string(data), "\n"), "\n") {
		if line == "" {
			continue
		}
		e, err := decodeEntry(line)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		out = append(out, e)
	}
	return out, nil
}

// Current reads the index of the artifact branch's tip: every manifest of
// the latest build with its state and artifacts, and the manifest commit it
// was built from. It returns nil entries when there is no build yet.
func Current(r *repo.Repository, branch string) ([]IndexEntry, repo.Hash, error) {
	prev, err := readPrevious(r, branch)
	if err != nil || prev == nil {
		return nil, repo.ZeroHash, err
	}
	idx, err := prev.fullIndex(r)
	if err != nil {
		return nil, repo.ZeroHash, err
	}
	return idx.Manifests, prev.manifestCommit, nil
}
