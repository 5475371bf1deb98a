package schema

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"cuelang.org/go/cue/cuecontext"

	"github.com/smallhq/small/protocol"
)

// Placeholder marks, in a skeleton, a required field left to fill in.
const Placeholder = "TODO"

// SkeletonOptions say what a skeleton manifest names.
type SkeletonOptions struct {
	Kind string
	ID   string
	// WriteID writes the id field; otherwise the id is left to the file
	// name, which must then be ID.
	WriteID bool
	// SchemaRef is what the first line's yaml-language-server modeline
	// points at (a path relative to the manifest, or a URL); "" for none.
	SchemaRef string
}

// maxSkeletonDepth bounds how deep a skeleton spells out required fields
// of nested structs.
const maxSkeletonDepth = 6

// Skeleton writes a YAML manifest of a kind for someone to fill in: the
// kind (and id when asked), every required field as an empty value marked
// TODO — which small validate refuses until it is filled in, naming the
// field — regular fields with defaults set to their default, and optional
// fields as comments, each with its type and constraints. Required fields
// of nested structs are spelt out the same way.
func (s *Schema) Skeleton(o SkeletonOptions) ([]byte, error) {
	if err := s.checkKind(o.Kind); err != nil {
		return nil, err
	}
	if !protocol.ValidID(o.ID) {
		return nil, fmt.Errorf("%q is not a valid id: %s; expected %s", o.ID, protocol.IDProblem(o.ID), protocol.IDRule)
	}
	root, err := s.buildWithDocs(cuecontext.New())
	if err != nil {
		return nil, err
	}
	doc, err := s.exportKind(root, o.Kind, "#/$defs/")
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	if o.SchemaRef != "" {
		fmt.Fprintf(&b, "# yaml-language-server: $schema=%s\n", o.SchemaRef)
	}
	sk := skeleton{b: &b, defs: doc.defs}
	if d := doc.root.description; d != "" {
		sk.comment("", d)
	}
	fmt.Fprintf(&b, "# A new %s: fill in every %s; small validate refuses the file until then.\n", o.Kind, Placeholder)
	top := doc.root
	if len(top.anyOf) > 0 && top.props == nil {
		// A kind that is a disjunction: spell out its first form.
		fmt.Fprintf(&b, "# %s has %d forms; this is the first (small schema show %s lists them all).\n", o.Kind, len(top.anyOf), o.Kind)
		top = top.anyOf[0]
	}
	fmt.Fprintf(&b, "%s: %s\n", protocol.FieldKind, yamlString(o.Kind))
	if o.WriteID {
		fmt.Fprintf(&b, "%s: %s\n", protocol.FieldID, yamlString(o.ID))
	} else {
		fmt.Fprintf(&b, "# %s: %s  # the file name, when left out\n", protocol.FieldID, o.ID)
	}
	lc := s.Lifecycle(o.Kind)
	fmt.Fprintf(&b, "# %s: %s  # the lifecycle state; default %s, the initial one (small schema show %s)\n", protocol.FieldStatus, lc.Initial, lc.Initial, o.Kind)
	sk.fields(top, "", 0, true)
	return b.Bytes(), nil
}

type skeleton struct {
	b    *bytes.Buffer
	defs map[string]*jsNode
}

func (sk *skeleton) resolve(n *jsNode) *jsNode {
	if n != nil && n.ref != "" && n.keywords() == 1 {
		if d := sk.defs[n.ref]; d != nil {
			return d
		}
	}
	return n
}

// comment writes text as comment lines at an indent.
func (sk *skeleton) comment(indent, text string) {
	for _, line := range strings.Split(text, "\n") {
		fmt.Fprintf(sk.b, "%s# %s\n", indent, strings.TrimRight(line, " "))
	}
}

// fields writes the fields of an object schema at a depth.
func (sk *skeleton) fields(n *jsNode, indent string, depth int, top bool) {
	n = sk.resolve(n)
	for _, p := range n.props {
		if top && isReserved(p.name) {
			continue
		}
		sk.field(p.name, p.node, slices.Contains(n.required, p.name), slices.Contains(n.optional, p.name), indent, depth)
	}
}

func (sk *skeleton) field(name string, n *jsNode, required, optional bool, indent string, depth int) {
	t := sk.resolve(n)
	key := yamlKey(name)
	hint := fieldHint(n, t)
	doc := n.description
	if doc == "" {
		doc = t.description
	}
	if doc != "" {
		sk.comment(indent, doc)
	}
	switch {
	case required && t.props != nil && depth < maxSkeletonDepth && len(t.required) > 0:
		// A struct with required fields: spell them out.
		fmt.Fprintf(sk.b, "%s%s:  # %s (required) %s\n", indent, key, Placeholder, hint)
		sk.fields(t, indent+"  ", depth+1, false)
	case required && !acceptsNull(t, sk):
		// An empty value is null, which the field does not take: small
		// validate names the field until it is filled in.
		fmt.Fprintf(sk.b, "%s%s:  # %s (required) %s\n", indent, key, Placeholder, hint)
	case required:
		// The field takes null: leave it out, so it is missing.
		fmt.Fprintf(sk.b, "%s# %s:  # %s (required) %s\n", indent, key, Placeholder, hint)
	case !optional && (n.def != nil || t.def != nil):
		def := n.def
		if def == nil {
			def = t.def
		}
		fmt.Fprintf(sk.b, "%s%s: %s  # default; %s\n", indent, key, compactJSON(def), hint)
	default:
		fmt.Fprintf(sk.b, "%s# %s:  # optional %s\n", indent, key, hint)
	}
}

// acceptsNull reports whether a schema may accept null.
func acceptsNull(n *jsNode, sk *skeleton) bool {
	n = sk.resolve(n)
	switch {
	case n == nil || n.isTrue():
		return true
	case n.isFalse():
		return false
	case string(n.constVal) == "null":
		return true
	case n.constVal != nil:
		return false
	case n.enum != nil:
		return slices.ContainsFunc(n.enum, func(e json.RawMessage) bool { return string(e) == "null" })
	case len(n.anyOf) > 0:
		return slices.ContainsFunc(n.anyOf, func(a *jsNode) bool { return acceptsNull(a, sk) })
	case len(n.types) > 0:
		return slices.Contains(n.types, "null")
	}
	for _, a := range n.allOf {
		if !acceptsNull(a, sk) {
			return false
		}
	}
	return n.not == nil
}

// fieldHint is a field's type and constraints on one line.
func fieldHint(n, t *jsNode) string {
	parts := []string{typeName(n)}
	if t != n && t.props == nil {
		parts[0] = typeName(t)
	}
	if t.enum != nil && len(t.enum) > 1 {
		vals := make([]string, len(t.enum))
		for i, e := range t.enum {
			vals[i] = string(e)
		}
		parts = append(parts, "one of "+strings.Join(vals, ", "))
	}
	cs := constraints(n)
	if t != n {
		cs = appendNew(cs, constraints(t)...)
	}
	parts = append(parts, cs...)
	return oneLine(strings.Join(parts, ", "))
}

var plainKey = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_-]*$`)

// yamlKey writes a field name as a YAML key, quoted when it must be.
func yamlKey(name string) string {
	if plainKey.MatchString(name) && !yamlSpecial(name) {
		return name
	}
	return yamlString(name)
}

// yamlString quotes a string for YAML: JSON's quoting is YAML's.
func yamlString(s string) string {
	if plainKey.MatchString(s) && !yamlSpecial(s) {
		return s
	}
	b, _ := json.Marshal(s)
	return string(b)
}

// yamlSpecial reports plain words YAML reads as something else than a
// string.
func yamlSpecial(s string) bool {
	switch strings.ToLower(s) {
	case "true", "false", "yes", "no", "on", "off", "y", "n", "null", "~":
		return true
	}
	return false
}

func compactJSON(b json.RawMessage) string {
	var out bytes.Buffer
	if err := json.Compact(&out, b); err != nil {
		return string(b)
	}
	return out.String()
}
