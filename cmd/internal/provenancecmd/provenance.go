// Package provenancecmd implements small provenance: an in-toto attestation
// of where an artifact came from.
package provenancecmd

import (
	"github.com/spf13/cobra"

	"github.com/smallhq/small/cmd/internal/cmdutil"
	"github.com/smallhq/small/diag"
)

// NewCmdProvenance returns the provenance command.
func NewCmdProvenance(f *cmdutil.Factory) *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:   "provenance <artifact-path | Kind/id>",
		Short: "Print an in-toto attestation (SLSA provenance v1) of an artifact",
		Long: `Print an in-toto Statement v1 with a SLSA provenance v1 predicate for an
artifact's current version: the subject is the artifact with its gitBlob
and sha256 digests; the resolved dependencies are the manifest (gitCommit
of the commit that introduced that version, gitBlob) and the schemas
(sha256 digest); the builder id is a URI naming small and the version
that built (https://github.com/smallhq/small/cmd/small@<version>); the
invocation is the build commit. It is unsigned: sign it with your
supply-chain tooling. The statement is JSON: --format json, the default,
is the only format.`,
		Example:           `  $ small provenance article/hello-world.json > hello.intoto.json`,
		ValidArgsFunction: f.CompleteArtifacts,
		Args:              cmdutil.ExactArgs(1, "an artifact: its path or Kind/id"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := cmdutil.CheckFormat(format, diag.FormatJSON); err != nil {
				return err
			}
			r, l, err := f.OpenLog()
			if err != nil {
				return cmdutil.Classify(err)
			}
			f.NoteUnverified(r, l)
			st, err := l.Provenance(args[0])
			if err != nil {
				return cmdutil.Classify(err)
			}
			return cmdutil.WriteJSON(f.IO.Out, st)
		},
	}
	cmd.Flags().StringVar(&format, "format", diag.FormatJSON, "output `format`: json (an in-toto statement)")
	return cmd
}
