package diag

import (
	"encoding/json"
	"fmt"
	"io"
	"path"
	"strings"

	"github.com/smallhq/small/protocol"
)

// Formats a report can be written in.
const (
	FormatText   = "text"
	FormatJSON   = "json"
	FormatGitHub = "github"
)

// Report is the outcome of checking a set of manifests.
type Report struct {
	Command     string       // e.g. "validate"
	Manifests   int          // manifests looked at
	Diagnostics []Diagnostic // sorted
	// Stopped, when set, says why no manifest could be checked (e.g. the
	// schemas do not compile); it replaces the usual summary.
	Stopped string
	// Plan, when set, is what merging the change would build (small check).
	Plan *Plan
}

// Plan is what a build would do to the artifacts, by artifact path.
type Plan struct {
	Created   []string `json:"created"`
	Updated   []string `json:"updated"`
	Retracted []string `json:"retracted"`
}

// Line is the plan in one line: "1 created, 2 updated, 0 retracted".
func (p *Plan) Line() string {
	return fmt.Sprintf("%d created, %d updated, %d retracted", len(p.Created), len(p.Updated), len(p.Retracted))
}

// each calls fn with every change of the plan, by action then path.
func (p *Plan) each(fn func(action, path string)) {
	for _, c := range []struct {
		action string
		paths  []string
	}{{"created", p.Created}, {"updated", p.Updated}, {"retracted", p.Retracted}} {
		for _, path := range c.paths {
			fn(c.action, path)
		}
	}
}

// Kinds counts the findings by what they are about: manifests, the schemas
// package, and policy (lifecycle and agent boundary).
func (r *Report) Kinds() (manifest, schema, policy int) {
	for _, d := range r.Diagnostics {
		switch {
		case strings.HasPrefix(d.Code, "lifecycle.") || strings.HasPrefix(d.Code, "policy."):
			policy++
		case d.Code == CodeSchemaSyntax || d.Code == CodeSchemaInvalid || d.Code == CodeSchemaEmpty:
			schema++
		default:
			manifest++
		}
	}
	return
}

// Invalid counts the manifests with at least one error; none when the run
// stopped before checking any (the errors are then about the schemas).
func (r *Report) Invalid() int {
	if r.Stopped != "" {
		return 0
	}
	return Files(r.Diagnostics)
}

// Failed reports whether the report has any error.
func (r *Report) Failed() bool { return r.Stopped != "" || r.Invalid() > 0 }

// Summary is the closing line, e.g. "10000 manifests, 3 invalid".
func (r *Report) Summary() string {
	if r.Stopped != "" {
		return r.Stopped
	}
	noun := "manifests"
	if r.Manifests == 1 {
		noun = "manifest"
	}
	if inv := r.Invalid(); inv > 0 {
		return fmt.Sprintf("%d %s, %d invalid", r.Manifests, noun, inv)
	}
	return fmt.Sprintf("%d %s, all valid", r.Manifests, noun)
}

// WriteText writes one line per diagnostic to w and the summary to summary
// (stderr, so that stdout holds only findings).
func (r *Report) WriteText(w, summary io.Writer) error {
	for _, d := range r.Diagnostics {
		if _, err := fmt.Fprintln(w, d.String()); err != nil {
			return err
		}
	}
	if r.Plan != nil {
		fmt.Fprintf(w, "Merging builds: %s\n", r.Plan.Line())
		r.Plan.each(func(action, path string) { fmt.Fprintf(w, "  %-9s %s\n", action, path) })
	}
	_, err := fmt.Fprintln(summary, r.Summary())
	return err
}

// JSONReport is a Report as small/v1 JSON: what WriteJSON writes, and
// what every front end returns for a report.
type JSONReport struct {
	Protocol    string       `json:"protocol"`
	Command     string       `json:"command" jsonschema:"the command that made the report"`
	Valid       bool         `json:"valid" jsonschema:"true when there is no error"`
	Manifests   int          `json:"manifests" jsonschema:"manifests looked at"`
	Invalid     int          `json:"invalid" jsonschema:"files with at least one error"`
	Stopped     string       `json:"stopped,omitempty" jsonschema:"present only when no manifest could be checked: why"`
	Diagnostics []Diagnostic `json:"diagnostics" jsonschema:"the findings, sorted; empty when there are none"`
	Plan        *Plan        `json:"plan,omitempty" jsonschema:"small check: what merging the change would build"`
}

// JSON returns the report as small/v1 JSON.
func (r *Report) JSON() JSONReport {
	ds := r.Diagnostics
	if ds == nil {
		ds = []Diagnostic{}
	}
	return JSONReport{
		Protocol: protocol.Version, Command: r.Command, Valid: !r.Failed(),
		Manifests: r.Manifests, Invalid: r.Invalid(), Stopped: r.Stopped, Diagnostics: ds, Plan: r.Plan,
	}
}

// WriteJSON writes the report as one small/v1 JSON object.
func (r *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(r.JSON())
}

// MaxAnnotations is how many error annotations GitHub shows per step; past
// it, WriteGitHub adds one notice with the number left out.
const MaxAnnotations = 10

// WriteGitHub writes workflow commands that GitHub Actions turns into
// annotations on the pull request's diff.
func (r *Report) WriteGitHub(w io.Writer) error {
	for i, d := range r.Diagnostics {
		if i == MaxAnnotations {
			left := len(r.Diagnostics) - MaxAnnotations
			if _, err := fmt.Fprintf(w, "::notice title=small %s::%s\n", r.Command,
				escapeData(fmt.Sprintf("%d more findings not annotated; run small %s locally or see the job summary", left, r.Command))); err != nil {
				return err
			}
			break
		}
		// An annotation points at a file, never a directory (the schemas
		// package): a finding with no line and no file name is annotated
		// on the run, with its path in the message.
		props := ""
		if d.Line > 0 || strings.Contains(path.Base(d.File), ".") {
			props = "file=" + escapeProperty(d.File)
			if d.Line > 0 {
				props += fmt.Sprintf(",line=%d,col=%d", d.Line, d.Column)
			}
			props += ","
		}
		props += "title=" + escapeProperty(d.Code)
		msg := d.Message
		if d.Path != "" {
			msg = d.Path + ": " + msg
		}
		if !strings.HasPrefix(props, "file=") && d.File != "" {
			msg = d.File + ": " + msg
		}
		if _, err := fmt.Fprintf(w, "::%s %s::%s\n", d.severity(), props, escapeData(msg)); err != nil {
			return err
		}
	}
	_, err := fmt.Fprintln(w, r.Summary())
	return err
}

func (d Diagnostic) severity() Severity {
	if d.Severity == "" {
		return Error
	}
	return d.Severity
}

// WriteMarkdown writes a job summary: the verdict and a table of findings.
func (r *Report) WriteMarkdown(w io.Writer) error {
	var b strings.Builder
	mark := "✅"
	if r.Failed() {
		mark = "❌"
	}
	fmt.Fprintf(&b, "### %s small %s: %s\n\n", mark, r.Command, r.Summary())
	if len(r.Diagnostics) > 0 {
		m, sc, po := r.Kinds()
		fmt.Fprintf(&b, "Findings: %d about manifests, %d about the schemas, %d of policy (lifecycle, agent boundary).\n\n", m, sc, po)
	}
	if r.Plan != nil {
		fmt.Fprintf(&b, "**Merging builds:** %s\n\n", r.Plan.Line())
		r.Plan.each(func(action, p string) { fmt.Fprintf(&b, "- %s `%s`\n", action, p) })
		b.WriteString("\n")
	}
	if len(r.Diagnostics) > 0 {
		b.WriteString("| file | line | path | code | message |\n| --- | --- | --- | --- | --- |\n")
		for _, d := range r.Diagnostics {
			fmt.Fprintf(&b, "| %s | %d:%d | %s | `%s` | %s |\n",
				cell(d.File), d.Line, d.Column, cell(d.Path), d.Code, cell(d.Message))
		}
		b.WriteString("\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// escapeData escapes a workflow command's message as the runner expects.
func escapeData(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A").Replace(s)
}

// escapeProperty escapes a workflow command's property value.
func escapeProperty(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A", ":", "%3A", ",", "%2C").Replace(s)
}

func cell(s string) string {
	return strings.NewReplacer("|", `\|`, "\n", " ", "\r", " ").Replace(s)
}

// Failure is what --format json prints when a command fails before it has
// a report to give: one small/v1 object on stdout, with the exit code.
type Failure struct {
	Protocol string       `json:"protocol"`
	Error    FailureError `json:"error"`
}

// FailureError says what failed.
type FailureError struct {
	ExitCode    int          `json:"exitCode"`
	Message     string       `json:"message"`
	Diagnostics []Diagnostic `json:"diagnostics,omitempty"`
}
