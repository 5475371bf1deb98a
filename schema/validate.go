package schema

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"cuelang.org/go/cue"
	"cuelang.org/go/cue/ast"
	"cuelang.org/go/cue/cuecontext"
	"cuelang.org/go/cue/errors"

	"github.com/smallhq/small/diag"
	"github.com/smallhq/small/manifest"
	"github.com/smallhq/small/protocol"
)

// recycleAfter bounds how many manifests one cue.Context sees: a context
// keeps everything it ever built, so a long run starts a fresh one now and then.
const recycleAfter = 2000

// Validator checks manifests against a Schema. It is not safe for concurrent
// use; give each goroutine its own.
type Validator struct {
	schema *Schema
	ctx    *cue.Context
	kinds  map[string]kindDef
	uses   int
}

type kindDef struct {
	def      cue.Value
	declares map[string]bool // which reserved fields the definition declares
}

// NewValidator compiles the schema in a context of the validator's own.
func (s *Schema) NewValidator() (*Validator, error) {
	v := &Validator{schema: s}
	return v, v.reset()
}

func (v *Validator) reset() error {
	ctx := cuecontext.New()
	root, err := v.schema.build(ctx)
	if err != nil {
		return err
	}
	kinds := make(map[string]kindDef, len(v.schema.Kinds))
	for _, k := range v.schema.Kinds {
		def := root.LookupPath(cue.MakePath(cue.Def(k)))
		kd := kindDef{def: def, declares: map[string]bool{}}
		for _, f := range protocol.ReservedFields {
			kd.declares[f] = def.LookupPath(cue.MakePath(cue.Str(f))).Exists() ||
				def.LookupPath(cue.MakePath(cue.Str(f).Optional())).Exists()
		}
		kinds[k] = kd
	}
	v.ctx, v.kinds, v.uses = ctx, kinds, 0
	return nil
}

// Schema is the schema the validator checks against.
func (v *Validator) Schema() *Schema { return v.schema }

// HasKind reports whether the schema defines kind.
func (s *Schema) HasKind(kind string) bool {
	_, ok := slices.BinarySearch(s.Kinds, kind)
	return ok
}

// Validate checks one decoded manifest and returns every problem in it,
// each at the position of the offending value in the file. The reserved
// fields (kind, id, status) reach the definition only where it declares
// them; small checks them itself.
func (v *Validator) Validate(doc *manifest.Document, id manifest.Identity) []diag.Diagnostic {
	_, ds := v.evaluate(doc, id)
	return ds
}

// evaluate unifies a manifest with its kind's definition; the value is valid
// and concrete when there are no diagnostics.
func (v *Validator) evaluate(doc *manifest.Document, id manifest.Identity) (cue.Value, []diag.Diagnostic) {
	k, ok := v.kinds[id.Kind]
	if !ok {
		line, col, _ := doc.Position([]string{protocol.FieldKind})
		msg := fmt.Sprintf("unknown kind %q: expected one of %s", id.Kind, strings.Join(v.schema.Kinds, ", "))
		if s := diag.Nearest(id.Kind, v.schema.Kinds); s != "" {
			msg = fmt.Sprintf("unknown kind %q (did you mean %q?): expected one of %s", id.Kind, s, strings.Join(v.schema.Kinds, ", "))
		}
		return cue.Value{}, []diag.Diagnostic{{File: doc.Path, Line: line, Column: col, Path: protocol.FieldKind,
			Code: diag.CodeKindUnknown, Severity: diag.Error, Message: msg}}
	}
	if v.uses++; v.uses > recycleAfter {
		if err := v.reset(); err != nil {
			return cue.Value{}, []diag.Diagnostic{{File: doc.Path, Code: diag.CodeSchemaInvalid, Severity: diag.Error, Message: err.Error()}}
		}
		k = v.kinds[id.Kind]
	}
	content := contentOf(doc.Fields, k.declares, id)
	data := v.ctx.BuildExpr(content)
	if err := data.Err(); err != nil {
		return cue.Value{}, []diag.Diagnostic{{File: doc.Path, Code: diag.CodeParse, Severity: diag.Error, Message: err.Error()}}
	}
	u := k.def.Unify(data)
	err := u.Validate(cue.Concrete(true))
	if err == nil {
		return u, nil
	}
	e := explainer{doc: doc, kind: id.Kind, def: k.def, data: data, seen: map[string]bool{}}
	e.cueErrors(err)
	e.notAllowed(content, nil)
	e.missing(content, nil)
	return cue.Value{}, e.finish()
}

// contentOf drops the reserved fields that the kind's definition leaves to
// small. Where the definition declares id (or kind), the manifest's id
// (kind) is supplied when the file leaves it to its name or to a files
// rule of small.cue, so that the schema can use it (topic: id).
func contentOf(s *ast.StructLit, declares map[string]bool, id manifest.Identity) *ast.StructLit {
	has := map[string]bool{}
	keep := true
	for _, el := range s.Elts {
		name := fieldName(el)
		has[name] = true
		if isReserved(name) && !declares[name] {
			keep = false
		}
	}
	addID := declares[protocol.FieldID] && !has[protocol.FieldID] && id.ID != ""
	addKind := declares[protocol.FieldKind] && !has[protocol.FieldKind] && id.Kind != ""
	if keep && !addID && !addKind {
		return s
	}
	out := &ast.StructLit{Elts: make([]ast.Decl, 0, len(s.Elts)+2)}
	for _, el := range s.Elts {
		if name := fieldName(el); !isReserved(name) || declares[name] {
			out.Elts = append(out.Elts, el)
		}
	}
	if addKind {
		out.Elts = append(out.Elts, &ast.Field{Label: ast.NewString(protocol.FieldKind), Value: ast.NewString(id.Kind)})
	}
	if addID {
		out.Elts = append(out.Elts, &ast.Field{Label: ast.NewString(protocol.FieldID), Value: ast.NewString(id.ID)})
	}
	return out
}

func isReserved(name string) bool {
	return slices.Contains(protocol.ReservedFields, name)
}

func fieldName(el ast.Decl) string {
	f, ok := el.(*ast.Field)
	if !ok {
		return ""
	}
	name, _, _ := ast.LabelName(f.Label)
	return name
}

// explainer turns one failed validation into diagnostics: CUE's own errors,
// rewritten to say what was given and what was expected, plus the fields not
// allowed and the fields missing, which CUE leaves out when a struct has
// other errors too. One diagnostic per path.
type explainer struct {
	doc  *manifest.Document
	kind string
	def  cue.Value
	data cue.Value
	seen map[string]bool
	out  []diag.Diagnostic
	more int // findings past MaxPerFile
}

// MaxPerFile is how many findings one manifest reports; past it, one more
// says how many were left out. It keeps a hostile file (60,000 fields that
// are not allowed) from costing seconds of positions and messages nobody reads.
const MaxPerFile = 50

// add records a finding at sel, once per path. The message is only built
// for findings that are kept.
func (e *explainer) add(sel []string, code string, msg func() string, atKey bool) {
	p := pathString(sel)
	if e.seen[p] {
		return
	}
	e.seen[p] = true
	if len(e.out) >= MaxPerFile {
		e.more++
		return
	}
	var line, col int
	if atKey {
		line, col, _ = e.doc.KeyPosition(sel)
	} else {
		line, col, _ = e.doc.Position(sel)
	}
	e.out = append(e.out, diag.Diagnostic{File: e.doc.Path, Line: line, Column: col, Path: p,
		Code: code, Severity: diag.Error, Message: msg()})
}

// finish sorts the findings and says how many were left out.
func (e *explainer) finish() []diag.Diagnostic {
	diag.Sort(e.out)
	if e.more > 0 {
		e.out = append(e.out, diag.Diagnostic{File: e.doc.Path, Code: diag.CodeMoreProblems, Severity: diag.Error,
			Message: fmt.Sprintf("%d more problems not listed: small reports the first %d of a file", e.more, MaxPerFile)})
	}
	return e.out
}

func (e *explainer) cueErrors(err error) {
	errs := errors.Errors(err)
	// A failed disjunction comes as a header and one error per alternative;
	// say it once.
	disjunction := map[string]bool{}
	for _, ce := range errs {
		if f, _ := ce.Msg(); strings.Contains(f, "empty disjunction") {
			disjunction[pathString(e.selectors(ce))] = true
		}
	}
	for _, ce := range errs {
		sel := e.selectors(ce)
		format, args := ce.Msg()
		switch {
		case disjunction[pathString(sel)]:
			e.add(sel, diag.CodeViolation, func() string { return e.notOneOf(sel) }, false)
		case format == "field not allowed":
			e.add(sel, diag.CodeFieldNotAllowed, func() string { return e.notAllowedMsg(sel) }, true)
		case strings.HasPrefix(format, "incomplete value") || strings.HasPrefix(format, "field is required"):
			e.add(sel, diag.CodeMissingField, func() string { return "required field is missing: expected " + e.expected(sel) }, false)
		case strings.HasPrefix(format, "conflicting values"):
			e.add(sel, diag.CodeViolation, func() string { return fmt.Sprintf("got %s, expected %s", e.given(sel), e.conflicting(sel, args)) }, false)
		case strings.HasPrefix(format, "invalid value") && len(args) == 2:
			e.add(sel, diag.CodeViolation, func() string { return fmt.Sprintf("got %s, expected %s", e.given(sel), e.constraint(sel, args[1])) }, false)
		default:
			e.add(sel, diag.CodeViolation, func() string { return fmt.Sprintf(format, args...) }, false)
		}
	}
}

// selectors is the error's path within the manifest, without the kind's
// definition at its head.
func (e *explainer) selectors(ce errors.Error) []string {
	p := ce.Path()
	if len(p) > 0 && p[0] == "#"+e.kind {
		p = p[1:]
	}
	return p
}

// notAllowed reports the fields of the data that the schema does not allow.
// It asks the schema, not the unified value: once unification has failed,
// that value is an error and no longer a struct.
func (e *explainer) notAllowed(s *ast.StructLit, sel []string) {
	schema := e.schemaAt(sel)
	if e.seen[pathString(sel)] || schema.IncompleteKind()&cue.StructKind == 0 {
		return
	}
	for _, el := range s.Elts {
		f, ok := el.(*ast.Field)
		if !ok {
			continue
		}
		name := fieldName(f)
		child := append(slices.Clip(sel), name)
		if !schema.Allows(cue.Str(name)) {
			e.add(child, diag.CodeFieldNotAllowed, func() string { return e.notAllowedMsg(child) }, true)
			continue
		}
		e.descend(f.Value, child, e.notAllowed)
	}
}

// missing reports required fields, and regular fields with no concrete
// value or default, that the data does not give.
func (e *explainer) missing(s *ast.StructLit, sel []string) {
	schema := e.schemaAt(sel)
	if e.seen[pathString(sel)] || schema.IncompleteKind()&cue.StructKind == 0 {
		return
	}
	given := map[string]ast.Expr{}
	if s != nil {
		for _, el := range s.Elts {
			if f, ok := el.(*ast.Field); ok {
				given[fieldName(f)] = f.Value
			}
		}
	}
	it, err := schema.Fields(cue.Optional(true))
	if err != nil {
		return
	}
	for it.Next() {
		label := it.Selector()
		if label.LabelType() != cue.StringLabel {
			continue
		}
		name := label.Unquoted()
		child := append(slices.Clip(sel), name)
		if x, ok := given[name]; ok {
			e.descend(x, child, e.missing)
			continue
		}
		switch label.ConstraintType() {
		case cue.OptionalConstraint:
			continue
		case cue.RequiredConstraint:
			v := it.Value()
			e.add(child, diag.CodeMissingField, func() string { return "required field is missing: expected " + describe(v) }, false)
			continue
		}
		val := it.Value()
		if d, ok := val.Default(); ok {
			val = d
		}
		if val.IncompleteKind() == cue.StructKind {
			e.missing(nil, child)
		} else if !val.IsConcrete() {
			e.add(child, diag.CodeMissingField, func() string { return "required field is missing: expected " + describe(val) }, false)
		}
	}
}

// descend applies walk to a struct value, or to each struct in a list value.
func (e *explainer) descend(x ast.Expr, sel []string, walk func(*ast.StructLit, []string)) {
	switch x := x.(type) {
	case *ast.StructLit:
		walk(x, sel)
	case *ast.ListLit:
		for i, el := range x.Elts {
			if s, ok := el.(*ast.StructLit); ok {
				walk(s, append(slices.Clip(sel), strconv.Itoa(i)))
			}
		}
	}
}

func (e *explainer) notAllowedMsg(sel []string) string {
	allowed := e.fieldNames(sel[:len(sel)-1])
	name := sel[len(sel)-1]
	msg := "field not allowed"
	if s := diag.Nearest(name, allowed); s != "" {
		msg += fmt.Sprintf(" (did you mean %q?)", s)
	}
	if len(allowed) > 0 {
		if len(allowed) > 12 {
			allowed = append(allowed[:12:12], "…")
		}
		msg += ": expected one of " + strings.Join(allowed, ", ")
	}
	return msg
}

// fieldNames lists the fields the schema declares at sel.
func (e *explainer) fieldNames(sel []string) []string {
	v := e.schemaAt(sel)
	it, err := v.Fields(cue.Optional(true))
	if err != nil {
		return nil
	}
	var names []string
	for it.Next() {
		if it.Selector().LabelType() == cue.StringLabel {
			names = append(names, it.Selector().Unquoted())
		}
	}
	return names
}

// notOneOf explains a failed disjunction by listing its alternatives.
func (e *explainer) notOneOf(sel []string) string {
	v := e.schemaAt(sel)
	op, alts := v.Expr()
	if op != cue.OrOp {
		// A field whose values are a definition's (lang: _#Lang): the
		// alternatives are the definition's.
		op, alts = cue.Dereference(v).Expr()
	}
	if op != cue.OrOp || len(alts) == 0 {
		return fmt.Sprintf("%s matches none of the allowed values: expected %s", e.given(sel), e.expected(sel))
	}
	names := make([]string, len(alts))
	for i, a := range alts {
		names[i] = fmt.Sprint(a)
		if len(names[i]) > 40 || strings.Contains(names[i], "\n") {
			return fmt.Sprintf("%s matches none of the %d allowed forms", e.given(sel), len(alts))
		}
	}
	return fmt.Sprintf("%s is not one of %s", e.given(sel), strings.Join(names, ", "))
}

// constraint renders the bound a value failed, with its type when the
// schema gives one (string & =~"^[a-z]+$").
func (e *explainer) constraint(sel []string, bound any) string {
	s := fmt.Sprint(bound)
	if k := e.schemaAt(sel).IncompleteKind(); k != cue.BottomKind && k != cue.TopKind && s != k.String() && !strings.HasPrefix(s, k.String()+" ") {
		s = k.String() + " & " + s
	}
	return clip(s)
}

// given renders the manifest's value at sel.
func (e *explainer) given(sel []string) string {
	v := e.data.LookupPath(makePath(sel))
	if !v.Exists() {
		return "nothing"
	}
	// A long or multi-line string (a Markdown body) is named by its
	// length and its start: CUE would print it as a """ block.
	if str, err := v.String(); err == nil && (strings.Contains(str, "\n") || utf8.RuneCountInString(str) > 60) {
		start := []rune(strings.TrimSpace(strings.SplitN(strings.TrimSpace(str), "\n", 2)[0]))
		return fmt.Sprintf("a string of %d characters (%s...)", utf8.RuneCountInString(str), strconv.Quote(string(start[:min(len(start), 30)])))
	}
	return clip(fmt.Sprint(v))
}

// conflicting is what a value clashed with: what the schema says at sel,
// or, where that is a type and the clash is with a concrete value the
// schema computed (topic: id, id given by the file's path), that value.
func (e *explainer) conflicting(sel []string, args []any) string {
	if v := e.schemaAt(sel); !v.Exists() || v.IsConcrete() || len(args) < 2 {
		return e.expected(sel)
	}
	given := e.given(sel)
	a, b := clip(fmt.Sprint(args[0])), clip(fmt.Sprint(args[1]))
	switch {
	case a == given && b != given && strings.HasPrefix(b, `"`):
		return b
	case b == given && a != given && strings.HasPrefix(a, `"`):
		return a
	}
	return e.expected(sel)
}

// expected renders what the schema says at sel.
func (e *explainer) expected(sel []string) string {
	v := e.schemaAt(sel)
	if !v.Exists() {
		return "a value the schema allows"
	}
	return describe(v)
}

// describe renders a schema value. CUE prints string & strings.MinRunes(1)
// as the bare validator; put the type back in front of such constraints.
func describe(v cue.Value) string {
	s := fmt.Sprint(v)
	for _, p := range []string{"strings.", "list.", "time.", "net.", "math.", "=~", "!~", ">", "<", "!="} {
		if strings.HasPrefix(s, p) {
			if k := v.IncompleteKind(); k != cue.BottomKind && k != cue.TopKind {
				s = k.String() + " & " + s
			}
			break
		}
	}
	return clip(s)
}

// schemaAt finds the schema's value at sel. List elements have no path in a
// definition, so for them it asks the list's element type.
func (e *explainer) schemaAt(sel []string) cue.Value {
	v := e.def
	for _, s := range sel {
		if i, err := strconv.Atoi(s); err == nil {
			next := v.LookupPath(cue.MakePath(cue.Index(i)))
			if !next.Exists() {
				next = v.LookupPath(cue.MakePath(cue.AnyIndex))
			}
			v = next
			continue
		}
		next := v.LookupPath(cue.MakePath(cue.Str(s)))
		if !next.Exists() {
			next = v.LookupPath(cue.MakePath(cue.Str(s).Optional()))
		}
		if !next.Exists() {
			next = v.LookupPath(cue.MakePath(cue.Str(s).Required()))
		}
		v = next
	}
	return v
}

func makePath(sel []string) cue.Path {
	ss := make([]cue.Selector, len(sel))
	for i, s := range sel {
		if n, err := strconv.Atoi(s); err == nil {
			ss[i] = cue.Index(n)
		} else {
			ss[i] = cue.Str(unquote(s))
		}
	}
	return cue.MakePath(ss...)
}

// pathString renders a path as a user reads it: title, author.name, tags[0].
func pathString(sel []string) string { return PathText(sel) }

// PathText renders a path of field names and list indexes as a user reads
// it: title, author.name, tags[0].
func PathText(sel []string) string {
	var b strings.Builder
	for _, s := range sel {
		if _, err := strconv.Atoi(s); err == nil {
			b.WriteString("[" + s + "]")
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		b.WriteString(s)
	}
	return b.String()
}

func unquote(s string) string {
	if strings.HasPrefix(s, `"`) {
		if u, err := strconv.Unquote(s); err == nil {
			return u
		}
	}
	return s
}

// clip keeps a rendered value to one readable line.
func clip(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 80 {
		return s[:77] + "..."
	}
	return s
}
