package initcmd

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"text/tabwriter"
	"unicode"
	"unicode/utf8"

	"github.com/smallhq/small/adopt"
	"github.com/smallhq/small/cmd/internal/cmdutil"
	"github.com/smallhq/small/diag"
	"github.com/smallhq/small/protocol"
)

// RunAdopt proposes small.cue and schemas for the content already in the
// repository (small init --adopt), and writes them unless --dry-run.
func RunAdopt(opts *Options) error {
	r, err := opts.Factory.Repository()
	if err != nil {
		return err
	}
	top := r.Root()
	if _, err := os.Lstat(filepath.Join(top, protocol.ConfigFile)); err == nil {
		return cmdutil.Usagef("%s exists: init --adopt proposes a new configuration and never overwrites one; move %s away to adopt afresh, or edit it (docs/adopting.md)", protocol.ConfigFile, protocol.ConfigFile)
	}
	rep, err := adopt.Infer(r.WorkingTree(), adopt.Options{})
	var nc *adopt.NoContentError
	if errors.As(err, &nc) {
		if opts.Format == diag.FormatText {
			for _, u := range nc.Unmatched {
				fmt.Fprintf(opts.IO.ErrOut, "  %s: %s\n", shownPath(u.Path), u.Reason)
			}
		}
		return cmdutil.Usage(err)
	}
	if err != nil {
		return err
	}
	// Never overwrite: every file is checked before any is written, and
	// the schemas package must not hold CUE files already (they would be
	// part of the package).
	for _, f := range rep.Files {
		if _, err := os.Lstat(filepath.Join(top, filepath.FromSlash(f.Path))); err == nil {
			return cmdutil.Usagef("%s exists: init --adopt never overwrites a file; move it away, or write the schema yourself (docs/adopting.md)", f.Path)
		}
	}
	if entries, err := os.ReadDir(filepath.Join(top, filepath.FromSlash(rep.Schemas))); err == nil {
		for _, e := range entries {
			if strings.HasSuffix(e.Name(), ".cue") {
				return cmdutil.Usagef("%s/%s exists: the proposed schemas would join a CUE package that is already there; move it away (docs/adopting.md)", rep.Schemas, e.Name())
			}
		}
	}
	if !opts.DryRun {
		for _, f := range rep.Files {
			if err := writeNew(top, f); err != nil {
				return fmt.Errorf("init --adopt: %w", err)
			}
		}
		rep.Written = true
	}
	if opts.Format == diag.FormatJSON {
		return cmdutil.WriteJSON(opts.IO.Out, rep)
	}
	writeAdoptText(opts, rep)
	return nil
}

// writeNew creates a file that must not exist (O_EXCL: not even one that
// appeared since it was checked).
func writeNew(top string, f adopt.File) error {
	full := filepath.Join(top, filepath.FromSlash(f.Path))
	if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
		return err
	}
	w, err := os.OpenFile(full, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("%s appeared meanwhile: not overwritten", f.Path)
	}
	if err != nil {
		return err
	}
	if _, err := w.WriteString(f.Content); err != nil {
		w.Close()
		return err
	}
	return w.Close()
}

func writeAdoptText(opts *Options, rep *adopt.Report) {
	out := opts.IO.Out
	fmt.Fprintf(out, "%d candidate files read; %s proposed (manifests: %q):\n", rep.Candidates, plural(len(rep.Rules), "rule"), rep.Manifests)
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	for _, r := range rep.Rules {
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", r.Glob, r.Kind, plural(len(r.Files), "file"), r.Schema)
	}
	tw.Flush()
	for _, r := range rep.Rules {
		for _, p := range r.Problems {
			fmt.Fprintf(out, "warning: %s (%s): %s\n", shownPath(p.Path), r.Glob, p.Reason)
		}
	}
	if len(rep.Unmatched) > 0 {
		fmt.Fprintf(out, "%s matched no rule:\n", plural(len(rep.Unmatched), "file"))
		for _, u := range rep.Unmatched {
			fmt.Fprintf(out, "  %s: %s\n", shownPath(u.Path), u.Reason)
		}
	}
	if rep.Truncated != "" {
		fmt.Fprintf(out, "warning: %s\n", rep.Truncated)
	}
	if !rep.Written {
		for _, f := range rep.Files {
			fmt.Fprintf(out, "\nwould create %s:\n%s", f.Path, f.Content)
		}
		return
	}
	for _, f := range rep.Files {
		fmt.Fprintf(out, "created %s\n", f.Path)
	}
	fmt.Fprintln(out, "\nNext: read the schemas and tighten them (docs/adopting.md), run small validate, and commit; no content file changed.")
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

// shownPath is a path as a line of the report shows it: quoted when it
// holds a control character (a line break, an escape sequence) or invalid
// UTF-8, so that a file's name cannot forge lines of the report.
func shownPath(p string) string {
	if !utf8.ValidString(p) || strings.ContainsFunc(p, unicode.IsControl) {
		return strconv.Quote(p)
	}
	return p
}
