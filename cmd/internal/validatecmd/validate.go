// Package validatecmd implements small validate: check manifests against their
// kinds' schemas.
package validatecmd

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
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
	Verbose bool
	// Command names the report: "validate", or "check" for small check.
	Command string
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
would read them.

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
	cmd.Flags().StringVar(&opts.Base, "base", "", "also check the lifecycle rules against commit `base` (see small check)")
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
	snap, err := cmdutil.Snapshot(r, opts.Rev)
	if err != nil {
		return err
	}
	cfg, err := cmdutil.Config(snap)
	if err != nil {
		return err
	}
	paths, err := repoPaths(r.Root(), opts.Factory.Dir, opts.Paths)
	if err != nil {
		return err
	}
	res, err := content.Validate(snap, cfg, content.Options{Paths: paths})
	if err != nil {
		return cmdutil.Usage(err)
	}
	if opts.Command != "" {
		res.Report.Command = opts.Command
	}
	if opts.Base != "" {
		ch := content.Change{Config: cfg, Result: res}
		if ch.Base, err = cmdutil.CommitInfo(r, opts.Base); err != nil {
			return err
		}
		if opts.Rev != "" {
			if ch.Head, err = cmdutil.CommitInfo(r, opts.Rev); err != nil {
				return err
			}
		}
		ds, err := content.CheckLifecycle(r, ch)
		if err != nil {
			return &cmdutil.ExitError{Code: cmdutil.ExitRepo, Err: err}
		}
		res.Report.Diagnostics = append(res.Report.Diagnostics, ds...)
		if ch.Head != nil {
			ds, err := content.CheckBoundary(r, ch.Base, ch.Head, cfg)
			if err != nil {
				return &cmdutil.ExitError{Code: cmdutil.ExitRepo, Err: err}
			}
			res.Report.Diagnostics = append(res.Report.Diagnostics, ds...)
		}
		diag.Sort(res.Report.Diagnostics)
	}
	log.Debug("validated", "snapshot", snap.Name(), "manifests", res.Report.Manifests, "elapsed", time.Since(start).Round(time.Millisecond))
	if err := write(opts, &res.Report); err != nil {
		return err
	}
	if res.Report.Failed() {
		return cmdutil.Findings
	}
	return nil
}

func write(opts *Options, rep *diag.Report) error {
	switch opts.Format {
	case diag.FormatJSON:
		return rep.WriteJSON(opts.IO.Out)
	case diag.FormatGitHub:
		if err := rep.WriteGitHub(opts.IO.Out); err != nil {
			return err
		}
		if name := os.Getenv("GITHUB_STEP_SUMMARY"); name != "" {
			f, err := os.OpenFile(name, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
			if err != nil {
				return fmt.Errorf("write job summary: %w", err)
			}
			defer f.Close()
			return rep.WriteMarkdown(f)
		}
		return nil
	}
	return rep.WriteText(opts.IO.Out, opts.IO.ErrOut)
}

// repoPaths turns paths given on the command line (relative to where small
// runs) into repository-relative, slash-separated paths.
func repoPaths(root, dir string, args []string) ([]string, error) {
	if len(args) == 0 {
		return nil, nil
	}
	base := dir
	if base == "" {
		base = "."
	}
	base, err := filepath.Abs(base)
	if err != nil {
		return nil, err
	}
	root, _ = filepath.EvalSymlinks(root)
	base, _ = filepath.EvalSymlinks(base)
	out := make([]string, 0, len(args))
	for _, a := range args {
		p := a
		if !filepath.IsAbs(p) {
			p = filepath.Join(base, p)
		}
		rel, err := filepath.Rel(root, p)
		if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
			return nil, cmdutil.Usagef("%s: outside the repository", a)
		}
		out = append(out, filepath.ToSlash(rel))
	}
	return out, nil
}
