// Package schemacmd implements small schema: inspect the kinds a repository defines.
package schemacmd

import (
	"errors"
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/smallhq/small/cmd/internal/cmdutil"
	"github.com/smallhq/small/content"
	"github.com/smallhq/small/diag"
	"github.com/smallhq/small/schema"
)

// NewCmdSchema returns the schema command group.
func NewCmdSchema(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:  "schema <command>",
		Args: cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) > 0 {
				hint := ""
				var names []string
				for _, sub := range cmd.Commands() {
					names = append(names, sub.Name())
				}
				if near := diag.Nearest(args[0], names); near != "" {
					hint = fmt.Sprintf(" (did you mean %q?)", near)
				}
				return cmdutil.Usagef("unknown command %q for %q%s\nRun '%s --help' for usage.", args[0], cmd.CommandPath(), hint, cmd.CommandPath())
			}
			return cmd.Help()
		},
		Short: "Inspect the kinds defined in the schemas package",
	}
	cmd.AddCommand(NewCmdList(f, nil), NewCmdShow(f, nil), NewCmdExport(f, nil))
	return cmd
}

// ListOptions are the inputs of small schema list.
type ListOptions struct {
	IO      *cmdutil.IOStreams
	Factory *cmdutil.Factory
	Rev     string
	Format  string
}

// NewCmdList returns the schema list command.
func NewCmdList(f *cmdutil.Factory, runF func(*ListOptions) error) *cobra.Command {
	opts := &ListOptions{IO: f.IO, Factory: f}
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the kinds and the schema digest",
		Long: `List the kinds of the schemas package, where each is defined, and the
schema digest: sha256 over the package's files, which build commits record
as Small-Schema-Digest.`,
		Example: `  $ small schema list
  $ small schema list --rev main --format json`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := cmdutil.CheckFormat(opts.Format, diag.FormatText, diag.FormatJSON); err != nil {
				return err
			}
			if runF != nil {
				return runF(opts)
			}
			return runList(opts)
		},
	}
	cmd.Flags().StringVar(&opts.Rev, "rev", "", "read the schemas from commit `rev` instead of the working tree")
	cmd.Flags().StringVar(&opts.Format, "format", diag.FormatText, "output `format`: text or json")
	return cmd
}

func runList(opts *ListOptions) error {
	s, err := loadSchema(opts.Factory, opts.Rev, opts.Format)
	if err != nil {
		return err
	}
	if opts.Format == diag.FormatJSON {
		return cmdutil.WriteJSON(opts.IO.Out, s.Listing())
	}
	tw := tabwriter.NewWriter(opts.IO.Out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "KIND\tDEFINED AT")
	for _, k := range s.Kinds {
		fmt.Fprintf(tw, "%s\t%s\n", k, s.Defined[k])
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(opts.IO.Out, "\nschema digest %s\n", s.Digest)
	return nil
}

// loadSchema loads the schemas of a revision ("" for the working tree).
// Schemas that do not compile print their diagnostics and end the command
// with exit 1, as small validate does; with --format json, the failure
// object on standard output carries them (see root).
func loadSchema(f *cmdutil.Factory, rev, format string) (*schema.Schema, error) {
	r, err := f.Repository()
	if err != nil {
		return nil, err
	}
	s, err := content.SchemaAt(r, rev)
	var se *schema.Error
	if errors.As(err, &se) && format == diag.FormatJSON {
		return nil, &cmdutil.ExitError{Code: cmdutil.ExitFindings, Err: fmt.Errorf("the schemas do not compile: %w", err)}
	}
	if errors.As(err, &se) {
		for _, d := range se.Diagnostics {
			fmt.Fprintln(f.IO.ErrOut, d.String())
		}
		return nil, cmdutil.Findings
	}
	if err != nil {
		return nil, cmdutil.Classify(err)
	}
	return s, nil
}

// kindError gives a failure to describe or export a kind its exit code: an
// unknown kind is a usage error (2), a kind JSON Schema cannot hold a
// finding about the schemas (1).
func kindError(f *cmdutil.Factory, err error) error {
	var unknown *schema.UnknownKindError
	var export *schema.ExportError
	var se *schema.Error
	switch {
	case errors.As(err, &unknown):
		return cmdutil.Usage(err)
	case errors.As(err, &export):
		fmt.Fprintln(f.IO.ErrOut, "small: "+err.Error())
		return cmdutil.Findings
	case errors.As(err, &se):
		for _, d := range se.Diagnostics {
			fmt.Fprintln(f.IO.ErrOut, d.String())
		}
		return cmdutil.Findings
	}
	return cmdutil.Classify(err)
}
