// Package showcmd implements small show: print an artifact's current bytes.
package showcmd

import (
	"github.com/spf13/cobra"

	"github.com/smallhq/small/cmd/internal/cmdutil"
)

// NewCmdShow returns the show command.
func NewCmdShow(f *cmdutil.Factory) *cobra.Command {
	return &cobra.Command{
		Use:   "show <artifact-path | kind/id>",
		Short: "Print an artifact's current bytes from the artifact branch",
		Long: `Print the current content of an artifact, as the artifact branch's tip
holds it. Name it by its path (article/hello-world.json) or by kind and id
(Article/hello-world).`,
		Example: `  $ small show article/hello-world.json
  $ small show Article/hello-world | jq .title`,
		ValidArgsFunction: f.CompleteArtifacts,
		Args:              cmdutil.ExactArgs(1, "an artifact: its path (article/hello-world.json) or Kind/id (Article/hello-world)"),
		RunE: func(cmd *cobra.Command, args []string) error {
			r, l, err := f.OpenLog()
			if err != nil {
				return cmdutil.Classify(err)
			}
			f.NoteUnverified(r, l)
			_, data, err := l.Artifact(args[0])
			if err != nil {
				return cmdutil.Classify(err)
			}
			_, err = f.IO.Out.Write(data)
			return err
		},
	}
}
