package content

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"cuelang.org/go/cue/ast"
	"cuelang.org/go/cue/format"
	"cuelang.org/go/cue/literal"
	"cuelang.org/go/cue/token"

	"github.com/smallhq/small/config"
	"github.com/smallhq/small/diag"
	"github.com/smallhq/small/manifest"
	"github.com/smallhq/small/protocol"
	"github.com/smallhq/small/schema"
)

// Translations. A manifest whose locale (normalized by decodeManifest:
// the default locale is "") is set is a translation of the manifest of
// the same kind and id without one: its source. Each is validated and
// built on its own; what relates them is checked here, after every
// manifest was evaluated: a translation has a source, states a locale
// small.cue supports, and agrees with its source on the fields its kind
// marks @shared().

// sharedValue is the value of one @shared field of a manifest, whole.
type sharedValue struct {
	c         int    // the constraint's index in its kind's Constraints
	present   bool   // the manifest has the field
	key       string // the value, canonical: equal values, equal keys
	line, col int
}

// sharedValues extracts the values of the kind's @shared fields from a
// decoded manifest, one per field, present or not.
func sharedValues(s *schema.Schema, doc *manifest.Document, kind string) []sharedValue {
	var out []sharedValue
	for ci, c := range s.Constraints(kind) {
		if !c.Shared {
			continue
		}
		v := sharedValue{c: ci}
		x := ast.Expr(doc.Fields)
		var sel []string
		for _, step := range c.Path {
			st, ok := x.(*ast.StructLit)
			x = nil
			if !ok {
				break
			}
			for _, el := range st.Elts {
				if f, ok := el.(*ast.Field); ok {
					if name, _, _ := ast.LabelName(f.Label); name == step.Name {
						x = f.Value
						break
					}
				}
			}
			if x == nil {
				break
			}
			sel = append(sel, step.Name)
		}
		if x != nil {
			v.present, v.key = true, canonicalValue(x, 0)
			v.line, v.col, _ = doc.Position(sel)
		}
		out = append(out, v)
	}
	return out
}

// canonicalValue writes a decoded value so that equal values are equal
// strings: JSON-like, a struct's fields sorted by name, numbers as
// canonicalNumber gives them.
func canonicalValue(x ast.Expr, depth int) string {
	if depth > 1000 { // decoding bounded the depth already
		return "…"
	}
	switch x := x.(type) {
	case *ast.StructLit:
		var fs []string
		for _, el := range x.Elts {
			f, ok := el.(*ast.Field)
			if !ok {
				continue
			}
			name, _, _ := ast.LabelName(f.Label)
			fs = append(fs, strconv.Quote(name)+":"+canonicalValue(f.Value, depth+1))
		}
		slices.Sort(fs)
		return "{" + strings.Join(fs, ",") + "}"
	case *ast.ListLit:
		var es []string
		for _, el := range x.Elts {
			es = append(es, canonicalValue(el, depth+1))
		}
		return "[" + strings.Join(es, ",") + "]"
	case *ast.UnaryExpr:
		if x.Op == token.SUB {
			if l, ok := x.X.(*ast.BasicLit); ok && (l.Kind == token.INT || l.Kind == token.FLOAT) {
				return canonicalNumber("-" + l.Value)
			}
		}
	case *ast.BasicLit:
		switch x.Kind {
		case token.STRING:
			if s, err := literal.Unquote(x.Value); err == nil {
				if strings.HasPrefix(x.Value, "'") {
					return "b" + strconv.Quote(s)
				}
				return strconv.Quote(s)
			}
		case token.INT, token.FLOAT:
			return canonicalNumber(x.Value)
		case token.TRUE, token.FALSE, token.NULL:
			return x.Value
		}
	case *ast.Ident:
		return x.Name
	}
	b, _ := format.Node(x)
	return string(b)
}

// localeFindings reports the manifests that state a locale small.cue
// does not support (or declares none), and the translations that have
// no source.
func localeFindings(cfg *config.Config, ms []Manifest) []diag.Diagnostic {
	var ds []diag.Diagnostic
	sources := map[[2]string]bool{}
	for _, m := range ms {
		if m.Kind != "" && m.Locale == "" {
			sources[[2]string{m.Kind, m.ID}] = true
		}
	}
	for i := range ms {
		m := &ms[i]
		if m.Kind == "" || m.Locale == "" {
			continue
		}
		at := diag.Diagnostic{File: m.Path, Line: m.localeLine, Column: m.localeCol, Path: protocol.FieldLocale, Severity: diag.Error}
		switch {
		case cfg.Locales == nil:
			at.Code = diag.CodeLocaleUnsupported
			at.Message = fmt.Sprintf("%q: small.cue declares no locales: expected no locale field, or locales: {default: \"en\", supported: [\"en\", %q]} in small.cue", m.Locale, m.Locale)
		case !cfg.Locales.Supports(m.Locale):
			at.Code = diag.CodeLocaleUnsupported
			at.Message = fmt.Sprintf("%q is not a supported locale: expected one of %s (small.cue's locales.supported)", m.Locale, strings.Join(cfg.Locales.Supported, ", "))
		case !sources[[2]string{m.Kind, m.ID}]:
			at.Code = diag.CodeTranslationOrphan
			at.Message = fmt.Sprintf("a translation of %s, which does not exist: expected a manifest of kind %s and id %q in the default locale (%s), its source", protocol.EntryName(m.Kind, m.ID, ""), m.Kind, m.ID, cfg.Locales.Default)
		default:
			continue
		}
		m.Valid = false
		ds = append(ds, at)
	}
	return ds
}

// sharedFindings reports each @shared field of a translation whose value
// differs from its source's, or that one of the two has and the other
// has not, naming the source's file and line.
func sharedFindings(s *schema.Schema, ms []Manifest) []diag.Diagnostic {
	source := map[[2]string]int{}
	for i, m := range ms {
		if m.Kind != "" && m.Locale == "" {
			source[[2]string{m.Kind, m.ID}] = i
		}
	}
	var ds []diag.Diagnostic
	for i := range ms {
		t := &ms[i]
		if t.Locale == "" || len(t.shared) == 0 {
			continue
		}
		si, ok := source[[2]string{t.Kind, t.ID}]
		if !ok {
			continue // localeFindings says so
		}
		src := ms[si]
		cs := s.Constraints(t.Kind)
		for j, tv := range t.shared {
			if j >= len(src.shared) || tv.c >= len(cs) {
				break
			}
			sv := src.shared[j]
			name := cs[tv.c].String()
			var msg string
			line, col := tv.line, tv.col
			switch {
			case tv.present && sv.present && tv.key == sv.key, !tv.present && !sv.present:
				continue
			case tv.present && sv.present:
				msg = fmt.Sprintf("%s differs from the source's %s at %s:%d: expected the same value in every locale (%s is @shared())", clipText(tv.key), clipText(sv.key), src.Path, sv.line, name)
			case sv.present:
				line, col = t.localeLine, t.localeCol
				msg = fmt.Sprintf("missing: the source %s:%d has %s: expected the same value in every locale (%s is @shared())", src.Path, sv.line, clipText(sv.key), name)
			default:
				msg = fmt.Sprintf("%s is not in the source %s: expected it in every locale or in none (%s is @shared())", clipText(tv.key), src.Path, name)
			}
			t.Valid = false
			ds = append(ds, diag.Diagnostic{File: t.Path, Line: line, Column: col, Path: name, Code: diag.CodeSharedMismatch, Severity: diag.Error, Message: msg})
		}
	}
	return ds
}
