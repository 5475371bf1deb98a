// Package eventcmd implements small event: record an observation of an
// artifact in its lifecycle log.
package eventcmd

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/smallhq/small/builder"
	"github.com/smallhq/small/cmd/internal/cmdutil"
	"github.com/smallhq/small/config"
	"github.com/smallhq/small/lineage"
	"github.com/smallhq/small/protocol"
)

// NewCmdEvent returns the event command.
func NewCmdEvent(f *cmdutil.Factory) *cobra.Command {
	var message string
	cmd := &cobra.Command{
		Use:   "event <artifact-path | Kind/id> <type> [--message M]",
		Short: "Record an observation (deployed, reviewed, ...) in an artifact's lifecycle log",
		Long: `Append an event that is not a state change, such as deployed or
announced, to the lifecycle note of the latest build, as you (your git
identity). It can never change state: states change only through
manifests. The names small build records (created, updated, retracted,
transitioned, rolledback) are refused.`,
		Example: `  $ small event Article/hello-world deployed --message "to production"
  $ small history Article/hello-world`,
		ValidArgsFunction: f.CompleteArtifacts,
		Args:              cmdutil.ExactArgs(2, "an artifact and an event type, e.g. Article/hello-world deployed"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := lineage.CheckEventName(args[1]); err != nil {
				return cmdutil.Usage(err)
			}
			r, l, err := f.OpenLog()
			if err != nil {
				return cmdutil.Classify(err)
			}
			who, err := r.UserIdentity()
			if err != nil {
				return cmdutil.Usage(err)
			}
			// Who is an agent is the policy of the build observed, as
			// small verify will judge the line.
			snap := r.WorkingTree() // where the build's commit is not at hand
			if tip, err := r.ReadCommit(l.Tip()); err == nil {
				if mc, err := r.Resolve(tip.Trailer(protocol.TrailerManifestCommit)); err == nil {
					snap = r.Snapshot(mc)
				}
			}
			cfg, err := config.Load(snap)
			agent := err == nil && cfg.IsAgent(who.Email)
			verified := builder.Verified(r, l.Branch(), l.Tip())
			ev, build, err := l.RecordEvent(args[0], lineage.Observation{Type: args[1], Message: message, Who: who, Agent: agent})
			if err != nil {
				return cmdutil.Classify(err)
			}
			if verified {
				// A line written here, of the shape verify checks, on a
				// verified branch leaves it verified.
				if err := builder.MarkVerified(r, l.Branch(), l.Tip()); err != nil {
					return err
				}
			}
			fmt.Fprintf(f.IO.Out, "recorded %s of %s in the lifecycle note of build %s\n", ev.Event, ev.Artifact, build.Short())
			return nil
		},
	}
	cmd.Flags().StringVarP(&message, "message", "m", "", "a note on the event")
	return cmd
}
