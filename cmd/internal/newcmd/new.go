// Package newcmd implements small new: write the skeleton of a manifest.
package newcmd

import (
	"errors"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/smallhq/small/cmd/internal/cmdutil"
	"github.com/smallhq/small/content"
	"github.com/smallhq/small/schema"
)

// Options are the inputs of small new.
type Options struct {
	IO      *cmdutil.IOStreams
	Factory *cmdutil.Factory
	Kind    string
	ID      string
	Path    string
}

// NewCmdNew returns the new command; runF replaces the run function in tests.
func NewCmdNew(f *cmdutil.Factory, runF func(*Options) error) *cobra.Command {
	opts := &Options{IO: f.IO, Factory: f}
	cmd := &cobra.Command{
		Use:   "new KIND ID [--path P]",
		Short: "Write the skeleton of a new manifest, to fill in",
		Long: `Write a new manifest of a kind, read from its CUE definition, for you (or an
agent) to fill in:

  - kind, and id when the file name is not the id;
  - every required field as an empty value marked TODO, with its type and
    constraints in a comment: small validate refuses the file, naming each
    such field, until it is filled in (required fields of nested structs
    are spelt out too);
  - fields with a default set to it, optional fields as comments;
  - first, a "# yaml-language-server: $schema=" line naming the kind's JSON
    Schema under .small/jsonschema/ (small init writes it; small schema
    export --out .small/jsonschema refreshes it), so an editor with the
    YAML extension completes and checks the file.

The file goes to <manifests>/<kind in lower case, plural>/<ID>.yaml
(manifests/articles/hello.yaml), or to --path: a .yaml or .yml file, or a
directory, under the manifests root. ID must be a valid id (lower case
letters, digits, '.', '_', '-'). small new never overwrites a file and
never writes through a symbolic link: it refuses with exit status 2 and
writes nothing.`,
		Example: `  $ small new Article hello-world
  $ small new Author grace --path manifests/people/
  $ small new Article launch --path manifests/2026/launch.yaml && $EDITOR manifests/2026/launch.yaml`,
		ValidArgsFunction: func(c *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
			if len(args) > 0 {
				return nil, cobra.ShellCompDirectiveNoFileComp
			}
			return f.CompleteKinds(c, args, toComplete)
		},
		Args: cmdutil.ExactArgs(2, "a kind and an id (small new Article hello-world)"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Kind, opts.ID = args[0], args[1]
			if runF != nil {
				return runF(opts)
			}
			return Run(opts)
		},
	}
	cmd.Flags().StringVar(&opts.Path, "path", "", "write to `P`: a .yaml file or a directory under the manifests root")
	return cmd
}

// Run writes the skeleton.
func Run(opts *Options) error {
	r, err := opts.Factory.Repository()
	if err != nil {
		return err
	}
	p := ""
	if opts.Path != "" {
		ps, err := cmdutil.RepoPaths(r.Root(), opts.Factory.Dir, []string{opts.Path})
		if err != nil {
			return err
		}
		p = ps[0]
		if len(opts.Path) > 0 && os.IsPathSeparator(opts.Path[len(opts.Path)-1]) {
			p += "/"
		}
	}
	m, err := content.PlanNew(r, content.NewOptions{Kind: opts.Kind, ID: opts.ID, Path: p})
	if err != nil {
		return newError(opts, err)
	}
	if err := content.WriteNew(r.Root(), m); err != nil {
		return newError(opts, err)
	}
	fmt.Fprintf(opts.IO.Out, "created %s\n", m.Path)
	fmt.Fprintf(opts.IO.ErrOut, "Next: fill in every TODO, then small validate %s.\n", m.Path)
	return nil
}

// newError gives a refusal its exit code: 2 for what the command line
// asked (a kind, an id, a path), 1 for schemas that do not compile.
func newError(opts *Options, err error) error {
	var se *schema.Error
	var ne *content.NewError
	switch {
	case errors.As(err, &se):
		for _, d := range se.Diagnostics {
			fmt.Fprintln(opts.IO.ErrOut, d.String())
		}
		return cmdutil.Findings
	case errors.As(err, &ne):
		return cmdutil.Usage(err)
	}
	return cmdutil.Classify(err)
}
