// Package remotecmd implements small pull, small push and small sync: the
// artifact branch and small's notes between this clone and a remote.
package remotecmd

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/smallhq/small/cmd/internal/cmdutil"
	"github.com/smallhq/small/config"
	"github.com/smallhq/small/diag"
	"github.com/smallhq/small/protocol"
	"github.com/smallhq/small/remote"
)

type options struct {
	format string
	reset  bool
}

const transfers = `The artifact branch and both notes refs (refs/notes/small/lineage and
refs/notes/small/lifecycle) travel together, through the git CLI, so your
credential helpers, SSH configuration and the http.extraheader a CI
checkout sets all apply. Notes are never forced: where both sides added
lines, they are merged as the union of their lines, so no build record and
no event is lost. REMOTE defaults to origin.`

// NewCmdPull returns the pull command.
func NewCmdPull(f *cmdutil.Factory) *cobra.Command {
	var o options
	cmd := &cobra.Command{
		Use:   "pull [REMOTE]",
		Short: "Fetch the artifact branch and small's notes, merging the notes",
		Long: `Fetch the artifact branch and small's notes from REMOTE: the branch is
created or fast-forwarded; the notes are fetched to
refs/notes/small-remote/REMOTE/* and merged into yours line by line.

When the artifact branch has diverged (builds here and builds there since
a common build), pull explains which builds are on which side and stops
(exit 3); --reset takes the remote's builds and carries the events
recorded on the builds only here over to the remote's newest build.

` + transfers,
		Example: `  $ small pull
  $ small pull upstream
  $ small pull --reset`,
		Args: cmdutil.MaxArgs(1, "a remote"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return run(f, args, o, "pull")
		},
	}
	cmd.Flags().BoolVar(&o.reset, "reset", false, "on a diverged artifact branch, take the remote's builds (events recorded here are carried over)")
	cmd.Flags().StringVar(&o.format, "format", diag.FormatText, "output `format`: text or json")
	return cmd
}

// NewCmdPush returns the push command.
func NewCmdPush(f *cmdutil.Factory) *cobra.Command {
	var o options
	cmd := &cobra.Command{
		Use:   "push [REMOTE]",
		Short: "Send the artifact branch and small's notes, never forcing",
		Long: `Push the artifact branch and small's notes to REMOTE, all or none
(git push --atomic) and never forced. When REMOTE refuses because someone
else pushed meanwhile, push pulls (merging the notes), and tries again, a
few times; a diverged artifact branch is explained with exit 3.

` + transfers,
		Example: `  $ small build && small push`,
		Args:    cmdutil.MaxArgs(1, "a remote"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return run(f, args, o, "push")
		},
	}
	cmd.Flags().StringVar(&o.format, "format", diag.FormatText, "output `format`: text or json")
	return cmd
}

// NewCmdSync returns the sync command.
func NewCmdSync(f *cmdutil.Factory) *cobra.Command {
	var o options
	cmd := &cobra.Command{
		Use:   "sync [REMOTE]",
		Short: "Pull, then push: both sides end with every build and every line",
		Long: `small pull, then small push.

` + transfers,
		Args: cmdutil.MaxArgs(1, "a remote"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return run(f, args, o, "sync")
		},
	}
	cmd.Flags().StringVar(&o.format, "format", diag.FormatText, "output `format`: text or json")
	return cmd
}

func run(f *cmdutil.Factory, args []string, o options, verb string) error {
	if err := cmdutil.CheckFormat(o.format, diag.FormatText, diag.FormatJSON); err != nil {
		return err
	}
	r, err := f.Repository()
	if err != nil {
		return err
	}
	name := "origin"
	if len(args) == 1 {
		name = args[0]
	}
	remotes, err := r.Remotes()
	if err != nil {
		return err
	}
	if err := cmdutil.CheckName("remote", name, remotes); err != nil {
		return err
	}
	who, err := r.UserIdentity()
	if err != nil {
		return cmdutil.Usage(err)
	}
	branch := config.ArtifactRef(r.WorkingTree())
	opts := remote.Options{Reset: o.reset, Who: who}
	var res *remote.Result
	switch verb {
	case "pull":
		res, err = remote.Pull(r, name, branch, opts)
	case "push":
		res, err = remote.Push(r, name, branch, opts)
	case "sync":
		if res, err = remote.Pull(r, name, branch, opts); err == nil {
			var pushed *remote.Result
			if pushed, err = remote.Push(r, name, branch, opts); err == nil {
				if pushed.Attempts == 1 { // the push pulled nothing more
					pushed.Artifacts, pushed.Notes = res.Artifacts, res.Notes
				}
				res = pushed
			}
		}
	}
	if err != nil {
		return cmdutil.Classify(err)
	}
	if o.format == diag.FormatJSON {
		return cmdutil.WriteJSON(f.IO.Out, res)
	}
	b := protocol.BranchName(branch)
	fmt.Fprintf(f.IO.Out, "%s: %s\n", b, res.Artifacts)
	for _, ref := range []string{protocol.NotesLineage, protocol.NotesLifecycle} {
		if what := res.Notes[ref]; what != "" {
			fmt.Fprintf(f.IO.Out, "%s: %s\n", ref, what)
		}
	}
	if res.Pushed {
		fmt.Fprintf(f.IO.Out, "pushed to %s", name)
		if res.Attempts > 1 {
			fmt.Fprintf(f.IO.Out, " (after %d attempts: others were pushing too)", res.Attempts)
		}
		fmt.Fprintln(f.IO.Out)
	}
	return nil
}
