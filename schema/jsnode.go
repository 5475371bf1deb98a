package schema

import (
	"bytes"
	"encoding/json"
	"slices"
	"strconv"
	"strings"
)

// jsNode is one JSON Schema (draft 2020-12) being exported, with what
// describing the kind needs beside it (the CUE it came from, readable
// constraints). Its keywords are written in a fixed order, so the export
// of the same schemas is the same bytes everywhere.
type jsNode struct {
	boolean *bool // a true or false schema, when set

	ref         string
	title       string
	description string
	comments    []string
	types       []string
	constVal    json.RawMessage
	enum        []json.RawMessage
	def         json.RawMessage
	format      string
	pattern     string
	minLength   *int64
	maxLength   *int64
	minimum     json.RawMessage
	exclMin     json.RawMessage
	maximum     json.RawMessage
	exclMax     json.RawMessage
	multipleOf  json.RawMessage
	prefixItems []*jsNode
	items       *jsNode
	minItems    *int64
	maxItems    *int64
	unique      bool
	props       []namedNode
	patternProp []namedNode
	additional  *jsNode
	required    []string
	minProps    *int64
	maxProps    *int64
	allOf       []*jsNode
	anyOf       []*jsNode
	oneOf       []*jsNode
	not         *jsNode
	ifNode      *jsNode
	thenNode    *jsNode
	elseNode    *jsNode
	defs        []namedNode

	// For Describe, not exported.
	cue      string   // the value as CUE prints it
	notes    []string // the constraints, in words
	reserved bool     // kind, id or status
	optional []string // the properties declared optional (name?: T)
	defName  string   // for a $ref: the CUE name of the definition
}

type namedNode struct {
	name string
	node *jsNode
}

func boolNode(b bool) *jsNode { return &jsNode{boolean: &b} }

// isTrue reports whether n accepts everything.
func (n *jsNode) isTrue() bool {
	if n == nil {
		return true
	}
	if n.boolean != nil {
		return *n.boolean
	}
	return n.keywords() == 0
}

// isFalse reports whether n is the false schema.
func (n *jsNode) isFalse() bool { return n != nil && n.boolean != nil && !*n.boolean }

// keywords counts the validation keywords of n (not annotations).
func (n *jsNode) keywords() int {
	c := 0
	for _, set := range []bool{
		n.ref != "", len(n.types) > 0, n.constVal != nil, n.enum != nil, n.format != "", n.pattern != "",
		n.minLength != nil, n.maxLength != nil, n.minimum != nil, n.exclMin != nil, n.maximum != nil,
		n.exclMax != nil, n.multipleOf != nil, n.prefixItems != nil, n.items != nil, n.minItems != nil,
		n.maxItems != nil, n.unique, n.props != nil, n.patternProp != nil, n.additional != nil,
		n.required != nil, n.minProps != nil, n.maxProps != nil, n.allOf != nil, n.anyOf != nil,
		n.oneOf != nil, n.not != nil, n.ifNode != nil,
	} {
		if set {
			c++
		}
	}
	return c
}

func (n *jsNode) comment(s string) {
	if !slices.Contains(n.comments, s) {
		n.comments = append(n.comments, s)
	}
}

func (n *jsNode) note(s string) {
	if !slices.Contains(n.notes, s) {
		n.notes = append(n.notes, s)
	}
}

// and returns the conjunction of n and m: m's keywords folded into n where
// n does not have them yet, m as an allOf branch where it does.
func (n *jsNode) and(m *jsNode) *jsNode {
	switch {
	case m == nil:
		return n
	case n.isFalse():
		return n
	case m.isFalse():
		return m
	case m.isTrue():
		n.comments = appendNew(n.comments, m.comments...)
		n.notes = appendNew(n.notes, m.notes...)
		return n
	case n.isTrue() && n.boolean != nil:
		return m
	}
	// Types intersect; integer is a number.
	if len(m.types) > 0 {
		if len(n.types) == 0 {
			n.types = slices.Clone(m.types)
		} else {
			n.types = intersectTypes(n.types, m.types)
			if len(n.types) == 0 {
				f := boolNode(false)
				f.comments = appendNew(n.comments, m.comments...)
				return f
			}
		}
	}
	clash := false
	// same reports whether a keyword set in both says the same in both.
	same := func(a, b []byte) bool { return bytes.Equal(a, b) }
	check := func(inN, inM, equal bool) {
		if inN && inM && !equal {
			clash = true
		}
	}
	check(n.ref != "", m.ref != "", n.ref == m.ref)
	check(n.constVal != nil, m.constVal != nil, same(n.constVal, m.constVal))
	check(n.enum != nil, m.enum != nil, false)
	check(n.format != "", m.format != "", n.format == m.format)
	check(n.pattern != "", m.pattern != "", n.pattern == m.pattern)
	check(n.minLength != nil, m.minLength != nil, eqInt(n.minLength, m.minLength))
	check(n.maxLength != nil, m.maxLength != nil, eqInt(n.maxLength, m.maxLength))
	check(n.minimum != nil, m.minimum != nil, same(n.minimum, m.minimum))
	check(n.exclMin != nil, m.exclMin != nil, same(n.exclMin, m.exclMin))
	check(n.maximum != nil, m.maximum != nil, same(n.maximum, m.maximum))
	check(n.exclMax != nil, m.exclMax != nil, same(n.exclMax, m.exclMax))
	check(n.multipleOf != nil, m.multipleOf != nil, same(n.multipleOf, m.multipleOf))
	check(n.prefixItems != nil, m.prefixItems != nil, false)
	check(n.items != nil, m.items != nil, false)
	check(n.minItems != nil, m.minItems != nil, eqInt(n.minItems, m.minItems))
	check(n.maxItems != nil, m.maxItems != nil, eqInt(n.maxItems, m.maxItems))
	check(n.props != nil || n.patternProp != nil || n.additional != nil || n.required != nil,
		m.props != nil || m.patternProp != nil || m.additional != nil || m.required != nil, false)
	check(n.minProps != nil, m.minProps != nil, eqInt(n.minProps, m.minProps))
	check(n.maxProps != nil, m.maxProps != nil, eqInt(n.maxProps, m.maxProps))
	check(n.anyOf != nil, m.anyOf != nil, false)
	check(n.oneOf != nil, m.oneOf != nil, false)
	check(n.not != nil, m.not != nil, false)
	check(n.ifNode != nil, m.ifNode != nil, false)
	check(n.def != nil, m.def != nil, same(n.def, m.def))
	if clash {
		n.allOf = append(n.allOf, m)
		return n
	}
	if m.ref != "" {
		n.ref, n.defName = m.ref, m.defName
	}
	n.constVal = orRaw(n.constVal, m.constVal)
	if m.enum != nil {
		n.enum = m.enum
	}
	n.format = orStr(n.format, m.format)
	n.pattern = orStr(n.pattern, m.pattern)
	n.minLength = orInt(n.minLength, m.minLength)
	n.maxLength = orInt(n.maxLength, m.maxLength)
	n.minimum = orRaw(n.minimum, m.minimum)
	n.exclMin = orRaw(n.exclMin, m.exclMin)
	n.maximum = orRaw(n.maximum, m.maximum)
	n.exclMax = orRaw(n.exclMax, m.exclMax)
	n.multipleOf = orRaw(n.multipleOf, m.multipleOf)
	if m.prefixItems != nil {
		n.prefixItems = m.prefixItems
	}
	if m.items != nil {
		n.items = m.items
	}
	n.minItems = orInt(n.minItems, m.minItems)
	n.maxItems = orInt(n.maxItems, m.maxItems)
	n.unique = n.unique || m.unique
	if m.props != nil || m.patternProp != nil || m.additional != nil || m.required != nil {
		n.props, n.patternProp, n.additional, n.required = m.props, m.patternProp, m.additional, m.required
	}
	n.minProps = orInt(n.minProps, m.minProps)
	n.maxProps = orInt(n.maxProps, m.maxProps)
	n.allOf = append(n.allOf, m.allOf...)
	if m.anyOf != nil {
		n.anyOf = m.anyOf
	}
	if m.oneOf != nil {
		n.oneOf = m.oneOf
	}
	if m.not != nil {
		n.not = m.not
	}
	if m.ifNode != nil {
		n.ifNode, n.thenNode, n.elseNode = m.ifNode, m.thenNode, m.elseNode
	}
	n.def = orRaw(n.def, m.def)
	n.description = orStr(n.description, m.description)
	n.comments = appendNew(n.comments, m.comments...)
	n.notes = appendNew(n.notes, m.notes...)
	return n
}

func eqInt(a, b *int64) bool { return a != nil && b != nil && *a == *b }

func intersectTypes(a, b []string) []string {
	var out []string
	for _, t := range a {
		switch {
		case slices.Contains(b, t):
			out = append(out, t)
		case t == "number" && slices.Contains(b, "integer"):
			out = append(out, "integer")
		case t == "integer" && slices.Contains(b, "number"):
			out = append(out, "integer")
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

func appendNew(to []string, more ...string) []string {
	for _, s := range more {
		if !slices.Contains(to, s) {
			to = append(to, s)
		}
	}
	return to
}

func orRaw(a, b json.RawMessage) json.RawMessage {
	if a != nil {
		return a
	}
	return b
}

func orStr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func orInt(a, b *int64) *int64 {
	if a != nil {
		return a
	}
	return b
}

// MarshalJSON writes the schema with its keywords in a fixed order.
func (n *jsNode) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	n.write(&b)
	return b.Bytes(), nil
}

func (n *jsNode) write(b *bytes.Buffer) {
	if n.boolean != nil && len(n.comments) == 0 {
		b.WriteString(strconv.FormatBool(*n.boolean))
		return
	}
	w := objWriter{b: b}
	b.WriteByte('{')
	if n.boolean != nil {
		// A commented false schema: {"$comment": …, "not": {}}.
		w.str("$comment", strings.Join(n.comments, " "))
		if !*n.boolean {
			w.raw("not", []byte("{}"))
		}
		b.WriteByte('}')
		return
	}
	w.str("$ref", n.ref)
	w.str("title", n.title)
	w.str("description", n.description)
	w.str("$comment", strings.Join(n.comments, " "))
	switch len(n.types) {
	case 0:
	case 1:
		w.str("type", n.types[0])
	default:
		t, _ := json.Marshal(n.types)
		w.raw("type", t)
	}
	w.raw("const", n.constVal)
	if n.enum != nil {
		w.key("enum")
		b.WriteByte('[')
		for i, e := range n.enum {
			if i > 0 {
				b.WriteByte(',')
			}
			b.Write(e)
		}
		b.WriteByte(']')
	}
	w.raw("default", n.def)
	w.str("format", n.format)
	w.str("pattern", n.pattern)
	w.int("minLength", n.minLength)
	w.int("maxLength", n.maxLength)
	w.raw("minimum", n.minimum)
	w.raw("exclusiveMinimum", n.exclMin)
	w.raw("maximum", n.maximum)
	w.raw("exclusiveMaximum", n.exclMax)
	w.raw("multipleOf", n.multipleOf)
	w.list("prefixItems", n.prefixItems)
	w.node("items", n.items)
	w.int("minItems", n.minItems)
	w.int("maxItems", n.maxItems)
	if n.unique {
		w.raw("uniqueItems", []byte("true"))
	}
	w.named("properties", n.props)
	w.named("patternProperties", n.patternProp)
	w.node("additionalProperties", n.additional)
	if n.required != nil {
		r, _ := json.Marshal(n.required)
		w.raw("required", r)
	}
	w.int("minProperties", n.minProps)
	w.int("maxProperties", n.maxProps)
	w.list("allOf", n.allOf)
	w.list("anyOf", n.anyOf)
	w.list("oneOf", n.oneOf)
	w.node("not", n.not)
	w.node("if", n.ifNode)
	w.node("then", n.thenNode)
	w.node("else", n.elseNode)
	w.named("$defs", n.defs)
	b.WriteByte('}')
}

// objWriter writes the members of one JSON object.
type objWriter struct {
	b *bytes.Buffer
	n int
}

func (w *objWriter) key(k string) {
	if w.n > 0 {
		w.b.WriteByte(',')
	}
	w.n++
	q, _ := json.Marshal(k)
	w.b.Write(q)
	w.b.WriteByte(':')
}

func (w *objWriter) str(k, v string) {
	if v == "" {
		return
	}
	w.key(k)
	q, _ := json.Marshal(v)
	w.b.Write(q)
}

func (w *objWriter) raw(k string, v []byte) {
	if v == nil {
		return
	}
	w.key(k)
	w.b.Write(v)
}

func (w *objWriter) int(k string, v *int64) {
	if v == nil {
		return
	}
	w.key(k)
	w.b.WriteString(strconv.FormatInt(*v, 10))
}

func (w *objWriter) node(k string, n *jsNode) {
	if n == nil {
		return
	}
	w.key(k)
	n.write(w.b)
}

func (w *objWriter) list(k string, ns []*jsNode) {
	if ns == nil {
		return
	}
	w.key(k)
	w.b.WriteByte('[')
	for i, n := range ns {
		if i > 0 {
			w.b.WriteByte(',')
		}
		n.write(w.b)
	}
	w.b.WriteByte(']')
}

func (w *objWriter) named(k string, ns []namedNode) {
	if ns == nil {
		return
	}
	w.key(k)
	w.b.WriteByte('{')
	for i, p := range ns {
		if i > 0 {
			w.b.WriteByte(',')
		}
		q, _ := json.Marshal(p.name)
		w.b.Write(q)
		w.b.WriteByte(':')
		p.node.write(w.b)
	}
	w.b.WriteByte('}')
}
