package schema

import (
	"bytes"
	"fmt"
	"math"
	"net/http"
	"path"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"cuelang.org/go/cue"
	"cuelang.org/go/cue/ast"
	"cuelang.org/go/cue/literal"
	"cuelang.org/go/cue/parser"

	"github.com/smallhq/small/diag"
)

// The field attributes small reads from a kind's definition: rules that
// relate a manifest to the other manifests of its kind, or to files of the
// repository, which no evaluation of one manifest can check.
const (
	// AttrUnique marks a field whose value (each element, for a list)
	// no other manifest of the kind may have: @unique().
	AttrUnique = "unique"
	// AttrAsset marks a field whose value (each element, for a list) is
	// the path of a file of the repository:
	// @asset(root="assets", types="image/png,image/jpeg", maxBytes=75000).
	AttrAsset = "asset"
	// AttrRef marks a field whose value (each element, for a list) is the
	// id of a manifest of the kind it names: @ref(Author).
	AttrRef = "ref"
)

// Constraint is what the attributes of one field of a kind ask.
type Constraint struct {
	// Path leads from the top of a manifest to the field.
	Path []Step
	// Each says the field holds a list, and the rule applies to each of
	// its elements.
	Each   bool
	Unique bool
	Asset  *Asset // nil when the field is no asset
	// Shared says every translation of a manifest has the field's value
	// (the whole value, list or struct) as its source has it: @shared().
	Shared bool
	// Ref is the kind whose id the field holds ("" when it is no
	// reference).
	Ref string
	// Defined is the file:line:col of the field in the schemas.
	Defined string
}

// Step is one field on the way to a constrained field.
type Step struct {
	Name string
	// Each says the field holds a list of structs, and the way goes on
	// in each of them (links[].url).
	Each bool
}

// Asset is what @asset(...) asks of the file a field names.
type Asset struct {
	// Root is the directory the path is relative to, and which the file
	// must stay in: "." is the manifest's own directory, anything else a
	// directory of the repository.
	Root string
	// Types are the MIME types the file may have (image/png, image/*);
	// none means any file.
	Types []string
	// MaxBytes is the largest size allowed; 0 means no limit.
	MaxBytes int64
}

// String renders a path as a user reads it: title, author.email, links[].url.
func (c Constraint) String() string {
	var b strings.Builder
	for i, s := range c.Path {
		if i > 0 {
			b.WriteByte('.')
		}
		b.WriteString(s.Name)
		if s.Each {
			b.WriteString("[]")
		}
	}
	return b.String()
}

// Describe says in words what the constraint asks, for small schema show
// and the JSON Schema export.
func (c Constraint) Describe(kind string) []string {
	var out []string
	each := ""
	if c.Each {
		each = "each element "
	}
	if c.Unique {
		out = append(out, fmt.Sprintf("@unique: %sunique across all %s manifests (checked by small validate and small check only)", each, kind))
	}
	if a := c.Asset; a != nil {
		s := fmt.Sprintf("@asset: %sthe path of a file under %s", each, a.rootText())
		if len(a.Types) > 0 {
			s += ", of type " + strings.Join(a.Types, " or ")
		}
		if a.MaxBytes > 0 {
			s += fmt.Sprintf(", at most %d bytes", a.MaxBytes)
		}
		out = append(out, s+" (checked by small validate and small check only)")
	}
	if c.Shared {
		out = append(out, "@shared: the same value in every locale of an entry: a translation has it as its source (the default locale's version) has it (checked by small validate and small check only)")
	}
	if c.Ref != "" {
		out = append(out, fmt.Sprintf("@ref: %sthe id of %s manifest (checked by small validate and small check only)", each, withArticle(c.Ref)))
	}
	return out
}

// attributeNotes describes the @unique, @asset and @ref attributes of one
// field of kind (none when it has none), for the JSON Schema export's
// $comment and small schema show.
func attributeNotes(fv cue.Value, kind string) []string {
	ua, aa, sa, ra := fv.Attribute(AttrUnique), fv.Attribute(AttrAsset), fv.Attribute(AttrShared), fv.Attribute(AttrRef)
	if ua.Err() != nil && aa.Err() != nil && sa.Err() != nil && ra.Err() != nil {
		return nil
	}
	c := Constraint{Unique: ua.Err() == nil, Shared: sa.Err() == nil, Each: fv.IncompleteKind() == cue.ListKind}
	if ra.Err() == nil {
		c.Ref, _ = parseRef(ra.Contents())
	}
	if aa.Err() == nil {
		a, err := parseAsset(aa.Contents())
		if err != nil {
			return nil
		}
		c.Asset = a
	}
	return c.Describe(kind)
}

// withArticle puts "a" or "an" before a kind's name, as it is read.
func withArticle(kind string) string {
	if kind != "" && strings.ContainsRune("AEIOUaeiou", rune(kind[0])) {
		return "an " + kind
	}
	return "a " + kind
}

func (a *Asset) rootText() string {
	if a.Root == "." {
		return "the manifest's own directory"
	}
	return a.Root + "/"
}

// Constraints returns the constrained fields of a kind, in the order the
// definition gives them; nil for a kind with none.
func (s *Schema) Constraints(kind string) []Constraint {
	return s.constraints[kind]
}

// HasConstraints reports whether a kind has a constrained field: then
// every manifest of it is read when any is validated.
func (s *Schema) HasConstraints(kind string) bool {
	return len(s.constraints[kind]) > 0
}

// HasRefs reports whether any kind has a field marked @ref.
func (s *Schema) HasRefs() bool {
	for _, cs := range s.constraints {
		for _, c := range cs {
			if c.Ref != "" {
				return true
			}
		}
	}
	return false
}

// Bounds on reading constraints from a hostile schema: how deep the walk
// follows nested structs (a definition may refer to itself), how many
// fields it visits in all, and how many constrained fields a kind may have.
const (
	maxConstraintDepth  = 16
	maxConstraintVisits = 20_000
	maxConstraints      = 256
)

// readConstraints checks the arguments of every @unique, @asset and @ref
// attribute of the schema files (a @ref must name one of kinds), then
// finds the constrained fields of each kind. Attribute errors are placed
// at the attribute.
func readConstraints(root cue.Value, kinds []string, files []File) (map[string][]Constraint, []diag.Diagnostic) {
	var ds []diag.Diagnostic
	for _, f := range files {
		ds = append(ds, checkAttributes(f, kinds)...)
	}
	if len(ds) > 0 {
		diag.Sort(ds)
		return nil, ds
	}
	out := map[string][]Constraint{}
	visits := 0
	for _, k := range kinds {
		w := &constraintWalk{kind: k, visits: &visits}
		w.walk(root.LookupPath(cue.MakePath(cue.Def(k))), nil, 0)
		ds = append(ds, w.ds...)
		if len(w.out) > 0 {
			out[k] = w.out
		}
	}
	diag.Sort(ds)
	return out, ds
}

type constraintWalk struct {
	kind   string
	visits *int
	out    []Constraint
	ds     []diag.Diagnostic
}

func (w *constraintWalk) fail(v cue.Value, format string, args ...any) {
	d := diag.Diagnostic{Code: diag.CodeSchemaInvalid, Severity: diag.Error, Message: fmt.Sprintf(format, args...)}
	if p := v.Pos(); p.IsValid() {
		d.File, d.Line, d.Column = p.Filename(), p.Line(), p.Column()
	}
	w.ds = append(w.ds, d)
}

// walk visits the fields of the struct v, at path at.
func (w *constraintWalk) walk(v cue.Value, at []Step, depth int) {
	if depth > maxConstraintDepth || v.IncompleteKind()&cue.StructKind == 0 {
		return
	}
	it, err := v.Fields(cue.Optional(true))
	if err != nil {
		return
	}
	for it.Next() {
		if *w.visits++; *w.visits > maxConstraintVisits {
			return
		}
		sel := it.Selector()
		if sel.LabelType() != cue.StringLabel {
			continue
		}
		fv := it.Value()
		here := append(slices.Clip(at), Step{Name: sel.Unquoted()})
		w.field(fv, here)
		k := fv.IncompleteKind()
		switch {
		case k == cue.StructKind:
			w.walk(fv, here, depth+1)
		case k == cue.ListKind:
			if elem := fv.LookupPath(cue.MakePath(cue.AnyIndex)); elem.Exists() && elem.IncompleteKind() == cue.StructKind {
				here[len(here)-1].Each = true
				w.walk(elem, here, depth+1)
			}
		}
	}
}

// scalarKinds are the values @unique compares.
const scalarKinds = cue.StringKind | cue.NumberKind | cue.BoolKind | cue.NullKind | cue.BytesKind

// field reads the attributes of one field.
func (w *constraintWalk) field(fv cue.Value, at []Step) {
	ua, aa, sa, ra := fv.Attribute(AttrUnique), fv.Attribute(AttrAsset), fv.Attribute(AttrShared), fv.Attribute(AttrRef)
	unique, asset, shared, ref := ua.Err() == nil, aa.Err() == nil, sa.Err() == nil, ra.Err() == nil
	if !unique && !asset && !shared && !ref {
		return
	}
	c := Constraint{Path: at, Unique: unique, Shared: shared}
	if p := fv.Pos(); p.IsValid() {
		c.Defined = fmt.Sprintf("%s:%d:%d", p.Filename(), p.Line(), p.Column())
	}
	name := c.String()
	k := fv.IncompleteKind()
	elem := fv
	if k == cue.ListKind {
		c.Each = true
		elem = fv.LookupPath(cue.MakePath(cue.AnyIndex))
		k = elem.IncompleteKind()
	}
	if unique && (k&^scalarKinds != 0 || k == cue.BottomKind) {
		w.fail(fv, "@unique() on %s of #%s, which holds %s: expected a field of strings, numbers or booleans, or a list of them", name, w.kind, kindWords(k))
		return
	}
	if asset {
		if k&cue.StringKind == 0 || k&^(cue.StringKind|cue.NullKind) != 0 {
			w.fail(fv, "@asset() on %s of #%s, which holds %s: expected a string field, or a list of strings", name, w.kind, kindWords(k))
			return
		}
		a, err := parseAsset(aa.Contents())
		if err != nil { // checkAttributes said so at the attribute
			return
		}
		c.Asset = a
	}
	if shared && slices.ContainsFunc(at[:len(at)-1], func(s Step) bool { return s.Each }) {
		w.fail(fv, "@shared() on %s of #%s, inside a list: expected it on a field outside lists (mark the list itself)", name, w.kind)
		return
	}
	if ref {
		if k&cue.StringKind == 0 || k&^(cue.StringKind|cue.NullKind) != 0 {
			w.fail(fv, "@ref(%s) on %s of #%s, which holds %s: expected a string field (an id), or a list of strings", clip(ra.Contents()), name, w.kind, kindWords(k))
			return
		}
		target, err := parseRef(ra.Contents())
		if err != nil { // checkAttributes said so at the attribute
			return
		}
		c.Ref = target
	}
	if len(w.out) == maxConstraints {
		w.fail(fv, "#%s has more than %d fields with @unique, @asset, @shared or @ref: expected fewer", w.kind, maxConstraints)
		return
	}
	w.out = append(w.out, c)
}

func kindWords(k cue.Kind) string {
	switch k {
	case cue.BottomKind:
		return "no value"
	case cue.TopKind:
		return "any value"
	case cue.StructKind:
		return "a struct"
	case cue.ListKind:
		return "a list of lists"
	}
	return k.String()
}

// checkAttributes checks the arguments of every @unique, @asset and @ref
// attribute in one schema file, at the attribute's position; a @ref must
// name one of kinds.
func checkAttributes(f File, kinds []string) []diag.Diagnostic {
	af, err := parser.ParseFile(f.Path, f.Data)
	if err != nil {
		return nil // the build reports it
	}
	var ds []diag.Diagnostic
	ast.Walk(af, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.Field:
			for _, a := range n.Attrs {
				if d, ok := checkAttribute(a, true, kinds); !ok {
					ds = append(ds, d)
				}
			}
		case *ast.StructLit:
			ds = append(ds, declAttributes(n.Elts)...)
		case *ast.File:
			ds = append(ds, declAttributes(n.Decls)...)
		}
		return len(ds) < 50
	}, nil)
	return ds
}

// declAttributes checks the attributes that stand alone among decls,
// on no field.
func declAttributes(decls []ast.Decl) []diag.Diagnostic {
	var ds []diag.Diagnostic
	for _, d := range decls {
		if a, ok := d.(*ast.Attribute); ok {
			if d, ok := checkAttribute(a, false, nil); !ok {
				ds = append(ds, d)
			}
		}
	}
	return ds
}

// checkAttribute checks one attribute; ok is false with a finding when it
// is ours and wrong.
func checkAttribute(a *ast.Attribute, onField bool, kinds []string) (diag.Diagnostic, bool) {
	key, body := a.Split()
	if key != AttrUnique && key != AttrAsset && key != AttrShared && key != AttrRef {
		return diag.Diagnostic{}, true
	}
	pos := a.Pos()
	d := diag.Diagnostic{File: pos.Filename(), Line: pos.Line(), Column: pos.Column(), Code: diag.CodeSchemaInvalid, Severity: diag.Error}
	if !onField {
		d.Message = fmt.Sprintf("@%s(%s) stands alone in a struct: expected it after a field, e.g. title: string @%s()", key, clip(body), key)
		return d, false
	}
	switch key {
	case AttrUnique, AttrShared:
		if strings.TrimSpace(body) != "" {
			d.Message = fmt.Sprintf("@%s(%s): expected @%s() with no arguments", key, clip(body), key)
			return d, false
		}
	case AttrAsset:
		if _, err := parseAsset(body); err != nil {
			d.Message = fmt.Sprintf("@asset(%s): %v", clip(body), err)
			return d, false
		}
	case AttrRef:
		target, err := parseRef(body)
		if err != nil {
			d.Message = fmt.Sprintf("@ref(%s): %v", clip(body), err)
			return d, false
		}
		if !slices.Contains(kinds, target) {
			d.Message = fmt.Sprintf("@ref(%s): the schemas define no kind #%s", target, target)
			if near := diag.Nearest(target, kinds); near != "" {
				d.Message += fmt.Sprintf(" (did you mean %s?)", near)
			}
			d.Message += fmt.Sprintf(": expected one of %s", strings.Join(kinds, ", "))
			return d, false
		}
	}
	return diag.Diagnostic{}, true
}

// parseRef reads the argument of @ref: the name of a kind, as its
// definition is named without the # (@ref(Author) for #Author).
func parseRef(body string) (string, error) {
	s := strings.TrimSpace(body)
	if s == "" {
		return "", fmt.Errorf("expected the kind the field refers to, e.g. @ref(Author)")
	}
	s = strings.TrimPrefix(s, "#")
	for i, r := range s {
		if !(r == '_' || unicode.IsLetter(r) || i > 0 && unicode.IsDigit(r)) || r > unicode.MaxASCII {
			return "", fmt.Errorf("expected one kind name, e.g. @ref(Author)")
		}
	}
	return s, nil
}

// assetArgs are the arguments @asset takes.
var assetArgs = []string{"root", "types", "maxBytes"}

// parseAsset reads the arguments of @asset: key=value pairs, separated by
// commas, each value a CUE string or (maxBytes) an integer.
func parseAsset(body string) (*Asset, error) {
	a := &Asset{Root: "."}
	args, err := attrArgs(body)
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	for _, kv := range args {
		k, v := kv[0], kv[1]
		if !slices.Contains(assetArgs, k) {
			msg := fmt.Sprintf("unknown argument %q", k)
			if near := diag.Nearest(k, assetArgs); near != "" {
				msg += fmt.Sprintf(" (did you mean %q?)", near)
			}
			return nil, fmt.Errorf("%s: expected root, types or maxBytes", msg)
		}
		if seen[k] {
			return nil, fmt.Errorf("%s is given twice: expected each argument once", k)
		}
		seen[k] = true
		switch k {
		case "root":
			s, err := attrString(k, v)
			if err != nil {
				return nil, err
			}
			if err := checkRoot(s); err != nil {
				return nil, err
			}
			a.Root = s
		case "types":
			s, err := attrString(k, v)
			if err != nil {
				return nil, err
			}
			if a.Types, err = parseTypes(s); err != nil {
				return nil, err
			}
		case "maxBytes":
			n, err := attrInt(v)
			if err != nil {
				return nil, fmt.Errorf("maxBytes=%s: expected a positive number of bytes, e.g. maxBytes=75000", clip(v))
			}
			a.MaxBytes = n
		}
	}
	return a, nil
}

// attrArgs splits an attribute's body into key=value pairs at the commas
// outside double-quoted strings.
func attrArgs(body string) ([][2]string, error) {
	var out [][2]string
	var parts []string
	start, quoted := 0, false
	for i := 0; i < len(body); i++ {
		switch c := body[i]; {
		case quoted && c == '\\':
			i++
		case c == '"':
			quoted = !quoted
		case !quoted && c == ',':
			parts = append(parts, body[start:i])
			start = i + 1
		}
	}
	if quoted {
		return nil, fmt.Errorf("a string is not closed: expected key=\"value\" arguments")
	}
	parts = append(parts, body[start:])
	if len(parts) == 1 && strings.TrimSpace(parts[0]) == "" {
		return nil, nil
	}
	for _, p := range parts {
		k, v, ok := strings.Cut(p, "=")
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		if !ok || k == "" || v == "" {
			return nil, fmt.Errorf("argument %q: expected key=value, e.g. root=\"assets\"", clip(strings.TrimSpace(p)))
		}
		out = append(out, [2]string{k, v})
	}
	return out, nil
}

func attrString(k, v string) (string, error) {
	if !strings.HasPrefix(v, `"`) {
		return "", fmt.Errorf("%s=%s: expected a quoted string, e.g. %s=\"...\"", k, clip(v), k)
	}
	s, err := literal.Unquote(v)
	if err != nil {
		return "", fmt.Errorf("%s=%s: expected a quoted string: %v", k, clip(v), err)
	}
	return s, nil
}

// attrInt reads a positive integer as CUE writes one (75000, 75_000, 75Ki).
func attrInt(v string) (int64, error) {
	var info literal.NumInfo
	if err := literal.ParseNum(v, &info); err != nil || !info.IsInt() {
		return 0, fmt.Errorf("not an integer")
	}
	n, err := strconv.ParseInt(info.String(), 10, 64)
	if err != nil || n <= 0 || n > math.MaxInt64/2 {
		return 0, fmt.Errorf("not a positive integer")
	}
	return n, nil
}

// checkRoot accepts "." or a clean, repository-relative directory.
func checkRoot(s string) error {
	switch {
	case s == "":
		return fmt.Errorf(`root="": expected "." (the manifest's directory) or a directory of the repository, e.g. root="assets"`)
	case strings.ContainsFunc(s, unicode.IsControl) || strings.Contains(s, `\`):
		return fmt.Errorf("root=%q: expected a slash-separated path without control characters or backslashes", s)
	case path.IsAbs(s):
		return fmt.Errorf("root=%q: expected a path relative to the repository, not an absolute one", s)
	case s == ".." || strings.HasPrefix(s, "../") || strings.Contains(s, "/../") || strings.HasSuffix(s, "/.."):
		return fmt.Errorf("root=%q: expected a directory inside the repository (no ..)", s)
	case path.Clean(s) != s:
		return fmt.Errorf("root=%q: expected it written plainly, as %q", s, path.Clean(s))
	}
	return nil
}

// AssetType is a type of file @asset recognizes: its MIME type, the file
// name extensions that say it, and how its first bytes show it.
type AssetType struct {
	MIME       string
	Extensions []string
}

// AssetTypes are the types @asset(types=...) may name.
var AssetTypes = []AssetType{
	{"image/png", []string{".png"}},
	{"image/jpeg", []string{".jpg", ".jpeg"}},
	{"image/gif", []string{".gif"}},
	{"image/webp", []string{".webp"}},
	{"image/svg+xml", []string{".svg"}},
	{"application/pdf", []string{".pdf"}},
}

// TypeByExtension returns the recognized MIME type a file name's
// extension says (case does not matter), or "".
func TypeByExtension(name string) string {
	ext := strings.ToLower(path.Ext(name))
	for _, t := range AssetTypes {
		if slices.Contains(t.Extensions, ext) {
			return t.MIME
		}
	}
	return ""
}

// SniffType tells a file's type from its first 512 bytes, as browsers do
// (net/http.DetectContentType), and SVG as text that opens an <svg element.
func SniffType(head []byte) string {
	ct, _, _ := strings.Cut(http.DetectContentType(head), ";")
	if strings.HasPrefix(ct, "text/") && bytes.Contains(bytes.ToLower(head), []byte("<svg")) {
		return "image/svg+xml"
	}
	if ct == "application/octet-stream" {
		return "unknown binary data"
	}
	return ct
}

// MatchesType reports whether MIME type mime is one of types (which may
// hold wildcards such as image/*).
func MatchesType(mime string, types []string) bool {
	for _, t := range types {
		if t == mime || (strings.HasSuffix(t, "/*") && strings.HasPrefix(mime, strings.TrimSuffix(t, "*"))) {
			return true
		}
	}
	return false
}

func parseTypes(s string) ([]string, error) {
	var out []string
	for _, t := range strings.Split(s, ",") {
		t = strings.ToLower(strings.TrimSpace(t))
		known := false
		for _, at := range AssetTypes {
			known = known || at.MIME == t || (strings.HasSuffix(t, "/*") && strings.HasPrefix(at.MIME, strings.TrimSuffix(t, "*")))
		}
		if !known {
			var names []string
			for _, at := range AssetTypes {
				names = append(names, at.MIME)
			}
			return nil, fmt.Errorf("types=%q: %q is not a type small recognizes: expected a comma-separated list of %s (or image/*)", s, clip(t), strings.Join(names, ", "))
		}
		if !slices.Contains(out, t) {
			out = append(out, t)
		}
	}
	return out, nil
}
