// Package doctorcmd implements small doctor: what is set up for small in
// this clone, and what to fix, one line each.
package doctorcmd

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/smallhq/small/cmd/internal/cmdutil"
	"github.com/smallhq/small/diag"
	"github.com/smallhq/small/doctor"
)

// NewCmdDoctor returns the doctor command.
func NewCmdDoctor(f *cmdutil.Factory) *cobra.Command {
	var format string
	var offline bool
	cmd := &cobra.Command{
		Use:   "doctor [--offline] [--format text|json]",
		Short: "Check how this clone is set up for small, and say what to fix",
		Long: `Check the set-up small relies on and say what to fix, one line each:

  git-config  go-git, which small reads repositories with, accepts
              .git/config (git accepts some entries it refuses)
  config      small.cue loads; schemas compile; the manifests
              directory exists
  hooks       each hook small hooks install writes is there, is small's,
              and runs a small that exists (the path recorded at install)
  remote      each remote fetches small's notes to where small pull
              merges them
  workflow    each GitHub workflow that runs small pins a release tag
              (one that exists) or a commit, not a branch or @latest
  artifacts   the artifact branch is here, or on a remote to pull

ok is fine; warn works but is not what a team wants; fail is broken; info
is something not set up, which may be meant. Asking GitHub and the
remotes needs the network; --offline skips those questions.

Exit status 0 when nothing fails, 1 when something does.`,
		Example: `  $ small doctor
  $ small doctor --offline --format json`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := cmdutil.CheckFormat(format, diag.FormatText, diag.FormatJSON); err != nil {
				return err
			}
			dir := f.Dir
			if dir == "" {
				dir = "."
			}
			self, _ := os.Executable()
			rep, err := doctor.RunDir(dir, doctor.Options{Offline: offline, Small: self})
			if err != nil {
				if errors.Is(err, doctor.ErrNotRepository) {
					return cmdutil.Usagef("%v: small works inside a Git repository (run git init first)", err)
				}
				return err
			}
			if format == diag.FormatJSON {
				if err := cmdutil.WriteJSON(f.IO.Out, rep); err != nil {
					return err
				}
			} else {
				writeText(f.IO.Out, rep)
			}
			if rep.Problems > 0 {
				return cmdutil.Findings
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&offline, "offline", false, "ask no remote (the artifact branch there, the pinned release's tag)")
	cmd.Flags().StringVar(&format, "format", diag.FormatText, "output `format`: text or json")
	return cmd
}

func writeText(w io.Writer, rep *doctor.Report) {
	for _, c := range rep.Checks {
		fmt.Fprintf(w, "%-4s  %s: %s\n", c.Status, c.Name, c.Message)
	}
	switch {
	case rep.Problems == 0 && rep.Warnings == 0:
		fmt.Fprintln(w, "\nNothing to fix.")
	default:
		fmt.Fprintf(w, "\n%d to fix, %d to look at.\n", rep.Problems, rep.Warnings)
	}
}
