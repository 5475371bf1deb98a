package lineage

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/smallhq/small/protocol"
	"github.com/smallhq/small/repo"
)

// The lineage index. A build's tree keeps, beside its manifest index
// (builder), one line per artifact any build of its history created,
// updated or retracted, retracted ones included: the build that changed
// it last and the one before that, so that small lineage reads one note
// at one path whatever the history's length, and --all follows the k
// builds that changed the artifact instead of walking every build. A
// manifest the records name has a line too (ManifestKey), for small
// lineage MANIFEST-PATH.
//
// A build commit cannot name itself in its own tree: a line whose last
// build is empty was changed by the build whose tree holds it, and the
// next build writes that build's id in its place. The index is under
// IndexDir, in 256 shards by the first byte of sha256(artifact path),
// each line "path TAB last TAB previous", sorted by path, an id empty
// where there is none (last: this build; previous: no earlier change).
//
// small build writes it from the previous build's index and the artifacts
// its own lineage records name: a fact a rebuild reproduces bit for bit,
// which small verify checks. The builds that changed an artifact are the
// builds whose lineage records name it, as the walk of history finds them.
// A build made before small kept the index has none: the queries walk,
// and the next build writes it for the whole history.

// IndexDir holds the lineage index of a build, in its tree.
const IndexDir = protocol.IndexDir + "/lineage"

// ManifestKey is the path of a manifest's line in the lineage index: the
// builds whose lineage records name it as their manifest, for small
// lineage MANIFEST-PATH. It is the manifest's path after a '/', which no
// artifact path starts with.
func ManifestKey(manifestPath string) string { return "/" + manifestPath }

// IndexLine is one artifact of a build's lineage index.
type IndexLine struct {
	Artifact string
	// Last is the build that last created, updated or retracted the
	// artifact; ZeroHash for the build whose tree holds the line.
	Last repo.Hash
	// Prev is the build that changed it before Last; ZeroHash when none
	// did.
	Prev repo.Hash
}

// IndexShard names the shard of the lineage index that holds artifact's
// line (a file of IndexDir).
func IndexShard(artifact string) string {
	sum := sha256.Sum256([]byte(artifact))
	return hex.EncodeToString(sum[:1])
}

func idOrEmpty(h repo.Hash) string {
	if h.IsZero() {
		return ""
	}
	return h.String()
}

// EncodeIndex renders the lines of one shard, sorted by artifact path.
// A path never holds a tab or a line break: protocol.ValidID and the
// checks of #outputs paths refuse them in artifact paths, and a manifest
// path with a control character is a finding no build gets past.
func EncodeIndex(lines []IndexLine) []byte {
	slices.SortFunc(lines, func(a, b IndexLine) int { return strings.Compare(a.Artifact, b.Artifact) })
	var b strings.Builder
	b.Grow(len(lines) * 128)
	for _, l := range lines {
		b.WriteString(l.Artifact)
		b.WriteByte('\t')
		b.WriteString(idOrEmpty(l.Last))
		b.WriteByte('\t')
		b.WriteString(idOrEmpty(l.Prev))
		b.WriteByte('\n')
	}
	return []byte(b.String())
}

// BadIndexError is a shard of the lineage index small cannot read.
type BadIndexError struct {
	Name string // the shard's path in the build's tree
	Line int
}

func (e *BadIndexError) Error() string {
	return fmt.Sprintf("%s:%d: expected a line of 3 fields: an artifact path, the build that last changed it (empty: this one), the build before (empty: none)", e.Name, e.Line)
}

// ParseIndex reads the lines of one shard (name is its path, for errors).
func ParseIndex(name string, data []byte) ([]IndexLine, error) {
	var out []IndexLine
	for i, line := range strings.Split(strings.TrimSuffix(string(data), "\n"), "\n") {
		if line == "" && len(data) == 0 {
			break
		}
		l, ok := parseIndexLine(line)
		if !ok {
			return nil, &BadIndexError{Name: name, Line: i + 1}
		}
		out = append(out, l)
	}
	return out, nil
}

func parseIndexLine(line string) (IndexLine, bool) {
	path, rest, ok1 := strings.Cut(line, "\t")
	last, prev, ok2 := strings.Cut(rest, "\t")
	if !ok1 || !ok2 || path == "" || strings.Contains(prev, "\t") {
		return IndexLine{}, false
	}
	l := IndexLine{Artifact: path}
	for _, f := range []struct {
		s string
		h *repo.Hash
	}{{last, &l.Last}, {prev, &l.Prev}} {
		if f.s == "" {
			continue
		}
		h, ok := repo.ParseHash(f.s)
		if !ok || h.IsZero() {
			return IndexLine{}, false
		}
		*f.h = h
	}
	// The build before the last is an earlier one: never empty while the
	// last is, and never the last itself.
	if !l.Prev.IsZero() && l.Prev == l.Last {
		return IndexLine{}, false
	}
	return l, true
}

// indexLine finds artifact's line in the lineage index of a build's tree:
// has says the build has a lineage index at all (small before it kept one
// wrote none), line is nil when the index has no line for the artifact
// (no build of the history changed it). Only the line's shard is read.
func (l *Log) indexLine(tree repo.Hash, artifact string) (line *IndexLine, has bool, err error) {
	l.reads++
	dir := l.r.DirAt(tree, IndexDir)
	if dir.IsZero() {
		return nil, false, nil
	}
	shard := IndexShard(artifact)
	h := l.r.FileAt(dir, shard)
	if h.IsZero() {
		return nil, true, nil
	}
	data, err := l.r.ReadBlob(h)
	if err != nil {
		return nil, true, err
	}
	text := string(data)
	for n := 1; text != ""; n++ {
		one, rest, _ := strings.Cut(text, "\n")
		text = rest
		if !strings.HasPrefix(one, artifact+"\t") {
			continue
		}
		found, ok := parseIndexLine(one)
		if !ok {
			return nil, true, &BadIndexError{Name: IndexDir + "/" + shard, Line: n}
		}
		return &found, true, nil
	}
	return nil, true, nil
}

// LastChanges walks the builds from build from down to the first, and
// returns for each artifact any of them changed the newest two that did
// ([0] the last, [1] the one before; ZeroHash where there is none): the
// builds whose lineage records name it, or, for a build without a lineage
// note, whose tree changed it against its parent's, as the walk of
// Versions finds them; and the same for each manifest the records name
// (ManifestKey), as the walk of ArtifactsOf finds them. It is how the first build that keeps a lineage
// index indexes the history before it, once. History that a shallow
// clone cut is a *repo.ShallowError: the index must not depend on how
// much of history a clone has.
func LastChanges(r *repo.Repository, from repo.Hash) (map[string][2]repo.Hash, error) {
	notes, err := r.LookupNotes(protocol.NotesLineage)
	if err != nil {
		return nil, err
	}
	out := map[string][2]repo.Hash{}
	saw := func(artifact string, build repo.Hash) {
		s := out[artifact]
		switch {
		case s[0].IsZero():
			s[0] = build
		case s[1].IsZero() && s[0] != build:
			s[1] = build
		default:
			return
		}
		out[artifact] = s
	}
	for h := from; !h.IsZero(); {
		c, err := r.ReadCommit(h)
		if err != nil {
			if r.Shallow() {
				return nil, &repo.ShallowError{Commit: h}
			}
			return nil, err
		}
		if len(c.Parents) > 0 && r.IsShallowBoundary(h) {
			return nil, &repo.ShallowError{Commit: h}
		}
		// Line by line, as ParseRecords reads them: a first build's note
		// is megabytes of records.
		ok, err := notes.NoteLines(h, func(line []byte) bool {
			var rec Record
			if json.Unmarshal(line, &rec) == nil && rec.Artifact != "" {
				saw(rec.Artifact, h)
				if rec.Manifest != "" {
					saw(ManifestKey(rec.Manifest), h)
				}
			}
			return true
		})
		if err != nil {
			return nil, err
		}
		if !ok {
			changed, err := treeChanges(r, c)
			if err != nil {
				return nil, err
			}
			for _, a := range changed {
				saw(a, h)
			}
		}
		if len(c.Parents) == 0 {
			break
		}
		h = c.Parents[0]
	}
	return out, nil
}

// treeChanges lists the artifacts a build's tree adds, changes or removes
// against its first parent's, in path order.
func treeChanges(r *repo.Repository, c *repo.Commit) ([]string, error) {
	before := repo.ZeroHash
	if len(c.Parents) > 0 {
		p, err := r.ReadCommit(c.Parents[0])
		if err != nil {
			return nil, err
		}
		before = p.Tree
	}
	var out []string
	for _, pair := range [][2]repo.Hash{{c.Tree, before}, {before, c.Tree}} {
		diff, err := r.DiffTrees(pair[0], pair[1], "")
		if err != nil {
			return nil, err
		}
		for p := range diff {
			if !strings.HasPrefix(p, protocol.IndexDir+"/") {
				out = append(out, p)
			}
		}
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

// Reads is how many objects (build commits, notes, index shards) the
// log's queries of artifacts have read so far: what the lineage index
// keeps from growing with the history's length.
func (l *Log) Reads() int { return l.reads }

// WalkVersions is Versions without the lineage index: every build from
// the tip down, as small answered before it kept one (and still does for
// a history without an index). The index must answer the same.
func (l *Log) WalkVersions(path string, all bool) ([]Version, error) {
	return l.walkVersions(l.tip, path, all)
}

// Indexed reports whether the tip's lineage index has a line for path:
// an artifact some build of the history created (retracted since, or
// not). False where the tip has no index.
func (l *Log) Indexed(path string) (bool, error) {
	tip, err := l.tipBuild()
	if err != nil {
		return false, err
	}
	line, _, err := l.indexLine(tip.Tree, path)
	var bad *BadIndexError
	if errors.As(err, &bad) {
		return false, nil
	}
	return line != nil, err
}

// WalkArtifactsOf is ArtifactsOf without the lineage index: every build
// from the tip down. The index must answer the same.
func (l *Log) WalkArtifactsOf(manifestPath string, limit int) ([]Version, error) {
	return l.walkArtifactsOf(l.tip, manifestPath, limit, nil)
}
