package schemacmd

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/smallhq/small/cmd/internal/cmdutil"
	"github.com/smallhq/small/content"
)

const (
	FormatJSONSchema   = content.FormatJSONSchema
	FormatOpenAPI      = content.FormatOpenAPI
	ManifestSchemaFile = content.ManifestSchemaFile
	OpenAPIFile        = content.OpenAPIFile
)

// ExportOptions are the inputs of small schema export.
type ExportOptions struct {
	IO      *cmdutil.IOStreams
	Factory *cmdutil.Factory
	Kind    string // "" for every kind
	Rev     string
	Format  string
	Out     string
}

// NewCmdExport returns the schema export command.
func NewCmdExport(f *cmdutil.Factory, runF func(*ExportOptions) error) *cobra.Command {
	opts := &ExportOptions{IO: f.IO, Factory: f}
	cmd := &cobra.Command{
		Use:   "export [KIND]",
		Short: "Export kinds as JSON Schema (2020-12) or OpenAPI 3.1",
		Long: `Export the kinds of the schemas package as JSON Schema (draft 2020-12),
for editors, validators and agents, or as an OpenAPI 3.1 document.

A kind's schema is the schema of a manifest of that kind as it is written
in a file: the reserved fields (kind as a constant, id with small's id
rule, status as one of the lifecycle's states) and the definition's fields
with their types, defaults, allowed values, patterns (rewritten from CUE's
RE2 syntax to the ECMAScript syntax JSON Schema validators use) and
bounds. Where CUE checks something JSON Schema cannot express, the schema
says so in a "$comment" at that place: there it is looser than
small validate, and nowhere else.

With KIND, the kind's schema goes to stdout. Without it, stdout gets one
schema for a manifest of any kind, which picks the kind's schema by the
manifest's kind field.

--out DIR writes files instead: <Kind>.schema.json for each kind (or for
KIND), and ` + ManifestSchemaFile + `, the any-kind schema; with --format openapi,
one ` + OpenAPIFile + `. Files there are replaced; symbolic links are refused.
small init maps ` + ManifestSchemaFile + ` onto the manifests for editors (see
docs/editors.md).`,
		Example: `  $ small schema export Article > article.schema.json
  $ small schema export --out .small/jsonschema
  $ small schema export --format openapi > openapi.json
  $ small schema export Article --rev main`,
		ValidArgsFunction: func(c *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
			if len(args) > 0 {
				return nil, cobra.ShellCompDirectiveNoFileComp
			}
			return f.CompleteKinds(c, args, toComplete)
		},
		Args: cmdutil.MaxArgs(1, "a kind"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := cmdutil.CheckFormat(opts.Format, FormatJSONSchema, FormatOpenAPI); err != nil {
				return err
			}
			if len(args) == 1 {
				opts.Kind = args[0]
			}
			if runF != nil {
				return runF(opts)
			}
			return runExport(opts)
		},
	}
	cmd.Flags().StringVar(&opts.Rev, "rev", "", "read the schemas from commit `rev` instead of the working tree")
	cmd.Flags().StringVar(&opts.Format, "format", FormatJSONSchema, "output `format`: jsonschema or openapi")
	cmd.Flags().StringVar(&opts.Out, "out", "", "write one file per kind into `dir` instead of stdout")
	return cmd
}

func runExport(opts *ExportOptions) error {
	s, err := loadSchema(opts.Factory, opts.Rev, opts.Format)
	if err != nil {
		return err
	}
	files, err := content.ExportFiles(s, opts.Kind, opts.Format)
	if err != nil {
		return kindError(opts.Factory, err)
	}
	if opts.Out == "" {
		// One document: the kind's, the any-kind schema, or the OpenAPI one.
		_, err := opts.IO.Out.Write(files[len(files)-1].Data)
		return err
	}
	wrote, _, err := cmdutil.WriteGenerated(opts.Out, files, true)
	for _, p := range wrote {
		fmt.Fprintln(opts.IO.ErrOut, "wrote "+p)
	}
	return err
}
