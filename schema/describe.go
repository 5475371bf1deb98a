package schema

import (
	"encoding/json"
	"slices"
	"strings"

	"cuelang.org/go/cue"
	"cuelang.org/go/cue/cuecontext"

	"github.com/smallhq/small/protocol"
)

// KindDescription is what a kind allows, for people and agents: its
// fields with their types, defaults, allowed values and constraints, and
// its lifecycle (small schema show, the MCP server).
type KindDescription struct {
	Protocol string `json:"protocol"`
	Kind     string `json:"kind"`
	Doc      string `json:"doc,omitempty"`
	Defined  string `json:"defined,omitempty"` // file:line of the definition
	Digest   string `json:"digest"`            // the schema digest
	// Fields are the fields of a manifest of the kind, reserved fields
	// first, each followed by the fields nested in it (a struct's, or
	// those of the structs a list holds), whose Parent it is. A kind that
	// is a disjunction of structs has Forms instead: a manifest matches
	// one of them.
	Fields []FieldDescription   `json:"fields"`
	Forms  [][]FieldDescription `json:"forms,omitempty"`
	// OtherFields says whether fields not listed are allowed: "none" for a
	// closed definition, else what they must be.
	OtherFields string    `json:"otherFields"`
	Lifecycle   Lifecycle `json:"lifecycle"`
}

// FieldDescription is one field of a kind.
type FieldDescription struct {
	Name string `json:"name"`
	// Path is the field's place in a manifest: author, links[].url.
	Path string `json:"path"`
	// Type is the field's type in words: string, integer, list of
	// string, struct, _#ID, "a" | "b".
	Type string `json:"type"`
	// CUE is the field's value as the schema writes it.
	CUE      string `json:"cue"`
	Required bool   `json:"required"`
	// Reserved is set on kind, id and status, which small checks itself.
	Reserved    bool              `json:"reserved,omitempty"`
	Default     json.RawMessage   `json:"default,omitempty"`
	Enum        []json.RawMessage `json:"enum,omitempty"`
	Doc         string            `json:"doc,omitempty"`
	Constraints []string          `json:"constraints,omitempty"`
	// Parent is the path of the field this one is nested in: a struct
	// field, or a list of structs ("" at the top). A required field
	// nested in an optional one is required only when its parent is given.
	Parent string `json:"parent,omitempty"`
}

// maxDescribeDepth bounds how deep Describe follows nested structs and
// definitions (which may refer to themselves).
const maxDescribeDepth = 8

// Describe describes one kind. An unknown kind is an *UnknownKindError.
func (s *Schema) Describe(kind string) (KindDescription, error) {
	if err := s.checkKind(kind); err != nil {
		return KindDescription{}, err
	}
	root, err := s.buildWithDocs(cuecontext.New())
	if err != nil {
		return KindDescription{}, err
	}
	doc, err := s.exportKind(root, kind, "#/$defs/")
	if err != nil {
		return KindDescription{}, err
	}
	d := KindDescription{
		Protocol:  protocol.Version,
		Kind:      kind,
		Doc:       docOf(root.LookupPath(cue.MakePath(cue.Def(kind)))),
		Defined:   s.Defined[kind],
		Digest:    s.Digest,
		Lifecycle: s.Lifecycle(kind),
	}
	w := describer{defs: doc.defs, seen: map[string]bool{}}
	top := doc.root
	if len(top.anyOf) > 0 && top.props == nil {
		for _, alt := range top.anyOf {
			d.Forms = append(d.Forms, w.fields(alt, "", "", 0))
		}
		d.Fields = []FieldDescription{}
	} else {
		d.Fields = w.fields(top, "", "", 0)
	}
	d.OtherFields = otherFields(top)
	return d, nil
}

// otherFields says what fields beyond the declared ones n allows.
func otherFields(n *jsNode) string {
	switch {
	case n.additional == nil && n.patternProp == nil:
		return "any"
	case n.additional != nil && n.additional.isFalse() && n.patternProp == nil:
		return "none"
	}
	var parts []string
	for _, p := range n.patternProp {
		parts = append(parts, "names matching "+p.name+": "+typeName(p.node))
	}
	switch {
	case n.additional == nil:
		parts = append(parts, "any other")
	case !n.additional.isFalse():
		parts = append(parts, "any other: "+typeName(n.additional))
	}
	return strings.Join(parts, "; ")
}

type describer struct {
	defs map[string]*jsNode
	seen map[string]bool // definitions being described, against recursion
}

// resolve follows a $ref to its definition.
func (w *describer) resolve(n *jsNode) *jsNode {
	if n.ref != "" && n.keywords() == 1 {
		if d := w.defs[n.ref]; d != nil {
			return d
		}
	}
	return n
}

// fields describes the properties of an object schema, each followed by
// those nested in it.
func (w *describer) fields(n *jsNode, parent, prefix string, depth int) []FieldDescription {
	var out []FieldDescription
	n = w.resolve(n)
	for _, p := range n.props {
		out = append(out, w.field(p.name, parent, prefix+p.name, p.node, slices.Contains(n.required, p.name), depth)...)
	}
	return out
}

func (w *describer) field(name, parent, path string, n *jsNode, required bool, depth int) []FieldDescription {
	f := FieldDescription{Name: name, Path: path, Type: typeName(n), CUE: n.cue, Required: required,
		Reserved: n.reserved, Default: n.def, Doc: n.description, Parent: parent}
	t := w.resolve(n)
	if t != n && t.props == nil {
		// A helper such as _#ID: say what it is, and its name.
		f.Type = typeName(t) + " (" + n.defName + ")"
	}
	if n.reserved && name == protocol.FieldStatus {
		f.Type, f.Doc = "string", "The manifest's lifecycle state (see lifecycle); empty means the initial one."
		for _, a := range n.anyOf {
			if a.enum != nil {
				f.Enum = a.enum
			}
		}
	}
	if f.Doc == "" && t != n {
		f.Doc = t.description
	}
	if f.Default == nil {
		f.Default = t.def
	}
	switch {
	case t.enum != nil:
		f.Enum = t.enum
	case t.constVal != nil:
		f.Enum = []json.RawMessage{t.constVal}
	}
	f.Constraints = constraints(n)
	if t != n {
		f.Constraints = appendNew(f.Constraints, constraints(t)...)
	}
	out := []FieldDescription{f}
	if depth >= maxDescribeDepth || w.seen[n.ref] {
		return out
	}
	if n.ref != "" {
		w.seen[n.ref] = true
		defer delete(w.seen, n.ref)
	}
	switch {
	case t.props != nil:
		out = append(out, w.fields(t, path, path+".", depth+1)...)
	case t.items != nil:
		items := w.resolve(t.items)
		if items.props != nil {
			if t.items.ref != "" {
				if w.seen[t.items.ref] {
					return out
				}
				w.seen[t.items.ref] = true
				defer delete(w.seen, t.items.ref)
			}
			out = append(out, w.fields(items, path, path+"[].", depth+1)...)
		}
	}
	return out
}

// constraints lists n's constraints in words, those of its allOf parts
// and, for a list, those of its elements.
func constraints(n *jsNode) []string {
	out := slices.Clone(n.notes)
	for _, a := range n.allOf {
		out = appendNew(out, constraints(a)...)
	}
	if n.items != nil {
		for _, c := range constraints(n.items) {
			out = appendNew(out, "each item: "+c)
		}
	}
	return out
}

// typeName is a schema's type in words.
func typeName(n *jsNode) string {
	switch {
	case n == nil || n.isTrue():
		return "any"
	case n.isFalse():
		return "nothing"
	case n.defName != "":
		return n.defName
	case n.constVal != nil:
		return string(n.constVal)
	case n.enum != nil:
		return enumType(n.enum)
	case len(n.anyOf) > 0:
		var parts []string
		for _, a := range n.anyOf {
			if t := typeName(a); !slices.Contains(parts, t) {
				parts = append(parts, t)
			}
		}
		return strings.Join(parts, " | ")
	case len(n.types) > 0:
		var parts []string
		for _, t := range n.types {
			switch t {
			case "object":
				t = "struct"
			case "array":
				t = "list"
				if n.items != nil {
					t = "list of " + typeName(n.items)
				}
			}
			parts = append(parts, t)
		}
		return strings.Join(parts, " | ")
	}
	for _, a := range n.allOf {
		if t := typeName(a); t != "any" {
			return t
		}
	}
	return "any"
}

// enumType is the JSON type of an enum's values.
func enumType(vals []json.RawMessage) string {
	var parts []string
	for _, v := range vals {
		t := "null"
		switch {
		case len(v) == 0:
		case v[0] == '"':
			t = "string"
		case v[0] == 't' || v[0] == 'f':
			t = "boolean"
		case v[0] == '[':
			t = "list"
		case v[0] == '{':
			t = "struct"
		case v[0] != 'n':
			t = "number"
		}
		if !slices.Contains(parts, t) {
			parts = append(parts, t)
		}
	}
	return strings.Join(parts, " | ")
}
