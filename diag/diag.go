// Package diag defines diagnostics, the findings small reports about content,
// and renders them as text, small/v1 JSON or GitHub Actions annotations.
package diag

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode"
)

// Severity says whether a diagnostic fails the run.
type Severity string

// Severities.
const (
	Error   Severity = "error"
	Warning Severity = "warning"
)

// Diagnostic is one finding at a place in a file. Line and Column are 1-based;
// zero when the finding concerns the whole file.
type Diagnostic struct {
	File     string   `json:"file" jsonschema:"repository-relative, slash-separated path"`
	Line     int      `json:"line" jsonschema:"1-based line; 0 when the finding concerns the whole file"`
	Column   int      `json:"column" jsonschema:"1-based column in bytes; 0 with line 0"`
	Path     string   `json:"path" jsonschema:"the offending value's path in the file (title, venue.city, tags[1]); empty for the whole file"`
	Code     string   `json:"code" jsonschema:"stable diagnostic code: match on it, not on message"`
	Message  string   `json:"message" jsonschema:"what was given and what was expected"`
	Severity Severity `json:"severity"`
}

// String renders the diagnostic as file:line:col: path: message. A file
// name with a control character is quoted, so that one finding stays one
// line.
func (d Diagnostic) String() string {
	loc := d.File
	if strings.ContainsFunc(loc, unicode.IsControl) {
		loc = strconv.Quote(loc)
	}
	if d.Line > 0 {
		loc = fmt.Sprintf("%s:%d:%d", d.File, d.Line, d.Column)
	}
	if d.Path != "" {
		return fmt.Sprintf("%s: %s: %s", loc, d.Path, d.Message)
	}
	return fmt.Sprintf("%s: %s", loc, d.Message)
}

// Sort orders diagnostics by file, line, column, path and code, so that
// output is the same however the work was scheduled.
func Sort(ds []Diagnostic) {
	slices.SortStableFunc(ds, func(a, b Diagnostic) int {
		return cmp.Or(
			cmp.Compare(a.File, b.File),
			cmp.Compare(a.Line, b.Line),
			cmp.Compare(a.Column, b.Column),
			cmp.Compare(a.Path, b.Path),
			cmp.Compare(a.Code, b.Code),
			cmp.Compare(a.Message, b.Message),
		)
	})
}

// Files counts the distinct files with at least one error.
func Files(ds []Diagnostic) int {
	seen := map[string]bool{}
	for _, d := range ds {
		if d.Severity != Warning {
			seen[d.File] = true
		}
	}
	return len(seen)
}
