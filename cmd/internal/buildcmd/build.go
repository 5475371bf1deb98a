// Package buildcmd implements small build: build artifacts from manifests
// into the artifact branch.
package buildcmd

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/smallhq/small/builder"
	"github.com/smallhq/small/cmd/internal/cmdutil"
	"github.com/smallhq/small/diag"
	"github.com/smallhq/small/protocol"
	"github.com/smallhq/small/repo"
)

// Options are the inputs of small build.
type Options struct {
	IO      *cmdutil.IOStreams
	Factory *cmdutil.Factory
	Rev     string
	Format  string
}

// NewCmdBuild returns the build command.
func NewCmdBuild(f *cmdutil.Factory, runF func(*Options) error) *cobra.Command {
	opts := &Options{IO: f.IO, Factory: f}
	cmd := &cobra.Command{
		Use:   "build [--rev REV]",
		Short: "Build artifacts from the manifests of a commit into small/artifacts",
		Long: `Build the artifacts of a manifest commit (HEAD by default) into the
artifact branch (small/artifacts unless small.cue says otherwise), as one new
commit on top of the previous build.

Schemas and manifests are read from the commit, never from the working tree;
the working tree, index and HEAD are left untouched. If any manifest is
invalid, build prints the findings, writes nothing and exits 1.

Each manifest builds into <kind>/<id>.json (canonical JSON: its fields
unified with its kind, defaults applied) and the outputs its kind declares
under #outputs. Only manifests that changed since the previous build are
evaluated, unless the schemas, small.cue or small itself changed.

The build commit is deterministic: the builder identity from small.cue, the
manifest commit's date, a canonical message with the trailers
Small-Manifest-Commit, Small-Schema-Digest, Small-Builder and Small-Protocol.
Notes on it in refs/notes/small/lineage and refs/notes/small/lifecycle
record where each changed artifact came from and what happened to it.

Exit status: 0 built or up to date, 1 findings, 2 usage, 3 the artifact
branch moved underneath (another build won; run small build again).`,
		Example: `  $ small build
  $ git log small/artifacts -1 --format=%B
  $ git notes --ref=small/lineage show small/artifacts`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := cmdutil.CheckFormat(opts.Format, diag.FormatText, diag.FormatJSON); err != nil {
				return err
			}
			if runF != nil {
				return runF(opts)
			}
			return Run(opts)
		},
	}
	cmd.Flags().StringVar(&opts.Rev, "rev", "HEAD", "build the manifests of commit `rev`")
	cmd.Flags().StringVar(&opts.Format, "format", diag.FormatText, "output `format`: text or json")
	return cmd
}

// Run builds.
func Run(opts *Options) error {
	r, err := opts.Factory.Repository()
	if err != nil {
		return err
	}
	plan, err := builder.Prepare(r, opts.Rev)
	if err != nil {
		return Classify(err)
	}
	if plan.Report.Failed() {
		if opts.Format == diag.FormatJSON {
			if err := plan.Report.WriteJSON(opts.IO.Out); err != nil {
				return err
			}
		} else if err := plan.Report.WriteText(opts.IO.Out, opts.IO.ErrOut); err != nil {
			return err
		}
		fmt.Fprintln(opts.IO.ErrOut, "small build: nothing written")
		return cmdutil.Findings
	}
	res, err := builder.Apply(r, plan)
	if err != nil {
		return Classify(err)
	}
	if opts.Format == diag.FormatJSON {
		return writeJSON(opts, plan, res)
	}
	branch := plan.Config.Artifacts.Branch
	if !res.Written {
		tip := "no build yet"
		if !res.Commit.IsZero() {
			tip = "at " + res.Commit.String()[:12]
		}
		fmt.Fprintf(opts.IO.Out, "%s is up to date with %s (%s)\n", branch, plan.ManifestCommit.ID.String()[:12], tip)
		return nil
	}
	c, u, x := plan.Counts()
	fmt.Fprintf(opts.IO.Out, "Built %s from %s: %d created, %d updated, %d retracted (%d of %d manifests evaluated)\n",
		res.Commit.String()[:12], plan.ManifestCommit.ID.String()[:12], c, u, x, plan.Evaluated, plan.Manifests)
	for _, ch := range plan.Changes {
		fmt.Fprintf(opts.IO.Out, "  %-9s %s\n", ch.Action, ch.Path)
	}
	old := "(new)"
	if plan.Previous != nil {
		old = plan.Previous.ID.String()[:12]
	}
	fmt.Fprintf(opts.IO.Out, "%s: %s -> %s\n", branch, old, res.Commit.String()[:12])
	return nil
}

func writeJSON(opts *Options, plan *builder.Plan, res *builder.Result) error {
	type change struct {
		Path   string `json:"path"`
		Action string `json:"action"`
	}
	out := struct {
		Protocol       string   `json:"protocol"`
		Branch         string   `json:"branch"`
		Commit         string   `json:"commit,omitempty"`
		Written        bool     `json:"written"`
		ManifestCommit string   `json:"manifestCommit"`
		SchemaDigest   string   `json:"schemaDigest"`
		Evaluated      int      `json:"evaluated"`
		Manifests      int      `json:"manifests"`
		Changes        []change `json:"changes"`
	}{Protocol: protocol.Version, Branch: plan.Branch, Written: res.Written, ManifestCommit: plan.ManifestCommit.ID.String(),
		SchemaDigest: plan.SchemaDigest, Evaluated: plan.Evaluated, Manifests: plan.Manifests, Changes: []change{}}
	if !res.Commit.IsZero() {
		out.Commit = res.Commit.String()
	}
	for _, c := range plan.Changes {
		out.Changes = append(out.Changes, change{c.Path, c.Action})
	}
	return cmdutil.WriteJSON(opts.IO.Out, out)
}

// Classify maps build failures to exit codes: a moved ref, a branch small
// did not write and missing history are repository state (3); a bad
// revision or configuration is usage (2).
func Classify(err error) error {
	var moved *repo.RefMovedError
	var notBuild *builder.NotABuildError
	var notFetched *builder.NotFetchedError
	var shallow *repo.ShallowError
	switch {
	case errors.As(err, &moved):
		return &cmdutil.ExitError{Code: cmdutil.ExitRepo, Err: fmt.Errorf("%v: run small build again", err)}
	case errors.As(err, &notBuild), errors.As(err, &shallow), errors.As(err, &notFetched):
		return &cmdutil.ExitError{Code: cmdutil.ExitRepo, Err: err}
	}
	return cmdutil.Usage(err)
}
