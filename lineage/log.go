package lineage

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/smallhq/small/protocol"
	"github.com/smallhq/small/repo"
)

// Version is one version of an artifact: the build that wrote (or
// retracted) it, and the record of where it came from.
type Version struct {
	Build  *repo.Commit
	Record Record
	// Missing says why there is no record, when there is none: a build
	// without a lineage note, or a note without a line for this artifact.
	Missing string
}

// Found reports whether the version has a lineage record.
func (v Version) Found() bool { return v.Missing == "" }

// Log reads the history of the artifact branch, newest first, with the
// lineage and lifecycle notes of each build, looked up one at a time.
type Log struct {
	r         *repo.Repository
	branch    string // full ref name
	tip       repo.Hash
	lineage   *repo.NotesLookup
	lifecycle *repo.NotesLookup // opened on first use
	// Shallow is set when the walk reached the end of a shallow clone's history.
	Shallow bool
	// MissingNotes are the builds read that have no lifecycle note.
	MissingNotes []repo.Hash
	// manifests says which names a user types are manifest paths (see
	// ClassifyManifests); nil: by extension.
	manifests func(path string) bool
	// tipCommit is the tip, once read.
	tipCommit *repo.Commit
	// reads counts the objects the queries of an artifact read (commits,
	// notes, lineage index shards): what the lineage index bounds.
	reads int
}

// ClassifyManifests makes the log read a name as a manifest path when
// isManifest says so (small.cue's files rules, config.Config.IsManifest)
// as well as when its extension is a manifest's, as builds of the past
// knew manifests: small lineage topics/git/index.md then works by path.
func (l *Log) ClassifyManifests(isManifest func(path string) bool) { l.manifests = isManifest }

// IsManifest reports whether name may be a manifest path: the names
// Resolve looks up among the manifests the builds recorded.
func (l *Log) IsManifest(name string) bool {
	return protocol.IsManifestFile(name) || l.manifests != nil && l.manifests(name)
}

// ErrNoBuild is an artifact branch that does not exist yet.
var ErrNoBuild = errors.New("no build yet")

// NoBuildError is an artifact branch that does not exist yet; it is ErrNoBuild.
type NoBuildError struct{ Branch string }

func (e *NoBuildError) Error() string {
	return protocol.BranchName(e.Branch) + " does not exist yet: run small build first"
}

func (e *NoBuildError) Is(target error) bool { return target == ErrNoBuild }

// NotFetchedError is an artifact branch that origin has and this clone
// does not: a fresh clone, which must fetch it before reading or building.
type NotFetchedError struct{ Branch string }

func (e *NotFetchedError) Error() string {
	b := protocol.BranchName(e.Branch)
	return fmt.Sprintf("%s exists on origin but not here: fetch it and its notes first with small pull (or git fetch origin %s:%s 'refs/notes/small/*:refs/notes/small/*')", b, b, b)
}

// OnRemoteOnly returns a *NotFetchedError when origin has the artifact
// branch (a full ref name) that this clone lacks.
func OnRemoteOnly(r *repo.Repository, branch string) error {
	if remote, _ := r.Ref("refs/remotes/origin/" + protocol.BranchName(branch)); !remote.IsZero() {
		return &NotFetchedError{Branch: branch}
	}
	return nil
}

// Open opens the history of the artifact branch (a full ref name).
func Open(r *repo.Repository, branch string) (*Log, error) {
	tip, err := r.Ref(branch)
	if err != nil {
		return nil, err
	}
	if tip.IsZero() {
		if err := OnRemoteOnly(r, branch); err != nil {
			return nil, err
		}
		return nil, &NoBuildError{Branch: branch}
	}
	lin, err := r.LookupNotes(protocol.NotesLineage)
	if err != nil {
		return nil, err
	}
	return &Log{r: r, branch: branch, tip: tip, lineage: lin}, nil
}

// Branch is the artifact branch's full ref name.
func (l *Log) Branch() string { return l.branch }

// Tip is the newest build.
func (l *Log) Tip() repo.Hash { return l.tip }

// Walk calls fn with each build commit, newest first, following first
// parents, until fn returns false or history ends.
func (l *Log) Walk(fn func(c *repo.Commit) (bool, error)) error {
	return l.walkFrom(l.tip, fn)
}

// walkFrom is Walk from build start down.
func (l *Log) walkFrom(start repo.Hash, fn func(c *repo.Commit) (bool, error)) error {
	for h := start; !h.IsZero(); {
		l.reads++
		c, err := l.r.ReadCommit(h)
		if err != nil {
			if l.r.IsShallowBoundary(h) || strings.Contains(err.Error(), "shallow clone") {
				l.Shallow = true
				return nil
			}
			return err
		}
		more, err := fn(c)
		if err != nil || !more {
			return err
		}
		if len(c.Parents) == 0 {
			return nil
		}
		if l.r.IsShallowBoundary(h) {
			l.Shallow = true
			return nil
		}
		h = c.Parents[0]
	}
	return nil
}

// Records returns the lineage records of a build, and whether it has a note.
// Lines that are not records (added by hand with git notes append) are
// passed over.
func (l *Log) Records(build repo.Hash) ([]Record, bool, error) {
	text, ok, err := l.lineage.Note(build)
	if err != nil || !ok {
		return nil, ok, err
	}
	recs, _ := ParseRecords(text)
	return recs, true, nil
}

// Events returns the lifecycle events of a build.
func (l *Log) Events(build repo.Hash) ([]Event, error) {
	if l.lifecycle == nil {
		lif, err := l.r.LookupNotes(protocol.NotesLifecycle)
		if err != nil {
			return nil, err
		}
		l.lifecycle = lif
	}
	text, ok, err := l.lifecycle.Note(build)
	if err != nil {
		return nil, err
	}
	if !ok {
		l.MissingNotes = append(l.MissingNotes, build)
		return nil, nil
	}
	return ParseEvents(text), nil
}

// MissingNotesError is history that builds without a lifecycle note leave
// incomplete: a finding (small verify names it too), never a silent gap.
type MissingNotesError struct {
	What   string // what is incomplete
	Builds []repo.Hash
}

func (e *MissingNotesError) Error() string {
	ids := make([]string, 0, len(e.Builds))
	for i, b := range e.Builds {
		if i == 5 {
			ids = append(ids, fmt.Sprintf("and %d more", len(e.Builds)-5))
			break
		}
		ids = append(ids, b.Short())
	}
	return fmt.Sprintf("%s is incomplete: build(s) %s have no lifecycle note (%s); fetch the notes (small pull), and run small verify", e.What, strings.Join(ids, ", "), protocol.NotesLifecycle)
}

// WalkEvents calls fn with each build, newest first, and its lifecycle
// events in the note's (time) order, until fn returns false or history ends.
func (l *Log) WalkEvents(fn func(c *repo.Commit, events []Event) (bool, error)) error {
	return l.Walk(func(c *repo.Commit) (bool, error) {
		evs, err := l.Events(c.ID)
		if err != nil {
			return false, err
		}
		return fn(c, evs)
	})
}

// recordFor finds the record of one artifact in a note: only the line that
// names it is parsed (a first build's note holds a line per artifact).
func recordFor(note []byte, quoted string) (Record, bool) {
	text := string(note)
	for {
		i := strings.Index(text, quoted)
		if i < 0 {
			return Record{}, false
		}
		start := strings.LastIndexByte(text[:i], '\n') + 1
		end := strings.IndexByte(text[i:], '\n')
		if end < 0 {
			end = len(text)
		} else {
			end += i
		}
		var r Record
		if jsonUnmarshal(text[start:end], &r) == nil && r.Artifact != "" {
			return r, true
		}
		text = text[end:]
	}
}

// Versions returns the versions of the artifact at path, newest first: the
// builds that created, updated or retracted it. With all unset it stops at
// the newest. A build without a lineage note is found by comparing trees,
// and its version says that no lineage was recorded.
//
// Where the tip has a lineage index (index.go), the builds are read from
// it: the newest version costs one note, whatever the history's length,
// and all of them one note and one shard each. Where the index and the
// notes disagree, history is walked, as it is without an index.
func (l *Log) Versions(path string, all bool) ([]Version, error) {
	vs, ok, err := l.indexedVersions(path, all)
	if err != nil || ok {
		return vs, err
	}
	return l.walkVersions(l.tip, path, all)
}

// tipBuild reads the tip, once.
func (l *Log) tipBuild() (*repo.Commit, error) {
	if l.tipCommit == nil {
		l.reads++
		c, err := l.r.ReadCommit(l.tip)
		if err != nil {
			return nil, err
		}
		l.tipCommit = c
	}
	return l.tipCommit, nil
}

// note reads the lineage note of a build.
func (l *Log) note(build repo.Hash) ([]byte, bool, error) {
	l.reads++
	return l.lineage.Note(build)
}

// noteRecord finds the record of the artifact at path in the lineage note
// of build: false when the build has no note, or no record of it. The note
// is read only as far as its sorted lines can hold the record: small
// writes one JSON line per artifact, sorted, each starting with its
// "artifact" (a first build's note is megabytes, and this is one line).
func (l *Log) noteRecord(build repo.Hash, path string) (rec Record, found bool, err error) {
	l.reads++
	quotedPath, err := MarshalLine(path)
	if err != nil {
		return Record{}, false, err
	}
	key := append([]byte(`"artifact":`), quotedPath...)
	start := append([]byte(`{`), key...)
	canonical := []byte(`{"artifact":`) // how small starts every record
	_, err = l.lineage.NoteLines(build, func(line []byte) bool {
		if bytes.HasPrefix(line, canonical) && !bytes.HasPrefix(line, start) {
			// Another artifact's record: before path's, or past where
			// path's line sorts, and then it is not in the note.
			return bytes.Compare(line, start) < 0
		}
		if bytes.HasPrefix(line, start) || bytes.Contains(line, key) {
			var r Record
			if json.Unmarshal(line, &r) == nil && r.Artifact == path {
				rec, found = r, true
				return false
			}
		}
		return true
	})
	return rec, found, err
}

// indexedVersions answers Versions from the lineage index; ok is false
// where it cannot: the tip has no index (small made it before it kept
// one), or the index names a build whose note does not record the
// artifact, or a current version the tip does not hold (notes removed or
// edited, an index that lies): the caller walks history then, and never
// prints what the index alone says.
func (l *Log) indexedVersions(path string, all bool) (out []Version, ok bool, err error) {
	tip, err := l.tipBuild()
	if err != nil {
		return nil, false, err
	}
	line, has, err := l.indexLine(tip.Tree, path)
	var bad *BadIndexError
	if errors.As(err, &bad) || !has {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	if line == nil {
		return nil, true, nil // no build of the history changed it
	}
	build, prev := tip, line.Prev
	if !line.Last.IsZero() {
		l.reads++
		if build, err = l.r.ReadCommit(line.Last); err != nil {
			return nil, false, nil // a shallow clone's boundary, say: the walk says so
		}
	}
	for {
		rec, recorded, err := l.noteRecord(build.ID, path)
		if err != nil {
			return nil, false, err
		}
		if !recorded {
			return nil, false, nil
		}
		if len(out) == 0 && build != tip {
			// The newest version is what the tip holds: its bytes, or
			// nothing after a retraction. (A version of the tip's own is
			// what its note records, which is what a walk finds too.)
			now := l.r.FileAt(tip.Tree, path)
			if rec.Action == Retracted && !now.IsZero() || rec.Action != Retracted && now.String() != rec.Blob {
				return nil, false, nil
			}
		}
		out = append(out, Version{Build: build, Record: rec})
		if !all || prev.IsZero() {
			return out, true, nil
		}
		l.reads++
		next, err := l.r.ReadCommit(prev)
		if err != nil {
			return nil, false, nil
		}
		nl, has, err := l.indexLine(next.Tree, path)
		if errors.As(err, &bad) {
			return nil, false, nil
		}
		if err != nil {
			return nil, false, err
		}
		if !has {
			// Built before small kept the index: the rest is walked.
			rest, err := l.walkVersions(next.ID, path, true)
			return append(out, rest...), true, err
		}
		if nl == nil || !nl.Last.IsZero() {
			return nil, false, nil // the build named did not change it
		}
		build, prev = next, nl.Prev
	}
}

// walkVersions is Versions by walking the builds from start down.
func (l *Log) walkVersions(start repo.Hash, path string, all bool) ([]Version, error) {
	var out []Version
	quoted := `"artifact":"` + path + `"`
	top, _, _ := strings.Cut(path, "/")
	// visit decides about build c once its parent's tree is known: a build
	// whose top-level entry for path (article/, say) is its parent's did not
	// touch path, and its note need not be read, as git log -- PATH skips it.
	// Each root tree is asked twice, as a child and then as a parent.
	// An artifact whose bytes stay while the assets its manifest names
	// change is updated too (its record lists the new ones), and the
	// assets' directory shows it.
	assetTop, _, _ := strings.Cut(protocol.AssetDir, "/")
	entries := map[repo.Hash][2]repo.Hash{}
	entryOf := func(tree repo.Hash) [2]repo.Hash {
		id, ok := entries[tree]
		if !ok {
			id[0], _, _ = l.r.Lookup(tree, top)
			if top != assetTop {
				id[1], _, _ = l.r.Lookup(tree, assetTop)
			}
			clear(entries) // one step of the walk needs at most the last one
			entries[tree] = id
		}
		return id
	}
	visit := func(c *repo.Commit, parentTree repo.Hash, hasParent bool) (bool, error) {
		if hasParent && entryOf(c.Tree) == entryOf(parentTree) {
			return true, nil
		}
		text, ok, err := l.note(c.ID)
		if err != nil {
			return false, err
		}
		if ok {
			// Find path's line and parse only it: a first build's note
			// holds a line per artifact.
			if rec, found := recordFor(text, quoted); found && rec.Artifact == path {
				out = append(out, Version{Build: c, Record: rec})
				return all, nil
			}
			return true, nil
		}
		// No note: did this build change path at all?
		changed, action, err := l.changedBy(c, path)
		if err != nil || !changed {
			return err == nil, err
		}
		out = append(out, Version{Build: c, Record: Record{Artifact: path, Action: action},
			Missing: "no lineage recorded: build " + c.ID.Short() + " has no note in " + protocol.NotesLineage})
		return all, nil
	}
	var pending *repo.Commit
	stopped := false
	err := l.walkFrom(start, func(c *repo.Commit) (bool, error) {
		if pending != nil {
			more, err := visit(pending, c.Tree, true)
			if err != nil || !more {
				stopped = true
				return false, err
			}
		}
		pending = c
		return true, nil
	})
	if err == nil && !stopped && pending != nil {
		// The first build, or the last one a shallow clone has.
		_, err = visit(pending, repo.ZeroHash, len(pending.Parents) > 0 && !l.Shallow)
	}
	return out, err
}

// changedBy compares path in a build and its first parent.
func (l *Log) changedBy(c *repo.Commit, path string) (bool, string, error) {
	now := l.r.FileAt(c.Tree, path)
	before := repo.ZeroHash
	if len(c.Parents) > 0 {
		p, err := l.r.ReadCommit(c.Parents[0])
		if err != nil {
			return false, "", err
		}
		before = l.r.FileAt(p.Tree, path)
	}
	switch {
	case now == before:
		return false, "", nil
	case before.IsZero():
		return true, Created, nil
	case now.IsZero():
		return true, Retracted, nil
	}
	return true, Updated, nil
}

// ParseEvents reads a lifecycle note, passing over lines that are not events.
func ParseEvents(note []byte) []Event {
	var out []Event
	for _, line := range strings.Split(string(note), "\n") {
		if strings.TrimSpace(line) == "" {
			continue
		}
		var e Event
		if err := jsonUnmarshal(line, &e); err == nil && e.Event != "" {
			out = append(out, e)
		}
	}
	return out
}

// ArtifactsOf lists, newest first, the artifact records a manifest path
// produced across builds.
//
// Where the tip has a lineage index, the builds are read from it (the
// manifest's line, ManifestKey): one note per build whose records name
// the manifest, never a walk of the builds in between. Where the index
// and the notes disagree, history is walked.
func (l *Log) ArtifactsOf(manifestPath string, limit int) ([]Version, error) {
	vs, ok, err := l.indexedArtifactsOf(manifestPath, limit)
	if err != nil || ok {
		return vs, err
	}
	return l.walkArtifactsOf(l.tip, manifestPath, limit, nil)
}

// manifestRecords are the records of a build's note that name manifestPath
// as their manifest; found is false when the build has no note.
func (l *Log) manifestRecords(build repo.Hash, manifestPath string) (recs []Record, found bool, err error) {
	text, ok, err := l.note(build)
	if err != nil || !ok {
		return nil, false, err
	}
	if !strings.Contains(string(text), `"manifest":"`+manifestPath+`"`) {
		return nil, true, nil
	}
	all, _ := ParseRecords(text)
	for _, rec := range all {
		if rec.Manifest == manifestPath {
			recs = append(recs, rec)
		}
	}
	return recs, true, nil
}

// indexedArtifactsOf answers ArtifactsOf from the lineage index; ok is
// false where it cannot (see indexedVersions).
func (l *Log) indexedArtifactsOf(manifestPath string, limit int) (out []Version, ok bool, err error) {
	tip, err := l.tipBuild()
	if err != nil {
		return nil, false, err
	}
	key := ManifestKey(manifestPath)
	line, has, err := l.indexLine(tip.Tree, key)
	var bad *BadIndexError
	if errors.As(err, &bad) || !has {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	if line == nil {
		return nil, true, nil // no build's records name it
	}
	build, prev := tip, line.Prev
	if !line.Last.IsZero() {
		l.reads++
		if build, err = l.r.ReadCommit(line.Last); err != nil {
			return nil, false, nil
		}
	}
	for {
		recs, _, err := l.manifestRecords(build.ID, manifestPath)
		if err != nil {
			return nil, false, err
		}
		if len(recs) == 0 {
			return nil, false, nil // the build named does not record it
		}
		for _, rec := range recs {
			out = append(out, Version{Build: build, Record: rec})
		}
		if limit > 0 && len(out) >= limit || prev.IsZero() {
			return out, true, nil
		}
		l.reads++
		next, err := l.r.ReadCommit(prev)
		if err != nil {
			return nil, false, nil
		}
		nl, has, err := l.indexLine(next.Tree, key)
		if errors.As(err, &bad) {
			return nil, false, nil
		}
		if err != nil {
			return nil, false, err
		}
		if !has {
			// Built before small kept the index: the rest is walked.
			out, err = l.walkArtifactsOf(next.ID, manifestPath, limit, out)
			return out, true, err
		}
		if nl == nil || !nl.Last.IsZero() {
			return nil, false, nil
		}
		build, prev = next, nl.Prev
	}
}

// walkArtifactsOf is ArtifactsOf by walking the builds from start down,
// after the versions found before it.
func (l *Log) walkArtifactsOf(start repo.Hash, manifestPath string, limit int, out []Version) ([]Version, error) {
	err := l.walkFrom(start, func(c *repo.Commit) (bool, error) {
		recs, _, err := l.manifestRecords(c.ID, manifestPath)
		if err != nil {
			return false, err
		}
		if len(recs) == 0 {
			return true, nil
		}
		for _, rec := range recs {
			out = append(out, Version{Build: c, Record: rec})
		}
		return limit <= 0 || len(out) < limit, nil
	})
	return out, err
}

// Has reports whether path is an artifact at the tip: one tree lookup. The
// build's own index (under .small/) is not an artifact.
func (l *Log) Has(path string) (bool, error) {
	if strings.HasPrefix(path, protocol.IndexDir+"/") {
		return false, nil
	}
	c, err := l.tipBuild()
	if err != nil {
		return false, err
	}
	return !l.r.FileAt(c.Tree, path).IsZero(), nil
}

// CurrentFiles lists the artifacts at the tip, path to blob.
func (l *Log) CurrentFiles() (map[string]repo.Hash, error) {
	c, err := l.r.ReadCommit(l.tip)
	if err != nil {
		return nil, err
	}
	files, err := l.r.TreeFiles(c.Tree, "")
	if err != nil {
		return nil, err
	}
	for p := range files {
		if strings.HasPrefix(p, protocol.IndexDir+"/") {
			delete(files, p)
		}
	}
	return files, nil
}
