package main

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// The generator builds each manifest as an ordered tree of these values and
// writes it as YAML or JSON.
type (
	kv struct {
		k string
		v any
	}
	obj []kv
	// date is written unquoted in YAML (a YAML timestamp, which both small
	// and cue read as a string) and as a string in JSON.
	date string
	// text is a multi-line string: a literal block (|) in YAML.
	text string
	// flow is a list written in flow style ([a, b]) in YAML.
	flow []any
)

func (o obj) get(k string) any {
	for _, e := range o {
		if e.k == k {
			return e.v
		}
	}
	return nil
}

// set replaces the value of k, or appends k.
func (o *obj) set(k string, v any) {
	for i, e := range *o {
		if e.k == k {
			(*o)[i].v = v
			return
		}
	}
	*o = append(*o, kv{k, v})
}

func (o *obj) del(k string) {
	for i, e := range *o {
		if e.k == k {
			*o = append((*o)[:i], (*o)[i+1:]...)
			return
		}
	}
}

// rename changes a key in place, keeping its position.
func (o *obj) rename(from, to string) {
	for i, e := range *o {
		if e.k == from {
			(*o)[i].k = to
			return
		}
	}
}

// ---- YAML ----

func toYAML(o obj) []byte {
	var b bytes.Buffer
	yamlMapping(&b, o, 0)
	return b.Bytes()
}

func yamlMapping(b *bytes.Buffer, o obj, indent int) {
	for _, e := range o {
		b.WriteString(strings.Repeat(" ", indent))
		yamlEntry(b, e, indent)
	}
}

// yamlEntry writes "key: value\n" (or a nested block) for a key already
// indented to indent.
func yamlEntry(b *bytes.Buffer, e kv, indent int) {
	b.WriteString(e.k)
	b.WriteString(":")
	switch v := e.v.(type) {
	case obj:
		if len(v) == 0 {
			b.WriteString(" {}\n")
			return
		}
		b.WriteString("\n")
		yamlMapping(b, v, indent+2)
	case []any:
		if len(v) == 0 {
			b.WriteString(" []\n")
			return
		}
		b.WriteString("\n")
		yamlSequence(b, v, indent+2)
	case flow:
		b.WriteString(" [")
		for i, x := range v {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(yamlScalar(x, true))
		}
		b.WriteString("]\n")
	case text:
		b.WriteString(" |\n")
		for _, line := range strings.Split(strings.TrimSuffix(string(v), "\n"), "\n") {
			if line != "" {
				b.WriteString(strings.Repeat(" ", indent+2))
				b.WriteString(line)
			}
			b.WriteString("\n")
		}
	default:
		b.WriteString(" ")
		b.WriteString(yamlScalar(v, false))
		b.WriteString("\n")
	}
}

func yamlSequence(b *bytes.Buffer, l []any, indent int) {
	for _, x := range l {
		b.WriteString(strings.Repeat(" ", indent))
		b.WriteString("- ")
		switch v := x.(type) {
		case obj:
			for i, e := range v {
				if i > 0 {
					b.WriteString(strings.Repeat(" ", indent+2))
				}
				yamlEntry(b, e, indent+2)
			}
		default:
			b.WriteString(yamlScalar(v, false))
			b.WriteString("\n")
		}
	}
}

var yamlKeywords = map[string]bool{
	"true": true, "false": true, "yes": true, "no": true, "on": true, "off": true,
	"y": true, "n": true, "null": true, "~": true,
}

// yamlScalar writes a scalar plain when that reads back as the same string,
// double-quoted otherwise.
func yamlScalar(x any, inFlow bool) string {
	switch v := x.(type) {
	case string:
		if plainOK(v, inFlow) {
			return v
		}
		return quote(v)
	case date:
		return string(v)
	case text:
		return quote(string(v))
	case int:
		return strconv.Itoa(v)
	case float64:
		return formatFloat(v)
	case bool:
		return strconv.FormatBool(v)
	case nil:
		return "null"
	}
	panic("yamlScalar: unexpected value")
}

func plainOK(s string, inFlow bool) bool {
	if s == "" || yamlKeywords[strings.ToLower(s)] {
		return false
	}
	first, _ := utf8.DecodeRuneInString(s)
	if !unicode.IsLetter(first) {
		return false
	}
	if strings.ContainsAny(s, "\n\t\"\\{}[]#`|>*!%") || strings.Contains(s, ": ") ||
		strings.HasSuffix(s, ":") || strings.HasSuffix(s, " ") {
		return false
	}
	if inFlow && strings.ContainsAny(s, ",") {
		return false
	}
	return true
}

func quote(s string) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(s); err != nil {
		panic(err)
	}
	return strings.TrimSuffix(b.String(), "\n")
}

func formatFloat(f float64) string {
	return strconv.FormatFloat(f, 'f', -1, 64)
}

// ---- JSON ----

func toJSON(o obj) []byte {
	var b bytes.Buffer
	jsonValue(&b, o, 0)
	b.WriteString("\n")
	return b.Bytes()
}

func jsonValue(b *bytes.Buffer, x any, indent int) {
	pad := strings.Repeat("  ", indent+1)
	switch v := x.(type) {
	case obj:
		if len(v) == 0 {
			b.WriteString("{}")
			return
		}
		b.WriteString("{\n")
		for i, e := range v {
			b.WriteString(pad)
			b.WriteString(quote(e.k))
			b.WriteString(": ")
			jsonValue(b, e.v, indent+1)
			if i < len(v)-1 {
				b.WriteString(",")
			}
			b.WriteString("\n")
		}
		b.WriteString(strings.Repeat("  ", indent))
		b.WriteString("}")
	case flow:
		b.WriteString("[")
		for i, e := range v {
			if i > 0 {
				b.WriteString(", ")
			}
			jsonValue(b, e, indent+1)
		}
		b.WriteString("]")
	case []any:
		if len(v) == 0 {
			b.WriteString("[]")
			return
		}
		b.WriteString("[\n")
		for i, e := range v {
			b.WriteString(pad)
			jsonValue(b, e, indent+1)
			if i < len(v)-1 {
				b.WriteString(",")
			}
			b.WriteString("\n")
		}
		b.WriteString(strings.Repeat("  ", indent))
		b.WriteString("]")
	case string:
		b.WriteString(quote(v))
	case date:
		b.WriteString(quote(string(v)))
	case text:
		b.WriteString(quote(string(v)))
	case int:
		b.WriteString(strconv.Itoa(v))
	case float64:
		b.WriteString(formatFloat(v))
	case bool:
		b.WriteString(strconv.FormatBool(v))
	case nil:
		b.WriteString("null")
	default:
		panic("jsonValue: unexpected value")
	}
}
