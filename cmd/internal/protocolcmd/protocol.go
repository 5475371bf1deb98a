// Package protocolcmd implements small protocol: print the small/v1 contract.
package protocolcmd

import (
	"github.com/spf13/cobra"

	"github.com/smallhq/small/cmd/internal/cmdutil"
	"github.com/smallhq/small/content"
)

// NewCmdProtocol returns the protocol command.
func NewCmdProtocol(f *cmdutil.Factory) *cobra.Command {
	return &cobra.Command{
		Use:   "protocol",
		Short: "Print the small/v1 contract as JSON",
		Long: `Print the public contract small implements, small/v1, as one JSON object:
file names, reserved manifest fields, refs, trailer keys, exit codes and
every diagnostic code with its meaning. docs/protocol.md says the same in prose.`,
		Example: `  $ small protocol | jq '.diagnosticCodes[].code'`,
		Args:    cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return cmdutil.WriteJSON(f.IO.Out, content.DescribeContract())
		},
	}
}
