package manifest

import (
	"path"
	"strconv"
	"strings"

	"cuelang.org/go/cue/ast"
	"cuelang.org/go/cue/literal"
	"cuelang.org/go/cue/token"
	yaml "go.yaml.in/yaml/v3"

	"github.com/smallhq/small/diag"
	"github.com/smallhq/small/protocol"
)

// Stem is a file name without its extension: the default id of a manifest.
func Stem(p string) string {
	base := path.Base(p)
	return strings.TrimSuffix(base, path.Ext(base))
}

// DefaultID is the id of a manifest that states none: its Stem, except
// for a Markdown file named index or _index (index.md, _index.md), which
// stands for its directory, as in static site generators: then the
// directory's name (topics/git/index.md is git). It also says what the id
// came from, for a message.
func DefaultID(p string) (id, from string) {
	stem := Stem(p)
	if IsFrontMatterFile(p) && (stem == "index" || stem == "_index") {
		if dir := path.Dir(p); dir != "." && dir != "/" && dir != "" {
			return path.Base(dir), "directory name " + strconv.Quote(path.Base(dir))
		}
	}
	return stem, "file name " + strconv.Quote(path.Base(p))
}

// InvalidID is the message of a finding at an id field that states an
// id ValidID refuses: what is wrong with it, and what an id is. The id is
// quoted in ASCII, so that a look-alike letter shows (\u0430 for a).
func InvalidID(v string) string {
	return "id: " + strconv.QuoteToASCII(v) + " is not a valid id: " + protocol.IDProblem(v) + "; expected " + protocol.IDRule
}

// Identity is what the reserved fields say a manifest is.
type Identity struct {
	Kind   string
	ID     string
	Status string // empty when the manifest leaves it to the lifecycle
	// Locale is the locale the manifest states ("" when it states none:
	// the default locale's version). Which locales are supported, and
	// which is the default, is small.cue's to say, not the file's.
	Locale string
}

// Identity reads the reserved fields. The error, if any, is an *Error naming
// the offending field's position.
func (d *Document) Identity() (Identity, error) {
	var id Identity
	kind, kn, ok := d.stringField(protocol.FieldKind)
	if kn == nil {
		return id, &Error{Line: d.root.Line, Column: d.root.Column, Code: diag.CodeKindMissing, Msg: "kind: required field is missing: expected the name of a kind, e.g. kind: Article"}
	}
	if !ok || kind == "" {
		return id, &Error{Line: kn.Line, Column: kn.Column, Code: diag.CodeKindInvalid, Msg: "kind: expected a non-empty string naming a kind"}
	}
	id.Kind = kind
	if v, n, ok := d.stringField(protocol.FieldID); n != nil {
		if !ok {
			return id, &Error{Line: n.Line, Column: n.Column, Code: diag.CodeIDInvalid, Msg: "id: expected a string"}
		}
		if !protocol.ValidID(v) {
			return id, &Error{Line: n.Line, Column: n.Column, Code: diag.CodeIDInvalid, Msg: InvalidID(v)}
		}
		id.ID = v
	} else {
		var from string
		id.ID, from = DefaultID(d.Path)
		if !protocol.ValidID(id.ID) {
			what := "the file"
			if strings.HasPrefix(from, "directory") {
				what = "the directory"
			}
			return id, &Error{Line: d.root.Line, Column: d.root.Column, Code: diag.CodeIDInvalid, Msg: from + " is not a valid id: set id, or rename " + what + " to lower case letters, digits, '.', '_' or '-'"}
		}
	}
	return id, d.statusLocale(&id)
}

// statusLocale reads the reserved fields status and locale into id.
func (d *Document) statusLocale(id *Identity) error {
	if v, n, ok := d.stringField(protocol.FieldStatus); n != nil {
		if !ok {
			return &Error{Line: n.Line, Column: n.Column, Code: diag.CodeStatusInvalid, Msg: "status: expected a string naming a lifecycle state"}
		}
		id.Status = v
	}
	if v, n, ok := d.stringField(protocol.FieldLocale); n != nil {
		if !ok {
			return &Error{Line: n.Line, Column: n.Column, Code: diag.CodeLocaleInvalid, Msg: "locale: expected a string naming a locale, e.g. locale: fr"}
		}
		if !protocol.ValidLocale(v) {
			return &Error{Line: n.Line, Column: n.Column, Code: diag.CodeLocaleInvalid, Msg: "locale: " + strconv.Quote(v) + " is not a locale tag: expected a BCP 47 language tag such as fr or pt-BR (" + protocol.LocalePattern + ")"}
		}
		id.Locale = v
	}
	return nil
}

// stringField returns a top-level field's string value, its value node (nil
// when absent) and whether the value is a string.
func (d *Document) stringField(name string) (string, *yaml.Node, bool) {
	for _, el := range d.Fields.Elts {
		f := el.(*ast.Field)
		if labelName(f.Label) != name {
			continue
		}
		n := d.node([]string{name})
		if n == nil {
			n = d.root
		}
		lit, ok := f.Value.(*ast.BasicLit)
		if !ok || lit.Kind != token.STRING || !strings.HasPrefix(lit.Value, `"`) { // not bytes: '...'
			return "", n, false
		}
		s, err := literal.Unquote(lit.Value)
		return s, n, err == nil
	}
	return "", nil, false
}

// Position returns the 1-based line and column of the value at a CUE path
// (field names and list indexes, as CUE's errors give them), or of the
// deepest part of it the file has. exact reports whether the whole path was found.
func (d *Document) Position(sel []string) (line, col int, exact bool) {
	n, depth := d.walk(sel)
	return n.Line, n.Column, depth == len(sel)
}

// KeyPosition is like Position but gives the position of a field's key,
// where an editor would put the cursor for "this field is wrong".
func (d *Document) KeyPosition(sel []string) (line, col int, exact bool) {
	if len(sel) == 0 {
		return d.root.Line, d.root.Column, true
	}
	parent, depth := d.walk(sel[:len(sel)-1])
	if depth == len(sel)-1 && parent.Kind == yaml.MappingNode {
		if k, _ := lookup(parent, sel[len(sel)-1]); k != nil {
			return k.Line, k.Column, true
		}
	}
	return d.Position(sel)
}

func (d *Document) node(sel []string) *yaml.Node {
	n, depth := d.walk(sel)
	if depth != len(sel) {
		return nil
	}
	return n
}

// walk follows sel from the root as far as the YAML tree goes.
func (d *Document) walk(sel []string) (*yaml.Node, int) {
	n := d.root
	for i, s := range sel {
		for n.Kind == yaml.AliasNode {
			n = n.Alias
		}
		var next *yaml.Node
		switch n.Kind {
		case yaml.MappingNode:
			_, next = lookup(n, s)
		case yaml.SequenceNode:
			if j, err := strconv.Atoi(s); err == nil && j >= 0 && j < len(n.Content) {
				next = n.Content[j]
			}
		}
		if next == nil {
			return n, i
		}
		n = next
	}
	return n, len(sel)
}

// lookup finds a field of mapping m by its name as a CUE path gives it,
// quoted or not.
func lookup(m *yaml.Node, sel string) (key, value *yaml.Node) {
	if k, v := findKey(m, sel); k != nil {
		return k, v
	}
	if name := unquoteSelector(sel); name != sel {
		return findKey(m, name)
	}
	return nil, nil
}

// findKey finds the key name in mapping m, or in the mappings merged into
// it, in the order decoding gives them precedence.
func findKey(m *yaml.Node, name string) (key, value *yaml.Node) {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if k := m.Content[i]; !isMerge(k) {
			if l, err := label(k); err == nil && l == name {
				return k, m.Content[i+1]
			}
		}
	}
	// Keys merged in through "<<": a mapping, or a list of them, or aliases.
	// Decoding refused merges that contain themselves.
	for i := 0; i+1 < len(m.Content); i += 2 {
		if !isMerge(m.Content[i]) {
			continue
		}
		v := m.Content[i+1]
		merged := []*yaml.Node{v}
		if v.Kind == yaml.SequenceNode {
			merged = v.Content
		}
		for _, v := range merged {
			for v.Kind == yaml.AliasNode {
				v = v.Alias
			}
			if v.Kind == yaml.MappingNode {
				if k, val := findKey(v, name); k != nil {
					return k, val
				}
			}
		}
	}
	return nil, nil
}

// unquoteSelector turns a CUE path element such as "\"my-field\"" back into
// the field name.
func unquoteSelector(s string) string {
	if strings.HasPrefix(s, `"`) {
		if u, err := strconv.Unquote(s); err == nil {
			return u
		}
	}
	return s
}
