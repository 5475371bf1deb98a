package content

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/smallhq/small/diag"
	"github.com/smallhq/small/protocol"
	"github.com/smallhq/small/repo"
)

// Integrity over time: a change that deletes a manifest, changes its kind
// or id, or moves it to a state its lifecycle does not list as
// referenceable, while other manifests of the head still reference it.
// Validation of the head already finds each broken reference at the
// referrer; the gate says which commit of the change broke it, there, and
// adds one finding at the manifest that went, listing every referrer. A
// change that fixes its referrers has no broken reference at the head, so
// nothing to say.

// keyRemoval is how a commit of the change made a kind and id go.
type keyRemoval struct {
	commit *repo.Commit
	path   string // the file that had it
	into   key    // what the same file is after the commit, if anything
}

// maxReferrersListed bounds the list in one finding.
const maxReferrersListed = 20

// referenceChanges attributes the head's broken references to the change.
func (g *gate) referenceChanges() error {
	res := g.ch.Result
	if res == nil || len(res.References) == 0 {
		return nil
	}
	broken := map[key][]int{}
	for i, r := range res.References {
		if r.Problem != "" {
			k := key{r.To.Kind, r.To.ID}
			broken[k] = append(broken[k], i)
		}
	}
	if len(broken) == 0 {
		return nil
	}
	var base map[key]*ver
	if g.ch.Head == nil {
		var err error
		if base, err = g.statesAt(g.ch.Base.ID); err != nil {
			return err
		}
	}
	keys := make([]key, 0, len(broken))
	for k := range broken {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b key) int { return strings.Compare(a[0]+"/"+a[1], b[0]+"/"+b[1]) })
	for _, k := range keys {
		idx := broken[k]
		state := res.References[idx[0]].Problem == diag.CodeRefState
		what, at := g.cause(k, state, res.References[idx[0]].To, base)
		if what == "" {
			continue // broken before the change, or by no commit of it
		}
		name := k[0] + " " + k[1]
		which := strings.Replace(what, " %s", "", 1)
		expect := fmt.Sprintf("expected the id of %s %s manifest", aKind(k[0]), k[0])
		if state {
			which += fmt.Sprintf(", a state %s does not allow to be referenced", k[0])
			expect = "expected one in " + orNothing(g.ch.Result.Schema.Lifecycle(k[0]).Referenceable)
		}
		var refs []string
		for _, i := range idx {
			r := res.References[i]
			g.retell(res, r, fmt.Sprintf("references %s, which %s: %s, or this reference changed in the same change", name, which, expect))
			where := fmt.Sprintf("%s:%d", r.From.Path, r.From.Line)
			if !slices.Contains(refs, where) {
				refs = append(refs, where)
			}
		}
		slices.Sort(refs)
		n := len(refs)
		if n > maxReferrersListed {
			refs = append(refs[:maxReferrersListed], fmt.Sprintf("and %d more", n-maxReferrersListed))
		}
		noun := "references still point at"
		if n == 1 {
			noun = "reference still points at"
		}
		at.Code, at.Severity = diag.CodeRefReferenced, diag.Error
		at.Message = fmt.Sprintf("%s, and %d %s it: %s: expected the references changed in the same change",
			fmt.Sprintf(what, name), n, noun, strings.Join(refs, ", "))
		g.ds = append(g.ds, at)
	}
	return nil
}

// cause says what the change did to the manifest k that the head's
// references find broken, with %s where the manifest's name goes
// ("commit 1a2b3c4d5e6f deletes %s"), and where a finding about it goes; what is "" when the change did nothing to it.
// base is the base's manifests, for a change of the working tree.
func (g *gate) cause(k key, state bool, to Referent, base map[key]*ver) (string, diag.Diagnostic) {
	if state {
		// The head has it, in a state that is not referenceable: which
		// commit moved it there?
		at := diag.Diagnostic{File: to.Path, Path: protocol.FieldStatus}
		if m, ok := g.at[to.Path]; ok {
			at.Line, at.Column = m.StatusLine, m.StatusColumn
		}
		if g.ch.Head == nil {
			if b := base[k]; b != nil && b.state != to.State && g.referenceable(k[0], b.state) {
				return fmt.Sprintf("the change moves %%s to %q", to.State), at
			}
			return "", at
		}
		for i := len(g.steps) - 1; i >= 0; i-- {
			st := g.steps[i]
			if st.Kind == k[0] && st.ID == k[1] && st.To == to.State {
				if g.referenceable(k[0], st.From) {
					return fmt.Sprintf("commit %s moves %%s to %q", st.Commit.ID.Short(), to.State), at
				}
				break
			}
		}
		return "", at
	}
	var who, path string
	var into key
	if g.ch.Head == nil {
		b := base[k]
		if b == nil {
			return "", diag.Diagnostic{}
		}
		who, path = "the change", b.path
		if m, ok := g.at[path]; ok && m.Kind != "" {
			into = key{m.Kind, m.ID}
		}
	} else {
		rm, ok := g.removals[k]
		if !ok {
			return "", diag.Diagnostic{}
		}
		who, path, into = "commit "+rm.commit.ID.Short(), rm.path, rm.into
	}
	at := diag.Diagnostic{File: path}
	verb := who + " deletes %s"
	switch {
	case into == (key{}):
	case into[0] == k[0]:
		verb = fmt.Sprintf("%s renames %%s to %s", who, into[1])
	default:
		verb = fmt.Sprintf("%s turns %%s into %s %s %s", who, aKind(into[0]), into[0], into[1])
	}
	if into != (key{}) {
		if m, ok := g.at[path]; ok {
			at.Path, at.Line, at.Column = protocol.FieldID, m.IDLine, m.IDColumn
		}
	}
	return verb, at
}

// referenceable reports whether the head's lifecycle of kind lets a
// reference point at a manifest in state.
func (g *gate) referenceable(kind, state string) bool {
	s := g.ch.Result.Schema
	if s == nil || !s.HasKind(kind) {
		return true
	}
	lc := s.Lifecycle(kind)
	return !lc.Has(state) || lc.ReferenceableState(state)
}

// retell gives the validation finding of reference r the change's words.
func (g *gate) retell(res *Result, r Reference, msg string) {
	for i := range res.Report.Diagnostics {
		d := &res.Report.Diagnostics[i]
		if d.File == r.From.Path && d.Line == r.From.Line && d.Column == r.From.Column && d.Path == r.From.Field && d.Code == r.Problem {
			d.Message = clipText(strconv.Quote(r.To.ID)) + " " + msg
			return
		}
	}
}
