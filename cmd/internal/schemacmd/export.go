package schemacmd

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/smallhq/small/cmd/internal/cmdutil"
	"github.com/smallhq/small/schema"
)

// Export formats.
const (
	FormatJSONSchema = "jsonschema"
	FormatOpenAPI    = "openapi"
)

// ManifestSchemaFile is the file --out writes beside the kinds' schemas:
// the schema of a manifest of any kind, which picks the kind's schema by
// its kind field (what editors map onto the manifests root).
const ManifestSchemaFile = "_manifest.schema.json"

// OpenAPIFile is the file --out --format openapi writes.
const OpenAPIFile = "openapi.json"

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
	s, err := loadSchema(opts.Factory, opts.Rev)
	if err != nil {
		return err
	}
	files, err := exportFiles(s, opts.Kind, opts.Format)
	if err != nil {
		return kindError(opts.Factory, err)
	}
	if opts.Out == "" {
		// One document: the kind's, the any-kind schema, or the OpenAPI one.
		_, err := opts.IO.Out.Write(files[len(files)-1].data)
		return err
	}
	if err := writeFiles(opts.Out, files); err != nil {
		return err
	}
	for _, f := range files {
		fmt.Fprintln(opts.IO.ErrOut, "wrote "+filepath.Join(opts.Out, f.name))
	}
	return nil
}

type outFile struct {
	name string
	data []byte
}

// exportFiles exports what was asked for, as the files --out writes. The
// last is the document stdout gets without --out.
func exportFiles(s *schema.Schema, kind, format string) ([]outFile, error) {
	if format == FormatOpenAPI {
		var kinds []string
		if kind != "" {
			kinds = []string{kind}
		}
		b, err := s.OpenAPI(kinds...)
		if err != nil {
			return nil, err
		}
		return []outFile{{OpenAPIFile, b}}, nil
	}
	if kind != "" {
		b, err := s.JSONSchema(kind)
		if err != nil {
			return nil, err
		}
		return []outFile{{kind + ".schema.json", b}}, nil
	}
	all, err := s.JSONSchemas()
	if err != nil {
		return nil, err
	}
	var files []outFile
	seen := map[string]string{}
	for _, k := range s.Kinds {
		// Two kinds whose names differ only in case would be one file
		// on macOS and Windows.
		if other, ok := seen[strings.ToLower(k)]; ok {
			return nil, &schema.ExportError{Kind: k, Err: fmt.Errorf("%s.schema.json and %s.schema.json are one file where case does not count: expected kinds whose names differ in more than case", other, k)}
		}
		seen[strings.ToLower(k)] = k
		files = append(files, outFile{k + ".schema.json", all[k]})
	}
	m, err := s.ManifestJSONSchema()
	if err != nil {
		return nil, err
	}
	return append(files, outFile{ManifestSchemaFile, m}), nil
}

// writeFiles writes the files into dir, making it if need be: each beside
// its name, then renamed onto it, so a reader never sees half a schema.
// A symbolic link, for dir or where a file goes, is refused: a repository
// could plant one to make the export overwrite a file elsewhere.
func writeFiles(dir string, files []outFile) error {
	if fi, err := os.Lstat(dir); err == nil && fi.Mode()&os.ModeSymlink != 0 {
		return cmdutil.Usagef("--out %s: is a symbolic link: expected a directory", dir)
	} else if err == nil && !fi.IsDir() {
		return cmdutil.Usagef("--out %s: not a directory", dir)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return cmdutil.Usagef("--out %s: %v", dir, err)
	}
	for _, f := range files {
		p := filepath.Join(dir, f.name)
		if fi, err := os.Lstat(p); err == nil && !fi.Mode().IsRegular() {
			return cmdutil.Usagef("%s: not a regular file (a symbolic link or a directory): expected a file small may replace", p)
		}
		tmp, err := os.CreateTemp(dir, ".export-*")
		if err != nil {
			return cmdutil.Usagef("--out %s: %v", dir, err)
		}
		_, werr := tmp.Write(f.data)
		cerr := tmp.Close()
		if werr == nil {
			werr = cerr
		}
		if werr == nil {
			werr = os.Chmod(tmp.Name(), 0o644)
		}
		if werr == nil {
			werr = os.Rename(tmp.Name(), p)
		}
		if werr != nil {
			os.Remove(tmp.Name())
			return fmt.Errorf("write %s: %w", p, werr)
		}
	}
	return nil
}
