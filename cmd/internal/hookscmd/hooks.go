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
		Short: "Install or remove the git pre-commit hook that runs small validate",
		Long: `A pre-commit hook that runs small validate refuses a commit while a
manifest in the working tree is invalid. It is installed where git looks
for hooks (core.hooksPath, or .git/hooks). small never overwrites or
removes a hook it did not write. git commit --no-verify skips hooks; CI
(small init --ci) checks every pull request all the same.`,
	}
	run := func(install bool) func(*cobra.Command, []string) error {
		return func(cmd *cobra.Command, args []string) error {
			r, err := f.Repository()
			if err != nil {
				return err
			}
			dir := r.HooksDir()
			if install {
				path, err := hooks.Install(dir, smallPath())
				if errors.Is(err, hooks.ErrForeignHook) {
					return cmdutil.Usage(err)
				}
				if err != nil {
					return err
				}
				fmt.Fprintf(f.IO.Out, "installed %s: commits now run small validate on what they commit\n", path)
				return nil
			}
			removed, err := hooks.Uninstall(dir)
			if errors.Is(err, hooks.ErrForeignHook) {
				return cmdutil.Usage(err)
			}
			if err != nil {
				return err
			}
			if removed {
				fmt.Fprintln(f.IO.Out, "removed the pre-commit hook small installed")
			} else {
				fmt.Fprintln(f.IO.Out, "no pre-commit hook to remove")
			}
			return nil
		}
	}
	cmd.AddCommand(
		&cobra.Command{Use: "install", Short: "Install the pre-commit hook", Args: cmdutil.NoArgs, RunE: run(true),
			Example: "  $ small hooks install"},
		&cobra.Command{Use: "uninstall", Short: "Remove the pre-commit hook small installed", Args: cmdutil.NoArgs, RunE: run(false)},
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
