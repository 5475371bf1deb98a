package builder

import (
	"slices"
	"strings"

	"github.com/smallhq/small/diag"
	"github.com/smallhq/small/lineage"
	"github.com/smallhq/small/protocol"
	"github.com/smallhq/small/repo"
)

// What a manifest depends on, and what depends on it, from the latest
// build's index (refs.go): small lineage --uses and --used-by.

// Where a use stands at the revision compared with (UseInfo.State).
const (
	UseCurrent = "current" // the revision has the version the build read
	UseChanged = "changed" // the file has another version there
	UseGone    = "gone"    // no file there: moved or deleted
	UseUnread  = "unread"  // the kind does not read #refs: its artifacts do not depend on it
)

// UsesReport is small lineage TARGET --uses: the manifests the target's
// manifest references, as the latest build has them, with the version
// its #outputs read, and whether each is still that version.
type UsesReport struct {
	Protocol       string    `json:"protocol"`
	Kind           string    `json:"kind" jsonschema:"the target's manifest's kind"`
	ID             string    `json:"id"`
	Locale         string    `json:"locale,omitempty" jsonschema:"a translation's locale"`
	Manifest       string    `json:"manifest" jsonschema:"the target's manifest path in the latest build"`
	Artifacts      []string  `json:"artifacts" jsonschema:"what the manifest builds"`
	ReadsRefs      bool      `json:"readsRefs" jsonschema:"the kind declares #refs: its #outputs were rendered with the manifests it references"`
	Build          string    `json:"build" jsonschema:"the latest build commit, which the answer is from"`
	ManifestCommit string    `json:"manifestCommit" jsonschema:"the manifest commit that build was made from"`
	Compared       string    `json:"compared,omitempty" jsonschema:"the commit each use's state is judged at (HEAD's); absent when there is none"`
	Uses           []UseInfo `json:"uses" jsonschema:"the manifests it references, by kind and id"`
}

// UseInfo is one manifest a manifest references.
type UseInfo struct {
	Kind   string `json:"kind"`
	ID     string `json:"id"`
	Locale string `json:"locale,omitempty" jsonschema:"the translation read, where the default locale has no version"`
	Path   string `json:"path,omitempty" jsonschema:"its file, as the build read it; absent when the kind does not read #refs"`
	Blob   string `json:"blob,omitempty" jsonschema:"the git blob id of the version read; absent when the kind does not read #refs"`
	// State is UseCurrent, UseChanged, UseGone or UseUnread.
	State string `json:"state" jsonschema:"current: the compared commit has the version read; changed: its file has another version there (the next build renders the artifacts again); gone: no file there any more; unread: the kind does not read #refs, so its artifacts do not depend on it"`
	Now   string `json:"now,omitempty" jsonschema:"changed: the blob id the compared commit has"`
}

// UsedByReport is small lineage TARGET --used-by: every manifest of the
// latest build whose @ref fields name the target, and which of their
// artifacts depend on it.
type UsedByReport struct {
	Protocol string       `json:"protocol"`
	Kind     string       `json:"kind" jsonschema:"the manifest referenced"`
	ID       string       `json:"id"`
	Manifest string       `json:"manifest,omitempty" jsonschema:"its path in the latest build; absent when the build has none (a dangling name)"`
	Build    string       `json:"build" jsonschema:"the latest build commit, which the answer is from"`
	UsedBy   []UsedByInfo `json:"usedBy" jsonschema:"the manifests that reference it, in path order"`
}

// UsedByInfo is one manifest that references the target.
type UsedByInfo struct {
	Kind     string `json:"kind"`
	ID       string `json:"id"`
	Locale   string `json:"locale,omitempty"`
	Manifest string `json:"manifest" jsonschema:"its path"`
	// Reads says its kind reads #refs: its #outputs (Rebuilt) are
	// rendered again when the target changes.
	Reads   bool     `json:"reads" jsonschema:"its kind reads #refs: a change to the target renders its #outputs again"`
	Rebuilt []string `json:"rebuilt,omitempty" jsonschema:"the artifacts a change to the target renders again: its #outputs, when it reads #refs"`
	// Artifacts are every artifact it builds: a deletion or rename of the
	// target without fixing the reference makes it invalid.
	Artifacts []string `json:"artifacts" jsonschema:"every artifact it builds"`
	path      string   // the target's file, as it read it
}

// latest reads the artifact branch's tip as a prior; a *lineage.NoBuildError when none.
func latest(r *repo.Repository, l *lineage.Log) (*prior, error) {
	prev, err := readPrevious(r, l.Branch())
	if err != nil {
		return nil, err
	}
	if prev == nil {
		return nil, &lineage.NoBuildError{Branch: l.Branch()}
	}
	return prev, nil
}

// findEntry finds the entry name stands for in the latest build: a
// manifest path (one shard read), Kind/id or Kind/id@locale, or an
// artifact path (the whole index). nil when none.
func findEntry(r *repo.Repository, prev *prior, name string) (*IndexEntry, error) {
	if es, err := prev.shardEntries(r, map[string]bool{shardOf(name): true}); err != nil {
		return nil, err
	} else if i := slices.IndexFunc(es, func(e IndexEntry) bool { return e.Path == name }); i >= 0 {
		return &es[i], nil
	}
	idx, err := prev.fullIndex(r)
	if err != nil {
		return nil, err
	}
	kind, id, locale, isName := protocol.ParseEntryName(name)
	for i := range idx.Manifests {
		e := &idx.Manifests[i]
		if isName && e.Kind == kind && e.ID == id && e.Locale == locale || slices.Contains(e.Artifacts, name) {
			return e, nil
		}
	}
	return nil, nil
}

// notFound is the error of a name the latest build does not have, with
// the nearest names it has.
func notFound(r *repo.Repository, prev *prior, name, branch string) error {
	idx, err := prev.fullIndex(r)
	if err != nil {
		return err
	}
	var known []string
	for _, e := range idx.Manifests {
		known = append(known, e.Name(), e.Path)
		known = append(known, e.Artifacts...)
	}
	return &lineage.NotFoundError{Name: name, Near: diag.NearestN(name, known, 3), AtTip: true, Branch: branch}
}

// Uses is small lineage TARGET --uses: what the target (an artifact path,
// Kind/id or a manifest path) depends on: the manifests its manifest's
// @ref fields name in the latest build, each with the version its
// #outputs read, judged against the commit at (HEAD, say; none when nil).
func Uses(r *repo.Repository, l *lineage.Log, name string, at *repo.Commit) (*UsesReport, error) {
	prev, err := latest(r, l)
	if err != nil {
		return nil, err
	}
	e, err := findEntry(r, prev, name)
	if err != nil {
		return nil, err
	}
	if e == nil {
		return nil, notFound(r, prev, name, l.Branch())
	}
	rep := &UsesReport{Protocol: protocol.Version, Kind: e.Kind, ID: e.ID, Locale: e.Locale, Manifest: e.Path,
		Artifacts: e.Artifacts, Build: prev.commit.ID.String(), ManifestCommit: prev.manifestCommit.String(), Uses: []UseInfo{}}
	if rep.Artifacts == nil {
		rep.Artifacts = []string{}
	}
	if at != nil {
		rep.Compared = at.ID.String()
	}
	for _, u := range e.Refs {
		info := UseInfo{Kind: u.Kind, ID: u.ID, Locale: u.Locale, Path: u.Path, Blob: u.Blob, State: UseUnread}
		if u.read() {
			rep.ReadsRefs = true
			info.State = UseCurrent
			if at != nil {
				switch h := r.FileAt(at.Tree, u.Path); {
				case h.IsZero():
					info.State = UseGone
				case h.String() != u.Blob:
					info.State, info.Now = UseChanged, h.String()
				}
			}
		}
		rep.Uses = append(rep.Uses, info)
	}
	return rep, nil
}

// UsedBy is small lineage TARGET --used-by: what breaks, or is rendered
// again, if the target changes: every manifest of the latest build whose
// @ref fields name it. TARGET is Kind/id (which need not exist: the
// references to a manifest being added, or gone), an artifact path or a
// manifest path; a Kind/id the build does not have (its kind capitalized,
// as kinds are) is answered too: the references to a manifest gone or
// not yet there. It reads one shard of the reverse index, and the index
// shards of the referrers.
func UsedBy(r *repo.Repository, l *lineage.Log, name string) (*UsedByReport, error) {
	prev, err := latest(r, l)
	if err != nil {
		return nil, err
	}
	rep := &UsedByReport{Protocol: protocol.Version, Build: prev.commit.ID.String(), UsedBy: []UsedByInfo{}}
	_, isArtifact := prev.files[name]
	if kind, id, locale, ok := protocol.ParseEntryName(name); ok && !isArtifact && protocol.ValidID(id) && locale == "" && kind[0] >= 'A' && kind[0] <= 'Z' {
		rep.Kind, rep.ID = kind, id
	} else {
		e, err := findEntry(r, prev, name)
		if err != nil {
			return nil, err
		}
		if e == nil {
			return nil, notFound(r, prev, name, l.Branch())
		}
		rep.Kind, rep.ID, rep.Manifest = e.Kind, e.ID, e.Path
	}
	target := rep.Kind + "/" + rep.ID
	lines, err := prev.refsOf(r, map[string]bool{refShardOf(target): true})
	if err != nil {
		return nil, err
	}
	shards := map[string]bool{}
	reads := map[string]bool{}
	for _, l := range lines {
		if l.Target == target {
			shards[shardOf(l.Referrer)] = true
			reads[l.Referrer] = l.Read
		}
	}
	if len(reads) > 0 {
		entries, err := prev.shardEntries(r, shards)
		if err != nil {
			return nil, err
		}
		for _, e := range entries {
			read, ok := reads[e.Path]
			if !ok {
				continue
			}
			u := UsedByInfo{Kind: e.Kind, ID: e.ID, Locale: e.Locale, Manifest: e.Path, Reads: read, Artifacts: e.Artifacts}
			for _, ru := range e.Refs {
				if ru.Name() == target && ru.read() && ru.Locale == "" {
					u.path = ru.Path
				}
			}
			if u.Artifacts == nil {
				u.Artifacts = []string{}
			}
			if read {
				for _, a := range e.Artifacts {
					if a != protocol.ArtifactPath(e.Kind, e.ID, e.Locale) {
						u.Rebuilt = append(u.Rebuilt, a)
					}
				}
			}
			rep.UsedBy = append(rep.UsedBy, u)
		}
	}
	if rep.Manifest == "" {
		// The target's own file, as a reader read it, or from the index.
		for _, u := range rep.UsedBy {
			if u.Reads && rep.Manifest == "" {
				rep.Manifest = u.path
			}
		}
	}
	if rep.Manifest == "" {
		if e, err := findEntry(r, prev, target); err == nil && e != nil {
			rep.Manifest = e.Path
		}
	}
	slices.SortFunc(rep.UsedBy, func(a, b UsedByInfo) int { return strings.Compare(a.Manifest, b.Manifest) })
	return rep, nil
}
