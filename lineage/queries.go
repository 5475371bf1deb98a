package lineage

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/smallhq/small/protocol"
	"github.com/smallhq/small/repo"
)

// utc is how every date small writes in JSON is written: RFC 3339 in UTC,
// the same in lineage, log and the lifecycle events.
func utc(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// CommitRef is a commit as the queries show it.
type CommitRef struct {
	ID      string `json:"id"`
	Date    string `json:"date"`
	Author  string `json:"author,omitempty"`
	Subject string `json:"subject,omitempty"`
}

// ManifestRef is the manifest version an artifact version was built from.
type ManifestRef struct {
	Path   string    `json:"path"`
	Blob   string    `json:"blob"`
	Commit CommitRef `json:"commit"`
}

// VersionInfo is one version of an artifact, as small lineage shows it: the
// artifact, the build that wrote it, the manifest version and its actor, the
// schemas and the builder.
type VersionInfo struct {
	Artifact     string       `json:"artifact"`
	Action       string       `json:"action"`
	Blob         string       `json:"blob,omitempty"`
	SHA256       string       `json:"sha256,omitempty"`
	Build        CommitRef    `json:"build"`
	Manifest     *ManifestRef `json:"manifest,omitempty"`
	Actor        *Actor       `json:"actor,omitempty"`
	SchemaDigest string       `json:"schemaDigest,omitempty"`
	Builder      string       `json:"builder,omitempty"`
	// Missing says why the version has no lineage record, when it has none.
	Missing string `json:"missing,omitempty"`
	// Assets are the files the version uses (its @asset fields), as its
	// record lists them.
	Assets []AssetRef `json:"assets,omitempty"`
	// Uses are the versions of other manifests the version was rendered
	// with (its kind's #refs), as its record lists them.
	Uses []UseRef `json:"uses,omitempty"`
}

// LineageReport answers "where did this come from?" for an artifact (its
// versions, newest first) or a manifest (the artifacts it produced).
type LineageReport struct {
	Protocol string `json:"protocol"`
	Artifact string `json:"artifact,omitempty"`
	Manifest string `json:"manifest,omitempty"`
	Shallow  bool   `json:"shallow,omitempty"`
	// Asset is set when the name was an asset (its path in the
	// repository, or in the artifact tree): where the latest build keeps
	// it and which manifests use it. Versions are then the asset file's.
	Asset    *AssetUsage   `json:"asset,omitempty"`
	Versions []VersionInfo `json:"versions"`
}

// AssetUsage is an asset file of the latest build: its bytes, the
// repository paths they were copied from and the manifests that name them.
type AssetUsage struct {
	ArtifactPath string      `json:"artifactPath" jsonschema:"where the latest build keeps it: assets/sha256/<first two hex digits>/<sha256><extension>"`
	Blob         string      `json:"blob" jsonschema:"its git blob id, the same in the manifest commit and the artifact tree"`
	SHA256       string      `json:"sha256" jsonschema:"hex SHA-256 of its bytes"`
	Sources      []string    `json:"sources" jsonschema:"the repository paths with these bytes that manifests name, in path order"`
	UsedBy       []AssetUser `json:"usedBy" jsonschema:"the manifests of the latest build that name it, in path order"`
}

// AssetUser is a manifest that names an asset.
type AssetUser struct {
	Kind     string `json:"kind"`
	ID       string `json:"id"`
	Manifest string `json:"manifest" jsonschema:"the manifest's path"`
	Source   string `json:"source" jsonschema:"the path it names the asset by"`
}

// Incomplete reports whether a version has no lineage record: a finding.
func (r *LineageReport) Incomplete() bool {
	for _, v := range r.Versions {
		if v.Missing != "" {
			return true
		}
	}
	return false
}

// Lineage walks what name (an artifact path, Kind/id, or a manifest path)
// names back to its manifest commits: the current version, or with all every
// version, newest first; for a manifest, the artifacts it produced.
func (l *Log) Lineage(name string, all bool) (*LineageReport, error) {
	t, err := l.Resolve(name)
	if err != nil {
		return nil, err
	}
	var vs []Version
	if t.Manifest {
		vs, err = l.ArtifactsOf(t.Path, 0)
	} else {
		vs, err = l.Versions(t.Path, all)
	}
	if err != nil {
		return nil, err
	}
	rep := &LineageReport{Protocol: protocol.Version, Shallow: l.Shallow, Versions: make([]VersionInfo, len(vs))}
	if t.Manifest {
		rep.Manifest = t.Path
	} else {
		rep.Artifact = t.Path
	}
	for i, v := range vs {
		rep.Versions[i] = l.info(v)
	}
	return rep, nil
}

func (l *Log) info(v Version) VersionInfo {
	b := v.Build
	out := VersionInfo{Artifact: v.Record.Artifact, Action: v.Record.Action, Missing: v.Missing,
		Build:   CommitRef{ID: b.ID.String(), Date: utc(b.Committer.When)},
		Builder: b.Trailer(protocol.TrailerBuilder)}
	if !v.Found() {
		return out
	}
	rec := v.Record
	out.Blob, out.SHA256, out.SchemaDigest, out.Assets = rec.Blob, rec.SHA256, rec.SchemaDigest, rec.Assets
	out.Uses = rec.Uses
	actor := rec.Actor
	out.Actor = &actor
	m := &ManifestRef{Path: rec.Manifest, Blob: rec.ManifestBlob, Commit: CommitRef{ID: rec.ManifestCommit}}
	if h, ok := repo.ParseHash(rec.ManifestCommit); ok {
		if c, err := l.r.ReadCommit(h); err == nil {
			m.Commit.Date = utc(c.Author.When)
			m.Commit.Author = c.Author.Name + " <" + c.Author.Email + ">"
			m.Commit.Subject = c.Subject()
		}
	}
	out.Manifest = m
	return out
}

// HistoryReport is an artifact's lifecycle events, oldest first.
type HistoryReport struct {
	Protocol string  `json:"protocol"`
	Artifact string  `json:"artifact"`
	Events   []Event `json:"events"`
}

// History lists the lifecycle events of an artifact, oldest first: builds in
// the order they were made, and within a build by sequence (the graph order
// of the commits that made them), never by their times.
func (l *Log) History(name string) (*HistoryReport, error) {
	path, err := l.ResolveArtifact(name, "history")
	if err != nil {
		return nil, err
	}
	var builds [][]Event
	err = l.WalkEvents(func(_ *repo.Commit, all []Event) (bool, error) {
		var here []Event
		for _, ev := range all {
			if ev.Artifact == path {
				here = append(here, ev)
			}
		}
		SortEvents(here)
		builds = append(builds, here)
		return true, nil
	})
	if err != nil {
		return nil, err
	}
	if len(l.MissingNotes) > 0 {
		return nil, &MissingNotesError{What: "the history of " + path, Builds: l.MissingNotes}
	}
	slices.Reverse(builds)
	evs := slices.Concat(builds...)
	if evs == nil {
		evs = []Event{}
	}
	return &HistoryReport{Protocol: protocol.Version, Artifact: path, Events: evs}, nil
}

// Filter narrows the events Builds returns; the zero Filter keeps all.
type Filter struct {
	Kind  string    // case-insensitive
	ID    string    // manifest id
	Actor string    // "human" or "agent"
	Since time.Time // events at or after
	Until time.Time // events at or before
	// MaxBuilds and MaxEvents stop the walk once that many builds, or
	// events, are kept; 0 means no limit.
	MaxBuilds, MaxEvents int
}

func (f Filter) narrows() bool { return f.Kind != "" || f.ID != "" || f.Actor != "" }

// Match reports whether the filter keeps an event.
func (f Filter) Match(e Event) bool {
	if f.Kind != "" && !strings.EqualFold(e.Kind, f.Kind) {
		return false
	}
	if f.ID != "" && e.ID != f.ID {
		return false
	}
	if f.Actor != "" && e.Actor.Type != f.Actor {
		return false
	}
	if !f.Since.IsZero() || !f.Until.IsZero() {
		if t, err := time.Parse(time.RFC3339, e.Time); err == nil && (t.Before(f.Since) || !f.Until.IsZero() && t.After(f.Until)) {
			return false
		}
	}
	return true
}

// BuildEntry is one build with the lifecycle events it recorded.
type BuildEntry struct {
	Build          string  `json:"build"`
	Date           string  `json:"date"`
	ManifestCommit string  `json:"manifestCommit"`
	Subject        string  `json:"subject"`
	Events         []Event `json:"events"`
}

// LogReport is the builds small log shows, newest first.
type LogReport struct {
	Protocol string       `json:"protocol"`
	Builds   []BuildEntry `json:"builds"`
}

// Builds lists the builds on the artifact branch, newest first, each with
// the events the filter keeps. A build whose events the filter all drops is
// left out; so is one without events when the filter narrows by kind, id or
// actor.
func (l *Log) Builds(f Filter) (*LogReport, error) {
	rep := &LogReport{Protocol: protocol.Version, Builds: []BuildEntry{}}
	events := 0
	err := l.WalkEvents(func(c *repo.Commit, evs []Event) (bool, error) {
		if !f.Since.IsZero() && c.Committer.When.Before(f.Since) {
			return false, nil
		}
		if !f.Until.IsZero() && c.Committer.When.After(f.Until) {
			return true, nil // newer than asked: older ones follow
		}
		var kept []Event
		for _, e := range evs {
			if f.Match(e) {
				kept = append(kept, e)
			}
		}
		if len(kept) == 0 && (len(evs) > 0 || f.narrows()) {
			return true, nil
		}
		rep.Builds = append(rep.Builds, BuildEntry{Build: c.ID.String(), Date: utc(c.Committer.When),
			ManifestCommit: c.Trailer(protocol.TrailerManifestCommit), Subject: c.Subject(), Events: kept})
		events += len(kept)
		switch {
		case f.MaxEvents > 0 && events >= f.MaxEvents, f.MaxBuilds > 0 && len(rep.Builds) >= f.MaxBuilds:
			return false, nil
		}
		return true, nil
	})
	return rep, err
}

// MissingLineageError is a current version without a lineage record: a
// finding, since every artifact must be traceable.
type MissingLineageError struct{ Path string }

func (e *MissingLineageError) Error() string {
	return e.Path + ": no lineage recorded for its current version"
}

// RetractedError is a query of an artifact's current version after a build
// retracted it.
type RetractedError struct {
	Path  string
	Build repo.Hash
	Doing string // what was asked, e.g. "it has no current version"
}

func (e *RetractedError) Error() string {
	if e.Build.IsZero() {
		return fmt.Sprintf("%s was retracted: %s", e.Path, e.Doing)
	}
	return fmt.Sprintf("%s was retracted by build %s: %s", e.Path, e.Build.Short(), e.Doing)
}

// Current returns the version of an artifact the latest build holds, with
// its lineage record. A retracted artifact is a *RetractedError, a version
// without a record a *MissingLineageError.
func (l *Log) Current(path string) (Version, error) {
	vs, err := l.Versions(path, false)
	if err != nil {
		return Version{}, err
	}
	if len(vs) == 0 || !vs[0].Found() {
		return Version{}, &MissingLineageError{Path: path}
	}
	if vs[0].Record.Action == Retracted {
		return Version{}, &RetractedError{Path: path, Build: vs[0].Build.ID, Doing: "it has no current version"}
	}
	return vs[0], nil
}
