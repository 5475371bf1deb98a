package schemacmd

import (
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/smallhq/small/cmd/internal/cmdutil"
	"github.com/smallhq/small/diag"
	"github.com/smallhq/small/schema"
)

// ShowOptions are the inputs of small schema show.
type ShowOptions struct {
	IO      *cmdutil.IOStreams
	Factory *cmdutil.Factory
	Kind    string
	Rev     string
	Format  string
}

// NewCmdShow returns the schema show command.
func NewCmdShow(f *cmdutil.Factory, runF func(*ShowOptions) error) *cobra.Command {
	opts := &ShowOptions{IO: f.IO, Factory: f}
	cmd := &cobra.Command{
		Use:   "show KIND",
		Short: "Describe a kind: its fields, defaults, allowed values and lifecycle",
		Long: `Describe what a manifest of one kind may say, read from its CUE definition:
every field with its type, whether it is required, its default, the values
it allows and its constraints in words, nested fields of structs and of
lists of structs, whether other fields are allowed, and the kind's
lifecycle (its states, the initial one, the transitions, which states only
a human may enter and from which a manifest may be deleted).

The reserved fields kind, id and status come first: small checks them
itself (kind names the definition, id defaults to the file name, status to
the lifecycle's initial state).

--format json prints the same as one small/v1 object, for tools and agents.`,
		Example: `  $ small schema show Article
  $ small schema show Article --format json | jq '.fields[] | select(.required) | .name'
  $ small schema show Author --rev main`,
		ValidArgsFunction: func(c *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
			if len(args) > 0 {
				return nil, cobra.ShellCompDirectiveNoFileComp
			}
			return f.CompleteKinds(c, args, toComplete)
		},
		Args: cmdutil.ExactArgs(1, "a kind (small schema list names them)"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := cmdutil.CheckFormat(opts.Format, diag.FormatText, diag.FormatJSON); err != nil {
				return err
			}
			opts.Kind = args[0]
			if runF != nil {
				return runF(opts)
			}
			return runShow(opts)
		},
	}
	cmd.Flags().StringVar(&opts.Rev, "rev", "", "read the schemas from commit `rev` instead of the working tree")
	cmd.Flags().StringVar(&opts.Format, "format", diag.FormatText, "output `format`: text or json")
	return cmd
}

func runShow(opts *ShowOptions) error {
	s, err := loadSchema(opts.Factory, opts.Rev, opts.Format)
	if err != nil {
		return err
	}
	d, err := s.Describe(opts.Kind)
	if err != nil {
		return kindError(opts.Factory, err)
	}
	if opts.Format == diag.FormatJSON {
		return cmdutil.WriteJSON(opts.IO.Out, d)
	}
	return writeDescription(opts.IO.Out, d)
}

// writeDescription renders a kind for people.
func writeDescription(w io.Writer, d schema.KindDescription) error {
	fmt.Fprintf(w, "kind %s", d.Kind)
	if d.Defined != "" {
		fmt.Fprintf(w, " (%s)", d.Defined)
	}
	fmt.Fprintln(w)
	if d.Doc != "" {
		fmt.Fprintln(w, indent(d.Doc, "  "))
	}
	if len(d.Forms) > 0 {
		for i, form := range d.Forms {
			fmt.Fprintf(w, "\nfields, form %d of %d (a manifest matches one form):\n", i+1, len(d.Forms))
			if err := writeFields(w, form); err != nil {
				return err
			}
		}
	} else {
		fmt.Fprintln(w, "\nfields:")
		if err := writeFields(w, d.Fields); err != nil {
			return err
		}
	}
	fmt.Fprintf(w, "\nother fields: %s\n", d.OtherFields)
	lc := d.Lifecycle
	fmt.Fprintln(w, "\nlifecycle:")
	fmt.Fprintf(w, "  states:      %s\n", strings.Join(lc.States, ", "))
	fmt.Fprintf(w, "  initial:     %s\n", lc.Initial)
	fmt.Fprintln(w, "  transitions:")
	any := false
	for _, from := range lc.States {
		if to := lc.Transitions[from]; len(to) > 0 {
			fmt.Fprintf(w, "    %s -> %s\n", from, strings.Join(to, ", "))
			any = true
		}
	}
	if !any {
		fmt.Fprintln(w, "    none")
	}
	fmt.Fprintf(w, "  human only:  %s\n", orNone(lc.HumanOnly))
	frozen := lc.Frozen
	if frozen == nil {
		frozen = lc.HumanOnly
	}
	fmt.Fprintf(w, "  frozen:      %s\n", orNone(frozen))
	fmt.Fprintf(w, "  deletable:   %s\n", orNone(lc.Deletable))
	if lc.Referenceable != nil {
		fmt.Fprintf(w, "  referenceable: %s\n", orNone(lc.Referenceable))
	}
	fmt.Fprintf(w, "\nschema digest %s\n", d.Digest)
	return nil
}

// writeFields writes one line per field (path, type, and required, or the
// default), then its doc and constraints indented below it.
func writeFields(w io.Writer, fields []schema.FieldDescription) error {
	type row struct {
		path, typ, req string
		more           []string
	}
	var rows []row
	for _, f := range fields {
		r := row{path: f.Path, typ: f.Type, req: "optional"}
		switch {
		case f.Required:
			r.req = "required"
		case f.Default != nil:
			r.req = "default " + string(f.Default)
		}
		if f.Doc != "" {
			r.more = append(r.more, strings.Split(f.Doc, "\n")...)
		}
		if len(f.Enum) > 1 {
			vals := make([]string, len(f.Enum))
			for i, e := range f.Enum {
				vals[i] = string(e)
			}
			r.more = append(r.more, "one of "+strings.Join(vals, ", "))
		}
		r.more = append(r.more, f.Constraints...)
		rows = append(rows, r)
	}
	pw, tw := 0, 0
	for _, r := range rows {
		pw = max(pw, len(r.path))
		if len(r.typ) <= 32 {
			tw = max(tw, len(r.typ))
		}
	}
	for _, r := range rows {
		if _, err := fmt.Fprintf(w, "  %-*s  %-*s  %s\n", pw, r.path, tw, r.typ, r.req); err != nil {
			return err
		}
		for _, m := range r.more {
			fmt.Fprintf(w, "  %-*s  %s\n", pw, "", m)
		}
	}
	return nil
}

func indent(s, by string) string {
	return by + strings.ReplaceAll(s, "\n", "\n"+by)
}

func orNone(s []string) string {
	if len(s) == 0 {
		return "none"
	}
	return strings.Join(s, ", ")
}
