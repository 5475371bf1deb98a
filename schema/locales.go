package schema

import (
	"fmt"
	"slices"
	"strings"

	"cuelang.org/go/cue"

	"github.com/smallhq/small/diag"
	"github.com/smallhq/small/protocol"
)

// LocalesField is the definition inside a kind that says what its
// translations must be, beside its #lifecycle:
//
//	#Article: {
//		title: string
//		date:  string @shared()
//		#locales: {
//			required: ["fr"]           // every entry is translated into these
//			currentIn: ["published"]   // and may be in these states only when
//			                           // each required translation is current
//		}
//	}
//
// Which locales exist is small.cue's (locales: {default, supported}); a
// field marked @shared() holds the same value in every locale of an entry.
const LocalesField = "locales"

// AttrShared marks a field whose value every translation of a manifest
// shares with its source (the default locale's version): @shared().
const AttrShared = "shared"

// KindLocales is what a kind's #locales asks.
type KindLocales struct {
	// Required are the locales every entry of the kind is to be
	// translated into: small status --translations lists them as missing
	// or stale.
	Required []string `json:"required,omitempty"`
	// CurrentIn are the lifecycle states an entry may enter, or be
	// changed in, only while each required translation exists and was
	// made from the entry's current version (small check).
	CurrentIn []string `json:"currentIn,omitempty"`
	// Defined is the file:line:col of the #locales, for findings.
	Defined string `json:"-"`
}

// Locales returns what kind's #locales asks; zero for a kind without one.
func (s *Schema) Locales(kind string) KindLocales { return s.locales[kind] }

// localesFields are the fields a #locales may have.
var localesFields = []string{"required", "currentIn"}

// kindLocales reads the #locales of every kind of root that has one,
// checking it field by field as lifecycles does a #lifecycle.
func kindLocales(root cue.Value, kinds []string, lcs map[string]Lifecycle) (map[string]KindLocales, []diag.Diagnostic) {
	out := map[string]KindLocales{}
	var ds []diag.Diagnostic
	for _, k := range kinds {
		v := root.LookupPath(cue.MakePath(cue.Def(k), cue.Def(LocalesField)))
		if !v.Exists() {
			continue
		}
		bad := false
		fail := func(at cue.Value, msg string) {
			bad = true
			ds = append(ds, definitionFinding("#"+k+".#"+LocalesField, msg, at, v))
		}
		it, err := v.Fields()
		if err != nil {
			fail(v, "expected a struct of required (a list of locales) and currentIn (a list of states): "+err.Error())
			continue
		}
		for it.Next() {
			if name := it.Selector().Unquoted(); !slices.Contains(localesFields, name) {
				fail(it.Value(), fmt.Sprintf("%s: field not allowed: expected one of %s", name, strings.Join(localesFields, ", ")))
			}
		}
		var kl KindLocales
		if err := v.Validate(cue.Concrete(true)); err != nil {
			fail(v, "expected concrete values: "+err.Error())
			continue
		}
		if err := v.Decode(&kl); err != nil {
			fail(v, "expected required (a list of locales) and currentIn (a list of states): "+err.Error())
			continue
		}
		for i, t := range kl.Required {
			at := v.LookupPath(cue.MakePath(cue.Str("required"), cue.Index(i)))
			if !protocol.ValidLocale(t) {
				fail(at, fmt.Sprintf("required: %q is not a locale tag: expected a BCP 47 language tag such as \"fr\" (%s)", t, protocol.LocalePattern))
			}
			if slices.Index(kl.Required, t) != i {
				fail(at, fmt.Sprintf("required: %q is listed twice", t))
			}
		}
		lc := lcs[k]
		for i, st := range kl.CurrentIn {
			if !lc.Has(st) {
				fail(v.LookupPath(cue.MakePath(cue.Str("currentIn"), cue.Index(i))),
					fmt.Sprintf("currentIn: %q is not a state of #%s: expected one of %s", st, k, strings.Join(lc.States, ", ")))
			}
		}
		if len(kl.CurrentIn) > 0 && len(kl.Required) == 0 {
			fail(v.LookupPath(cue.ParsePath("currentIn")), "currentIn without required: expected the locales that must be current, e.g. required: [\"fr\"]")
		}
		if pos := v.Pos(); pos.IsValid() {
			kl.Defined = fmt.Sprintf("%s:%d:%d", pos.Filename(), pos.Line(), pos.Column())
		}
		if !bad {
			out[k] = kl
		}
	}
	return out, ds
}
