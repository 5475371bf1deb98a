// Package hookscmd implements small hooks: install small as a git hook.
package hookscmd

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/smallhq/small/cmd/internal/cmdutil"
	"github.com/smallhq/small/content"
	"github.com/smallhq/small/diag"
	"github.com/smallhq/small/hooks"
)

// NewCmdHooks returns the hooks command group.
func NewCmdHooks(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:  "hooks <command>",
		Args: cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) > 0 {
				return cmdutil.Usagef("unknown command %q for %q\nRun '%s --help' for usage.", args[0], cmd.CommandPath(), cmd.CommandPath())
			}
			return cmd.Help()
		},
		Short: "Install or remove the git hooks that run small (pre-commit, commit-msg, pre-push)",
		Long: `small hooks install puts small in three git hooks, where git looks for
hooks (core.hooksPath, or .git/hooks):

  pre-commit   small validate --staged: refuses a commit while a manifest,
               as staged, is invalid (what is committed decides, not the
               working tree; untracked drafts do not count)
  commit-msg   small hooks commit-msg: refuses a message whose Small-*
               trailers are unknown, misspelt, misplaced or small build's
  pre-push     small check of each branch pushed, against what the remote
               has (its merge base with the remote's branch or HEAD)

The hooks run the small that installed them, so GUI git clients need no
PATH. small never overwrites or removes a hook it did not write. git
commit --no-verify and git push --no-verify skip them; CI (small init
--ci) checks every pull request all the same.`,
	}
	run := func(install bool) func(*cobra.Command, []string) error {
		return func(cmd *cobra.Command, args []string) error {
			r, err := f.Repository()
			if err != nil {
				return err
			}
			dir := r.HooksDir()
			if install {
				paths, err := hooks.Install(dir, smallPath())
				if errors.Is(err, hooks.ErrForeignHook) {
					return cmdutil.Usage(err)
				}
				if err != nil {
					return err
				}
				for i, p := range paths {
					fmt.Fprintf(f.IO.Out, "installed %s: %s\n", p, hooks.All[i].Does)
				}
				return nil
			}
			removed, err := hooks.Uninstall(dir)
			for _, name := range removed {
				fmt.Fprintf(f.IO.Out, "removed the %s hook small installed\n", name)
			}
			if errors.Is(err, hooks.ErrForeignHook) {
				return cmdutil.Usage(err)
			}
			if err != nil {
				return err
			}
			if len(removed) == 0 {
				fmt.Fprintln(f.IO.Out, "no hook of small's to remove")
			}
			return nil
		}
	}
	var format string
	commitMsg := &cobra.Command{
		Use:   "commit-msg FILE",
		Short: "Check the Small-* trailers of a commit message (what the commit-msg hook runs)",
		Long: `Check the Small-* trailers of the commit message in FILE as git reads
them (git interpret-trailers): Small-Agent names the agent, Small-Rollback-Of
a build id; any other Small-* key is refused with the nearest, the trailers
only small build writes (Small-Manifest-Commit, Small-Schema-Digest,
Small-Builder, Small-Protocol) are refused in a content commit, and a
Small-* line outside the last paragraph, which git would not read as a
trailer, is named. Exit 1 on a finding.`,
		Example: `  $ small hooks commit-msg .git/COMMIT_EDITMSG`,
		Args:    cmdutil.ExactArgs(1, "the file holding the commit message"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := cmdutil.CheckFormat(format, diag.FormatText, diag.FormatJSON); err != nil {
				return err
			}
			data, err := os.ReadFile(args[0])
			if err != nil {
				return cmdutil.Usage(err)
			}
			rep := diag.Report{Command: "commit-msg", Diagnostics: content.CheckMessage(args[0], string(data))}
			if format == diag.FormatJSON {
				if err := rep.WriteJSON(f.IO.Out); err != nil {
					return err
				}
			} else {
				for _, d := range rep.Diagnostics {
					fmt.Fprintln(f.IO.ErrOut, d.String())
				}
			}
			if rep.Failed() {
				return cmdutil.Findings
			}
			return nil
		},
	}
	commitMsg.Flags().StringVar(&format, "format", diag.FormatText, "output `format`: text or json")
	cmd.AddCommand(
		&cobra.Command{Use: "install", Short: "Install the pre-commit, commit-msg and pre-push hooks", Args: cmdutil.NoArgs, RunE: run(true),
			Example: "  $ small hooks install"},
		&cobra.Command{Use: "uninstall", Short: "Remove the hooks small installed", Args: cmdutil.NoArgs, RunE: run(false)},
		commitMsg,
	)
	return cmd
}

// smallPath is the small the hook should run: the one on PATH, as the shell
// that installed it found it, else this very binary.
func smallPath() string {
	if p, err := exec.LookPath("small"); err == nil {
		if abs, err := filepath.Abs(p); err == nil {
			return abs
		}
	}
	if p, err := os.Executable(); err == nil {
		return p
	}
	return "small"
}
