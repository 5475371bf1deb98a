package manifest

import (
	"bytes"
	"fmt"
	"path"
	"strings"

	"cuelang.org/go/cue/ast"
	"cuelang.org/go/cue/literal"
	"cuelang.org/go/cue/token"
	yaml "go.yaml.in/yaml/v3"

	"github.com/smallhq/small/diag"
)

// FrontMatterExtensions are the extensions of the files whose YAML front
// matter is the manifest and whose Markdown body is one more field.
var FrontMatterExtensions = []string{".md", ".markdown", ".mdx"}

// DefaultBody is the field the Markdown body of a front-matter file fills
// when Options.Body names none.
const DefaultBody = "body"

// IsFrontMatterFile reports whether Decode reads the file at p as Markdown
// with YAML front matter, by its extension (lower case, as for .yaml). It
// does not say whether the file is a manifest: small.cue decides that.
func IsFrontMatterFile(p string) bool {
	switch path.Ext(p) {
	case ".md", ".markdown", ".mdx":
		return true
	}
	return false
}

// Options change how a manifest file is read.
type Options struct {
	// Body names the field that the Markdown body of a front-matter file
	// fills; "" is DefaultBody. It does not apply to YAML and JSON files.
	Body string
}

// Front matter, as small reads it (docs/protocol.md, "Front matter"):
//
//   - The file's first line, after an optional UTF-8 byte order mark, is
//     "---"; the front matter ends at the next line that is "---" or "..."
//     (YAML's document end). Spaces, tabs and a CR (CRLF line ends) may
//     follow a delimiter; nothing else may.
//   - The lines between are one YAML document, read like a .yaml manifest,
//     whose top level is a mapping; no lines (or comments only) is an empty
//     mapping, since a files rule may give kind and id.
//   - The body is every byte after the closing line's line break, verbatim:
//     leading blank lines, CRLF line ends and a missing final line break
//     are kept, so that an artifact holds what the author wrote.
//
// The YAML parser reads the file from its start up to the closing line:
// the opening "---" is YAML's own document start, so every position it
// gives is already one in the file.

// decodeFrontMatter decodes a Markdown file with YAML front matter; data
// has passed Decode's checks of size, NUL bytes and encoding.
func decodeFrontMatter(p string, data []byte, lim Limits, opts Options) (*Document, error) {
	bodyField := opts.Body
	if bodyField == "" {
		bodyField = DefaultBody
	}
	end, bodyStart, ferr := splitFrontMatter(data)
	if ferr != nil {
		return nil, ferr
	}
	root, err := parseYAML(data[:end], lim)
	if err != nil {
		e := err.(*Error)
		switch e.Code {
		case diag.CodeEmpty:
			if e.Line != 0 { // a null written out, e.g. ~
				return nil, &Error{Line: e.Line, Column: e.Column, Code: diag.CodeNotMapping, Msg: "the front matter is null: expected a mapping of fields, e.g. title: Hello"}
			}
			// Nothing but comments and blank lines: an empty mapping, at
			// the opening line.
			root = &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Line: 1, Column: 1}
			err = nil
		case diag.CodeNotMapping:
			e.Msg = strings.Replace(e.Msg, "top level is", "the front matter is", 1) + " of fields, e.g. title: Hello"
		case diag.CodeMultiDocument:
			e.Msg = "a second YAML document in the front matter: expected one mapping between the --- lines"
		}
		if err != nil {
			return nil, e
		}
	}
	d := &decoder{lim: lim, aliasing: map[*yaml.Node]bool{}}
	fields, err := d.mapping(root, 1)
	if err != nil {
		return nil, err
	}
	for _, el := range fields.Elts {
		if labelName(el.(*ast.Field).Label) != bodyField {
			continue
		}
		doc := &Document{Path: p, Fields: fields, root: root}
		line, col, _ := doc.KeyPosition([]string{bodyField})
		return nil, &Error{Line: line, Column: col, Code: diag.CodeBodyConflict, Msg: fmt.Sprintf(
			"the front matter has a field %q, which the Markdown body fills: expected the body field's name nowhere in the front matter (rename the field, or name the body field otherwise in small.cue)", bodyField)}
	}
	// The body is a value at its first line, column 1: where a finding
	// about it points.
	line, col := lineCol(data, bodyStart)
	key := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: bodyField, Line: line, Column: col}
	val := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Line: line, Column: col}
	if err := d.count(val); err != nil {
		return nil, err
	}
	root.Content = append(root.Content, key, val)
	fields.Elts = append(fields.Elts, &ast.Field{
		Label: ast.NewStringLabel(bodyField),
		Value: &ast.BasicLit{Kind: token.STRING, Value: literal.String.Quote(string(data[bodyStart:]))},
	})
	return &Document{Path: p, Fields: fields, root: root}, nil
}

// SplitFrontMatter finds the front matter of a Markdown file's data: the
// YAML to read is data[:end] (the opening line included, so that a YAML
// parser's positions are the file's) and the body data[bodyStart:]. The
// error, if any, is an *Error: no front matter, front matter not closed,
// or TOML or JSON front matter.
func SplitFrontMatter(data []byte) (end, bodyStart int, err error) {
	end, bodyStart, ferr := splitFrontMatter(data)
	if ferr != nil {
		return 0, 0, ferr
	}
	return end, bodyStart, nil
}

func splitFrontMatter(data []byte) (end, bodyStart int, err *Error) {
	off := 0
	if bytes.HasPrefix(data, []byte("\uFEFF")) {
		off = 3
	}
	first, next := lineAt(data, off)
	switch delim := string(trimDelimiter(first)); {
	case delim == "---":
	case delim == "+++":
		return 0, 0, &Error{Line: 1, Column: 1, Code: diag.CodeFrontMatterFormat, Msg: "TOML front matter (+++) is not supported: expected YAML front matter between --- lines"}
	case strings.HasPrefix(delim, "{"):
		return 0, 0, &Error{Line: 1, Column: 1, Code: diag.CodeFrontMatterFormat, Msg: "JSON front matter is not supported: expected YAML front matter between --- lines"}
	case strings.HasPrefix(delim, "---"):
		return 0, 0, &Error{Line: 1, Column: 1, Code: diag.CodeFrontMatterMissing, Msg: fmt.Sprintf("no front matter: the first line is %q: expected exactly --- opening YAML front matter", trimLine(delim))}
	default:
		return 0, 0, &Error{Line: 1, Column: 1, Code: diag.CodeFrontMatterMissing, Msg: "no front matter: expected the file to start with a line --- opening YAML front matter (the manifest's fields), closed by another --- line"}
	}
	for start := next; start < len(data); {
		line, after := lineAt(data, start)
		if len(line) >= 3 && (line[0] == '-' || line[0] == '.') {
			if d := string(trimDelimiter(line)); d == "---" || d == "..." {
				return start, after, nil
			}
		}
		start = after
	}
	return 0, 0, &Error{Line: 1, Column: 1, Code: diag.CodeFrontMatterUnclosed, Msg: "the front matter opened here is not closed: expected a line --- after its last field"}
}

// lineAt returns the line starting at off, without its \n, and the offset
// of the next line (len(data) after the last one).
func lineAt(data []byte, off int) ([]byte, int) {
	i := bytes.IndexByte(data[off:], '\n')
	if i < 0 {
		return data[off:], len(data)
	}
	return data[off : off+i], off + i + 1
}

// trimDelimiter removes what may follow a delimiter: spaces, tabs and the
// CR of a CRLF line end.
func trimDelimiter(line []byte) []byte {
	return bytes.TrimRight(line, " \t\r")
}

// trimLine shortens a line quoted in a message.
func trimLine(s string) string {
	const max = 40
	if len(s) <= max {
		return s
	}
	cut := max
	for cut > 0 && s[cut]&0xC0 == 0x80 { // not inside a UTF-8 sequence
		cut--
	}
	return s[:cut] + "…"
}
