// Package manifest decodes manifest files (YAML, JSON, or Markdown with YAML
// front matter; one content entry each) into CUE syntax, refusing hostile
// input with a positioned error.
package manifest

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"cuelang.org/go/cue/ast"
	"cuelang.org/go/cue/literal"
	"cuelang.org/go/cue/token"
	yaml "go.yaml.in/yaml/v3"

	"github.com/smallhq/small/diag"
)

// Limits bound what decoding one manifest may cost; 0 is no limit.
type Limits struct {
	MaxBytes      int64 // largest file accepted
	MaxDepth      int   // deepest nesting of mappings and sequences, the top level being 1
	MaxAliasNodes int   // most nodes that YAML aliases (merge keys included) may expand to
	// MaxNodes bounds the values (mappings, lists, scalars) of one
	// manifest: evaluating a struct or list costs CUE more than linear time
	// in its size, so a 1 MiB file of tiny values must stop here.
	MaxNodes int
}

// DefaultLimits are the limits used when small.cue sets none.
var DefaultLimits = Limits{MaxBytes: 1 << 20, MaxDepth: 64, MaxAliasNodes: 10_000, MaxNodes: 20_000}

// Error is a decode failure at a position in the file (line and column are
// 1-based, lines broken at \n and columns in bytes; 0 when the failure
// concerns the whole file). Document positions follow the same rules.
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
// JSON, and are read as JSON; Markdown files (IsFrontMatterFile) are YAML
// front matter and a body, the body filling the field "body"; everything
// else is read as YAML 1.2 as CUE reads it. The error, if any, is an *Error.
func Decode(path string, data []byte, lim Limits) (*Document, error) {
	return DecodeWith(path, data, lim, Options{})
}

// DecodeWith is Decode with options: the name of the field a Markdown body
// fills. The limits of size, NUL bytes and encoding apply to the whole
// file, the Markdown body included.
func DecodeWith(path string, data []byte, lim Limits, opts Options) (*Document, error) {
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
	if IsFrontMatterFile(path) {
		return decodeFrontMatter(path, data, lim, opts)
	}
	var root *yaml.Node
	var err error
	if strings.HasSuffix(path, ".json") {
		root, err = parseJSON(data, lim)
	} else {
		root, err = parseYAML(data, lim)
	}
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

// parseYAML returns the single top-level mapping of data, its nodes placed
// as small reports positions (see bytePositions).
func parseYAML(data []byte, lim Limits) (*yaml.Node, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := decodeYAML(dec, &doc); err != nil {
		if err == io.EOF {
			return nil, &Error{Code: diag.CodeEmpty, Msg: "empty file: expected a mapping with at least a kind field"}
		}
		return nil, yamlError(err, data, lim)
	}
	var next yaml.Node
	switch err := decodeYAML(dec, &next); {
	case err == nil:
		line, col := yamlPosition(data, next.Line, next.Column)
		return nil, &Error{Line: line, Column: col, Code: diag.CodeMultiDocument, Msg: "a second YAML document: expected one manifest per file"}
	case err != io.EOF:
		e := yamlError(err, data, lim)
		e.Msg = "in a second YAML document: " + e.Msg
		return nil, e
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 {
		return nil, &Error{Code: diag.CodeEmpty, Msg: "empty document: expected a mapping with at least a kind field"}
	}
	bytePositions(&doc, data)
	top := doc.Content[0]
	if top.Kind == yaml.AliasNode {
		top = top.Alias
	}
	if top.Kind != yaml.MappingNode {
		if top.Kind == yaml.ScalarNode && top.ShortTag() == "!!null" {
			e := &Error{Code: diag.CodeEmpty, Msg: "empty document: expected a mapping with at least a kind field"}
			if top.Value != "" { // a null written out, e.g. ~
				e.Line, e.Column = top.Line, top.Column
			}
			return nil, e
		}
		return nil, &Error{Line: top.Line, Column: top.Column, Code: diag.CodeNotMapping, Msg: fmt.Sprintf("top level is a %s: expected a mapping", describe(top))}
	}
	return top, nil
}

// decodeYAML reads the next document with yaml.v3, turning a panic of the
// parser on hostile input into an error rather than the end of the process.
func decodeYAML(dec *yaml.Decoder, n *yaml.Node) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("yaml: the YAML parser failed: %s", strings.Join(strings.Fields(fmt.Sprint(r)), " "))
		}
	}()
	return dec.Decode(n)
}

var (
	yamlLine          = regexp.MustCompile(`^yaml: line (\d+): `)
	yamlUnknownAnchor = regexp.MustCompile(`^yaml: unknown anchor '(.*)' referenced$`)
)

// yamlParserProblems are the problems yaml.v3's parser (as opposed to its
// scanner) reports. The parser gives 0-based line numbers, the scanner 1-based.
var yamlParserProblems = []string{
	"did not find expected <document start>",
	"did not find expected <stream-start>",
	"found undefined tag handle",
	"did not find expected node content",
	"did not find expected '-' indicator",
	"did not find expected key",
	"did not find expected ',' or ']'",
	"did not find expected ',' or '}'",
	"found duplicate %YAML directive",
	"found incompatible YAML document",
	"found duplicate %TAG directive",
}

// yamlError turns yaml.v3's opaque error strings into a positioned Error.
// yaml.v3 gives a line only, and none for a problem on the first line; the
// column is then 1.
func yamlError(err error, data []byte, lim Limits) *Error {
	msg := err.Error()
	e := &Error{Code: diag.CodeParse}
	if m := yamlUnknownAnchor.FindStringSubmatch(msg); m != nil {
		e.Msg = fmt.Sprintf("invalid YAML: alias *%s refers to no anchor: expected &%s on a value before it", m[1], m[1])
		if i := findAlias(data, m[1]); i >= 0 {
			e.Line, e.Column = lineCol(data, i)
		}
		return e
	}
	line := 1
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
		line, _ = strconv.Atoi(m[1])
		msg = msg[len(m[0]):]
		if slices.Contains(yamlParserProblems, msg) {
			line++
		}
	} else {
		msg = strings.TrimPrefix(msg, "yaml: ")
	}
	e.Line, e.Column = yamlPosition(data, line, 1)
	if n := bytes.Count(data, []byte{'\n'}); e.Line > n+1 || e.Line > n && bytes.HasSuffix(data, []byte{'\n'}) {
		// yaml.v3 places the end of the input on a line of its own: put it at
		// the end of the last line instead.
		end := len(data)
		if bytes.HasSuffix(data, []byte{'\n'}) {
			end--
		}
		e.Line, e.Column = lineCol(data, end)
	}
	if strings.HasPrefix(msg, "exceeded max depth") {
		e.Code = diag.CodeTooDeep
		e.Msg = tooDeep(lim)
		return e
	}
	e.Msg = "invalid YAML: " + msg
	return e
}

// tooDeep is the message for nesting past the configured limit, or past
// the parsers' own (10000 levels, for yaml.v3 and encoding/json).
func tooDeep(lim Limits) string {
	const parserMax = 10000
	if lim.MaxDepth > 0 && lim.MaxDepth < parserMax {
		return fmt.Sprintf("nesting deeper than %d levels (limits.depth)", lim.MaxDepth)
	}
	return fmt.Sprintf("nesting deeper than %d levels", parserMax)
}

// findAlias returns the offset of the first alias *name in data, or -1.
func findAlias(data []byte, name string) int {
	pat := []byte("*" + name)
	for off := 0; ; {
		i := bytes.Index(data[off:], pat)
		if i < 0 {
			return -1
		}
		i += off
		end := i + len(pat)
		before := i == 0 || strings.IndexByte(" \t\r\n[{,:-?", data[i-1]) >= 0
		after := end == len(data) || strings.IndexByte(" \t\r\n]},", data[end]) >= 0
		if before && after {
			return i
		}
		off = i + 1
	}
}

// checkJSON reports the first syntax error of a .json file with its position.
func checkJSON(data []byte, lim Limits) error {
	if bytes.HasPrefix(data, []byte("\uFEFF")) {
		return &Error{Line: 1, Column: 1, Code: diag.CodeParse, Msg: "invalid JSON: a byte order mark (U+FEFF) at the start: expected JSON text without one"}
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	var raw json.RawMessage // validates without building values
	err := dec.Decode(&raw)
	if err == io.EOF {
		return &Error{Code: diag.CodeEmpty, Msg: "empty file: expected a JSON object with at least a kind field"}
	}
	if err == nil {
		off := int(dec.InputOffset())
		if _, err2 := dec.Token(); err2 != io.EOF {
			for off < len(data) && strings.IndexByte(" \t\r\n", data[off]) >= 0 {
				off++
			}
			line, col := lineCol(data, min(off, len(data)-1))
			return &Error{Line: line, Column: col, Code: diag.CodeMultiDocument, Msg: "data after the first JSON value: expected one manifest per file"}
		}
		return nil
	}
	var se *json.SyntaxError
	if errors.As(err, &se) {
		off := int(se.Offset) - 1
		line, col := lineCol(data, max(0, min(off, len(data)-1)))
		if strings.Contains(se.Error(), "exceeded max depth") {
			return &Error{Line: line, Column: col, Code: diag.CodeTooDeep, Msg: tooDeep(lim)}
		}
		return &Error{Line: line, Column: col, Code: diag.CodeParse, Msg: "invalid JSON: " + se.Error()}
	}
	if errors.Is(err, io.ErrUnexpectedEOF) {
		line, col := lineCol(data, len(data)-1)
		return &Error{Line: line, Column: col, Code: diag.CodeParse, Msg: "invalid JSON: unexpected end of file"}
	}
	return &Error{Code: diag.CodeParse, Msg: "invalid JSON: " + err.Error()}
}

// parseJSON reads a .json file as strict JSON into the node tree YAML would
// give, so that JSON is not subject to YAML's rules (keys of at most 1024
// characters on one line, no surrogate pairs in escapes, numbers that
// overflow a float64 read as strings). Positions are in bytes.
func parseJSON(data []byte, lim Limits) (*yaml.Node, error) {
	if err := checkJSON(data, lim); err != nil {
		return nil, err
	}
	p := &jsonParser{src: data, dec: json.NewDecoder(bytes.NewReader(data)), lines: lines{src: data, line: 1}}
	p.dec.UseNumber()
	top, err := p.value()
	if err != nil {
		return nil, err
	}
	if top.Kind != yaml.MappingNode {
		what := "a " + describe(top)
		if top.Tag == "!!null" {
			what = "null"
		}
		return nil, &Error{Line: top.Line, Column: top.Column, Code: diag.CodeNotMapping, Msg: fmt.Sprintf("top level is %s: expected a mapping", what)}
	}
	return top, nil
}

type jsonParser struct {
	src   []byte
	dec   *json.Decoder
	lines lines
}

func (p *jsonParser) value() (*yaml.Node, error) {
	// The next token starts after the separators the decoder passes over.
	off := int(p.dec.InputOffset())
	for off < len(p.src) && strings.IndexByte(" \t\r\n,:", p.src[off]) >= 0 {
		off++
	}
	line, col := p.lines.at(off)
	tok, err := p.dec.Token()
	if err != nil {
		return nil, &Error{Line: line, Column: col, Code: diag.CodeParse, Msg: "invalid JSON: " + err.Error()}
	}
	n := &yaml.Node{Line: line, Column: col}
	switch t := tok.(type) {
	case json.Delim:
		n.Style = yaml.FlowStyle
		n.Kind, n.Tag = yaml.MappingNode, "!!map"
		if t == '[' {
			n.Kind, n.Tag = yaml.SequenceNode, "!!seq"
		}
		for p.dec.More() {
			c, err := p.value()
			if err != nil {
				return nil, err
			}
			n.Content = append(n.Content, c)
		}
		if _, err := p.dec.Token(); err != nil {
			return nil, &Error{Line: line, Column: col, Code: diag.CodeParse, Msg: "invalid JSON: " + err.Error()}
		}
	case string:
		n.Kind, n.Tag, n.Style, n.Value = yaml.ScalarNode, "!!str", yaml.DoubleQuotedStyle, t
	case json.Number:
		n.Kind, n.Tag, n.Value = yaml.ScalarNode, "!!int", string(t)
		if strings.ContainsAny(n.Value, ".eE") {
			n.Tag = "!!float"
		}
	case bool:
		n.Kind, n.Tag, n.Value = yaml.ScalarNode, "!!bool", strconv.FormatBool(t)
	case nil:
		n.Kind, n.Tag, n.Value = yaml.ScalarNode, "!!null", "null"
	}
	return n, nil
}

type decoder struct {
	lim        Limits
	aliasDepth int
	aliasNodes int
	nodes      int                 // values produced so far
	aliasing   map[*yaml.Node]bool // the anchors being expanded
	expanding  *yaml.Node          // the outermost alias being expanded
}

func (d *decoder) errorf(n *yaml.Node, code, format string, args ...any) error {
	return &Error{Line: n.Line, Column: n.Column, Code: code, Msg: fmt.Sprintf(format, args...)}
}

// count counts a value, and one that an alias produces, and fails past
// the limits.
func (d *decoder) count(n *yaml.Node) error {
	// An alias is counted by the value it expands to.
	if n.Kind != yaml.AliasNode {
		if d.nodes++; d.lim.MaxNodes > 0 && d.nodes > d.lim.MaxNodes {
			at := n
			if d.aliasDepth > 0 {
				at = d.expanding
			}
			return d.errorf(at, diag.CodeTooManyValues, "more than %d values in one manifest (limits.nodes): expected a content entry, not a data set; split it", d.lim.MaxNodes)
		}
	}
	if d.aliasDepth > 0 {
		d.aliasNodes++
		if d.lim.MaxAliasNodes > 0 && d.aliasNodes > d.lim.MaxAliasNodes {
			// At the alias in the document, not inside the anchor it expands.
			return d.errorf(d.expanding, diag.CodeAliases, "aliases expand to more than %d nodes by *%s here (limits.aliasNodes)", d.lim.MaxAliasNodes, d.expanding.Value)
		}
	}
	return nil
}

func (d *decoder) value(n *yaml.Node, depth int) (ast.Expr, error) {
	if err := d.count(n); err != nil {
		return nil, err
	}
	if (n.Kind == yaml.MappingNode || n.Kind == yaml.SequenceNode) && d.lim.MaxDepth > 0 && depth > d.lim.MaxDepth {
		if d.aliasDepth > 0 {
			// At the alias in the document, not inside the anchor it expands.
			return nil, d.errorf(d.expanding, diag.CodeTooDeep, "%s through *%s here", tooDeep(d.lim), d.expanding.Value)
		}
		return nil, d.errorf(n, diag.CodeTooDeep, "%s", tooDeep(d.lim))
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
		return d.alias(n, func() (ast.Expr, error) { return d.value(n.Alias, depth) })
	}
	return nil, d.errorf(n, diag.CodeParse, "unexpected YAML node")
}

// alias expands an alias n with f, refusing an anchor that contains itself.
func (d *decoder) alias(n *yaml.Node, f func() (ast.Expr, error)) (ast.Expr, error) {
	if d.aliasing[n.Alias] {
		return nil, d.errorf(n, diag.CodeAliases, "anchor %q contains itself", n.Value)
	}
	d.aliasing[n.Alias] = true
	if d.aliasDepth == 0 {
		d.expanding = n
	}
	d.aliasDepth++
	e, err := f()
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
		name, err := label(k)
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
		if err := d.merge(v, s, have, depth, false); err != nil {
			return nil, err
		}
	}
	return s, nil
}

func isMerge(k *yaml.Node) bool {
	return k.Kind == yaml.ScalarNode && k.ShortTag() == "!!merge"
}

// merge adds to s the fields of v, the value of a merge key "<<": a
// mapping, or a list of mappings, or aliases of them. Every node an alias
// brings in counts towards the alias limit, empty mappings included, so that
// merge keys cannot expand exponentially either.
func (d *decoder) merge(v *yaml.Node, s *ast.StructLit, have map[string]bool, depth int, inList bool) error {
	if err := d.count(v); err != nil {
		return err
	}
	switch v.Kind {
	case yaml.AliasNode:
		if v.Alias.Kind != yaml.MappingNode {
			return d.errorf(v, diag.CodeParse, "merge key \"<<\" needs a mapping, not a %s", describe(v.Alias))
		}
		_, err := d.alias(v, func() (ast.Expr, error) { return nil, d.merge(v.Alias, s, have, depth, inList) })
		return err
	case yaml.SequenceNode:
		if !inList {
			for _, c := range v.Content {
				if err := d.merge(c, s, have, depth, true); err != nil {
					return err
				}
			}
			return nil
		}
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

// label is the field name a mapping key gives, as CUE reads it.
func label(k *yaml.Node) (string, error) {
	n := k
	if n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	if n.Kind != yaml.ScalarNode {
		return "", &Error{Line: k.Line, Column: k.Column, Code: diag.CodeParse, Msg: fmt.Sprintf("a %s as a mapping key: expected a string key", describe(n))}
	}
	if n.Tag == "!!str" {
		return n.Value, nil // most keys: no need to build a literal
	}
	e, err := scalar(n)
	if err != nil {
		return "", err
	}
	if lit, ok := e.(*ast.BasicLit); ok && lit.Kind != token.STRING {
		return lit.Value, nil // e.g. `Null: 1` gives the label "null", as CUE does
	}
	return n.Value, nil
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

// lines converts byte offsets, in increasing order, to 1-based lines (broken
// at \n) and columns (in bytes).
type lines struct {
	src         []byte
	scanned     int // offsets before this one are counted
	line, start int // the line at scanned, and where it starts
}

func (l *lines) at(off int) (int, int) {
	off = max(0, min(off, len(l.src)))
	if off < l.scanned {
		*l = lines{src: l.src, line: 1}
	}
	for l.scanned < off {
		if l.src[l.scanned] == '\n' {
			l.line++
			l.start = l.scanned + 1
		}
		l.scanned++
	}
	return l.line, off - l.start + 1
}

// A yamlCursor converts yaml.v3's positions to small's. yaml.v3 breaks lines
// at \n, \r, \r\n, U+0085, U+2028 and U+2029, counts columns in characters
// and leaves out a byte order mark at the start; small, like CUE and
// editors, breaks lines at \n only and counts columns in bytes.
type yamlCursor struct {
	src       []byte
	off       int // the byte offset of line:col
	line, col int // as yaml.v3 counts
	lines     lines
}

func newYAMLCursor(src []byte) *yamlCursor {
	c := &yamlCursor{src: src, line: 1, col: 1, lines: lines{src: src, line: 1}}
	if bytes.HasPrefix(src, []byte("\uFEFF")) {
		c.off = 3
	}
	return c
}

// to moves the cursor to yaml.v3's line:col, forward when it can, and
// returns small's line and column of that place.
func (c *yamlCursor) to(line, col int) (int, int) {
	if line < c.line || line == c.line && col < c.col {
		*c = *newYAMLCursor(c.src)
	}
	for c.line < line && c.off < len(c.src) {
		for c.off < len(c.src) {
			if n := yamlBreak(c.src[c.off:]); n > 0 {
				c.off += n
				break
			}
			c.off++
		}
		c.line, c.col = c.line+1, 1
	}
	for c.col < col && c.off < len(c.src) && yamlBreak(c.src[c.off:]) == 0 {
		_, size := utf8.DecodeRune(c.src[c.off:])
		c.off += size
		c.col++
	}
	l, bc := c.lines.at(c.off)
	// A place past the end of its line (yaml.v3 may put a null there).
	return l, bc + max(0, col-c.col)
}

// yamlBreak is the length of the line break yaml.v3 sees at the start of b, or 0.
func yamlBreak(b []byte) int {
	switch {
	case len(b) == 0:
		return 0
	case b[0] == '\r' && len(b) > 1 && b[1] == '\n':
		return 2
	case b[0] == '\r' || b[0] == '\n':
		return 1
	case bytes.HasPrefix(b, []byte("\u0085")):
		return 2
	case bytes.HasPrefix(b, []byte("\u2028")), bytes.HasPrefix(b, []byte("\u2029")):
		return 3
	}
	return 0
}

// plainPositions reports whether yaml.v3's positions in src are small's:
// ASCII text without \r.
func plainPositions(src []byte) bool {
	for _, b := range src {
		if b >= utf8.RuneSelf || b == '\r' {
			return false
		}
	}
	return true
}

// yamlPosition converts one of yaml.v3's positions to small's.
func yamlPosition(src []byte, line, col int) (int, int) {
	if plainPositions(src) {
		return line, col
	}
	return newYAMLCursor(src).to(line, col)
}

// bytePositions rewrites the position of every node under root from
// yaml.v3's to small's, in one pass over src. yaml.v3 places a null that ends
// the input on a line of its own; it is put just after the input instead.
func bytePositions(root *yaml.Node, src []byte) {
	plain := plainPositions(src)
	if plain && bytes.HasSuffix(src, []byte{'\n'}) {
		return // the end of the input is the start of a line yaml.v3 counts too
	}
	var nodes []*yaml.Node
	var walk func(n *yaml.Node)
	walk = func(n *yaml.Node) {
		nodes = append(nodes, n)
		for _, c := range n.Content {
			walk(c)
		}
	}
	walk(root)
	if !plain {
		slices.SortStableFunc(nodes, func(a, b *yaml.Node) int {
			if a.Line != b.Line {
				return a.Line - b.Line
			}
			return a.Column - b.Column
		})
		c := newYAMLCursor(src)
		for _, n := range nodes {
			n.Line, n.Column = c.to(n.Line, n.Column)
		}
	}
	endLine, endCol := lineCol(src, len(src))
	for _, n := range nodes {
		if n.Line > endLine || n.Line == endLine && n.Column > endCol {
			n.Line, n.Column = endLine, endCol
		}
	}
}
