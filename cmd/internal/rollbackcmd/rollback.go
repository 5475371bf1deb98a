// Package rollbackcmd implements small rollback: bring an earlier version of
// an artifact back, as a new version.
package rollbackcmd

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/smallhq/small/builder"
	"github.com/smallhq/small/cmd/internal/cmdutil"
)

// NewCmdRollback returns the rollback command.
func NewCmdRollback(f *cmdutil.Factory) *cobra.Command {
	var to string
	cmd := &cobra.Command{
		Use:   "rollback <artifact-path | Kind/id> --to <build-commit | N>",
		Short: "Bring back an earlier version of an artifact, as a new version",
		Long: `Write the manifest of an earlier version of an artifact back into the
working tree and stage it; print the commit message to use, which carries a
Small-Rollback-Of trailer naming the build of that version. Commit it (and
open a pull request as for any change): the next small build makes a new
version and records a rolledback event linking the two. History is never
erased.

--to takes a build commit (a prefix of its id is enough) or N, the version
N steps back from the current one (--to 1 is the previous version). The
lifecycle rules apply to the rolled-back status as to any change.`,
		Example: `  $ small rollback Article/hello-world --to 1 > msg.txt
  $ git commit -F msg.txt`,
		ValidArgsFunction: f.CompleteArtifacts,
		Args:              cmdutil.ExactArgs(1, "an artifact: its path or Kind/id"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if to == "" {
				return cmdutil.Usagef("--to is required: a build commit, or N versions back (--to 1)")
			}
			r, l, err := f.OpenLog()
			if err != nil {
				return cmdutil.Classify(err)
			}
			rb, err := builder.StageRollback(r, l, args[0], to)
			if err != nil {
				return cmdutil.Classify(err)
			}
			fmt.Fprintf(f.IO.ErrOut, "staged %s as it was in build %s (manifest commit %s); commit it with the message below\n",
				rb.Manifest, rb.Build.Short(), cmdutil.ShortID(rb.ManifestCommit))
			fmt.Fprint(f.IO.Out, rb.Message())
			return nil
		},
	}
	cmd.Flags().StringVar(&to, "to", "", "the version to bring back: a build commit, or N versions back")
	return cmd
}
