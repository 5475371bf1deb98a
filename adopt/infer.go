package adopt

import (
	"fmt"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"cuelang.org/go/cue/ast"
	"cuelang.org/go/cue/literal"
	"cuelang.org/go/cue/token"

	"github.com/smallhq/small/protocol"
	"github.com/smallhq/small/repo"
	"github.com/smallhq/small/schema"
)

// Bounds and thresholds of inference.
const (
	// MaxInferDepth is how deep structs and lists are described; deeper
	// values are left open (_).
	MaxInferDepth = 8
	// Enums: a string field becomes a set of values when at least
	// EnumMinFiles files have it, they use two to EnumMaxValues values,
	// each value is used twice on average or more, and every value is a
	// short single line: a category, not a coincidence. One value in
	// every file stays a string: a constant is too tight a guess. The
	// elements of a list (tags, categories) are never an enum: open sets.
	EnumMinFiles  = 5
	EnumMaxValues = 5
	enumMaxLen    = 40
	// UniqueMinFiles is how many files a rule needs before a field is
	// proposed @unique().
	UniqueMinFiles = 3
	// maxTracked bounds the distinct values kept per nested field (for
	// enums); top-level fields keep every value (for @unique()).
	maxTracked = 64
)

// uniqueNames are the fields proposed @unique() when their values differ
// in every file: names, titles, slugs and addresses, whose duplicates are
// mistakes. Other fields that happen to differ (dates, descriptions) are
// left alone: a person adds @unique() where it is meant.
var uniqueNames = []string{"title", "name", "slug", "permalink", "url", "email", "handle"}

var datePattern = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}([T ][0-9:.]+)?( ?(Z|[+-]\d{2}:?\d{2}))?$`)

// stats is what the files say about one value position (a field, or the
// elements of a list).
type stats struct {
	present  int // values seen here
	kinds    map[string]int
	values   map[string]int // string values, at most limit distinct
	overflow bool           // more distinct strings than kept
	limit    int
	dates    int // string values that look like dates
	// Structs: the fields seen, and how many struct values.
	structs int
	fields  map[string]*stats
	// Lists: their elements.
	elems *stats
	// Assets (top level only): string values naming an image beside the
	// file, and those that do not.
	assets, notAssets int
	types             map[string]bool
	// Top level only: string values equal to the id the file's path gives.
	isID int
	deep bool // values past MaxInferDepth
	// Elements of a list: never an enum (tags and categories are open sets).
	listElems bool
}

func newStats(limit int) *stats {
	return &stats{kinds: map[string]int{}, values: map[string]int{}, limit: limit, fields: map[string]*stats{}, types: map[string]bool{}}
}

// observe records one value at depth (1: a top-level field's value).
func (s *stats) observe(e ast.Expr, depth int) {
	s.present++
	if depth > MaxInferDepth {
		s.deep = true
		return
	}
	switch v := e.(type) {
	case *ast.StructLit:
		s.kinds["struct"]++
		s.structs++
		for _, el := range v.Elts {
			f, ok := el.(*ast.Field)
			if !ok {
				continue
			}
			name, _, _ := ast.LabelName(f.Label)
			fs := s.fields[name]
			if fs == nil {
				fs = newStats(maxTracked)
				s.fields[name] = fs
			}
			fs.observe(f.Value, depth+1)
		}
	case *ast.ListLit:
		s.kinds["list"]++
		if s.elems == nil {
			s.elems = newStats(maxTracked)
			s.elems.listElems = true
		}
		for _, el := range v.Elts {
			s.elems.observe(el, depth+1)
		}
	case *ast.UnaryExpr: // a negative number
		s.observe1(v.X)
	default:
		s.observe1(e)
	}
}

func (s *stats) observe1(e ast.Expr) {
	lit, ok := e.(*ast.BasicLit)
	if !ok {
		s.kinds["_"]++
		return
	}
	switch lit.Kind {
	case token.STRING:
		if !strings.HasPrefix(lit.Value, `"`) {
			s.kinds["bytes"]++
			return
		}
		s.kinds["string"]++
		v, err := literal.Unquote(lit.Value)
		if err != nil {
			return
		}
		if datePattern.MatchString(v) {
			s.dates++
		}
		if _, ok := s.values[v]; ok || len(s.values) < s.limit {
			s.values[v]++
		} else {
			s.overflow = true
		}
	case token.INT:
		s.kinds["int"]++
	case token.FLOAT:
		s.kinds["float"]++
	case token.TRUE, token.FALSE:
		s.kinds["bool"]++
	case token.NULL:
		s.kinds["null"]++
	default:
		s.kinds["_"]++
	}
}

// onlyStrings reports whether every value seen is a string.
func (s *stats) onlyStrings() bool {
	return s.kinds["string"] > 0 && s.kinds["string"] == s.present && !s.deep
}

func (s *stats) isDate() bool { return s.onlyStrings() && s.dates == s.present }

func (s *stats) isEnum() bool {
	if s.listElems || !s.onlyStrings() || s.overflow || s.present < EnumMinFiles || len(s.values) < 2 || len(s.values) > EnumMaxValues || 2*len(s.values) > s.present {
		return false
	}
	for v := range s.values {
		if v == "" || len(v) > enumMaxLen || strings.ContainsAny(v, "\n\r") {
			return false
		}
	}
	return !s.isDate()
}

// cueType is the CUE that admits every value seen here, written at indent.
func (s *stats) cueType(indent string) string {
	if s.deep {
		return "_"
	}
	var alts []string
	if s.kinds["struct"] > 0 {
		alts = append(alts, s.structType(indent))
	}
	if s.kinds["list"] > 0 {
		if s.elems == nil || s.elems.present == 0 {
			alts = append(alts, "[...]")
		} else {
			t := s.elems.cueType(indent)
			if strings.Contains(t, "|") && !strings.HasPrefix(t, "{") {
				t = "(" + t + ")"
			}
			alts = append(alts, "[..."+t+"]")
		}
	}
	if s.kinds["string"] > 0 {
		if s.kinds["string"] == s.present && s.isEnum() {
			alts = append(alts, enumOf(s.values))
		} else {
			alts = append(alts, "string")
		}
	}
	switch {
	case s.kinds["float"] > 0:
		alts = append(alts, "number")
	case s.kinds["int"] > 0:
		alts = append(alts, "int")
	}
	if s.kinds["bool"] > 0 {
		alts = append(alts, "bool")
	}
	if s.kinds["bytes"] > 0 {
		alts = append(alts, "bytes")
	}
	if s.kinds["_"] > 0 {
		return "_"
	}
	if s.kinds["null"] > 0 {
		alts = append(alts, "null")
	}
	if len(alts) == 0 {
		return "_"
	}
	return strings.Join(alts, " | ")
}

func enumOf(values map[string]int) string {
	vs := make([]string, 0, len(values))
	for v := range values {
		vs = append(vs, v)
	}
	slices.Sort(vs)
	for i, v := range vs {
		vs[i] = literal.String.Quote(v)
	}
	return strings.Join(vs, " | ")
}

// structType writes the fields of a struct, sorted by name, each required
// when every struct seen here has it.
func (s *stats) structType(indent string) string {
	if len(s.fields) == 0 {
		return "{}"
	}
	var b strings.Builder
	b.WriteString("{\n")
	for _, name := range sortedKeys(s.fields) {
		f := s.fields[name]
		opt := "?"
		if f.present == s.structs {
			opt = ""
		}
		fmt.Fprintf(&b, "%s\t%s%s: %s\n", indent, label(name), opt, f.cueType(indent+"\t"))
	}
	b.WriteString(indent + "}")
	return b.String()
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// predeclared are CUE's predeclared identifiers: a field with such a name
// is quoted, or it would hide the type of the same name from the fields
// beside it (title: string would refer to a field called string).
var predeclared = []string{"bool", "bytes", "float", "int", "null", "number", "string", "true", "false",
	"len", "close", "and", "or", "div", "mod", "quo", "rem", "_", "__"}

// label is a field name as a CUE label: an identifier when it is a plain
// one, quoted otherwise.
func label(name string) string {
	if ast.StringLabelNeedsQuoting(name) || slices.Contains(predeclared, name) || strings.HasPrefix(name, "__") ||
		strings.ContainsFunc(name, func(r rune) bool { return r > 0x7f || r == '$' }) {
		return literal.String.Quote(name)
	}
	return name
}

// infer builds a rule's proposal from its files: the fields with their
// types, which are required, enums, dates, @unique() and @asset().
func infer(g *group, kind string, all *fileSet) Rule {
	r := Rule{Kind: kind, ID: "$1", Files: []string{}, Fields: []Field{}, Problems: []Unmatched{}}
	top := newStats(maxTracked)
	top.structs = len(g.files)
	body := false
	states := map[string]int{}
	for _, c := range g.files {
		r.Files = append(r.Files, c.path)
		body = body || c.doc.body
		id := g.shape.capture(c.path)
		if !protocol.ValidID(id) {
			r.Problems = append(r.Problems, Unmatched{Path: c.path, Reason: fmt.Sprintf("%q, the id its path gives, is not a valid id: %s; expected %s; rename it, or give it a rule of its own", id, protocol.IDProblem(id), protocol.IDRule)})
		}
		for _, el := range c.doc.fields.Elts {
			f, ok := el.(*ast.Field)
			if !ok {
				continue
			}
			name, _, _ := ast.LabelName(f.Label)
			s, isString := stringOf(f.Value)
			switch name {
			case protocol.FieldKind, protocol.FieldID:
				want := kind
				if name == protocol.FieldID {
					want = id
				}
				if !isString || s != want {
					r.Problems = append(r.Problems, Unmatched{Path: c.path, Reason: fmt.Sprintf("its %s field disagrees with the rule's %s %q: remove the field, or change the rule", name, name, want)})
				}
				continue
			case protocol.FieldStatus:
				switch {
				case !isString:
					r.Problems = append(r.Problems, Unmatched{Path: c.path, Reason: "its status field is not a string: small reads status as the lifecycle state"})
				case !statePattern.MatchString(s):
					r.Problems = append(r.Problems, Unmatched{Path: c.path, Reason: fmt.Sprintf("its status %q cannot be a lifecycle state: expected lower case letters, digits and '-', starting with a letter", s)})
				default:
					states[s]++
				}
				continue
			}
			fs := top.fields[name]
			if fs == nil {
				fs = newStats(len(g.files) + 1) // every value, for @unique()
				top.fields[name] = fs
			}
			fs.observe(f.Value, 1)
			if isString && s == id {
				fs.isID++
			}
			if isString {
				if t, ok := besideImage(c.path, s, all); ok {
					fs.assets++
					fs.types[t] = true
				} else {
					fs.notAssets++
				}
			}
		}
	}
	if body {
		r.Body = bodyField(top)
		fs := newStats(1)
		fs.present, fs.kinds["string"], fs.overflow = len(g.files), len(g.files), true
		top.fields[r.Body] = fs
		if r.Body == "body" {
			r.Body = ""
		}
	}
	g.top, g.body = top, body
	r.Lifecycle, g.initial = lifecycleOf(states)
	for _, name := range sortedKeys(top.fields) {
		fs := top.fields[name]
		fd := Field{Name: name, Files: fs.present, Required: fs.present == len(g.files)}
		fd.Body = body && name == bodyName(r)
		fd.Date = fs.isDate()
		fd.EqualsID = !fd.Body && fd.Required && len(g.files) >= MinGroup && fs.onlyStrings() && fs.isID == fs.present
		fd.Asset = !fd.Body && fs.onlyStrings() && fs.notAssets == 0 && fs.assets > 0
		fd.Unique = !fd.Body && !fd.EqualsID && fd.Required && len(g.files) >= UniqueMinFiles && slices.Contains(uniqueNames, strings.ToLower(name)) &&
			fs.onlyStrings() && !fs.overflow && len(fs.values) == fs.present
		fd.Type = fs.cueType("\t")
		if fd.EqualsID {
			fd.Type = protocol.FieldID
		}
		r.Fields = append(r.Fields, fd)
	}
	return r
}

// statePattern is what a lifecycle state looks like (as package schema
// requires).
var statePattern = regexp.MustCompile(`^[a-z][a-z0-9-]{0,31}$`)

// lifecycleOf returns the states a kind's lifecycle must declare for the
// status values its files use, and its initial state: none when every
// value is a state of the default lifecycle. The initial state is draft
// when used, else the value most files have (the first by name on a tie).
func lifecycleOf(states map[string]int) ([]string, string) {
	all := true
	for st := range states {
		all = all && schema.DefaultLifecycle.Has(st)
	}
	if all {
		return nil, ""
	}
	names := sortedKeys(states)
	initial := names[0]
	for _, n := range names {
		if states[n] > states[initial] {
			initial = n
		}
	}
	if states["draft"] > 0 {
		initial = "draft"
	}
	return names, initial
}

func bodyName(r Rule) string {
	if r.Body == "" {
		return "body"
	}
	return r.Body
}

// bodyField is the field the Markdown body becomes: body, unless the front
// matter has a field of that name.
func bodyField(top *stats) string {
	for _, name := range []string{"body", "content", "markdown", "text"} {
		if top.fields[name] == nil {
			return name
		}
	}
	for n := 2; ; n++ {
		if name := "body" + strconv.Itoa(n); top.fields[name] == nil {
			return name
		}
	}
}

func stringOf(e ast.Expr) (string, bool) {
	lit, ok := e.(*ast.BasicLit)
	if !ok || lit.Kind != token.STRING || !strings.HasPrefix(lit.Value, `"`) {
		return "", false
	}
	s, err := literal.Unquote(lit.Value)
	return s, err == nil
}

// besideImage reports whether v names an image file beside the manifest
// at p (in its directory or below it) whose content is what its extension
// says, as small validate's @asset() checks it, and its media type.
func besideImage(p, v string, all *fileSet) (string, bool) {
	if v == "" || strings.HasPrefix(v, "/") || strings.Contains(v, "\\") || strings.Contains(v, "://") {
		return "", false
	}
	clean := path.Clean(v)
	if clean != v && "./"+clean != v || clean == ".." || strings.HasPrefix(clean, "../") {
		return "", false
	}
	t := schema.TypeByExtension(clean)
	if !strings.HasPrefix(t, "image/") {
		return "", false
	}
	return t, all.typeOf(path.Join(path.Dir(p), clean)) == t
}

// fileSet is every file of the snapshot, and the types of those an
// @asset() might name, sniffed once each when first asked.
type fileSet struct {
	snap  repo.Snapshot
	all   map[string]bool
	types map[string]string
}

// typeOf is the sniffed type of the file at p, or "" when there is none
// (or it cannot be read: a link, say, which small validate refuses).
func (f *fileSet) typeOf(p string) string {
	if !f.all[p] {
		return ""
	}
	if t, ok := f.types[p]; ok {
		return t
	}
	t := ""
	if h, err := repo.ReadHead(f.snap, p, 512, 1<<30); err == nil {
		t = schema.SniffType(h.Head)
	}
	f.types[p] = t
	return t
}
