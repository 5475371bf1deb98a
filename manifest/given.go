package manifest

import (
	"strconv"

	"github.com/smallhq/small/diag"
	"github.com/smallhq/small/protocol"
)

// Given is what a files rule of small.cue says a manifest is, from its
// path: its kind and id ("" where the rule leaves them to the file), and
// the rule's name for findings, e.g. `files rule 1 (topics/*/index.md)`.
type Given struct {
	Kind, ID string
	Rule     string
}

// IdentityGiven is Identity for a manifest whose path gives its kind or
// id: the file may leave them out, and where it states them they must
// agree with the rule (a manifest.rule-mismatch *Error at the field). An
// id the path gives that is not a valid id is a manifest.id-invalid
// *Error naming the rule. With nothing given it is Identity.
func (d *Document) IdentityGiven(g Given) (Identity, error) {
	if g.Kind == "" && g.ID == "" {
		return d.Identity()
	}
	var id Identity
	kind, kn, ok := d.stringField(protocol.FieldKind)
	switch {
	case kn == nil && g.Kind == "":
		return id, &Error{Line: d.root.Line, Column: d.root.Column, Code: diag.CodeKindMissing, Msg: "kind: required field is missing: expected the name of a kind, e.g. kind: Article (" + g.Rule + " gives none)"}
	case kn == nil:
		id.Kind = g.Kind
	case !ok || kind == "":
		return id, &Error{Line: kn.Line, Column: kn.Column, Code: diag.CodeKindInvalid, Msg: "kind: expected a non-empty string naming a kind"}
	case g.Kind != "" && kind != g.Kind:
		return id, &Error{Line: kn.Line, Column: kn.Column, Code: diag.CodeRuleMismatch,
			Msg: "kind: " + strconv.Quote(kind) + " disagrees with " + g.Rule + ", which gives " + strconv.Quote(g.Kind) + " from the path: expected kind: " + g.Kind + ", or no kind"}
	default:
		id.Kind = kind
	}
	v, n, ok := d.stringField(protocol.FieldID)
	switch {
	case g.ID != "" && !protocol.ValidID(g.ID):
		// No place in the file says it: the finding is of the file.
		return id, &Error{Code: diag.CodeIDInvalid,
			Msg: "id: " + strconv.Quote(g.ID) + " from " + g.Rule + " is not a valid id: " + protocol.IDProblem(g.ID) + "; expected a path that gives " + protocol.IDRule + ": rename the file or its directory"}
	case n != nil && !ok:
		return id, &Error{Line: n.Line, Column: n.Column, Code: diag.CodeIDInvalid, Msg: "id: expected a string"}
	case n != nil && g.ID != "" && v != g.ID:
		return id, &Error{Line: n.Line, Column: n.Column, Code: diag.CodeRuleMismatch,
			Msg: "id: " + strconv.Quote(v) + " disagrees with " + g.Rule + ", which gives " + strconv.Quote(g.ID) + " from the path: expected id: " + g.ID + ", or no id"}
	case g.ID != "":
		id.ID = g.ID
	case n != nil && !protocol.ValidID(v):
		return id, &Error{Line: n.Line, Column: n.Column, Code: diag.CodeIDInvalid, Msg: InvalidID(v)}
	case n != nil:
		id.ID = v
	default:
		var from string
		id.ID, from = pathID(d.Path)
		if !protocol.ValidID(id.ID) {
			return id, &Error{Line: d.root.Line, Column: d.root.Column, Code: diag.CodeIDInvalid, Msg: from + " is not a valid id: set id, or rename it to lower case letters, digits, '.', '_' or '-'"}
		}
	}
	return id, d.statusLocale(&id)
}

// pathID is the id of a manifest that neither states one nor has one from
// its rule, as Identity gives it, and what it came from, for a message.
// An index.md stands for its directory, as in Identity.
func pathID(p string) (id, from string) { return DefaultID(p) }
