// Package validatecmd implements small validate: check manifests against their
// kinds' schemas.
package validatecmd

import (
	"time"

	"github.com/spf13/cobra"

	"github.com/smallhq/small/cmd/internal/cmdutil"
	"github.com/smallhq/small/content"
	"github.com/smallhq/small/diag"
)

// Options are the inputs of small validate.
type Options struct {
	IO      *cmdutil.IOStreams
	Factory *cmdutil.Factory
	Paths   []string
	Rev     string
	Base    string
	Format  string
	Staged  bool
	Verbose bool
}

// NewCmdValidate returns the validate command; runF replaces the run
// function in tests.
func NewCmdValidate(f *cmdutil.Factory, runF func(*Options) error) *cobra.Command {
	opts := &Options{IO: f.IO, Factory: f}
	cmd := &cobra.Command{
		Use:   "validate [path...]",
		Short: "Check manifests against their kinds' schemas",
		Long: `Check every manifest (or those under the given paths) against the CUE
definition of its kind, and report every problem at file:line:col.

Without --rev, the files in the working tree are checked, committed or not.
With --rev, schemas and manifests are read from that commit, as a build
would read them. With --staged, they are read as the index holds them:
what git commit would commit, untracked files left out.

Each finding names the offending value, what was given and what was
expected, and carries a stable code (schema.violation, manifest.parse, ...;
see docs/protocol.md). Exit status: 0 all valid, 1 findings, 2 usage or
configuration error.`,
		Example: `  $ small validate
  $ small validate manifests/articles/hello.yaml
  $ small validate --rev origin/main --format json
  # in GitHub Actions: annotations on the diff and a job summary
  $ small validate --format github`,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Paths = args
			if err := cmdutil.CheckFormat(opts.Format, diag.FormatText, diag.FormatJSON, diag.FormatGitHub); err != nil {
				return err
			}
			if runF != nil {
				return runF(opts)
			}
			return Run(opts)
		},
	}
	cmd.Flags().StringVar(&opts.Rev, "rev", "", "read schemas and manifests from commit `rev` instead of the working tree")
	cmd.Flags().BoolVar(&opts.Staged, "staged", false, "read schemas and manifests as staged in the index (what git commit would commit), as the pre-commit hook does")
	cmd.Flags().StringVar(&opts.Base, "base", "", "also judge the change from the merge base of `base` and the head (see small check)")
	cmd.Flags().StringVar(&opts.Format, "format", diag.FormatText, "output `format`: text, json or github")
	cmd.Flags().BoolVar(&opts.Verbose, "verbose", false, "log timings to standard error")
	return cmd
}

// Run validates and reports.
func Run(opts *Options) error {
	log := opts.IO.Logger(opts.Verbose)
	start := time.Now()
	r, err := opts.Factory.Repository()
	if err != nil {
		return err
	}
	paths, err := cmdutil.RepoPaths(r.Root(), opts.Factory.Dir, opts.Paths)
	if err != nil {
		return err
	}
	platform, err := opts.Factory.Platform()
	if err != nil {
		return err
	}
	if opts.Staged && opts.Rev != "" {
		return cmdutil.Usagef("--staged and --rev name different contents: give one")
	}
	res, err := content.Check(r, content.CheckOptions{Rev: opts.Rev, Base: opts.Base, Paths: paths, Staged: opts.Staged, Command: "validate", Platform: platform})
	if err != nil {
		return cmdutil.Classify(err)
	}
	log.Debug("validated", "manifests", res.Report.Manifests, "elapsed", time.Since(start).Round(time.Millisecond))
	return cmdutil.WriteReport(opts.IO, opts.Format, &res.Report)
}
