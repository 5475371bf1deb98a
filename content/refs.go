package content

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/smallhq/small/config"
	"github.com/smallhq/small/diag"
	"github.com/smallhq/small/manifest"
	"github.com/smallhq/small/repo"
)

// References (the kinds' @ref(Kind) fields) are resolved after every
// manifest has been evaluated, like @unique and @asset: each evaluation
// keeps its reference values (fieldValue), and resolution looks each one
// up among the identities (kind, id, state) of every manifest of the same
// snapshot. A narrowed validation (Options.Paths) evaluates only the paths
// asked about, and reads the identities of the others without evaluating
// them (decodeManifest, no CUE), and only when one of its references is
// not among the manifests it evaluated.

// Reference is one value of a field marked @ref, resolved at the snapshot
// validated: what small validate checked, and what a build may record as
// used.
type Reference struct {
	From Referrer `json:"from"`
	To   Referent `json:"to"`
	// Problem is the code of the finding the reference gave: "" when it
	// holds, diag.CodeRefDangling, diag.CodeRefWrongKind or
	// diag.CodeRefState.
	Problem string `json:"problem,omitempty"`
}

// Referrer is the manifest and field that hold a reference.
type Referrer struct {
	Path     string   `json:"path"`
	Kind     string   `json:"kind"`
	ID       string   `json:"id"`
	Field    string   `json:"field"` // where in the manifest: author, authors[1], credits[0].person
	Line     int      `json:"line"`
	Column   int      `json:"column"`
	Manifest int      `json:"-"` // the referrer's index in Result.Manifests
	sel      []string // Field as selectors, for #refs (refrender.go)
}

// Referent is what a reference names, and what the snapshot has under
// that name.
type Referent struct {
	Kind string `json:"kind"`
	ID   string `json:"id"`
	// Path is the file of the manifest with that kind and id (the first
	// in path order when several claim it); "" when there is none.
	Path string `json:"path,omitempty"`
	// State is that manifest's lifecycle state.
	State string `json:"state,omitempty"`
	// Locale is that manifest's locale when the kind and id have no
	// version in the default locale and a translation answers; "" for
	// the default locale's version, which is preferred.
	Locale string `json:"locale,omitempty"`
}

// Key is the referent's name as small names artifacts: Kind/id.
func (r Referent) Key() string { return r.Kind + "/" + r.ID }

// identity is a manifest of the snapshot as references see it.
type identity struct {
	path, state, locale string
}

// prefer reports whether a manifest at path in locale answers for its
// kind and id before t: the default locale's version first, then the
// first in path order.
func (t identity) prefer(path, locale string) bool {
	if (t.locale == "") != (locale == "") {
		return locale == ""
	}
	return path < t.path
}

// maxSuggested is how many dangling references get "did you mean" ids:
// each costs a comparison with every id of the kind.
const maxSuggested = 200

// references resolves every reference value the manifests kept and
// returns the resolved references and the findings of those that do not
// hold, each placed at the field. A manifest with a finding is no longer
// valid.
func (ev *evaluation) references() ([]Reference, []diag.Diagnostic, error) {
	s := ev.kinds
	if !s.HasRefs() {
		return nil, nil, nil
	}
	type pending struct {
		m int
		v *fieldValue
	}
	var refs []pending
	for i := range ev.mans {
		m := &ev.mans[i]
		cs := s.Constraints(m.Kind)
		for j := range m.values {
			v := &m.values[j]
			if v.c < len(cs) && cs[v.c].Ref != "" && v.isStr && !ev.judged(i, v.path) {
				refs = append(refs, pending{i, v})
			}
		}
	}
	if len(refs) == 0 {
		return nil, nil, nil
	}
	ids := map[key]identity{}
	for _, m := range ev.mans {
		k := key{m.Kind, m.ID}
		if t, dup := ids[k]; m.Kind != "" && (!dup || t.prefer(m.Path, m.Locale)) {
			ids[k] = identity{m.Path, m.State, m.Locale}
		}
	}
	if ev.narrowed {
		missing := false
		for _, r := range refs {
			target := s.Constraints(ev.mans[r.m].Kind)[r.v.c].Ref
			if _, ok := ids[key{target, r.v.str}]; !ok {
				missing = true
				break
			}
		}
		if missing {
			if err := ev.otherIdentities(ids); err != nil {
				return nil, nil, err
			}
		}
	}
	// Built on the first reference that needs them.
	var byID map[string][]string // id -> kinds that have it
	var idsOf map[string][]string
	index := func() {
		if byID != nil {
			return
		}
		byID, idsOf = map[string][]string{}, map[string][]string{}
		for k := range ids {
			byID[k[1]] = append(byID[k[1]], k[0])
			idsOf[k[0]] = append(idsOf[k[0]], k[1])
		}
		for _, l := range byID {
			slices.Sort(l)
		}
		for _, l := range idsOf {
			slices.Sort(l)
		}
	}
	suggested := 0
	out := make([]Reference, 0, len(refs))
	var ds []diag.Diagnostic
	for _, r := range refs {
		m, v := &ev.mans[r.m], r.v
		target := s.Constraints(m.Kind)[v.c].Ref
		ref := Reference{
			From: Referrer{Path: m.Path, Kind: m.Kind, ID: m.ID, Field: v.path, Line: v.line, Column: v.col, Manifest: r.m, sel: v.sel},
			To:   Referent{Kind: target, ID: v.str},
		}
		var msg string
		if t, ok := ids[key{target, v.str}]; ok {
			ref.To.Path, ref.To.State, ref.To.Locale = t.path, t.state, t.locale
			if lc := s.Lifecycle(target); s.HasKind(target) && lc.Has(t.state) && !lc.ReferenceableState(t.state) {
				ref.Problem = diag.CodeRefState
				msg = fmt.Sprintf("%s is %s %s in state %q (%s), which %s does not allow to be referenced: expected one in %s",
					v.text, aKind(target), target, t.state, t.path, target, orNothing(lc.Referenceable))
			}
		} else {
			index()
			switch others := byID[v.str]; {
			case v.str == "":
				ref.Problem = diag.CodeRefDangling
				msg = fmt.Sprintf(`"" names no %s: expected the id of %s %s manifest`, target, aKind(target), target)
			case len(others) > 0:
				ref.Problem = diag.CodeRefWrongKind
				var where []string
				for _, k := range others {
					where = append(where, fmt.Sprintf("%s %s (%s)", aKind(k), k, ids[key{k, v.str}].path))
				}
				msg = fmt.Sprintf("%s is %s, not %s %s: expected the id of %s %s manifest",
					v.text, strings.Join(where, " and "), aKind(target), target, aKind(target), target)
			default:
				ref.Problem = diag.CodeRefDangling
				msg = fmt.Sprintf("%s names no %s", v.text, target)
				switch known := idsOf[target]; {
				case len(known) == 0:
					msg += fmt.Sprintf(" (there is no %s manifest at all)", target)
				case suggested < maxSuggested:
					suggested++
					if near := diag.NearestN(v.str, known, 3); len(near) > 0 {
						msg += " (did you mean " + orList(near) + "?)"
					}
				}
				msg += fmt.Sprintf(": expected the id of %s %s manifest", aKind(target), target)
			}
		}
		out = append(out, ref)
		if ref.Problem != "" {
			m.Valid = false
			ds = append(ds, diag.Diagnostic{File: m.Path, Line: v.line, Column: v.col, Path: v.path, Code: ref.Problem, Severity: diag.Error, Message: msg})
		}
	}
	return out, ds, nil
}

// judged reports whether the evaluation of manifest i already found
// the value at path wrong (no id at all, "Ada" against the id pattern):
// that is the schema's finding alone.
func (ev *evaluation) judged(i int, path string) bool {
	if i >= len(ev.diags) {
		return false
	}
	for _, d := range ev.diags[i] {
		if d.Path == path {
			return true
		}
	}
	return false
}

// otherIdentities adds to ids the kind, id and state of every manifest of
// the snapshot that was not evaluated: decoded, never evaluated against
// its kind. A file that does not decode has no identity.
func (ev *evaluation) otherIdentities(ids map[key]identity) error {
	snap := ev.snap
	if o, ok := snap.(*overlay); ok && o.alone != "" {
		// A manifest proposed alone (ValidateInput): its references still
		// point into the whole snapshot.
		snap = &overlay{Snapshot: o.Snapshot, path: o.path, data: o.data}
	}
	all, err := manifestFiles(snap, ev.cfg, nil)
	if err != nil {
		return err
	}
	evaluated := make(map[string]bool, len(ev.entries))
	for _, e := range ev.entries {
		evaluated[e.Path] = true
	}
	var todo []string
	for _, e := range all {
		if !evaluated[e.Path] {
			todo = append(todo, e.Path)
		}
	}
	if len(todo) == 0 {
		return nil
	}
	found := make([]manifest.Identity, len(todo))
	if known := committedIdentities(snap, ev.cfg); known != nil {
		// A committed tree read before (small serve answers every
		// request at HEAD): its identities are known, but for the file
		// a proposal puts in place.
		var rest []int
		for i, p := range todo {
			if o, ok := snap.(*overlay); ok && p == o.path {
				rest = append(rest, i)
				continue
			}
			found[i] = known[p]
		}
		paths := make([]string, len(rest))
		for k, i := range rest {
			paths[k] = todo[i]
		}
		_ = decodeAll(snap, ev.cfg, paths, false, func(k int, _ *manifest.Document, id manifest.Identity, err error) {
			if err == nil {
				found[rest[k]] = id
			}
		})
	} else {
		// A file that cannot be read has no identity, as one that does
		// not decode.
		_ = decodeAll(snap, ev.cfg, todo, false, func(i int, _ *manifest.Document, id manifest.Identity, err error) {
			if err == nil {
				found[i] = id
			}
		})
	}
	for i, id := range found {
		if id.Kind == "" {
			continue
		}
		k := key{id.Kind, id.ID}
		if t, dup := ids[k]; dup && !t.prefer(todo[i], id.Locale) {
			continue
		}
		state := id.Status
		if state == "" && ev.kinds.HasKind(id.Kind) {
			state = ev.kinds.Lifecycle(id.Kind).Initial
		}
		ids[k] = identity{todo[i], state, id.Locale}
	}
	return nil
}

// identities keeps the identities of the manifests of the committed tree
// read last, under the configuration that read them: resolving the
// references of one manifest (small validate -, small serve, small mcp)
// needs the kind and id of every other, and decoding 10,000 files for each
// request costs a quarter of a second.
var identities struct {
	sync.Mutex
	key string
	ids map[string]manifest.Identity
}

// committedIdentities is the identity of every manifest that decodes in
// the committed tree under snap (a proposal's overlay stands on one), by
// path; nil when snap is the working tree.
func committedIdentities(snap repo.Snapshot, cfg *config.Config) map[string]manifest.Identity {
	base := snap
	if o, ok := base.(*overlay); ok {
		base = o.Snapshot
	}
	tree, ok := repo.TreeOf(base)
	if !ok {
		return nil
	}
	how, err := json.Marshal(cfg)
	if err != nil {
		return nil
	}
	key := tree.String() + "\x00" + string(how)
	identities.Lock()
	defer identities.Unlock()
	if identities.key == key {
		return identities.ids
	}
	files, err := manifestFiles(base, cfg, nil)
	if err != nil {
		return nil
	}
	paths := make([]string, len(files))
	for i, f := range files {
		paths[i] = f.Path
	}
	found := make([]manifest.Identity, len(paths))
	_ = decodeAll(base, cfg, paths, false, func(i int, _ *manifest.Document, id manifest.Identity, err error) {
		if err == nil {
			found[i] = id
		}
	})
	ids := make(map[string]manifest.Identity, len(paths))
	for i, p := range paths {
		if found[i].Kind != "" {
			ids[p] = found[i]
		}
	}
	identities.key, identities.ids = key, ids
	return ids
}

// aKind is "a" or "an", as a kind's name is read.
func aKind(kind string) string {
	if kind != "" && strings.ContainsRune("AEIOUaeiou", rune(kind[0])) {
		return "an"
	}
	return "a"
}

// orList quotes ids and joins them with commas and "or".
func orList(ids []string) string {
	q := make([]string, len(ids))
	for i, id := range ids {
		q[i] = strconv.Quote(id)
	}
	if len(q) == 1 {
		return q[0]
	}
	return strings.Join(q[:len(q)-1], ", ") + " or " + q[len(q)-1]
}

func orNothing(states []string) string {
	if len(states) == 0 {
		return "no state (referenceable is empty)"
	}
	return strings.Join(states, ", ")
}
