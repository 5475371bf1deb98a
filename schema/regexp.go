package schema

import (
	"fmt"
	"regexp/syntax"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// ECMAScriptPattern rewrites a CUE regular expression (RE2 syntax, as Go's
// regexp reads it) as an ECMAScript one with the same meaning, for the
// "pattern" keyword of JSON Schema, which validators such as ajv compile
// with JavaScript's RegExp and the u flag.
//
// The two dialects disagree on more than syntax ((?i), \pL, [[:alpha:]],
// \A, \z, \Q…\E and named groups exist only in RE2), also on meaning: '.'
// and \s match different characters, and so does [^…] without u. So the
// pattern is parsed as Go reads it and written out again from the parse
// tree, with every class spelt as its ranges: the result is longer, but it
// matches exactly the strings Go's regexp matches.
func ECMAScriptPattern(re string) (string, error) {
	t, err := syntax.Parse(re, syntax.Perl)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	if err := writeECMA(&b, t); err != nil {
		return "", fmt.Errorf("%q: %w", re, err)
	}
	return b.String(), nil
}

// maxPatternLen bounds a rewritten pattern: a class such as \pL spelt out
// is some kilobytes; a pattern of many of them is not worth shipping.
const maxPatternLen = 64 << 10

func writeECMA(b *strings.Builder, t *syntax.Regexp) error {
	if b.Len() > maxPatternLen {
		return fmt.Errorf("too long once rewritten for ECMAScript")
	}
	switch t.Op {
	case syntax.OpNoMatch:
		b.WriteString("[]")
	case syntax.OpEmptyMatch:
		b.WriteString("(?:)")
	case syntax.OpLiteral:
		for _, r := range t.Rune {
			if t.Flags&syntax.FoldCase != 0 && hasFold(r) {
				writeClass(b, foldRanges(r))
				continue
			}
			writeLiteral(b, r)
		}
	case syntax.OpCharClass:
		writeClass(b, t.Rune)
	case syntax.OpAnyCharNotNL:
		b.WriteString(`[^\n]`)
	case syntax.OpAnyChar:
		b.WriteString(`[\s\S]`)
	case syntax.OpBeginLine:
		b.WriteString(`(?:^|(?<=\n))`)
	case syntax.OpEndLine:
		b.WriteString(`(?:$|(?=\n))`)
	case syntax.OpBeginText:
		b.WriteString("^")
	case syntax.OpEndText:
		b.WriteString("$")
	case syntax.OpWordBoundary:
		// ASCII word characters in both, as long as the i flag is unset.
		b.WriteString(`\b`)
	case syntax.OpNoWordBoundary:
		b.WriteString(`\B`)
	case syntax.OpCapture:
		b.WriteString("(?:")
		if err := writeECMA(b, t.Sub[0]); err != nil {
			return err
		}
		b.WriteString(")")
	case syntax.OpStar, syntax.OpPlus, syntax.OpQuest, syntax.OpRepeat:
		if err := writeAtom(b, t.Sub[0]); err != nil {
			return err
		}
		switch t.Op {
		case syntax.OpStar:
			b.WriteString("*")
		case syntax.OpPlus:
			b.WriteString("+")
		case syntax.OpQuest:
			b.WriteString("?")
		default:
			switch {
			case t.Max == -1:
				fmt.Fprintf(b, "{%d,}", t.Min)
			case t.Min == t.Max:
				fmt.Fprintf(b, "{%d}", t.Min)
			default:
				fmt.Fprintf(b, "{%d,%d}", t.Min, t.Max)
			}
		}
		if t.Flags&syntax.NonGreedy != 0 {
			b.WriteString("?")
		}
	case syntax.OpConcat:
		for _, s := range t.Sub {
			if s.Op == syntax.OpAlternate {
				if err := writeGroup(b, s); err != nil {
					return err
				}
				continue
			}
			if err := writeECMA(b, s); err != nil {
				return err
			}
		}
	case syntax.OpAlternate:
		for i, s := range t.Sub {
			if i > 0 {
				b.WriteString("|")
			}
			if err := writeECMA(b, s); err != nil {
				return err
			}
		}
	default:
		return fmt.Errorf("unsupported regular expression operator %v", t.Op)
	}
	return nil
}

// writeAtom writes t so that a quantifier after it applies to all of it.
func writeAtom(b *strings.Builder, t *syntax.Regexp) error {
	switch t.Op {
	case syntax.OpCharClass, syntax.OpAnyChar, syntax.OpAnyCharNotNL, syntax.OpCapture:
		return writeECMA(b, t)
	case syntax.OpLiteral:
		if len(t.Rune) == 1 {
			return writeECMA(b, t)
		}
	}
	return writeGroup(b, t)
}

func writeGroup(b *strings.Builder, t *syntax.Regexp) error {
	b.WriteString("(?:")
	if err := writeECMA(b, t); err != nil {
		return err
	}
	b.WriteString(")")
	return nil
}

// hasFold reports whether r has other cases.
func hasFold(r rune) bool { return unicode.SimpleFold(r) != r }

// foldRanges is the class of r and its other cases, as sorted ranges.
func foldRanges(r rune) []rune {
	var rs []rune
	for f := r; ; {
		rs = append(rs, f)
		if f = unicode.SimpleFold(f); f == r {
			break
		}
	}
	slices.Sort(rs)
	out := make([]rune, 0, 2*len(rs))
	for _, f := range rs {
		out = append(out, f, f)
	}
	return out
}

// writeClass writes a character class from its ranges (lo, hi pairs, as
// the parser leaves them: sorted and merged). A class that covers more than
// it leaves out is written as the negation of what it leaves out.
func writeClass(b *strings.Builder, ranges []rune) {
	if len(ranges) == 2 && ranges[0] == ranges[1] {
		writeLiteral(b, ranges[0])
		return
	}
	if len(ranges) == 2 && ranges[0] == 0 && ranges[1] == unicode.MaxRune {
		b.WriteString(`[\s\S]`)
		return
	}
	neg := complement(ranges)
	if len(neg) < len(ranges) {
		b.WriteString("[^")
		ranges = neg
	} else {
		b.WriteString("[")
	}
	for i := 0; i+1 < len(ranges); i += 2 {
		lo, hi := ranges[i], ranges[i+1]
		writeClassRune(b, lo)
		if hi != lo {
			if hi > lo+1 {
				b.WriteString("-")
			}
			writeClassRune(b, hi)
		}
	}
	b.WriteString("]")
}

// complement is the ranges of the runes not in ranges.
func complement(ranges []rune) []rune {
	var out []rune
	next := rune(0)
	for i := 0; i+1 < len(ranges); i += 2 {
		if ranges[i] > next {
			out = append(out, next, ranges[i]-1)
		}
		next = ranges[i+1] + 1
	}
	if next <= unicode.MaxRune {
		out = append(out, next, unicode.MaxRune)
	}
	return out
}

// writeLiteral writes a rune that stands for itself outside a class.
func writeLiteral(b *strings.Builder, r rune) {
	if r < utf8.RuneSelf && strings.ContainsRune(`^$\.*+?()[]{}|/`, r) {
		b.WriteByte('\\')
		b.WriteRune(r)
		return
	}
	writeRune(b, r)
}

// writeClassRune writes a rune that stands for itself inside a class.
func writeClassRune(b *strings.Builder, r rune) {
	if r < utf8.RuneSelf && strings.ContainsRune(`\]-^[/`, r) {
		b.WriteByte('\\')
		b.WriteRune(r)
		return
	}
	writeRune(b, r)
}

// writeRune writes printable ASCII as itself and everything else escaped,
// so that the pattern survives any transport.
func writeRune(b *strings.Builder, r rune) {
	switch {
	case r >= 0x20 && r < 0x7f:
		b.WriteRune(r)
	case r <= 0xffff:
		b.WriteString(`\u`)
		s := strconv.FormatInt(int64(r), 16)
		b.WriteString(strings.Repeat("0", 4-len(s)) + s)
	default:
		// Outside the BMP; only the u flag (which JSON Schema validators
		// use for "pattern") reads \u{…} as one code point.
		fmt.Fprintf(b, `\u{%x}`, r)
	}
}
