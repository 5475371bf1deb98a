package lineage

import (
	"fmt"
	"sort"
	"strings"

	"github.com/smallhq/small/diag"
	"github.com/smallhq/small/protocol"
)

// Target is what a name a user typed resolves to: an artifact path, or a
// manifest path when Manifest is set.
type Target struct {
	Path     string
	Manifest bool
}

// NotFoundError is an artifact or manifest name small knows nothing of, with
// the paths that come closest.
type NotFoundError struct {
	Name string
	Near []string
	// AtTip narrows the search to the artifacts of the latest build on
	// Branch (small show); otherwise it spans the build history.
	AtTip  bool
	Branch string
}

func (e *NotFoundError) Error() string {
	msg := fmt.Sprintf("%s: no such artifact or manifest in the build history", e.Name)
	if e.AtTip {
		msg = fmt.Sprintf("%s: no such artifact on %s", e.Name, protocol.BranchName(e.Branch))
	}
	if len(e.Near) > 0 {
		msg += "; did you mean " + strings.Join(e.Near, ", ") + "?"
	}
	return msg
}

// NotAnArtifactError is a manifest path given where an artifact is wanted.
type NotAnArtifactError struct{ Path, Verb string }

func (e *NotAnArtifactError) Error() string {
	return fmt.Sprintf("%s is a manifest: %s is of an artifact (see small lineage %s)", e.Path, e.Verb, e.Path)
}

// kindIDPath turns "Kind/id", or a translation's "Kind/id@locale", into
// the artifact path of that manifest; the kind ends at the first '/', an
// id may have segments (Doc/v1/install is doc/v1/install.json).
func kindIDPath(name string) (string, bool) {
	kind, id, locale, ok := protocol.ParseEntryName(name)
	if !ok || !protocol.ValidID(id) {
		return "", false
	}
	return protocol.ArtifactPath(kind, id, locale), true
}

// Resolve turns what a user typed into an artifact path (as built, or as
// Kind/id), or a manifest path that produced artifacts; a retracted
// artifact is found in history. An unknown name is a *NotFoundError with the
// nearest artifact paths.
func (l *Log) Resolve(name string) (Target, error) {
	// An artifact of the history, current or retracted, as the tip's
	// lineage index knows it: one small shard read, where the tip's tree
	// has a directory of thousands of artifacts to read, and asking
	// whether a name ending in .json is a manifest that built something
	// walks the history.
	known := func(path string) (bool, error) {
		if ok, err := l.Indexed(path); err != nil || ok {
			return ok, err
		}
		return l.Has(path) // a tip without an index: one tree lookup
	}
	if ok, err := known(name); err != nil || ok {
		return Target{Path: name}, err
	}
	if p, ok := kindIDPath(name); ok {
		if ok, err := known(p); err != nil || ok {
			return Target{Path: p}, err
		}
	}
	// A manifest whose records the lineage index knows.
	if ok, err := l.Indexed(ManifestKey(name)); err != nil || ok {
		return Target{Path: name, Manifest: ok}, err
	}
	if l.IsManifest(name) {
		if vs, err := l.ArtifactsOf(name, 1); err == nil && len(vs) > 0 {
			return Target{Path: name, Manifest: true}, nil
		}
	}
	// A retracted artifact is gone from the tip but not from history.
	if vs, err := l.Versions(name, false); err == nil && len(vs) > 0 {
		return Target{Path: name}, nil
	}
	if p, ok := kindIDPath(name); ok {
		if vs, err := l.Versions(p, false); err == nil && len(vs) > 0 {
			return Target{Path: p}, nil
		}
	}
	files, err := l.CurrentFiles()
	if err != nil {
		return Target{}, err
	}
	return Target{}, &NotFoundError{Name: name, Near: Near(name, keys(files))}
}

// ResolveArtifact is Resolve for the queries that are of an artifact: a
// manifest path is a *NotAnArtifactError saying what verb wanted
// ("provenance is of an artifact").
func (l *Log) ResolveArtifact(name, verb string) (string, error) {
	t, err := l.Resolve(name)
	if err != nil {
		return "", err
	}
	if t.Manifest {
		return "", &NotAnArtifactError{Path: t.Path, Verb: verb}
	}
	return t.Path, nil
}

// Artifact returns the bytes of an artifact as the latest build holds it,
// named by its path or as Kind/id, and its path.
func (l *Log) Artifact(name string) (string, []byte, error) {
	files, err := l.CurrentFiles()
	if err != nil {
		return "", nil, err
	}
	path := name
	h, ok := files[path]
	if !ok {
		if path, ok = kindIDPath(name); ok {
			h, ok = files[path]
		}
	}
	if !ok {
		return "", nil, &NotFoundError{Name: name, Near: Near(name, keys(files)), AtTip: true, Branch: l.branch}
	}
	data, err := l.r.ReadBlob(h)
	return path, data, err
}

func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

// Near lists up to five of paths that come closest to name: those that
// contain its last segment (without extension) first, then those that
// contain all of it, each group in path order.
func Near(name string, paths []string) []string {
	type cand struct {
		path  string
		score int
	}
	var cs []cand
	base := strings.ToLower(name[strings.LastIndex(name, "/")+1:])
	for _, ext := range []string{".json", ".yaml", ".yml"} {
		base = strings.TrimSuffix(base, ext)
	}
	for _, p := range paths {
		lp := strings.ToLower(p)
		switch {
		case base != "" && strings.Contains(lp, base):
			cs = append(cs, cand{p, 2})
		case strings.Contains(lp, strings.ToLower(name)):
			cs = append(cs, cand{p, 1})
		}
	}
	sort.Slice(cs, func(i, j int) bool {
		if cs[i].score != cs[j].score {
			return cs[i].score > cs[j].score
		}
		return cs[i].path < cs[j].path
	})
	if len(cs) == 0 {
		// A typo matches by nothing it contains: the path closest by
		// edits, with Kind/id read as the artifact path it names.
		target := name
		if p, ok := kindIDPath(name); ok {
			target = p
		}
		// A few edits of the name's last part, not of the whole path,
		// whose common prefix would make anything near.
		if near := diag.NearestWithin(target, paths, max(2, len(base)/3)); near != "" {
			return []string{near}
		}
	}
	if len(cs) > 5 {
		cs = cs[:5]
	}
	var out []string
	for _, c := range cs {
		out = append(out, c.path)
	}
	return out
}
