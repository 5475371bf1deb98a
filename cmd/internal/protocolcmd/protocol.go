// Package protocolcmd implements small protocol: print the small/v1 contract,
// or the JSON Schema of one of small's records.
package protocolcmd

import (
	"github.com/spf13/cobra"

	"github.com/smallhq/small/cmd/internal/cmdutil"
	"github.com/smallhq/small/records"
)

// NewCmdProtocol returns the protocol command.
func NewCmdProtocol(f *cmdutil.Factory) *cobra.Command {
	var name string
	cmd := &cobra.Command{
		Use:   "protocol [--schema NAME]",
		Short: "Print the small/v1 contract as JSON, or the JSON Schema of one of small's records",
		Long: `Print the public contract small implements, small/v1, as one JSON object:
file names, reserved manifest fields, refs, trailer keys, exit codes, every
diagnostic code with its meaning, the five primitives with the question
each answers and the commands that answer it, the rules small enforces,
and the index of small's records. docs/protocol.md says the same in prose.

A record is a JSON object small writes: a line of its lineage or
lifecycle notes, or the --format json output of a command. --schema NAME
prints the JSON Schema (draft 2020-12) of the record called NAME,
generated from the Go type that writes it; the names are in .records[].name.
Check a record against it with any JSON Schema validator, e.g.
ajv validate --spec=draft2020 -c ajv-formats -s schema.json -d out.json.

It needs no repository.`,
		Example: `  $ small protocol | jq '.diagnosticCodes[].code'
  $ small protocol | jq -r '.records[] | "\(.name)\t\(.commands | join(", "))"'
  $ small protocol --schema lineage-record > lineage-record.schema.json
  $ small status --format json > status.json
  $ small protocol --schema status > status.schema.json
  $ ajv validate --spec=draft2020 -c ajv-formats -s status.schema.json -d status.json`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if !cmd.Flags().Changed("schema") {
				return cmdutil.WriteJSON(f.IO.Out, records.DescribeContract())
			}
			if err := cmdutil.CheckName("record", name, records.Names()); err != nil {
				return err
			}
			r, _ := records.Lookup(name)
			b, err := r.SchemaJSON()
			if err != nil {
				return err
			}
			_, err = f.IO.Out.Write(b)
			return err
		},
	}
	cmd.Flags().StringVar(&name, "schema", "", "print the JSON Schema of the record called `NAME` (lineage-record, lifecycle-event, report, status, …)")
	_ = cmd.RegisterFlagCompletionFunc("schema", func(*cobra.Command, []string, string) ([]cobra.Completion, cobra.ShellCompDirective) {
		return records.Names(), cobra.ShellCompDirectiveNoFileComp
	})
	return cmd
}
