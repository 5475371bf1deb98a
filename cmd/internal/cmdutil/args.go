package cmdutil

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/smallhq/small/builder"
	"github.com/smallhq/small/content"
	"github.com/smallhq/small/diag"
)

// ExactArgs wants n arguments and says which, and how the command is used,
// instead of cobra's "accepts 1 arg(s), received 0".
func ExactArgs(n int, what string) cobra.PositionalArgs {
	return func(c *cobra.Command, args []string) error {
		if len(args) == n {
			return nil
		}
		got := "none"
		if len(args) > 0 {
			got = fmt.Sprintf("%d: %s", len(args), strings.Join(args, " "))
		}
		return Usagef("expected %s, got %s\nUsage: %s", what, got, c.UseLine())
	}
}

// NoArgs wants no argument.
func NoArgs(c *cobra.Command, args []string) error {
	if len(args) == 0 {
		return nil
	}
	return Usagef("%s takes no argument, got %q\nUsage: %s", c.CommandPath(), args[0], c.UseLine())
}

var (
	unknownFlag = regexp.MustCompile(`^unknown (?:shorthand )?flag: '?-{1,2}([^' ]+)'?`)
	badValue    = regexp.MustCompile(`^invalid argument "(.*)" for "(.*)" flag: strconv\.Parse(Int|Uint|Float|Bool): .*$`)
)

// FlagError rewrites pflag's errors to say what was expected: a "did you
// mean" for an unknown flag, and the kind of value for a bad one.
func FlagError(c *cobra.Command, err error) error {
	msg := err.Error()
	if m := unknownFlag.FindStringSubmatch(msg); m != nil {
		var names []string
		c.Flags().VisitAll(func(f *pflag.Flag) { names = append(names, f.Name) })
		if near := diag.Nearest(m[1], names); near != "" {
			msg += fmt.Sprintf(" (did you mean --%s?)", near)
		}
	} else if m := badValue.FindStringSubmatch(msg); m != nil {
		want := map[string]string{"Int": "a whole number", "Uint": "a whole number, 0 or more", "Float": "a number", "Bool": "true or false"}[m[3]]
		flag := m[2]
		if i := strings.LastIndex(flag, ", "); i >= 0 {
			flag = flag[i+2:]
		}
		msg = fmt.Sprintf("%s %q: expected %s", flag, m[1], want)
	}
	return Usagef("%s\nRun '%s --help' for usage.", msg, c.CommandPath())
}

// MaxArgs wants at most n arguments, naming what they are.
func MaxArgs(n int, what string) cobra.PositionalArgs {
	return func(c *cobra.Command, args []string) error {
		if len(args) <= n {
			return nil
		}
		return Usagef("expected at most %d argument (%s), got %d: %s\nUsage: %s", n, what, len(args), strings.Join(args, " "), c.UseLine())
	}
}

// CheckName refuses a name that is not among known, with the nearest.
func CheckName(what, name string, known []string) error {
	for _, k := range known {
		if k == name {
			return nil
		}
	}
	msg := fmt.Sprintf("no %s named %q", what, name)
	if near := diag.Nearest(name, known); near != "" {
		msg += fmt.Sprintf(" (did you mean %s?)", near)
	} else if len(known) == 0 {
		msg += fmt.Sprintf("; this repository has no %s (git remote add origin URL)", what)
	} else {
		msg += fmt.Sprintf("; known: %s", strings.Join(known, ", "))
	}
	return Usage(fmt.Errorf("%s", msg))
}

// CompleteArtifacts completes the first argument with what the latest
// build holds: Kind/id of every manifest, and artifact paths, matched
// case-insensitively, so that `small show Art<TAB>` offers Article/….
func (f *Factory) CompleteArtifacts(c *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
	if len(args) > 0 {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	r, l, err := f.OpenLog()
	if err != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	entries, _, err := builder.Current(r, l.Branch())
	if err != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	want := strings.ToLower(toComplete)
	var out []cobra.Completion
	add := func(s string) {
		if strings.HasPrefix(strings.ToLower(s), want) {
			out = append(out, s)
		}
	}
	for _, e := range entries {
		add(e.Name())
		for _, a := range e.Artifacts {
			add(a)
		}
	}
	slices.Sort(out)
	return slices.Compact(out), cobra.ShellCompDirectiveNoFileComp
}

// CompleteKinds completes a --kind flag with the kinds of the schemas in
// the working tree.
func (f *Factory) CompleteKinds(c *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
	r, err := f.Repository()
	if err != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	s, err := content.SchemaAt(r, "")
	if err != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	var out []cobra.Completion
	for _, k := range s.Kinds {
		if strings.HasPrefix(strings.ToLower(k), strings.ToLower(toComplete)) {
			out = append(out, k)
		}
	}
	return out, cobra.ShellCompDirectiveNoFileComp
}
