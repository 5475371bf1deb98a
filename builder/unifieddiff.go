package builder

import (
	"fmt"
	"strings"

	"github.com/sergi/go-diff/diffmatchpatch"
)

// diffContext is how many unchanged lines surround each hunk, as in git diff.
const diffContext = 3

// UnifiedDiff renders the change of one artifact as a unified diff, as git
// diff does (a/ and b/ prefixes, /dev/null for a side that is absent).
func UnifiedDiff(path string, old, new []byte) string {
	if string(old) == string(new) {
		return ""
	}
	dmp := diffmatchpatch.New()
	a, b, lines := dmp.DiffLinesToChars(string(old), string(new))
	diffs := dmp.DiffCharsToLines(dmp.DiffMain(a, b, false), lines)

	// Flatten to one op per line: ' ', '-' or '+'.
	type line struct {
		op   byte
		text string
	}
	var ls []line
	for _, d := range diffs {
		op := byte(' ')
		switch d.Type {
		case diffmatchpatch.DiffDelete:
			op = '-'
		case diffmatchpatch.DiffInsert:
			op = '+'
		}
		text := strings.TrimSuffix(d.Text, "\n")
		for _, l := range strings.Split(text, "\n") {
			ls = append(ls, line{op, l})
		}
	}

	var b2 strings.Builder
	from, to := "a/"+path, "b/"+path
	if old == nil {
		from = "/dev/null"
	}
	if new == nil {
		to = "/dev/null"
	}
	fmt.Fprintf(&b2, "--- %s\n+++ %s\n", from, to)
	// Group changed lines into hunks with context.
	for i := 0; i < len(ls); {
		if ls[i].op == ' ' {
			i++
			continue
		}
		start := max(0, i-diffContext)
		end := i
		for end < len(ls) {
			if ls[end].op != ' ' {
				end++
				continue
			}
			// A run of unchanged lines longer than twice the context ends the hunk.
			run := end
			for run < len(ls) && ls[run].op == ' ' {
				run++
			}
			if run == len(ls) || run-end > 2*diffContext {
				end = min(len(ls), end+diffContext)
				break
			}
			end = run
		}
		oldStart, newStart := 1, 1
		for _, l := range ls[:start] {
			if l.op != '+' {
				oldStart++
			}
			if l.op != '-' {
				newStart++
			}
		}
		oldN, newN := 0, 0
		for _, l := range ls[start:end] {
			if l.op != '+' {
				oldN++
			}
			if l.op != '-' {
				newN++
			}
		}
		if oldN == 0 {
			oldStart--
		}
		if newN == 0 {
			newStart--
		}
		fmt.Fprintf(&b2, "@@ -%d,%d +%d,%d @@\n", oldStart, oldN, newStart, newN)
		for _, l := range ls[start:end] {
			b2.WriteByte(l.op)
			b2.WriteString(l.text)
			b2.WriteByte('\n')
		}
		i = end
	}
	return b2.String()
}
