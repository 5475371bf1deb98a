// Package manifest decodes manifest files (YAML or JSON, one content entry
// each) into CUE syntax, refusing hostile input with a positioned error.
package manifest

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"
	"unicode/utf8"

	"cuelang.org/go/cue/ast"
	"cuelang.org/go/cue/literal"
	"cuelang.org/go/cue/token"
	yaml "go.yaml.in/yaml/v3"

	"github.com/smallhq/small/diag"
)

// Limits bound what decoding one manifest may cost.
type Limits struct {
	MaxBytes      int64 // largest file accepted
	MaxDepth      int   // deepest nesting of mappings and sequences
	MaxAliasNodes int   // most nodes that YAML aliases may expand to
}

// DefaultLimits are the limits used when small.cue sets none.
var DefaultLimits = Limits{MaxBytes: 1 << 20, MaxDepth: 64, MaxAliasNodes: 10_000}

// Error is a decode failure at a position in the file (line and column are
// 1-based; 0 when the failure concerns the whole file).
type Error struct {
	Line, Column int
	Code         string
	Msg          string
}

func (e *Error) Error() string {
	if e.Line == 0 {
		return e.Msg
	}
	return fmt.Sprintf("%d:%d: %s", e.Line, e.Column, e.Msg)
}

// Document is a decoded manifest: its data as CUE syntax and the YAML node
// tree it came from, kept to find the position of any path on demand.
type Document struct {
	Path   string // repository-relative, slash-separated
	Fields *ast.StructLit
	root   *yaml.Node
}

// Decode parses one manifest file. JSON files (by extension) must be strict
// JSON; everything else is read as YAML 1.2 as CUE reads it. The error, if
// any, is an *Error.
func Decode(path string, data []byte, lim Limits) (*Document, error) {
	if lim.MaxBytes > 0 && int64(len(data)) > lim.MaxBytes {
		return nil, &Error{Code: diag.CodeTooLarge, Msg: fmt.Sprintf("file is %d bytes, more than the limit of %d", len(data), lim.MaxBytes)}
	}
	if i := bytes.IndexByte(data, 0); i >= 0 {
		line, col := lineCol(data, i)
		return nil, &Error{Line: line, Column: col, Code: diag.CodeBinary, Msg: "binary data (NUL byte): expected a UTF-8 text file"}
	}
	if !utf8.Valid(data) {
		i := firstInvalidUTF8(data)
		line, col := lineCol(data, i)
		return nil, &Error{Line: line, Column: col, Code: diag.CodeEncoding, Msg: fmt.Sprintf("invalid UTF-8 byte 0x%02x: expected UTF-8 text", data[i])}
	}
	if strings.HasSuffix(path, ".json") {
		if err := checkJSON(data); err != nil {
			return nil, err
		}
	}
	root, err := parseYAML(data)
	if err != nil {
		return nil, err
	}
	d := &decoder{lim: lim, aliasing: map[*yaml.Node]bool{}}
	fields, err := d.mapping(root, 1)
	if err != nil {
		return nil, err
	}
	return &Document{Path: path, Fields: fields, root: root}, nil
}

// parseYAML returns the single top-level mapping of data.
func parseYAML(data []byte) (*yaml.Node, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if err == io.EOF {
			return nil, &Error{Code: diag.CodeEmpty, Msg: "empty file: expected a mapping with at least a kind field"}
		}
		return nil, yamlError(err)
	}
	var next yaml.Node
	switch err := dec.Decode(&next); {
	case err == nil:
		return nil, &Error{Line: next.Line, Column: next.Column, Code: diag.CodeMultiDocument, Msg: "a second YAML document: expected one manifest per file"}
	case err != io.EOF:
		e := yamlError(err)
		e.Msg = "in a second YAML document: " + e.Msg
		return nil, e
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 {
		return nil, &Error{Code: diag.CodeEmpty, Msg: "empty document: expected a mapping with at least a kind field"}
	}
	top := doc.Content[0]
	if top.Kind == yaml.AliasNode {
		top = top.Alias
	}
	if top.Kind != yaml.MappingNode {
		if top.Kind == yaml.ScalarNode && top.ShortTag() == "!!null" {
			return nil, &Error{Line: top.Line, Column: top.Column, Code: diag.CodeEmpty, Msg: "empty document: expected a mapping with at least a kind field"}
		}
		return nil, &Error{Line: top.Line, Column: top.Column, Code: diag.CodeNotMapping, Msg: fmt.Sprintf("top level is a %s: expected a mapping", describe(top))}
	}
	return top, nil
}

var yamlLine = regexp.MustCompile(`^yaml: line (\d+): `)

// yamlError turns yaml.v3's opaque error strings into a positioned Error.
func yamlError(err error) *Error {
	msg := err.Error()
	e := &Error{Code: diag.CodeParse}
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
		fmt.Sscan(m[1], &e.Line)
		e.Column = 1
		msg = msg[len(m[0]):]
	} else {
		msg = strings.TrimPrefix(msg, "yaml: ")
	}
	if strings.Contains(msg, "exceeded max depth") {
		e.Code = diag.CodeTooDeep
	}
	e.Msg = "invalid YAML: " + msg
	return e
}

// checkJSON reports the first syntax error of a .json file with its position.
func checkJSON(data []byte) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	err := dec.Decode(&v)
	if err == io.EOF {
		return &Error{Code: diag.CodeEmpty, Msg: "empty file: expected a JSON object with at least a kind field"}
	}
	if err == nil {
		if _, err2 := dec.Token(); err2 != io.EOF {
			off := int(dec.InputOffset())
			line, col := lineCol(data, min(off, len(data)-1))
			return &Error{Line: line, Column: col, Code: diag.CodeMultiDocument, Msg: "data after the first JSON value: expected one manifest per file"}
		}
		return nil
	}
	var se *json.SyntaxError
	if errors.As(err, &se) {
		off := int(se.Offset) - 1
		line, col := lineCol(data, max(0, min(off, len(data)-1)))
		return &Error{Line: line, Column: col, Code: diag.CodeParse, Msg: "invalid JSON: " + se.Error()}
	}
	if errors.Is(err, io.ErrUnexpectedEOF) {
		line, col := lineCol(data, len(data)-1)
		return &Error{Line: line, Column: col, Code: diag.CodeParse, Msg: "invalid JSON: unexpected end of file"}
	}
	return &Error{Code: diag.CodeParse, Msg: "invalid JSON: " + err.Error()}
}

type decoder struct {
	lim        Limits
	aliasDepth int
	aliasNodes int
	aliasing   map[*yaml.Node]bool
}

func (d *decoder) errorf(n *yaml.Node, code, format string, args ...any) error {
	return &Error{Line: n.Line, Column: n.Column, Code: code, Msg: fmt.Sprintf(format, args...)}
}

func (d *decoder) value(n *yaml.Node, depth int) (ast.Expr, error) {
	if d.aliasDepth > 0 {
		d.aliasNodes++
		if d.lim.MaxAliasNodes > 0 && d.aliasNodes > d.lim.MaxAliasNodes {
			return nil, d.errorf(n, diag.CodeAliases, "aliases expand to more than %d nodes", d.lim.MaxAliasNodes)
		}
	}
	if d.lim.MaxDepth > 0 && depth > d.lim.MaxDepth {
		return nil, d.errorf(n, diag.CodeTooDeep, "nesting deeper than %d levels", d.lim.MaxDepth)
	}
	switch n.Kind {
	case yaml.MappingNode:
		return d.mapping(n, depth)
	case yaml.SequenceNode:
		list := &ast.ListLit{Elts: make([]ast.Expr, 0, len(n.Content))}
		for _, c := range n.Content {
			e, err := d.value(c, depth+1)
			if err != nil {
				return nil, err
			}
			list.Elts = append(list.Elts, e)
		}
		return list, nil
	case yaml.ScalarNode:
		return scalar(n)
	case yaml.AliasNode:
		return d.alias(n, depth)
	}
	return nil, d.errorf(n, diag.CodeParse, "unexpected YAML node")
}

func (d *decoder) alias(n *yaml.Node, depth int) (ast.Expr, error) {
	if d.aliasing[n.Alias] {
		return nil, d.errorf(n, diag.CodeAliases, "anchor %q contains itself", n.Value)
	}
	d.aliasing[n.Alias] = true
	d.aliasDepth++
	e, err := d.value(n.Alias, depth)
	d.aliasDepth--
	delete(d.aliasing, n.Alias)
	return e, err
}

func (d *decoder) mapping(n *yaml.Node, depth int) (*ast.StructLit, error) {
	s := &ast.StructLit{Elts: make([]ast.Decl, 0, len(n.Content)/2)}
	written := make(map[string]*yaml.Node, len(n.Content)/2)
	var merges []*yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if isMerge(k) {
			merges = append(merges, v)
			continue
		}
		name, err := d.label(k)
		if err != nil {
			return nil, err
		}
		if prev, ok := written[name]; ok {
			return nil, d.errorf(k, diag.CodeDuplicateKey, "duplicate key %q (first at line %d): expected each key once", name, prev.Line)
		}
		written[name] = k
		e, err := d.value(v, depth+1)
		if err != nil {
			return nil, err
		}
		s.Elts = append(s.Elts, &ast.Field{Label: ast.NewStringLabel(name), Value: e})
	}
	if len(merges) == 0 {
		return s, nil
	}
	// Keys merged in through YAML's "<<" give way to keys written out, and to
	// keys merged earlier, as in YAML 1.1.
	have := make(map[string]bool, len(written))
	for name := range written {
		have[name] = true
	}
	for _, v := range merges {
		if err := d.merge(v, s, have, depth); err != nil {
			return nil, err
		}
	}
	return s, nil
}

func isMerge(k *yaml.Node) bool {
	return k.Kind == yaml.ScalarNode && k.ShortTag() == "!!merge"
}

func (d *decoder) merge(v *yaml.Node, s *ast.StructLit, have map[string]bool, depth int) error {
	switch v.Kind {
	case yaml.AliasNode:
		d.aliasDepth++
		defer func() { d.aliasDepth-- }()
		if v.Alias.Kind != yaml.MappingNode {
			return d.errorf(v, diag.CodeParse, "merge key \"<<\" needs a mapping, not a %s", describe(v.Alias))
		}
		return d.merge(v.Alias, s, have, depth)
	case yaml.SequenceNode:
		for _, c := range v.Content {
			if err := d.merge(c, s, have, depth); err != nil {
				return err
			}
		}
		return nil
	case yaml.MappingNode:
		m, err := d.mapping(v, depth)
		if err != nil {
			return err
		}
		for _, el := range m.Elts {
			f := el.(*ast.Field)
			if name := labelName(f.Label); !have[name] {
				have[name] = true
				s.Elts = append(s.Elts, f)
			}
		}
		return nil
	}
	return d.errorf(v, diag.CodeParse, "merge key \"<<\" needs a mapping or a list of mappings, not a %s", describe(v))
}

func (d *decoder) label(k *yaml.Node) (string, error) {
	if k.Kind == yaml.AliasNode {
		k = k.Alias
	}
	if k.Kind != yaml.ScalarNode {
		return "", d.errorf(k, diag.CodeParse, "a %s as a mapping key: expected a string key", describe(k))
	}
	e, err := scalar(k)
	if err != nil {
		return "", err
	}
	if lit, ok := e.(*ast.BasicLit); ok && lit.Kind != token.STRING {
		return lit.Value, nil // e.g. `Null: 1` gives the label "null", as CUE does
	}
	return k.Value, nil
}

func labelName(l ast.Label) string {
	name, _, _ := ast.LabelName(l)
	return name
}

// rxAnyOctalYAML11 matches what YAML 1.1 reads as octal but YAML 1.2 as a
// float; like CUE, read such a plain scalar (e.g. 01289) as a string.
var rxAnyOctalYAML11 = regexp.MustCompile(`^[-+]?0[0-9_]+$`)

// scalar converts a YAML scalar to a CUE literal exactly as CUE's own YAML
// decoder does, so that our verdicts agree with cue vet's.
func scalar(n *yaml.Node) (ast.Expr, error) {
	tag := n.ShortTag()
	if n.Style&yaml.TaggedStyle == 0 && tag == "!!float" && rxAnyOctalYAML11.MatchString(n.Value) {
		tag = "!!str"
	}
	switch tag {
	case "!!str", "!!timestamp":
		return &ast.BasicLit{Kind: token.STRING, Value: literal.String.Quote(n.Value)}, nil
	case "!!binary":
		data, err := base64.StdEncoding.DecodeString(n.Value)
		if err != nil {
			return nil, &Error{Line: n.Line, Column: n.Column, Code: diag.CodeParse, Msg: "!!binary value is not valid base64"}
		}
		return &ast.BasicLit{Kind: token.STRING, Value: literal.Bytes.Quote(string(data))}, nil
	case "!!bool":
		switch n.Value {
		case "true", "True", "TRUE":
			return ast.NewBool(true), nil
		}
		return ast.NewBool(false), nil
	case "!!null":
		return ast.NewNull(), nil
	case "!!int":
		v := n.Value
		if len(v) > 1 && v[0] == '0' && v[1] <= '9' {
			v = "0o" + v[1:]
		}
		var info literal.NumInfo
		if err := literal.ParseNum(v, &info); err != nil || !info.IsInt() {
			return nil, &Error{Line: n.Line, Column: n.Column, Code: diag.CodeParse, Msg: fmt.Sprintf("cannot read %q as an integer", n.Value)}
		}
		return number(v, token.INT), nil
	case "!!float":
		v := n.Value
		switch v {
		case ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF", "-.inf", "-.Inf", "-.INF", ".nan", ".NaN", ".NAN":
			return nil, &Error{Line: n.Line, Column: n.Column, Code: diag.CodeParse, Msg: fmt.Sprintf("%s: infinity and NaN are not numbers in CUE", v)}
		}
		if len(v) > 1 && v[0] == '0' && v[1] >= '0' && v[1] <= '9' {
			v = "0o" + v[1:]
		}
		var info literal.NumInfo
		if err := literal.ParseNum(v, &info); err != nil {
			return nil, &Error{Line: n.Line, Column: n.Column, Code: diag.CodeParse, Msg: fmt.Sprintf("cannot read %q as a number", n.Value)}
		}
		return number(v, token.FLOAT), nil
	}
	return nil, &Error{Line: n.Line, Column: n.Column, Code: diag.CodeParse, Msg: fmt.Sprintf("unsupported YAML tag %s", tag)}
}

func number(v string, kind token.Token) ast.Expr {
	v = strings.TrimPrefix(v, "+")
	if rest, neg := strings.CutPrefix(v, "-"); neg {
		return &ast.UnaryExpr{Op: token.SUB, X: &ast.BasicLit{Kind: kind, Value: rest}}
	}
	return &ast.BasicLit{Kind: kind, Value: v}
}

func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "mapping"
	case yaml.SequenceNode:
		return "list"
	case yaml.AliasNode:
		return "alias"
	}
	switch n.ShortTag() {
	case "!!str":
		return "string"
	case "!!int", "!!float":
		return "number"
	case "!!bool":
		return "boolean"
	case "!!null":
		return "null"
	}
	return "scalar"
}

// lineCol gives the 1-based line and column (in bytes) of offset i.
func lineCol(data []byte, i int) (int, int) {
	if i < 0 {
		return 1, 1
	}
	line := 1 + bytes.Count(data[:i], []byte{'\n'})
	start := bytes.LastIndexByte(data[:i], '\n') + 1
	return line, i - start + 1
}

func firstInvalidUTF8(data []byte) int {
	for i := 0; i < len(data); {
		r, size := utf8.DecodeRune(data[i:])
		if r == utf8.RuneError && size <= 1 {
			return i
		}
		i += size
	}
	return 0
}
