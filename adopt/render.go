package adopt

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"cuelang.org/go/cue/format"
	"cuelang.org/go/cue/literal"
)

// maxTransitions is how many states get every transition between them in
// a proposed lifecycle; more get none, for a person to write.
const maxTransitions = 16

// render writes the proposed files: small.cue, then one schema per kind.
func render(rep *Report, rules []*group) []File {
	out := []File{{Path: "small.cue", Content: renderConfig(rep)}}
	for i, r := range rep.Rules {
		out = append(out, File{Path: r.Schema, Content: renderSchema(r, rules[i])})
	}
	return out
}

func renderConfig(rep *Report) string {
	var b strings.Builder
	b.WriteString(`// small.cue configures small for this repository (protocol small/v1).
// small init --adopt proposed it from the content already here; every
// field left out keeps its default. Reference: docs/config.md, and
// docs/adopting.md for what to tighten next.
protocol: "small/v1"

// The CUE package that defines the kinds: one definition (#Kind) per kind,
// inferred from the files, for you to tighten.
`)
	fmt.Fprintf(&b, "schemas: %s\n\n", literal.String.Quote(rep.Schemas))
	b.WriteString(`// The directory the rules' globs are relative to.
`)
	fmt.Fprintf(&b, "manifests: %s\n\n", literal.String.Quote(rep.Manifests))
	b.WriteString(`// A file under manifests is a manifest exactly when a rule matches it;
// the first rule that matches gives its kind and its id ($1: the text the
// * matched). A Markdown file's front matter is the manifest, and its body
// one more field (body, unless the rule names another).
files: [
`)
	for _, r := range rep.Rules {
		fmt.Fprintf(&b, "\t{glob: %s, kind: %s, id: %s", literal.String.Quote(r.Glob), literal.String.Quote(r.Kind), literal.String.Quote(r.ID))
		if r.Body != "" {
			fmt.Fprintf(&b, ", body: %s", literal.String.Quote(r.Body))
		}
		fmt.Fprintf(&b, "}, // %s\n", plural(len(r.Files), "file"))
	}
	b.WriteString("]\n")
	return formatCUE(b.String())
}

func renderSchema(r Rule, g *group) string {
	var b strings.Builder
	b.WriteString("package schemas\n\n")
	fmt.Fprintf(&b, "// %s %s is a file that matches %s in small.cue.\n", article(r.Kind), r.Kind, commentText(r.Glob))
	fmt.Fprintf(&b, "// small init --adopt inferred it from %s: every field they\n", plural(len(r.Files), "file"))
	b.WriteString("// have, required where all of them have it. Tighten it: bounds on\n")
	b.WriteString("// strings and lists, formats for dates, a field equal to the id\n")
	b.WriteString("// (name: id), @unique() and @asset() where they are meant; see\n")
	b.WriteString("// docs/adopting.md and docs/schemas.md.\n")
	fmt.Fprintf(&b, "#%s: {\n", r.Kind)
	if slices.ContainsFunc(r.Fields, func(f Field) bool { return f.EqualsID }) {
		fmt.Fprintf(&b, "\t// The id the file's path gives (%s), which small supplies.\n\tid: string\n", r.ID)
	}
	for _, f := range r.Fields {
		fs := g.top.fields[f.Name]
		var notes []string
		switch {
		case f.Body:
			notes = append(notes, "The Markdown body of the file.")
		case !f.Required:
			notes = append(notes, fmt.Sprintf("In %d of %s.", f.Files, plural(len(r.Files), "file")))
		}
		if f.EqualsID {
			notes = append(notes, "The id in every file.")
		}
		if f.Date {
			notes = append(notes, `A date in every file that has it: tighten with time.Format("2006-01-02") (import "time").`)
		}
		if f.Unique {
			notes = append(notes, "Different in every file: @unique() keeps it so.")
		}
		if f.Asset {
			notes = append(notes, "Names an image beside the file in every file.")
		}
		for _, n := range notes {
			fmt.Fprintf(&b, "\t// %s\n", n)
		}
		opt := "?"
		if f.Required {
			opt = ""
		}
		fmt.Fprintf(&b, "\t%s%s: %s", label(f.Name), opt, f.Type)
		if f.Unique {
			b.WriteString(" @unique()")
		}
		if f.Asset {
			types := sortedKeys(fs.types)
			fmt.Fprintf(&b, " @asset(root=\".\", types=%s)", literal.String.Quote(strings.Join(types, ",")))
		}
		b.WriteString("\n")
	}
	if len(r.Lifecycle) > 0 {
		b.WriteString("\n\t// The states the files' status values use, inferred: every state may\n")
		b.WriteString("\t// follow every other, and none is a person's alone. Tighten the\n")
		b.WriteString("\t// transitions and name the human-only states (docs/lifecycle.md).\n")
		b.WriteString("\t#lifecycle: {\n")
		fmt.Fprintf(&b, "\t\tstates: %s\n", quoteList(r.Lifecycle))
		fmt.Fprintf(&b, "\t\tinitial: %s\n", literal.String.Quote(g.initial))
		b.WriteString("\t\ttransitions: {")
		if len(r.Lifecycle) > 1 && len(r.Lifecycle) <= maxTransitions {
			b.WriteString("\n")
			for _, from := range r.Lifecycle {
				to := slices.DeleteFunc(slices.Clone(r.Lifecycle), func(s string) bool { return s == from })
				fmt.Fprintf(&b, "\t\t\t%s: %s\n", label(from), quoteList(to))
			}
			b.WriteString("\t\t")
		}
		b.WriteString("}\n")
		b.WriteString("\t\thumanOnly: []\n")
		fmt.Fprintf(&b, "\t\tdeletable: %s\n", quoteList(r.Lifecycle))
		b.WriteString("\t}\n")
	}
	b.WriteString("}\n")
	return formatCUE(b.String())
}

func quoteList(vs []string) string {
	q := make([]string, len(vs))
	for i, v := range vs {
		q[i] = literal.String.Quote(v)
	}
	return "[" + strings.Join(q, ", ") + "]"
}

// formatCUE formats generated CUE as cue fmt would; generated text that
// does not parse is a bug, kept as it is so that loading it reports where.
func formatCUE(src string) string {
	b, err := format.Source([]byte(src))
	if err != nil {
		return src
	}
	return string(b)
}

func plural(n int, word string) string {
	if n == 1 {
		return fmt.Sprintf("1 %s", word)
	}
	return fmt.Sprintf("%d %ss", n, word)
}

// article is the indefinite article before a kind's name.
func article(kind string) string {
	if strings.ContainsRune("AEIOU", rune(kind[0])) {
		return "An"
	}
	return "A"
}

// commentText is s as it may stand in a // comment of generated CUE: a
// line break (or any control character) would end the comment and make
// the rest CUE, so such text is quoted instead.
func commentText(s string) string {
	if !utf8.ValidString(s) || strings.ContainsFunc(s, unicode.IsControl) {
		return strconv.Quote(s)
	}
	return s
}
