// Package cmdutil holds what every small command shares: the IO streams,
// the exit codes and the mapping of domain errors to them, opening the
// repository and its build history, and the renderings several commands use.
package cmdutil

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"

	"github.com/charmbracelet/log"
	"github.com/mattn/go-isatty"
	"github.com/muesli/termenv"

	"github.com/smallhq/small/builder"
	"github.com/smallhq/small/config"
	"github.com/smallhq/small/content"
	"github.com/smallhq/small/diag"
	"github.com/smallhq/small/lineage"
	"github.com/smallhq/small/protocol"
	"github.com/smallhq/small/remote"
	"github.com/smallhq/small/repo"
	"github.com/smallhq/small/schema"
)

// Exit codes of small/v1.
const (
	ExitOK       = protocol.ExitOK
	ExitFindings = protocol.ExitFindings
	ExitUsage    = protocol.ExitUsage
	ExitRepo     = protocol.ExitRepo
)

// ExitError carries the exit code a failure ends the program with. A nil
// Err means the command has already said everything (e.g. printed findings).
type ExitError struct {
	Code int
	Err  error
}

func (e *ExitError) Error() string {
	if e.Err == nil {
		return fmt.Sprintf("exit %d", e.Code)
	}
	return e.Err.Error()
}

func (e *ExitError) Unwrap() error { return e.Err }

// Usage wraps err as a usage or configuration error (exit 2).
func Usage(err error) error { return &ExitError{Code: ExitUsage, Err: err} }

// Usagef is Usage with a formatted message.
func Usagef(format string, args ...any) error { return Usage(fmt.Errorf(format, args...)) }

// Findings ends the command with exit 1 once findings are printed.
var Findings = &ExitError{Code: ExitFindings}

// IOStreams are a command's input and outputs.
type IOStreams struct {
	In     io.Reader
	Out    io.Writer
	ErrOut io.Writer
	// OutTTY is whether Out is a terminal.
	OutTTY bool
	// ErrTTY is whether ErrOut is a terminal (see StartProgress).
	ErrTTY bool
	// Getenv reads the environment, for what is shown on ErrOut
	// (StartProgress); nil reads none, and shows no progress.
	Getenv func(string) string
}

// System returns the process's standard streams.
func System() *IOStreams {
	return &IOStreams{In: os.Stdin, Out: os.Stdout, ErrOut: os.Stderr,
		OutTTY: isatty.IsTerminal(os.Stdout.Fd()), ErrTTY: isatty.IsTerminal(os.Stderr.Fd()), Getenv: os.Getenv}
}

// Logger writes progress and debug messages to ErrOut. Its colour profile is
// set here, not detected: detection queries the terminal and can stall for
// seconds when the terminal does not answer. charmbracelet/log also asks
// a terminal for its colours as it starts (termenv's colour cache), with
// the same stall (10 s under script(1), in a pty nobody answers): it is
// given ErrOut as a plain writer, which it cannot take for a terminal.
func (s *IOStreams) Logger(verbose bool) *log.Logger {
	l := log.NewWithOptions(&plainWriter{s.ErrOut}, log.Options{Prefix: "small"})
	l.SetColorProfile(termenv.Ascii)
	if verbose {
		l.SetLevel(log.DebugLevel)
	} else {
		l.SetLevel(log.WarnLevel)
	}
	return l
}

// plainWriter is a writer that does not say it is a file, hence never a
// terminal.
type plainWriter struct{ w io.Writer }

func (p *plainWriter) Write(b []byte) (int, error) { return p.w.Write(b) }

// Factory opens what commands work on, relative to a directory.
type Factory struct {
	IO  *IOStreams
	Dir string // "" for the current directory
}

// Repository opens the repository that contains the factory's directory.
func (f *Factory) Repository() (*repo.Repository, error) {
	dir := f.Dir
	if dir == "" {
		dir = "."
	}
	r, err := repo.Open(dir)
	if errors.Is(err, repo.ErrNotRepository) {
		return nil, Usagef("%v: small works inside a Git repository (run git init first)", err)
	}
	if err != nil {
		return nil, Usage(err)
	}
	return r, nil
}

// OpenLog opens the build history of the repository's artifact branch (as
// small.cue in the working tree names it).
func (f *Factory) OpenLog() (*repo.Repository, *lineage.Log, error) {
	r, err := f.Repository()
	if err != nil {
		return nil, nil, err
	}
	l, err := openLog(r, r.WorkingTree())
	if err != nil {
		return nil, nil, err
	}
	return r, l, nil
}

// NoteUnverified tells the user, on stderr, when this clone has not
// verified the artifact branch as it stands (its tip and notes): what is
// shown is then as recorded, not as rebuilt.
func (f *Factory) NoteUnverified(r *repo.Repository, l *lineage.Log) {
	if !builder.Verified(r, l.Branch(), l.Tip()) {
		fmt.Fprintf(f.IO.ErrOut, "note: %s at %s has not been verified in this clone: run small verify\n", protocol.BranchName(l.Branch()), l.Tip().Short())
	}
}

// Platform is who the hosting platform says is behind this run (in GitHub
// Actions, from its event); nil elsewhere. A broken event is a usage error.
func (f *Factory) Platform() (*content.Platform, error) {
	p, err := content.GitHubPlatform(os.Getenv)
	if err != nil {
		return nil, Usage(err)
	}
	return p, nil
}

// Classify gives a domain failure the exit code small/v1 says it has: a ref
// that moved, a branch small did not write, history a clone lacks are
// repository state (3); a missing lineage record is a finding (1);
// everything else, a bad name, revision or configuration among them, is
// usage (2).
func Classify(err error) error {
	var (
		exit       *ExitError
		moved      *repo.RefMovedError
		notBuild   *builder.NotABuildError
		notFetched *lineage.NotFetchedError
		behind     *builder.NotDescendantError
		shallow    *repo.ShallowError
		history    *content.HistoryError
		missing    *lineage.MissingLineageError
		noNotes    *lineage.MissingNotesError
		unrecorded *builder.UnrecordedVersionError
		tampered   *builder.NotReproducedError
		diverged   *remote.DivergedError
		rejected   *remote.RejectedError
		gitFailed  *repo.GitError
	)
	switch {
	case err == nil:
		return nil
	case errors.As(err, &exit):
		return err
	case errors.As(err, &moved), errors.As(err, &notBuild), errors.As(err, &notFetched), errors.As(err, &behind),
		errors.As(err, &shallow), errors.As(err, &history), errors.As(err, &tampered),
		errors.As(err, &diverged), errors.As(err, &rejected), errors.As(err, &gitFailed):
		return &ExitError{Code: ExitRepo, Err: err}
	case errors.As(err, &missing), errors.As(err, &unrecorded), errors.As(err, &noNotes):
		return &ExitError{Code: ExitFindings, Err: err}
	}
	return Usage(err)
}

// WriteJSON writes v as one indented JSON object, without HTML escaping:
// small's JSON is read by people and tools, not embedded in web pages.
func WriteJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// StartPager sends Out through $PAGER (default "less -FRX", as git does)
// when Out is a terminal; stop waits for the pager to finish. Elsewhere it
// changes nothing.
func (s *IOStreams) StartPager() (stop func()) {
	if !s.OutTTY {
		return func() {}
	}
	pager := os.Getenv("PAGER")
	if pager == "" {
		pager = "less -FRX"
	}
	if pager == "cat" {
		return func() {}
	}
	cmd := exec.Command("sh", "-c", pager)
	cmd.Stdout, cmd.Stderr = s.Out, s.ErrOut
	cmd.Env = append(os.Environ(), "LESS=FRX", "LV=-c")
	in, err := cmd.StdinPipe()
	if err != nil || cmd.Start() != nil {
		return func() {}
	}
	out := s.Out
	s.Out = in
	return func() {
		in.Close()
		cmd.Wait()
		s.Out = out
	}
}

// CheckFormat refuses an output format a command does not offer.
func CheckFormat(format string, allowed ...string) error {
	for _, a := range allowed {
		if format == a {
			return nil
		}
	}
	list := strings.Join(allowed[:len(allowed)-1], ", ") + " or " + allowed[len(allowed)-1]
	return Usagef("--format %q: expected %s", format, list)
}

// WriteReport prints a validation report in the format asked for (text,
// json, or github: annotations, and the job summary when GitHub Actions
// names one) and ends the command with exit 1 when it has findings.
func WriteReport(io *IOStreams, format string, rep *diag.Report) error {
	var err error
	switch format {
	case diag.FormatJSON:
		err = rep.WriteJSON(io.Out)
	case diag.FormatGitHub:
		if err = rep.WriteGitHub(io.Out); err == nil {
			err = writeStepSummary(rep)
		}
	default:
		err = rep.WriteText(io.Out, io.ErrOut)
	}
	if err != nil {
		return err
	}
	if rep.Failed() {
		return Findings
	}
	return nil
}

// writeStepSummary appends the report to GitHub's job summary, if any.
func writeStepSummary(rep *diag.Report) error {
	name := os.Getenv("GITHUB_STEP_SUMMARY")
	if name == "" {
		return nil
	}
	f, err := os.OpenFile(name, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return fmt.Errorf("write job summary: %w", err)
	}
	defer f.Close()
	return rep.WriteMarkdown(f)
}

// RepoPaths turns paths given on the command line (relative to where small
// runs) into repository-relative, slash-separated paths.
func RepoPaths(root, dir string, args []string) ([]string, error) {
	if len(args) == 0 {
		return nil, nil
	}
	base := dir
	if base == "" {
		base = "."
	}
	base, err := filepath.Abs(base)
	if err != nil {
		return nil, err
	}
	root, _ = filepath.EvalSymlinks(root)
	base, _ = filepath.EvalSymlinks(base)
	out := make([]string, 0, len(args))
	for _, a := range args {
		p := a
		if !filepath.IsAbs(p) {
			p = filepath.Join(base, p)
		}
		rel, err := filepath.Rel(root, p)
		if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
			return nil, Usagef("%s: outside the repository", a)
		}
		out = append(out, filepath.ToSlash(rel))
	}
	return out, nil
}

// ShortID abbreviates a full hex object id, as git log --oneline does, for
// text output; JSON output keeps full ids.
func ShortID(id string) string { return repo.ShortID(id) }

// Committed is a repository as HEAD's commit has it: what a long-running
// front end (small mcp) answers from, never the working tree, whose files
// may be half edited.
type Committed struct {
	Repo *repo.Repository
	Head *repo.Commit
	// Rev is HEAD's full id, for the domain calls that take a revision.
	Rev string
}

// OpenCommitted opens the repository and reads the commit HEAD is at now.
// A repository without commits is a usage error.
func (f *Factory) OpenCommitted() (*Committed, error) {
	r, err := f.Repository()
	if err != nil {
		return nil, err
	}
	head, err := r.Resolve("HEAD")
	if err != nil {
		return nil, Usage(err)
	}
	return &Committed{Repo: r, Head: head, Rev: head.ID.String()}, nil
}

// Config is small.cue as HEAD has it.
func (c *Committed) Config() (*config.Config, error) {
	return config.Load(c.Repo.Snapshot(c.Head))
}

// Log opens the build history of the artifact branch small.cue at HEAD
// names.
func (c *Committed) Log() (*lineage.Log, error) {
	return openLog(c.Repo, c.Repo.Snapshot(c.Head))
}

// openLog opens the build history of the artifact branch small.cue in
// snap names, reading manifest paths as its files rules do.
func openLog(r *repo.Repository, snap repo.Snapshot) (*lineage.Log, error) {
	l, err := lineage.Open(r, config.ArtifactRef(snap))
	if err != nil {
		return nil, err
	}
	// Evaluated only if a name is to be classified: most queries name an
	// artifact, and evaluating small.cue costs more than answering them.
	cfg := sync.OnceValue(func() *config.Config {
		cfg, _ := config.Load(snap)
		return cfg
	})
	l.ClassifyManifests(func(path string) bool {
		c := cfg()
		return c != nil && c.IsManifest(path)
	})
	return l, nil
}

// BadRevision reports whether err is a revision that names no commit (a
// mistyped --rev or --since).
func BadRevision(err error) bool {
	var re *repo.RevisionError
	return errors.As(err, &re)
}

// Diagnostics are the findings an error carries, if it carries any: a
// small.cue or schemas package that does not load, or a proposed
// manifest's path that cannot be one. The front ends that answer with
// findings rather than exit codes (small serve, small mcp) ask here.
func Diagnostics(err error) []diag.Diagnostic {
	var (
		ce *config.Error
		se *schema.Error
		pe *content.ProposalPathError
	)
	switch {
	case errors.As(err, &ce):
		return ce.Diagnostics
	case errors.As(err, &se):
		return se.Diagnostics
	case errors.As(err, &pe):
		return []diag.Diagnostic{{File: pe.Path, Code: diag.CodeProposalPath, Severity: diag.Error, Message: strings.TrimPrefix(pe.Error(), pe.Path+": ")}}
	}
	return nil
}
