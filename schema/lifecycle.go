package schema

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"

	"cuelang.org/go/cue"

	"github.com/smallhq/small/diag"
)

// LifecycleField is the definition inside a kind that declares its own
// lifecycle, replacing DefaultLifecycle:
//
//	#Article: {
//		title: string
//		#lifecycle: {
//			states: ["draft", "live", "retired"]
//			initial: "draft"
//			transitions: {draft: ["live"], live: ["retired"]}
//			humanOnly: ["live"]
//			deletable: ["draft", "retired"]
//			frozen: ["live"] // content only a human may change; default: humanOnly
//			referenceable: ["draft", "live"] // states a @ref may point at; default: all
//		}
//	}
const LifecycleField = "lifecycle"

// statePattern is what a state name looks like.
var statePattern = regexp.MustCompile(`^[a-z][a-z0-9-]{0,31}$`)

// lifecycleFields are the fields a #lifecycle may have.
var lifecycleFields = []string{"states", "initial", "transitions", "humanOnly", "deletable", "frozen", "referenceable"}

// lifecycles reads the #lifecycle of every kind of root; kinds without one
// get the default. A #lifecycle is a closed definition of the user's, so it
// is checked here, field by field, rather than unified with a schema.
func lifecycles(root cue.Value, kinds []string) (map[string]Lifecycle, []diag.Diagnostic) {
	out := map[string]Lifecycle{}
	var ds []diag.Diagnostic
	for _, k := range kinds {
		v := root.LookupPath(cue.MakePath(cue.Def(k), cue.Def(LifecycleField)))
		if !v.Exists() {
			out[k] = DefaultLifecycle
			continue
		}
		bad := false
		fail := func(at cue.Value, msg string) {
			bad = true
			ds = append(ds, definitionFinding("#"+k+".#"+LifecycleField, msg, at, v))
		}
		it, err := v.Fields()
		if err != nil {
			fail(v, err.Error())
			continue
		}
		for it.Next() {
			if name := it.Selector().Unquoted(); !slices.Contains(lifecycleFields, name) {
				fail(it.Value(), fmt.Sprintf("%s: field not allowed: expected one of %s", name, strings.Join(lifecycleFields, ", ")))
			}
		}
		var lc Lifecycle
		if err := v.Validate(cue.Concrete(true)); err != nil {
			fail(v, "expected concrete values: "+err.Error())
			continue
		}
		if err := v.Decode(&lc); err != nil {
			fail(v, "expected states (a list of names), initial (a name), transitions (a struct of lists of names), humanOnly and deletable (lists of names): "+err.Error())
			continue
		}
		if len(lc.States) == 0 {
			fail(v, "states: expected at least one state")
		}
		for i, st := range lc.States {
			at := v.LookupPath(cue.MakePath(cue.Str("states"), cue.Index(i)))
			if !statePattern.MatchString(st) {
				fail(at, fmt.Sprintf("states: %q is not a state name: expected lower case letters, digits and '-', starting with a letter", st))
			}
			if slices.Index(lc.States, st) != i {
				fail(at, fmt.Sprintf("states: %q is listed twice", st))
			}
		}
		// Every state named must be one of states.
		known := strings.Join(lc.States, ", ")
		check := func(at cue.Value, where, state string) {
			if !lc.Has(state) {
				fail(at, fmt.Sprintf("%s: %q is not one of its states: expected one of %s", where, state, known))
			}
		}
		check(v.LookupPath(cue.ParsePath("initial")), "initial", lc.Initial)
		for _, from := range slices.Sorted(maps.Keys(lc.Transitions)) {
			check(v.LookupPath(cue.MakePath(cue.Str("transitions"), cue.Str(from))), "transitions", from)
			for i, to := range lc.Transitions[from] {
				check(v.LookupPath(cue.MakePath(cue.Str("transitions"), cue.Str(from), cue.Index(i))), "transitions."+from, to)
			}
		}
		for i, st := range lc.HumanOnly {
			check(v.LookupPath(cue.MakePath(cue.Str("humanOnly"), cue.Index(i))), "humanOnly", st)
		}
		for i, st := range lc.Deletable {
			check(v.LookupPath(cue.MakePath(cue.Str("deletable"), cue.Index(i))), "deletable", st)
		}
		for i, st := range lc.Frozen {
			check(v.LookupPath(cue.MakePath(cue.Str("frozen"), cue.Index(i))), "frozen", st)
		}
		for i, st := range lc.Referenceable {
			check(v.LookupPath(cue.MakePath(cue.Str("referenceable"), cue.Index(i))), "referenceable", st)
		}
		if !bad {
			out[k] = lc
		}
	}
	return out, ds
}

// Lifecycle returns the lifecycle of a kind.
func (s *Schema) Lifecycle(kind string) Lifecycle {
	if lc, ok := s.lifecycles[kind]; ok {
		return lc
	}
	return DefaultLifecycle
}

// definitionFinding is a schema finding about a kind's definition (its
// #lifecycle, its #locales), at the first of the values that has a
// position in the schemas.
func definitionFinding(path, msg string, at ...cue.Value) diag.Diagnostic {
	d := diag.Diagnostic{Code: diag.CodeSchemaInvalid, Severity: diag.Error, Path: path, Message: msg}
	for _, p := range at {
		if pos := p.Pos(); pos.IsValid() {
			d.File, d.Line, d.Column = pos.Filename(), pos.Line(), pos.Column()
			break
		}
	}
	return d
}
