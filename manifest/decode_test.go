package manifest

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"cuelang.org/go/cue/format"

	"github.com/smallhq/small/diag"
)

// billionLaughs is the classic alias bomb: 9 levels of 9 aliases, 9^9 nodes
// once expanded.
const billionLaughs = `kind: A
a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
`

// mergeBomb expands exponentially through merge keys of empty mappings,
// which produce no values for an alias count to see.
func mergeBomb(levels, width int) string {
	var b strings.Builder
	b.WriteString("kind: A\nm0: &m0 {}\n")
	for i := 1; i <= levels; i++ {
		refs := make([]string, width)
		for j := range refs {
			refs[j] = fmt.Sprintf("*m%d", i-1)
		}
		fmt.Fprintf(&b, "m%d: &m%d {<<: [%s]}\n", i, i, strings.Join(refs, ", "))
	}
	return b.String()
}

// nested is a manifest whose value x nests depth-1 flow lists inside the top
// level mapping, which makes depth levels in all.
func nested(depth int, open, close string) string {
	return "kind: A\nx: " + strings.Repeat(open, depth-1) + strings.Repeat(close, depth-1) + "\n"
}

// nestedJSON is nested for JSON.
func nestedJSON(depth int) string {
	return `{"kind": "A", "x": ` + strings.Repeat("[", depth-1) + strings.Repeat("]", depth-1) + "}"
}

// blockNested nests block mappings depth levels deep, the top level included.
func blockNested(depth int) string {
	var b strings.Builder
	b.WriteString("kind: A\n")
	for i := 0; i < depth-1; i++ {
		fmt.Fprintf(&b, "%sk:\n", strings.Repeat(" ", i))
	}
	fmt.Fprintf(&b, "%sk: 1\n", strings.Repeat(" ", depth-1))
	return b.String()
}

func TestDecodeErrors(t *testing.T) {
	tests := []struct {
		name      string
		path      string // default m.yaml
		src       string
		lim       *Limits
		code      string
		line, col int
		msg       string // a part of the message
	}{
		// Malformed YAML. yaml.v3 gives a line only: the column is 1.
		{name: "yaml/unclosed flow list", src: "kind: A\nx: [1, 2\ny: 3\n", code: diag.CodeParse, line: 2, col: 1, msg: "invalid YAML: did not find expected ',' or ']'"},
		{name: "yaml/unclosed flow mapping", src: "kind: A\nx: {a: 1\n", code: diag.CodeParse, line: 2, col: 1, msg: "invalid YAML: did not find expected ',' or '}'"},
		{name: "yaml/colon in value, first line", src: "a: b: c\n", code: diag.CodeParse, line: 1, col: 1, msg: "invalid YAML: mapping values are not allowed in this context"},
		{name: "yaml/colon in value", src: "kind: A\nx: 1\nb: c: d\n", code: diag.CodeParse, line: 3, col: 1, msg: "mapping values are not allowed"},
		{name: "yaml/bad indentation", src: "kind: A\nx: 1\n  y: 2\n", code: diag.CodeParse, line: 3, col: 1, msg: "mapping values are not allowed"},
		{name: "yaml/list item in mapping", src: "kind: A\n- x\n", code: diag.CodeParse, line: 2, col: 1, msg: "invalid YAML: did not find expected key"},
		{name: "yaml/list item in mapping, later", src: "kind: A\nx: 1\ny: 2\n- z\n", code: diag.CodeParse, line: 4, col: 1, msg: "did not find expected key"},
		{name: "yaml/tab indentation", src: "kind: A\n\tx: 1\n", code: diag.CodeParse, line: 2, col: 1, msg: "found a tab character that violates indentation"},
		{name: "yaml/unclosed double quote", src: "kind: A\nx: \"abc\n", code: diag.CodeParse, line: 2, col: 1, msg: "found unexpected end of stream"},
		{name: "yaml/unclosed single quote", src: "kind: A\nx: 'abc\n", code: diag.CodeParse, line: 2, col: 1, msg: "found unexpected end of stream"},
		{name: "yaml/reserved character", src: "kind: A\nx: @foo\n", code: diag.CodeParse, line: 2, col: 1, msg: "found character that cannot start any token"},
		{name: "yaml/unknown escape", src: "kind: A\nx: \"\\q\"\n", code: diag.CodeParse, line: 2, col: 1, msg: "found unknown escape character"},
		{name: "yaml/unknown directive", src: "%FOO\nkind: A\n", code: diag.CodeParse, line: 1, col: 1, msg: "invalid YAML:"},
		{name: "yaml/undefined alias", src: "kind: A\nx: *nope\n", code: diag.CodeParse, line: 2, col: 4, msg: "invalid YAML: alias *nope refers to no anchor: expected &nope on a value before it"},
		{name: "yaml/undefined alias in a list", src: "kind: A\nx: [a, *nope]\n", code: diag.CodeParse, line: 2, col: 8, msg: "alias *nope refers to no anchor"},
		{name: "yaml/alias before its anchor", src: "kind: A\nx: *a\ny: &a 1\n", code: diag.CodeParse, line: 2, col: 4, msg: "alias *a refers to no anchor"},
		{name: "yaml/undefined alias, the name in a string first", src: "kind: A\ns: \"*n\"\nx: *n\n", code: diag.CodeParse, line: 3, col: 4, msg: "alias *n refers to no anchor"},
		// yaml.v3 puts the end of the input on a line of its own.
		{name: "yaml/end of input, no line break", src: "[", code: diag.CodeParse, line: 1, col: 2, msg: "invalid YAML: did not find expected node content"},
		{name: "yaml/end of input after a line break", src: "kind: A\nx: {a: [1,\n", code: diag.CodeParse, line: 2, col: 11, msg: "invalid YAML:"},
		{name: "yaml/error in a second document", src: "kind: A\n---\nx: [\n", code: diag.CodeParse, line: 3, col: 5, msg: "in a second YAML document: invalid YAML: did not find expected node content"},

		// Malformed or non-strict JSON: columns are exact.
		{name: "json/trailing comma", path: "m.json", src: `{"kind": "A", "x": 1,}`, code: diag.CodeParse, line: 1, col: 22, msg: "invalid JSON: invalid character '}' looking for beginning of object key string"},
		{name: "json/trailing comma in a list", path: "m.json", src: "{\"kind\": \"A\",\n \"x\": [1, 2,]}", code: diag.CodeParse, line: 2, col: 13, msg: "invalid JSON: invalid character ']'"},
		{name: "json/line comment", path: "m.json", src: "{\"kind\": \"A\", // c\n\"x\": 1}", code: diag.CodeParse, line: 1, col: 15, msg: "invalid character '/'"},
		{name: "json/block comment", path: "m.json", src: "/* c */ {\"kind\": \"A\"}", code: diag.CodeParse, line: 1, col: 1, msg: "invalid character '/' looking for beginning of value"},
		{name: "json/single quotes", path: "m.json", src: `{'kind': 'A'}`, code: diag.CodeParse, line: 1, col: 2, msg: "invalid character '\\''"},
		{name: "json/unquoted key", path: "m.json", src: `{kind: "A"}`, code: diag.CodeParse, line: 1, col: 2, msg: "invalid character 'k' looking for beginning of object key string"},
		{name: "json/NaN", path: "m.json", src: `{"kind": "A", "x": NaN}`, code: diag.CodeParse, line: 1, col: 20, msg: "invalid character 'N'"},
		{name: "json/leading zero", path: "m.json", src: `{"kind": "A", "x": 01}`, code: diag.CodeParse, line: 1, col: 21, msg: "invalid character '1' after object key:value pair"},
		{name: "json/unterminated", path: "m.json", src: "{\"kind\": \"A\",\n \"x\": [1", code: diag.CodeParse, line: 2, col: 8, msg: "invalid JSON: unexpected end of file"},
		{name: "json/YAML is not JSON", path: "m.json", src: "kind: A\n", code: diag.CodeParse, line: 1, col: 1, msg: "invalid character 'k' looking for beginning of value"},
		{name: "json/control character in a string", path: "m.json", src: "{\"kind\": \"A\tB\"}", code: diag.CodeParse, line: 1, col: 12, msg: "invalid character '\\t' in string literal"},
		{name: "json/byte order mark", path: "m.json", src: "\ufeff{\"kind\": \"A\"}", code: diag.CodeParse, line: 1, col: 1, msg: "invalid JSON: a byte order mark (U+FEFF) at the start"},
		{name: "json/two values", path: "m.json", src: "{\"kind\": \"A\"}\n{\"kind\": \"B\"}\n", code: diag.CodeMultiDocument, line: 2, col: 1, msg: "data after the first JSON value: expected one manifest per file"},
		{name: "json/garbage after the value", path: "m.json", src: "{\"kind\": \"A\"} x", code: diag.CodeMultiDocument, line: 1, col: 15, msg: "data after the first JSON value"},
		{name: "json/empty", path: "m.json", src: "", code: diag.CodeEmpty, msg: "empty file: expected a JSON object with at least a kind field"},
		{name: "json/blank", path: "m.json", src: " \n\t\n", code: diag.CodeEmpty, msg: "empty file"},
		{name: "json/null", path: "m.json", src: "null", code: diag.CodeNotMapping, line: 1, col: 1, msg: "top level is null: expected a mapping"},
		{name: "json/list", path: "m.json", src: "\n  [1, 2]", code: diag.CodeNotMapping, line: 2, col: 3, msg: "top level is a list: expected a mapping"},
		{name: "json/string", path: "m.json", src: `"kind"`, code: diag.CodeNotMapping, line: 1, col: 1, msg: "top level is a string"},
		{name: "json/number", path: "m.json", src: `42`, code: diag.CodeNotMapping, line: 1, col: 1, msg: "top level is a number"},
		{name: "json/duplicate key", path: "m.json", src: "{\"kind\": \"A\",\n \"x\": 1,\n \"x\": 2}", code: diag.CodeDuplicateKey, line: 3, col: 2, msg: `duplicate key "x" (first at line 2): expected each key once`},
		{name: "json/nested duplicate key", path: "m.json", src: `{"kind": "A", "x": {"é": 1, "é": 2}}`, code: diag.CodeDuplicateKey, line: 1, col: 30, msg: `duplicate key "é"`},

		// Alias bombs fail fast, at the alias whose expansion passes the limit.
		{name: "aliases/billion laughs", src: billionLaughs, code: diag.CodeAliases, line: 6, col: 8, msg: "aliases expand to more than 10000 nodes by *d here (limits.aliasNodes)"},
		{name: "aliases/one big anchor, many aliases", src: "kind: A\na: &a [" + strings.Repeat("1,", 5000) + "1]\nb: [*a, *a]\n", code: diag.CodeAliases, line: 3, col: 9, msg: "by *a here"},
		{name: "aliases/merge keys of empty mappings", src: mergeBomb(12, 9), code: diag.CodeAliases, line: 6, col: 35, msg: "aliases expand to more than 10000 nodes by *m3 here"},
		{name: "aliases/lower limit", src: "kind: A\na: &a [1, 2, 3]\nb: *a\n", lim: &Limits{MaxAliasNodes: 3}, code: diag.CodeAliases, line: 3, col: 4, msg: "more than 3 nodes by *a here"},
		{name: "aliases/anchor contains itself", src: "kind: A\na: &a [*a]\n", code: diag.CodeAliases, line: 2, col: 8, msg: `anchor "a" contains itself`},
		{name: "aliases/anchor contains itself, deeper", src: "kind: A\na: &a {b: [1, {c: *a}]}\n", code: diag.CodeAliases, line: 2, col: 19, msg: `anchor "a" contains itself`},
		{name: "aliases/merge of itself", src: "kind: A\na: &a {<<: *a}\n", code: diag.CodeAliases, line: 2, col: 12, msg: `anchor "a" contains itself`},
		{name: "aliases/merge of itself, block", src: "kind: A\na: &a\n  x: 1\n  b:\n    <<: *a\n", code: diag.CodeAliases, line: 5, col: 9, msg: `anchor "a" contains itself`},
		{name: "aliases/merge of itself in a list", src: "kind: A\nb: &b {y: 1}\na: &a {<<: [*b, *a]}\n", code: diag.CodeAliases, line: 3, col: 17, msg: `anchor "a" contains itself`},

		// Nesting: the top level is depth 1.
		{name: "depth/flow lists", src: nested(65, "[", "]"), code: diag.CodeTooDeep, line: 2, col: 67, msg: "nesting deeper than 64 levels (limits.depth)"},
		{name: "depth/flow mappings", src: "kind: A\nx: " + strings.Repeat("{a: ", 64) + "1" + strings.Repeat("}", 64) + "\n", code: diag.CodeTooDeep, line: 2, col: 256, msg: "nesting deeper than 64 levels"},
		{name: "depth/block mappings", src: blockNested(65), code: diag.CodeTooDeep, line: 66, col: 65, msg: "nesting deeper than 64 levels"},
		{name: "depth/JSON", path: "m.json", src: nestedJSON(65), code: diag.CodeTooDeep, line: 1, col: 83, msg: "nesting deeper than 64 levels (limits.depth)"},
		{name: "depth/lower limit", src: "kind: A\nx: {y: {z: 1}}\n", lim: &Limits{MaxDepth: 2}, code: diag.CodeTooDeep, line: 2, col: 8, msg: "nesting deeper than 2 levels (limits.depth)"},
		{name: "depth/limit 1", src: "kind: A\nx: []\n", lim: &Limits{MaxDepth: 1}, code: diag.CodeTooDeep, line: 2, col: 4, msg: "nesting deeper than 1 levels"},
		{name: "depth/past the YAML parser's limit", src: "kind: A\nx: " + strings.Repeat("[", 20000), code: diag.CodeTooDeep, line: 2, col: 1, msg: "nesting deeper than 64 levels (limits.depth)"},
		{name: "depth/past the JSON parser's limit", path: "m.json", src: `{"kind": "A", "x": ` + strings.Repeat("[", 20000), code: diag.CodeTooDeep, line: 1, col: 10019, msg: "nesting deeper than 64 levels (limits.depth)"},
		{name: "depth/past the parsers' limit, no limit set", src: "kind: A\nx: " + strings.Repeat("[", 20000), lim: &Limits{}, code: diag.CodeTooDeep, line: 2, col: 1, msg: "nesting deeper than 10000 levels"},
		{name: "depth/through an alias", src: "kind: A\na: &a [[[1]]]\nb: [[*a]]\n", lim: &Limits{MaxDepth: 5}, code: diag.CodeTooDeep, line: 3, col: 6, msg: "nesting deeper than 5 levels (limits.depth) through *a here"},

		// Size.
		{name: "size/over the limit", src: "kind: A\nx: 12345\n", lim: &Limits{MaxBytes: 16}, code: diag.CodeTooLarge, msg: "file is 17 bytes, more than the limit of 16"},
		{name: "size/default limit", src: "kind: A\nx: " + strings.Repeat("a", 1<<20), code: diag.CodeTooLarge, msg: "file is 1048587 bytes, more than the limit of 1048576"},

		// Encoding and binary data.
		{name: "utf8/invalid byte", src: "kind: A\nx: \xff\n", code: diag.CodeEncoding, line: 2, col: 4, msg: "invalid UTF-8 byte 0xff: expected UTF-8 text"},
		{name: "utf8/latin-1", src: "kind: A\nname: Jos\xe9\n", code: diag.CodeEncoding, line: 2, col: 10, msg: "invalid UTF-8 byte 0xe9"},
		{name: "utf8/after valid multibyte", src: "kind: A\nx: éé\xc3\n", code: diag.CodeEncoding, line: 2, col: 8, msg: "invalid UTF-8 byte 0xc3"},
		{name: "utf8/encoded surrogate", src: "kind: A\nx: \xed\xa0\x80\n", code: diag.CodeEncoding, line: 2, col: 4, msg: "invalid UTF-8 byte 0xed"},
		{name: "utf8/overlong", src: "kind: \xc0\xaf\n", code: diag.CodeEncoding, line: 1, col: 7, msg: "invalid UTF-8 byte 0xc0"},
		{name: "utf8/JSON", path: "m.json", src: "{\"kind\": \"\xfe\"}", code: diag.CodeEncoding, line: 1, col: 11, msg: "invalid UTF-8 byte 0xfe"},
		{name: "binary/NUL", src: "kind: A\nx: a\x00b\n", code: diag.CodeBinary, line: 2, col: 5, msg: "binary data (NUL byte): expected a UTF-8 text file"},
		{name: "binary/PNG header", src: "\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", code: diag.CodeBinary, line: 3, col: 1, msg: "binary data (NUL byte)"},
		{name: "binary/UTF-16", src: "\xff\xfek\x00i\x00", code: diag.CodeBinary, line: 1, col: 4, msg: "binary data"},
		{name: "binary/garbage without NUL", src: "\x8f\x01\x7f\xc8", code: diag.CodeEncoding, line: 1, col: 1, msg: "invalid UTF-8 byte 0x8f"},
		{name: "binary/ASCII garbage", src: "}{][:-?*&!%@`", code: diag.CodeParse, line: 1, col: 1, msg: "invalid YAML:"},

		// Duplicate keys, as CUE sees them.
		{name: "duplicate/top level", src: "kind: A\nname: a\nname: b\n", code: diag.CodeDuplicateKey, line: 3, col: 1, msg: `duplicate key "name" (first at line 2): expected each key once`},
		{name: "duplicate/nested", src: "kind: A\nx:\n  a: 1\n  b: 2\n  a: 3\n", code: diag.CodeDuplicateKey, line: 5, col: 3, msg: `duplicate key "a" (first at line 3)`},
		{name: "duplicate/quoted and plain", src: "kind: A\n\"a\": 1\na: 2\n", code: diag.CodeDuplicateKey, line: 3, col: 1, msg: `duplicate key "a"`},
		{name: "duplicate/null spellings", src: "kind: A\nnull: 1\nNull: 2\n", code: diag.CodeDuplicateKey, line: 3, col: 1, msg: `duplicate key "null" (first at line 2)`},
		{name: "duplicate/through an alias key", src: "&k kind: A\n*k : B\n", code: diag.CodeDuplicateKey, line: 2, col: 1, msg: `duplicate key "kind"`},
		{name: "duplicate/flow mapping", src: "kind: A\nx: {a: 1, a: 2}\n", code: diag.CodeDuplicateKey, line: 2, col: 11, msg: `duplicate key "a"`},
		{name: "duplicate/in a merged mapping", src: "kind: A\nb: &b {x: 1, x: 2}\nc: {<<: *b}\n", code: diag.CodeDuplicateKey, line: 2, col: 14, msg: `duplicate key "x"`},

		// The top level.
		{name: "top/list", src: "- kind: A\n", code: diag.CodeNotMapping, line: 1, col: 1, msg: "top level is a list: expected a mapping"},
		{name: "top/string", src: "hello\n", code: diag.CodeNotMapping, line: 1, col: 1, msg: "top level is a string: expected a mapping"},
		{name: "top/number", src: "# c\n42\n", code: diag.CodeNotMapping, line: 2, col: 1, msg: "top level is a number"},
		{name: "top/boolean", src: "true\n", code: diag.CodeNotMapping, line: 1, col: 1, msg: "top level is a boolean"},
		{name: "top/after a document marker", src: "--- [a]\n", code: diag.CodeNotMapping, line: 1, col: 5, msg: "top level is a list"},

		// Empty files.
		{name: "empty/no bytes", src: "", code: diag.CodeEmpty, msg: "empty file: expected a mapping with at least a kind field"},
		{name: "empty/blank lines", src: "\n\n  \n", code: diag.CodeEmpty, msg: "empty file"},
		{name: "empty/comments only", src: "# kind: A\n# id: x\n", code: diag.CodeEmpty, msg: "empty file"},
		{name: "empty/byte order mark only", src: "\ufeff", code: diag.CodeEmpty, msg: "empty file"},
		{name: "empty/document marker", src: "---\n", code: diag.CodeEmpty, msg: "empty document: expected a mapping with at least a kind field"},
		{name: "empty/null", src: "~\n", code: diag.CodeEmpty, line: 1, col: 1, msg: "empty document"},

		// Multi-document YAML.
		{name: "multi/two documents", src: "kind: A\n---\nkind: B\n", code: diag.CodeMultiDocument, line: 2, col: 1, msg: "a second YAML document: expected one manifest per file"},
		{name: "multi/markers", src: "---\nkind: A\n---\nkind: B\n", code: diag.CodeMultiDocument, line: 3, col: 1, msg: "a second YAML document"},
		{name: "multi/empty second document", src: "kind: A\n---\n", code: diag.CodeMultiDocument, line: 2, col: 1, msg: "a second YAML document"},

		// Values CUE cannot represent, and other refusals.
		{name: "value/infinity", src: "kind: A\nx: .inf\n", code: diag.CodeParse, line: 2, col: 4, msg: ".inf: infinity and NaN are not numbers in CUE"},
		{name: "value/negative infinity", src: "kind: A\nx: [-.Inf]\n", code: diag.CodeParse, line: 2, col: 5, msg: "-.Inf: infinity and NaN"},
		{name: "value/NaN", src: "kind: A\nx: .NaN\n", code: diag.CodeParse, line: 2, col: 4, msg: ".NaN: infinity and NaN"},
		{name: "value/unknown tag", src: "kind: A\nx: !custom 1\n", code: diag.CodeParse, line: 2, col: 4, msg: "unsupported YAML tag !custom"},
		{name: "value/bad base64", src: "kind: A\nx: !!binary \"%%%\"\n", code: diag.CodeParse, line: 2, col: 4, msg: "!!binary value is not valid base64"},
		{name: "value/tagged int", src: "kind: A\nx: !!int abc\n", code: diag.CodeParse, line: 2, col: 4, msg: `cannot read "abc" as an integer`},
		// As CUE's YAML decoder (and so cue vet) does, a signed YAML 1.1 octal is refused.
		{name: "value/signed octal", src: "kind: A\nx: -0123\n", code: diag.CodeParse, line: 2, col: 4, msg: `cannot read "-0123" as an integer`},
		{name: "value/tagged float", src: "kind: A\nx: !!float abc\n", code: diag.CodeParse, line: 2, col: 4, msg: `cannot read "abc" as a number`},
		{name: "key/list", src: "kind: A\n? [a, b]\n: 1\n", code: diag.CodeParse, line: 2, col: 3, msg: "a list as a mapping key: expected a string key"},
		{name: "key/alias of a mapping", src: "kind: A\na: &a {x: 1}\n*a : 1\n", code: diag.CodeParse, line: 3, col: 1, msg: "a mapping as a mapping key"},
		{name: "key/infinity", src: "kind: A\n.inf: 1\n", code: diag.CodeParse, line: 2, col: 1, msg: "infinity and NaN"},
		{name: "merge/a number", src: "kind: A\nx: {<<: 1}\n", code: diag.CodeParse, line: 2, col: 9, msg: `merge key "<<" needs a mapping or a list of mappings, not a number`},
		{name: "merge/alias of a list", src: "kind: A\nl: &l [1]\nx: {<<: *l}\n", code: diag.CodeParse, line: 3, col: 9, msg: `merge key "<<" needs a mapping, not a list`},
		{name: "merge/list of lists", src: "kind: A\na: &a {x: 1}\nb: {<<: [[*a]]}\n", code: diag.CodeParse, line: 3, col: 10, msg: `needs a mapping or a list of mappings, not a list`},
		{name: "merge/list of numbers", src: "kind: A\nb: {<<: [1]}\n", code: diag.CodeParse, line: 2, col: 10, msg: `not a number`},

		// Positions are lines broken at \n and columns in bytes, whatever
		// yaml.v3 counts.
		{name: "position/multibyte characters before", src: "kind: A\nx: {a: \"éé\", a: 1}\n", code: diag.CodeDuplicateKey, line: 2, col: 16, msg: `duplicate key "a"`},
		{name: "position/CJK before", src: "kind: A\nx: [日本語, .inf]\n", code: diag.CodeParse, line: 2, col: 16, msg: ".inf"},
		{name: "position/emoji before", src: "kind: A\nx: {k: 😀😀, a: 1, a: 2}\n", code: diag.CodeDuplicateKey, line: 2, col: 24, msg: `duplicate key "a"`},
		{name: "position/line separator in a string", src: "kind: \"a\u2028b\"\nx: 1\nx: 2\n", code: diag.CodeDuplicateKey, line: 3, col: 1, msg: `duplicate key "x" (first at line 2)`},
		{name: "position/next line in a string", src: "kind: \"a\u0085b\"\nx: 1\nx: 2\n", code: diag.CodeDuplicateKey, line: 3, col: 1, msg: `duplicate key "x" (first at line 2)`},
		{name: "position/CR line breaks", src: "kind: A\rx: 1\rx: 2\r", code: diag.CodeDuplicateKey, line: 1, col: 14, msg: `duplicate key "x"`},
		{name: "position/CRLF line breaks", src: "kind: A\r\nx: 1\r\nx: 2\r\n", code: diag.CodeDuplicateKey, line: 3, col: 1, msg: `duplicate key "x" (first at line 2)`},
		{name: "position/byte order mark", src: "\ufeffkind: A\nkind: B\n", code: diag.CodeDuplicateKey, line: 2, col: 1, msg: `duplicate key "kind" (first at line 1)`},
		{name: "position/byte order mark, first line", src: "\ufeffx: .inf\n", code: diag.CodeParse, line: 1, col: 7, msg: ".inf"},
		{name: "position/parse error after a line separator", src: "kind: \"a\u2028b\"\nx: 1\n- y\n", code: diag.CodeParse, line: 3, col: 1, msg: "did not find expected key"},
		{name: "position/parse error after CR line breaks", src: "kind: A\rx: 1\r- y\r", code: diag.CodeParse, line: 1, col: 14, msg: "did not find expected key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := tt.path
			if path == "" {
				path = "manifests/m.yaml"
			}
			lim := DefaultLimits
			if tt.lim != nil {
				lim = *tt.lim
			}
			start := time.Now()
			doc, err := Decode(path, []byte(tt.src), lim)
			if d := time.Since(start); d > 10*time.Second {
				t.Errorf("Decode took %v", d)
			}
			if err == nil {
				b, _ := format.Node(doc.Fields)
				t.Fatalf("Decode: no error, got\n%s", b)
			}
			wantError(t, "Decode", err, tt.code, tt.line, tt.col, tt.msg)
		})
	}
}

func TestDecodeValues(t *testing.T) {
	tests := []struct {
		name string
		path string // default m.yaml
		src  string
		want string // the fields, as CUE
	}{
		{name: "integers", src: "kind: A\na: 1\nb: -1\nc: +12\nd: 0x1F\ne: -0x1f\nf: 0o17\ng: 0b101\nh: 1_000\ni: 0\n",
			want: `kind: "A", a: 1, b: -1, c: 12, d: 0x1F, e: -0x1f, f: 0o17, g: 0b101, h: 1_000, i: 0`},
		// YAML 1.1 octal, as CUE reads it: 0123 is 0o123; 0129 and 01289 are
		// not octal, so they are strings.
		{name: "octal-looking", src: "kind: A\na: 0123\nb: 0129\nc: 01289\nd: -01289\ne: \"0123\"\nf: 0.5\ng: 0o17\n",
			want: `kind: "A", a: 0o123, b: "0129", c: "01289", d: "-01289", e: "0123", f: 0.5, g: 0o17`},
		{name: "floats", src: "kind: A\na: 1.5\nb: 1e3\nc: .5\nd: -.5\ne: 1.\nf: 6.02e+23\ng: -1.5E-3\n",
			want: `kind: "A", a: 1.5, b: 1e3, c: 0.5, d: -0.5, e: 1.0, f: 6.02e+23, g: -1.5e-3`},
		// YAML 1.2: yes, no, on and off are strings.
		{name: "booleans", src: "kind: A\na: true\nb: True\nc: FALSE\nd: yes\ne: no\nf: on\ng: off\n",
			want: `kind: "A", a: true, b: true, c: false, d: "yes", e: "no", f: "on", g: "off"`},
		{name: "null", src: "kind: A\na: null\nb: ~\nc: Null\nd:\ne: \"null\"\n",
			want: `kind: "A", a: null, b: null, c: null, d: null, e: "null"`},
		{name: "timestamps are strings", src: "kind: A\na: 2001-12-14t21:59:43.10-05:00\nb: 2026-01-15\nc: 2026-01-15T09:00:00Z\n",
			want: `kind: "A", a: "2001-12-14t21:59:43.10-05:00", b: "2026-01-15", c: "2026-01-15T09:00:00Z"`},
		{name: "strings", src: "kind: A\na: hello world\nb: '123'\nc: \"a\\tb\"\nd: |\n  two\n  lines\ne: >\n  folded\n  text\n",
			want: `kind: "A", a: "hello world", b: "123", c: "a\tb", d: "two\nlines\n", e: "folded text\n"`},
		{name: "binary", src: "kind: A\na: !!binary aGVsbG8=\n", want: `kind: "A", a: 'hello'`},
		{name: "explicit string tag", src: "kind: A\na: !!str 123\nb: !!float 1\n", want: `kind: "A", a: "123", b: 1`},
		{name: "non-string keys", src: "kind: A\n1: a\ntrue: b\nNull: c\n0x10: d\n", want: `kind: "A", "1": "a", true: "b", null: "c", "0x10": "d"`},
		{name: "anchors and aliases", src: "kind: A\ntags: &t [a, b]\nmore: *t\nname: &n Ada\nby: *n\n",
			want: `kind: "A", tags: ["a", "b"], more: ["a", "b"], name: "Ada", by: "Ada"`},
		{name: "alias of a mapping", src: "kind: A\na: &a {x: 1, y: [2]}\nb: *a\n",
			want: `kind: "A", a: {x: 1, y: [2]}, b: {x: 1, y: [2]}`},
		{name: "alias as a key", src: "kind: A\nk: &k name\n*k : Ada\n", want: `kind: "A", k: "name", name: "Ada"`},
		// Keys written out win over merged ones; earlier merges over later.
		{name: "merge key", src: "kind: A\nbase: &base {color: red, size: 1}\nitem:\n  <<: *base\n  size: 2\n",
			want: `kind: "A", base: {color: "red", size: 1}, item: {size: 2, color: "red"}`},
		{name: "merge key list", src: "kind: A\na: &a {x: 1, y: 1}\nb: &b {y: 2, z: 2}\nc: {<<: [*a, *b], z: 3}\n",
			want: `kind: "A", a: {x: 1, y: 1}, b: {y: 2, z: 2}, c: {z: 3, x: 1, y: 1}`},
		{name: "merge key inline", src: "kind: A\nc: {<<: {x: 1}, y: 2}\n", want: `kind: "A", c: {y: 2, x: 1}`},
		{name: "merge key, nested merges", src: "kind: A\na: &a {x: 1}\nb: &b {<<: *a, y: 2}\nc: {<<: *b}\n",
			want: `kind: "A", a: {x: 1}, b: {y: 2, x: 1}, c: {y: 2, x: 1}`},
		{name: "quoted << is a key", src: "kind: A\n\"<<\": 1\n", want: `kind: "A", "<<": 1`},
		{name: "YAML reads JSON", src: `{"kind": "A", "x": [1, 2.5, true, null]}`, want: `kind: "A", x: [1, 2.5, true, null]`},
		{name: "byte order mark", src: "\ufeffkind: A\n", want: `kind: "A"`},
		{name: "CRLF", src: "kind: A\r\nx: 1\r\n", want: `kind: "A", x: 1`},
		{name: "document markers", src: "---\nkind: A\n...\n", want: `kind: "A"`},
		{name: "comments", src: "# head\nkind: A # line\n# foot\n", want: `kind: "A"`},
		{name: "aliases at the limit", src: "kind: A\na: &a 1\nb: [" + strings.Repeat("*a, ", 9999) + "*a]\n"},
		{name: "depth at the limit, flow", src: nested(64, "[", "]")},
		{name: "depth at the limit, block", src: blockNested(64)},

		// JSON is read as JSON, not as YAML.
		{name: "JSON", path: "m.json", src: "{\n  \"kind\": \"A\",\n  \"x\": [1, -2.5e3, true, false, null, \"s\"],\n  \"y\": {}\n}\n",
			want: `kind: "A", x: [1, -2.5e3, true, false, null, "s"], y: {}`},
		{name: "JSON surrogate pair", path: "m.json", src: `{"kind": "A", "x": "\ud83d\ude00 \u00e9 \/ \n"}`, want: `kind: "A", x: "😀 é / \n"`},
		{name: "JSON big numbers stay numbers", path: "m.json", src: `{"kind": "A", "i": 123456789012345678901234567890, "f": 1e400, "z": -0, "e": 1.5E+3}`,
			want: `kind: "A", i: 123456789012345678901234567890, f: 1e400, z: -0, e: 1.5e+3`},
		{name: "JSON key on its own line", path: "m.json", src: "{\"kind\"\n  : \"A\"}", want: `kind: "A"`},
		{name: "JSON long key", path: "m.json", src: `{"kind": "A", "` + strings.Repeat("k", 2000) + `": 1}`, want: `kind: "A", ` + strings.Repeat("k", 2000) + `: 1`},
		{name: "JSON YAML syntax in strings", path: "m.json", src: `{"kind": "A", "<<": {"x": 1}, "y": "*a", "z": "0123", "n": "null"}`,
			want: `kind: "A", "<<": {x: 1}, y: "*a", z: "0123", n: "null"`},
		{name: "JSON .yml is YAML", path: "m.yml", src: "kind: A # a comment\n", want: `kind: "A"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := tt.path
			if path == "" {
				path = "manifests/m.yaml"
			}
			doc, err := Decode(path, []byte(tt.src), DefaultLimits)
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if tt.want == "" {
				return
			}
			if got := oneLine(t, doc); got != tt.want {
				t.Errorf("Decode:\n got %s\nwant %s", got, tt.want)
			}
		})
	}
}

// oneLine formats the fields of a document as CUE on one line.
func oneLine(t *testing.T, doc *Document) string {
	t.Helper()
	b, err := format.Node(doc.Fields)
	if err != nil {
		t.Fatalf("format: %v", err)
	}
	s := strings.TrimSpace(string(b))
	s = strings.TrimSuffix(strings.TrimPrefix(s, "{"), "}")
	var parts []string
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			parts = append(parts, l)
		}
	}
	s = strings.Join(parts, ", ")
	for _, r := range []struct{ old, new string }{{"{, ", "{"}, {", }", "}"}, {"[, ", "["}, {", ]", "]"}, {":  ", ": "}} {
		for strings.Contains(s, r.old) {
			s = strings.ReplaceAll(s, r.old, r.new)
		}
	}
	return s
}

func TestDecodeLimitsZero(t *testing.T) {
	// Zero limits mean no limit of small's own.
	src := billionLaughs[:strings.Index(billionLaughs, "e:")]
	if _, err := Decode("m.yaml", []byte(src), Limits{}); err != nil {
		t.Fatalf("Decode with no limits: %v", err)
	}
	if _, err := Decode("m.yaml", []byte(nested(500, "[", "]")), Limits{}); err != nil {
		t.Fatalf("Decode with no limits: %v", err)
	}
}

func TestDecodeHostileIsFast(t *testing.T) {
	// Each of these is at most 1 MiB and must be refused, or read, quickly.
	big := func(unit string) string { return strings.Repeat(unit, (1<<20-64)/len(unit)) }
	inputs := map[string]string{
		"billion laughs":       billionLaughs,
		"merge bomb":           mergeBomb(20, 50),
		"flow nesting":         "kind: A\nx: " + big("["),
		"block nesting":        "kind: A\nx:\n" + big("- "),
		"mapping nesting":      "kind: A\nx: " + big("{a: "),
		"JSON nesting":         `{"kind": "A", "x": ` + big("["),
		"many aliases":         "kind: A\na: &a [1, 2, 3]\nb: [" + big("*a, ") + "]\n",
		"many anchors":         "kind: A\nx:\n" + big("- &a x\n"),
		"many documents":       "kind: A\n" + big("---\n"),
		"one long line":        "kind: A\nx: " + big("a "),
		"many keys":            "kind: A\n" + big("? x\n"),
		"unicode line breaks":  "kind: A\nx: \"" + big("\u2028") + "\"\n",
		"CR line breaks":       "kind: A\r" + big("x: [1, é]\r"),
		"many non-ASCII nodes": "kind: A\nx: [" + big("é, ") + "]\n",
	}
	for name, src := range inputs {
		t.Run(name, func(t *testing.T) {
			for _, path := range []string{"m.yaml", "m.json"} {
				start := time.Now()
				doc, err := Decode(path, []byte(src), DefaultLimits)
				if err == nil {
					doc.Identity()
					doc.Position([]string{"x", "0", "y"})
				}
				if d := time.Since(start); d > 10*time.Second { // generous: the race detector, slow machines
					t.Errorf("%s: Decode took %v", path, d)
				}
			}
		})
	}
}

// TestNodeLimit bounds the values of one manifest, in YAML and JSON, where
// the limit is crossed, so that CUE never sees a pathologically wide file.
func TestNodeLimit(t *testing.T) {
	lim := DefaultLimits
	lim.MaxNodes = 100
	var y, j strings.Builder
	y.WriteString("kind: A\nx:\n")
	j.WriteString(`{"kind": "A", "x": [`)
	for i := range 200 {
		fmt.Fprintf(&y, "  - %d\n", i)
		if i > 0 {
			j.WriteString(",")
		}
		fmt.Fprintf(&j, "%d", i)
	}
	j.WriteString("]}")
	for name, src := range map[string]string{"m.yaml": y.String(), "m.json": j.String()} {
		_, err := Decode(name, []byte(src), lim)
		var e *Error
		if !errors.As(err, &e) || e.Code != diag.CodeTooManyValues || e.Line == 0 {
			t.Errorf("%s: got %v, want %s at a position", name, err, diag.CodeTooManyValues)
			continue
		}
		if !strings.Contains(e.Msg, "more than 100 values in one manifest (limits.nodes)") {
			t.Errorf("%s: message %q", name, e.Msg)
		}
	}
	if _, err := Decode("m.yaml", []byte(y.String()), DefaultLimits); err != nil {
		t.Errorf("200 values under the default limit: %v", err)
	}
}

// wantError checks that err is an *Error with the given code, position and
// message part, and that its message is one line of text.
func wantError(t *testing.T, what string, err error, code string, line, col int, msg string) {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("%s: %T %v, want an *Error", what, err, err)
	}
	if e.Code != code || e.Line != line || e.Column != col || !strings.Contains(e.Msg, msg) {
		t.Errorf("%s:\n got %s %d:%d %q\nwant %s %d:%d %q", what, e.Code, e.Line, e.Column, e.Msg, code, line, col, msg)
	}
	if strings.ContainsAny(e.Msg, "\n\r\x00") {
		t.Errorf("%s: message is not one line of text: %q", what, e.Msg)
	}
}
