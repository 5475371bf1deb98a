package diag

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
)

func TestGitHubEscapesAndCaps(t *testing.T) {
	rep := &Report{Command: "validate", Manifests: 20}
	rep.Diagnostics = append(rep.Diagnostics, Diagnostic{
		File: "manifests/a,b:c.yaml", Line: 3, Column: 7, Path: "title",
		Code: "schema.violation", Message: "100% wrong\nsecond line", Severity: Error,
	})
	for i := range 11 {
		rep.Diagnostics = append(rep.Diagnostics, Diagnostic{
			File: fmt.Sprintf("manifests/m%02d.yaml", i), Line: 1, Column: 1, Code: "manifest.parse", Message: "bad", Severity: Error,
		})
	}
	var b bytes.Buffer
	if err := rep.WriteGitHub(&b); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
	if want := "::error file=manifests/a%2Cb%3Ac.yaml,line=3,col=7,title=schema.violation::title: 100%25 wrong%0Asecond line"; lines[0] != want {
		t.Errorf("first annotation:\n got %s\nwant %s", lines[0], want)
	}
	if got := len(lines); got != MaxAnnotations+2 {
		t.Fatalf("%d lines, want %d annotations, one notice and the summary:\n%s", got, MaxAnnotations, b.String())
	}
	if want := "::notice title=small validate::2 more findings not annotated; run small validate locally or see the job summary"; lines[MaxAnnotations] != want {
		t.Errorf("overflow notice:\n got %s\nwant %s", lines[MaxAnnotations], want)
	}
	if want := "20 manifests, 12 invalid"; lines[len(lines)-1] != want {
		t.Errorf("summary = %q, want %q", lines[len(lines)-1], want)
	}
}

func TestMarkdownEscapesCells(t *testing.T) {
	rep := &Report{Command: "validate", Manifests: 1, Diagnostics: []Diagnostic{{
		File: "m.yaml", Line: 1, Column: 2, Path: "a", Code: "schema.violation", Message: "x | y\nz", Severity: Error,
	}}}
	var b bytes.Buffer
	if err := rep.WriteMarkdown(&b); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), `| m.yaml | 1:2 | a | `+"`schema.violation`"+` | x \| y z |`) {
		t.Errorf("table row not escaped:\n%s", b.String())
	}
}

func TestSummary(t *testing.T) {
	for _, tc := range []struct {
		r    Report
		want string
	}{
		{Report{Manifests: 1}, "1 manifest, all valid"},
		{Report{Manifests: 3, Diagnostics: []Diagnostic{{File: "a"}, {File: "a"}, {File: "b"}}}, "3 manifests, 2 invalid"},
		{Report{Manifests: 3, Diagnostics: []Diagnostic{{File: "a", Severity: Warning}}}, "3 manifests, all valid"},
		{Report{Stopped: "the schemas do not compile"}, "the schemas do not compile"},
	} {
		if got := tc.r.Summary(); got != tc.want {
			t.Errorf("Summary() = %q, want %q", got, tc.want)
		}
	}
}
