// Package schema loads a repository's kinds (a CUE package, one definition
// per kind, each with its lifecycle) and validates and renders manifests
// against them.
package schema

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"

	"cuelang.org/go/cue"
	"cuelang.org/go/cue/build"
	"cuelang.org/go/cue/cuecontext"
	"cuelang.org/go/cue/errors"
	"cuelang.org/go/cue/parser"

	"github.com/smallhq/small/diag"
	"github.com/smallhq/small/protocol"
)

// File is one source file of the schemas package.
type File struct {
	Path string // repository-relative, slash-separated
	Data []byte
}

// Schema is a loaded schemas package: its files, digest and kinds. It is
// immutable; each goroutine validates through its own Validator.
type Schema struct {
	Dir    string
	Files  []File   // sorted by path
	Digest string   // "sha256:<hex>", see Digest
	Kinds  []string // definition names without '#', sorted
	// Defined gives, for each kind, the file:line that defines it.
	Defined map[string]string

	lifecycles  map[string]Lifecycle
	constraints map[string][]Constraint // by kind: its @unique, @asset and @shared fields
	locales     map[string]KindLocales  // by kind: its #locales, where it has one
	readsRefs   map[string]bool         // kinds that declare #refs
}

// Error is a schemas package that cannot be used, with its diagnostics.
type Error struct{ Diagnostics []diag.Diagnostic }

func (e *Error) Error() string {
	if len(e.Diagnostics) == 0 {
		return "invalid schemas"
	}
	return e.Diagnostics[0].String()
}

// Digest is the schema digest of small/v1: sha256 over the files in path
// order, each as its path, a NUL byte, its size in decimal, a NUL byte and
// its bytes. Any change to any file, including a rename, changes it.
func Digest(files []File) string {
	h := sha256.New()
	for _, f := range files {
		h.Write([]byte(f.Path))
		h.Write([]byte{0})
		h.Write([]byte(strconv.Itoa(len(f.Data))))
		h.Write([]byte{0})
		h.Write(f.Data)
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil))
}

// Load builds the schemas package from its files and lists its kinds: the
// regular definitions at the top level (#Article). Hidden definitions
// (_#Base) are helpers, not kinds. Errors are an *Error with diagnostics.
//
// A Schema is never changed once loaded: loading the same files again (as a
// check does at the head, the target and the base, which mostly agree)
// returns the same one.
func Load(dir string, files []File) (*Schema, error) {
	files = slices.Clone(files)
	slices.SortFunc(files, func(a, b File) int { return strings.Compare(a.Path, b.Path) })
	digest := Digest(files)
	if s := loaded.get(dir, digest); s != nil {
		return s, nil
	}
	s, err := load(dir, files, digest)
	if err == nil {
		loaded.put(dir, digest, s)
	}
	return s, err
}

// loaded remembers the schemas this process loaded, a few at a time.
var loaded = &memo{m: map[[2]string]*Schema{}}

type memo struct {
	mu sync.Mutex
	m  map[[2]string]*Schema
}

const memoSize = 8

func (m *memo) get(dir, digest string) *Schema {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.m[[2]string{dir, digest}]
}

func (m *memo) put(dir, digest string, s *Schema) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.m) >= memoSize {
		clear(m.m)
	}
	m.m[[2]string{dir, digest}] = s
}

func load(dir string, files []File, digest string) (*Schema, error) {
	s := &Schema{Dir: dir, Files: files, Digest: digest}
	if len(files) == 0 {
		return nil, &Error{[]diag.Diagnostic{{File: dir, Code: diag.CodeSchemaEmpty, Severity: diag.Error,
			Message: "no .cue files: expected a CUE package with one definition per kind (run small init)"}}}
	}
	v, err := s.build(cuecontext.New())
	if err != nil {
		return nil, err
	}
	it, err := v.Fields(cue.Definitions(true))
	if err != nil {
		return nil, &Error{schemaDiagnostics(err, diag.CodeSchemaInvalid, dir)}
	}
	s.Defined = map[string]string{}
	for it.Next() {
		sel := it.Selector()
		if sel.IsDefinition() && !strings.HasPrefix(sel.String(), "_") {
			name := strings.TrimPrefix(sel.String(), "#")
			s.Kinds = append(s.Kinds, name)
			if p := it.Value().Pos(); p.IsValid() {
				s.Defined[name] = fmt.Sprintf("%s:%d", p.Filename(), p.Line())
			}
		}
	}
	slices.Sort(s.Kinds)
	if len(s.Kinds) == 0 {
		return nil, &Error{[]diag.Diagnostic{{File: dir, Code: diag.CodeSchemaEmpty, Severity: diag.Error,
			Message: "no kinds: expected at least one definition such as #Article: {title: string}"}}}
	}
	var ds []diag.Diagnostic
	if s.lifecycles, ds = lifecycles(v, s.Kinds); len(ds) > 0 {
		return nil, &Error{ds}
	}
	if s.locales, ds = kindLocales(v, s.Kinds, s.lifecycles); len(ds) > 0 {
		return nil, &Error{ds}
	}
	if s.constraints, ds = readConstraints(v, s.Kinds, files); len(ds) > 0 {
		return nil, &Error{ds}
	}
	s.readsRefs = readsRefs(v, s.Kinds)
	return s, nil
}

// build compiles the package in ctx. The files are parsed anew each time:
// CUE's compiler annotates the syntax tree, so trees are not shared between
// contexts. Comments are dropped: only describing a kind needs them (see
// buildWithDocs).
func (s *Schema) build(ctx *cue.Context) (cue.Value, error) {
	return s.buildWith(ctx)
}

// buildWithDocs compiles the package keeping its comments, which become
// the doc comments of kinds and fields.
func (s *Schema) buildWithDocs(ctx *cue.Context) (cue.Value, error) {
	return s.buildWith(ctx, parser.ParseComments)
}

func (s *Schema) buildWith(ctx *cue.Context, opts ...parser.Option) (cue.Value, error) {
	inst := build.NewContext().NewInstance(s.Dir, nil)
	pkg := ""
	for _, f := range s.Files {
		af, err := parser.ParseFile(f.Path, f.Data, opts...)
		if err != nil {
			return cue.Value{}, &Error{schemaDiagnostics(err, diag.CodeSchemaSyntax, f.Path)}
		}
		name := af.PackageName()
		if pkg == "" {
			pkg = name
		} else if name != pkg {
			return cue.Value{}, &Error{[]diag.Diagnostic{{File: f.Path, Line: 1, Column: 1, Code: diag.CodeSchemaInvalid, Severity: diag.Error,
				Message: fmt.Sprintf("package %q: expected package %q like the other files in %s", name, pkg, s.Dir)}}}
		}
		if err := inst.AddSyntax(af); err != nil {
			return cue.Value{}, &Error{schemaDiagnostics(err, diag.CodeSchemaInvalid, f.Path)}
		}
	}
	v := ctx.BuildInstance(inst)
	if err := v.Err(); err != nil {
		return cue.Value{}, &Error{schemaDiagnostics(err, diag.CodeSchemaInvalid, s.Dir)}
	}
	if err := v.Validate(); err != nil {
		return cue.Value{}, &Error{schemaDiagnostics(err, diag.CodeSchemaInvalid, s.Dir)}
	}
	return v, nil
}

// schemaDiagnostics turns CUE errors about the schema files into diagnostics
// at the first position each error names.
func schemaDiagnostics(err error, code, fallback string) []diag.Diagnostic {
	var ds []diag.Diagnostic
	for _, e := range errors.Errors(err) {
		d := diag.Diagnostic{File: fallback, Code: code, Severity: diag.Error, Path: strings.Join(e.Path(), ".")}
		format, args := e.Msg()
		d.Message = fmt.Sprintf(format, args...)
		var also []string
		for _, p := range errors.Positions(e) {
			switch {
			case !p.IsValid():
			case d.Line == 0:
				d.File, d.Line, d.Column = p.Filename(), p.Line(), p.Column()
			default:
				also = append(also, fmt.Sprintf("%s:%d:%d", p.Filename(), p.Line(), p.Column()))
			}
		}
		if len(also) > 0 {
			d.Message += " (see also " + strings.Join(also, ", ") + ")"
		}
		ds = append(ds, d)
	}
	diag.Sort(ds)
	return ds
}

// KindInfo is a kind and where it is defined.
type KindInfo struct {
	Name    string `json:"name"`
	Defined string `json:"defined"`
}

// Listing is the kinds of a schemas package and its digest, as small
// schema list reports them.
type Listing struct {
	Protocol string     `json:"protocol"`
	Dir      string     `json:"dir"`
	Digest   string     `json:"digest"`
	Kinds    []KindInfo `json:"kinds"`
}

// Listing lists the kinds, where each is defined, and the digest.
func (s *Schema) Listing() Listing {
	kinds := make([]KindInfo, len(s.Kinds))
	for i, k := range s.Kinds {
		kinds[i] = KindInfo{Name: k, Defined: s.Defined[k]}
	}
	return Listing{Protocol: protocol.Version, Dir: s.Dir, Digest: s.Digest, Kinds: kinds}
}
