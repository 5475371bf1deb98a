// Package cmdutil holds what every small command shares: the IO streams,
// exit codes, and opening the repository a command works on.
package cmdutil

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"

	"github.com/charmbracelet/log"
	"github.com/mattn/go-isatty"
	"github.com/muesli/termenv"

	"github.com/smallhq/small/config"
	"github.com/smallhq/small/protocol"
	"github.com/smallhq/small/repo"
)

// Exit codes of small/v1.
const (
	ExitOK       = 0 // success
	ExitFindings = 1 // invalid content, policy violation, non-compliance
	ExitUsage    = 2 // usage or configuration error
	ExitRepo     = 3 // repository state error, e.g. a ref moved underneath
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
}

// System returns the process's standard streams.
func System() *IOStreams {
	return &IOStreams{In: os.Stdin, Out: os.Stdout, ErrOut: os.Stderr, OutTTY: isatty.IsTerminal(os.Stdout.Fd())}
}

// Logger writes progress and debug messages to ErrOut. Its colour profile is
// set here, not detected: detection queries the terminal and can stall for
// seconds when the terminal does not answer.
func (s *IOStreams) Logger(verbose bool) *log.Logger {
	l := log.NewWithOptions(s.ErrOut, log.Options{Prefix: "small"})
	l.SetColorProfile(termenv.Ascii)
	if verbose {
		l.SetLevel(log.DebugLevel)
	} else {
		l.SetLevel(log.WarnLevel)
	}
	return l
}

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

// Snapshot is the working tree, or the commit rev names when rev is set.
func Snapshot(r *repo.Repository, rev string) (repo.Snapshot, error) {
	if rev == "" {
		return r.WorkingTree(), nil
	}
	c, err := r.ResolveCommit(rev)
	if err != nil {
		return nil, Usage(err)
	}
	return c.Snapshot(), nil
}

// CommitInfo resolves rev to a commit; a bad revision is a usage error.
func CommitInfo(r *repo.Repository, rev string) (*repo.CommitInfo, error) {
	c, err := r.ResolveCommit(rev)
	if err != nil {
		return nil, Usage(err)
	}
	h, _ := repo.ParseHash(c.ID)
	info, err := r.ReadCommit(h)
	if err != nil {
		return nil, Usage(err)
	}
	return info, nil
}

// ArtifactBranch is the artifact branch small.cue in the working tree names,
// or small's default when there is no usable small.cue: commands that read
// builds still work from a checkout whose configuration is broken.
func ArtifactBranch(r *repo.Repository) string {
	if cfg, err := config.Load(r.WorkingTree()); err == nil {
		return cfg.Artifacts.Branch
	}
	def, _ := config.Parse(protocol.ConfigFile, nil)
	return def.Artifacts.Branch
}

// Config loads small.cue from a snapshot; problems are configuration errors.
func Config(s repo.Snapshot) (*config.Config, error) {
	c, err := config.Load(s)
	if err != nil {
		return nil, Usage(err)
	}
	return c, nil
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
