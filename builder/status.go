package builder

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/smallhq/small/content"
	"github.com/smallhq/small/diag"
	"github.com/smallhq/small/lineage"
	"github.com/smallhq/small/protocol"
	"github.com/smallhq/small/repo"
	"github.com/smallhq/small/schema"
)

// StatusEntry is one artifact's place in its lifecycle.
type StatusEntry struct {
	Kind     string         `json:"kind"`
	ID       string         `json:"id"`
	Locale   string         `json:"locale,omitempty"` // a translation's
	Artifact string         `json:"artifact"`
	State    string         `json:"state"`
	Since    string         `json:"since,omitempty"` // when it entered the state
	By       *lineage.Actor `json:"by,omitempty"`    // who moved it there
	Next     []string       `json:"next"`            // what may happen next; * marks a human-only state
	Manifest string         `json:"manifest"`
}

// StatusReport is where every artifact of the latest build stands.
type StatusReport struct {
	Protocol  string        `json:"protocol"`
	Artifacts []StatusEntry `json:"artifacts"`
}

// StatusFilter narrows a status; the zero filter keeps every artifact.
type StatusFilter struct {
	Kind  string // case-insensitive
	State string
}

// Status lists every artifact of the latest build on l's branch with its
// lifecycle state, when and by whom it entered that state (the newest event
// that did), and the states it may move to next under the schemas it was
// built with.
func Status(r *repo.Repository, l *lineage.Log, f StatusFilter) (*StatusReport, error) {
	entries, mc, err := Current(r, l.Branch())
	if err != nil {
		return nil, err
	}
	kinds, err := schemasOf(r, mc)
	if err != nil {
		return nil, err
	}
	if err := checkFilter(kinds, f); err != nil {
		return nil, err
	}
	rep := &StatusReport{Protocol: protocol.Version, Artifacts: []StatusEntry{}}
	out := rep.Artifacts
	pending := map[[3]string]int{}
	for _, e := range entries {
		if f.Kind != "" && !strings.EqualFold(e.Kind, f.Kind) || f.State != "" && e.State() != f.State {
			continue
		}
		lc := kinds.Lifecycle(e.Kind)
		next := []string{}
		for _, n := range lc.Next(e.State()) {
			if lc.HumanOnlyState(n) {
				n += "*"
			}
			next = append(next, n)
		}
		pending[e.key()] = len(out)
		out = append(out, StatusEntry{Kind: e.Kind, ID: e.ID, Locale: e.Locale, State: e.State(), Next: next, Manifest: e.Path,
			Artifact: protocol.ArtifactPath(e.Kind, e.ID, e.Locale)})
	}
	left := len(pending)
	err = l.WalkEvents(func(_ *repo.Commit, evs []lineage.Event) (bool, error) {
		// The newest step first: a build may move a manifest twice.
		lineage.SortEvents(evs)
		slices.Reverse(evs)
		for _, ev := range evs {
			i, ok := pending[[3]string{ev.Kind, ev.ID, ev.Locale}]
			if !ok || out[i].Since != "" || ev.To != out[i].State {
				continue
			}
			actor := ev.Actor
			out[i].Since, out[i].By = ev.Time, &actor
			left--
		}
		return left > 0, nil
	})
	if err == nil && len(l.MissingNotes) > 0 {
		return nil, &lineage.MissingNotesError{What: "the status of " + protocol.BranchName(l.Branch()), Builds: l.MissingNotes}
	}
	rep.Artifacts = out
	return rep, err
}

// schemasOf loads the schemas of the commit a build was made from.
func schemasOf(r *repo.Repository, manifestCommit repo.Hash) (*schema.Schema, error) {
	kinds, err := content.SchemaAt(r, manifestCommit.String())
	if err != nil {
		return nil, fmt.Errorf("the schemas of the latest build: %w", err)
	}
	return kinds, nil
}

// FilterError is a filter that names a kind or state the schemas of the
// latest build do not have: it would match nothing, silently.
type FilterError struct {
	What, Name, Near string
	Known            []string
}

func (e *FilterError) Error() string {
	msg := fmt.Sprintf("--%s %q: no such %s in the schemas of the latest build", e.What, e.Name, e.What)
	if e.Near != "" {
		msg += fmt.Sprintf(" (did you mean %q?)", e.Near)
	}
	return msg + ": expected one of " + strings.Join(e.Known, ", ")
}

// CheckFilter refuses a filter that names a kind or state the schemas of
// the latest build on l's branch do not have: it could match nothing.
func CheckFilter(r *repo.Repository, l *lineage.Log, f StatusFilter) error {
	if f.Kind == "" && f.State == "" {
		return nil
	}
	// The latest build's manifest commit, without reading its index.
	prev, err := readPrevious(r, l.Branch())
	if err != nil || prev == nil {
		return err
	}
	kinds, err := schemasOf(r, prev.manifestCommit)
	if err != nil {
		return err
	}
	return checkFilter(kinds, f)
}

// checkFilter refuses a filter that could match nothing.
func checkFilter(kinds *schema.Schema, f StatusFilter) error {
	var matching []string
	for _, k := range kinds.Kinds {
		if f.Kind == "" || strings.EqualFold(k, f.Kind) {
			matching = append(matching, k)
		}
	}
	if f.Kind != "" && len(matching) == 0 {
		return &FilterError{What: "kind", Name: f.Kind, Near: diag.Nearest(f.Kind, kinds.Kinds), Known: kinds.Kinds}
	}
	if f.State == "" {
		return nil
	}
	var states []string
	for _, k := range matching {
		lc := kinds.Lifecycle(k)
		for _, s := range lc.States {
			if !slices.Contains(states, s) {
				states = append(states, s)
			}
		}
	}
	if !slices.Contains(states, f.State) {
		return &FilterError{What: "state", Name: f.State, Near: diag.Nearest(f.State, states), Known: states}
	}
	return nil
}

// ArtifactsOfManifest lists the artifacts the manifest at path (as HEAD
// has it) builds in the latest build of branch, whatever path the build
// knew it by: a manifest renamed with git mv, its content unchanged, builds
// what it built. None when it builds nothing.
func ArtifactsOfManifest(r *repo.Repository, branch, path string) ([]string, error) {
	entries, _, err := Current(r, branch)
	if err != nil {
		return nil, err
	}
	blob := ""
	if head, err := r.Resolve("HEAD"); err == nil {
		if h := r.FileAt(head.Tree, path); !h.IsZero() {
			blob = h.String()
		}
	}
	var byBlob []string
	for _, e := range entries {
		if e.Path == path {
			return e.Artifacts, nil
		}
		if blob != "" && e.Blob == blob {
			byBlob = append(byBlob, e.Artifacts...)
		}
	}
	return byBlob, nil
}

// Lineage is small lineage: l.Lineage of name (an artifact path, Kind/id or
// a manifest path). A manifest path that has no record, because the
// manifest was renamed (git mv) without a change to what it builds, is
// followed to what the latest build says it builds now: builds lists
// those artifacts when that happened, and the report is the first one's.
//
// An asset, named by its path in the repository (as the latest build's
// manifest commit has it) or in the artifact tree, is answered with the
// asset file's versions (which build wrote it, from which manifest
// commit) and the manifests that use it (rep.Asset).
func Lineage(r *repo.Repository, l *lineage.Log, name string, all bool) (rep *lineage.LineageReport, builds []string, err error) {
	if use, err := AssetUsage(r, l.Branch(), name); err != nil || use != nil {
		if err != nil {
			return nil, nil, err
		}
		if rep, err = l.Lineage(use.ArtifactPath, all); err != nil {
			return nil, nil, err
		}
		rep.Asset = use
		return rep, nil, nil
	}
	rep, err = l.Lineage(name, all)
	var nf *lineage.NotFoundError
	if errors.As(err, &nf) && l.IsManifest(name) {
		if arts, _ := ArtifactsOfManifest(r, l.Branch(), name); len(arts) > 0 {
			rep, err = l.Lineage(arts[0], all)
			builds = arts
		}
	}
	if err != nil {
		return nil, nil, err
	}
	return rep, builds, nil
}
