// Package validatecmd implements small validate: check manifests against their
// kinds' schemas.
package validatecmd

import (
	"slices"
	"time"

	"github.com/spf13/cobra"

	"github.com/smallhq/small/builder"
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
	// Path is where a manifest read from standard input (validate -)
	// would live.
	Path string
	// Against is the committed manifest that the one read from standard
	// input would replace: the change is judged as small check would.
	Against string
	// Agent judges the change --against makes as that agent's.
	Agent string
}

// NewCmdValidate returns the validate command; runF replaces the run
// function in tests.
func NewCmdValidate(f *cmdutil.Factory, runF func(*Options) error) *cobra.Command {
	opts := &Options{IO: f.IO, Factory: f}
	cmd := &cobra.Command{
		Use:   "validate [path... | - --path PATH | - --against PATH]",
		Short: "Check manifests against their kinds' schemas",
		Long: `Check every manifest (or those under the given paths) against the CUE
definition of its kind, and report every problem at file:line:col.

Without --rev, the files in the working tree are checked, committed or not.
With --rev, schemas and manifests are read from that commit, as a build
would read them; a manifest the last build judged, at the same path with
the same bytes, under the same schemas, small.cue and version of small,
is decoded but not evaluated again (every rule across manifests is still
checked: the findings are a full evaluation's). With --staged, they are read as the index holds them:
what git commit would commit, untracked files left out.

With -, the manifest is read from standard input, as the file --path names
would hold it (its findings name that path, its id defaults from that
file name, and .json reads it as JSON): a draft checked before it is
written, under the schemas of the working tree, --rev or --staged. Like
small validate FILE, it judges that one manifest.

With - --against PATH, the manifest read from standard input is a new
version of the one committed at PATH (in HEAD, or --rev), and the change
is judged as small check would judge the commit that makes it: validation,
then the lifecycle (is the transition allowed, may this actor enter the
state, is the content frozen) under the policy of that commit. The actor
is you, as git names you, or with --agent NAME that agent: what an agent
learns before it proposes the change. The commit is made in memory only;
nothing is written.

Each finding names the offending value, what was given and what was
expected, and carries a stable code (schema.violation, manifest.parse, ...;
see docs/protocol.md). Exit status: 0 all valid, 1 findings, 2 usage or
configuration error.`,
		Example: `  $ small validate
  $ small validate manifests/articles/hello.yaml
  $ small validate --rev origin/main --format json
  $ cat draft.yaml | small validate - --path manifests/articles/draft.yaml
  # may the docs agent move hello-world to "approved"?
  $ small validate - --against manifests/articles/hello-world.yaml --agent docs-agent < hello.yaml
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
	cmd.Flags().StringVar(&opts.Path, "path", "", "with -, where the manifest read from standard input would live (e.g. manifests/articles/new.yaml)")
	cmd.Flags().StringVar(&opts.Against, "against", "", "with -, judge the manifest read from standard input as a change to the one committed at `path`")
	cmd.Flags().StringVar(&opts.Agent, "agent", "", "with --against, judge the change as agent `name`'s (a Small-Agent trailer)")
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
	var paths []string
	if !slices.Contains(opts.Paths, "-") {
		paths, err = cmdutil.RepoPaths(r.Root(), opts.Factory.Dir, opts.Paths)
	}
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
	if slices.Contains(opts.Paths, "-") {
		switch {
		case len(opts.Paths) > 1:
			return cmdutil.Usagef("- reads one manifest from standard input: give no other path")
		case opts.Base != "":
			return cmdutil.Usagef("--base judges commits: validate - judges a manifest not yet committed")
		case opts.Against != "":
			return runAgainst(opts)
		case opts.Agent != "":
			return cmdutil.Usagef("--agent names who makes the change --against judges: give --against PATH")
		case opts.Path == "":
			return cmdutil.Usagef("- needs --path: where the manifest would live (its id defaults from the file name), e.g. --path manifests/articles/new.yaml")
		}
		p, err := cmdutil.RepoPaths(r.Root(), opts.Factory.Dir, []string{opts.Path})
		if err != nil {
			return err
		}
		res, err := content.ValidateInput(r, content.InputOptions{Rev: opts.Rev, Staged: opts.Staged, Path: p[0], Input: opts.IO.In})
		if err != nil {
			return cmdutil.Classify(err)
		}
		return cmdutil.WriteReport(opts.IO, opts.Format, &res.Report)
	}
	if opts.Path != "" || opts.Against != "" {
		return cmdutil.Usagef("--path and --against name what a manifest read from standard input would be: give - as the path to read one")
	}
	if opts.Agent != "" {
		return cmdutil.Usagef("--agent names who makes the change --against judges: give - --against PATH")
	}
	meter := opts.IO.StartProgress("validate", opts.Format)
	defer meter.Stop()
	res, err := builder.Validate(r, content.CheckOptions{Rev: opts.Rev, Base: opts.Base, Paths: paths, Staged: opts.Staged, Command: "validate", Platform: platform, Progress: meter.Counter()})
	meter.Stop()
	if err != nil {
		return cmdutil.Classify(err)
	}
	log.Debug("validated", "manifests", res.Report.Manifests, "knownValid", res.Reused, "elapsed", time.Since(start).Round(time.Millisecond))
	return cmdutil.WriteReport(opts.IO, opts.Format, &res.Report)
}

// runAgainst judges the manifest on standard input as a change to the
// committed one at --against.
func runAgainst(opts *Options) error {
	r, err := opts.Factory.Repository()
	if err != nil {
		return err
	}
	switch {
	case opts.Staged:
		return cmdutil.Usagef("--against judges a change to a commit (HEAD, or --rev): --staged does not apply")
	case opts.Path != "":
		return cmdutil.Usagef("--against names where the manifest lives: give --path or --against, not both")
	}
	p, err := cmdutil.RepoPaths(r.Root(), opts.Factory.Dir, []string{opts.Against})
	if err != nil {
		return err
	}
	res, err := content.JudgeChange(r, content.ChangeProposal{Rev: opts.Rev, Path: p[0], Input: opts.IO.In, Agent: opts.Agent})
	if err != nil {
		return cmdutil.Classify(err)
	}
	return cmdutil.WriteReport(opts.IO, opts.Format, &res.Report)
}
