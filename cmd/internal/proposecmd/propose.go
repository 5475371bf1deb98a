// Package proposecmd implements small propose: an agent's manifests,
// committed on a new branch small/proposals/<name> once small check
// accepts them.
package proposecmd

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/smallhq/small/cmd/internal/cmdutil"
	"github.com/smallhq/small/diag"
	"github.com/smallhq/small/propose"
)

// Options are the inputs of small propose.
type Options struct {
	IO      *cmdutil.IOStreams
	Factory *cmdutil.Factory
	Name    string
	Paths   []string
	Agent   string
	Message string
	DryRun  bool
	Format  string
}

// NewCmdPropose returns the propose command.
func NewCmdPropose(f *cmdutil.Factory) *cobra.Command {
	opts := &Options{IO: f.IO, Factory: f}
	cmd := &cobra.Command{
		Use:   "propose NAME PATH... --agent AGENT -m MESSAGE [--dry-run]",
		Short: "Commit manifests on a new branch small/proposals/NAME, as an agent, once small check accepts them",
		Long: `Commit the manifests at the given paths, as the working tree has them,
on a new branch small/proposals/NAME that starts at the default branch
(origin/HEAD, or the branch HEAD is on without a remote), as agent
--agent: the commit carries a Small-Agent trailer, its author is the
agent's name with your e-mail, its committer is you.

The commit is judged first, by small check's rules under the default
branch's policy (validation, lifecycle transitions, the agent boundary);
a change with findings is refused and nothing is written. Otherwise its
objects are written, then the branch, which must not exist. The working
tree, the index and the current branch are left as they are, and nothing
is pushed: push the branch and open a pull request.

This is what the propose tool of small mcp does; see docs/agents.md. Only
manifest files under the manifests directory and small.cue's agentPaths
may be proposed. With --dry-run, the verdict and what merging would build,
without writing anything.

Exit status: 0 proposed (or accepted, with --dry-run), 1 refused by the
check or a path agents may not change, 2 usage (a bad name, message or
agent name), 3 the branch exists.`,
		Example: `  $ small propose fix-typo manifests/articles/hello.yaml --agent docs-bot -m 'Fix a typo in Hello'
  $ small propose new-post manifests/articles/post.yaml --agent docs-bot -m 'Add a post' --dry-run
  $ git push origin small/proposals/fix-typo`,
		Args: func(c *cobra.Command, args []string) error {
			if len(args) < 2 {
				return cmdutil.Usagef("expected a proposal name and at least one manifest path\nUsage: %s", c.UseLine())
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Name, opts.Paths = args[0], args[1:]
			if err := cmdutil.CheckFormat(opts.Format, diag.FormatText, diag.FormatJSON); err != nil {
				return err
			}
			if opts.Agent == "" {
				return cmdutil.Usagef("--agent is required: the name of the agent the proposal is from, e.g. --agent docs-bot")
			}
			return run(opts)
		},
	}
	cmd.Flags().StringVar(&opts.Agent, "agent", "", "the agent's `name`: the Small-Agent trailer and author name (required)")
	cmd.Flags().StringVarP(&opts.Message, "message", "m", "", "the commit `message`: what the change is for")
	cmd.Flags().BoolVar(&opts.DryRun, "dry-run", false, "judge the proposal and show what merging it would build, writing nothing")
	cmd.Flags().StringVar(&opts.Format, "format", diag.FormatText, "output `format`: text or json")
	return cmd
}

func run(opts *Options) error {
	r, err := opts.Factory.Repository()
	if err != nil {
		return err
	}
	paths, err := cmdutil.RepoPaths(r.Root(), opts.Factory.Dir, opts.Paths)
	if err != nil {
		return err
	}
	req := propose.Request{Name: opts.Name, Agent: opts.Agent, Message: opts.Message}
	for i, p := range paths {
		data, err := readManifest(r.Root(), p)
		if err != nil {
			return cmdutil.Usagef("%s: %v", opts.Paths[i], err)
		}
		req.Files = append(req.Files, propose.File{Path: p, Text: string(data)})
	}
	var res *propose.Result
	if opts.DryRun {
		res, err = propose.Judge(r, req)
	} else {
		res, err = propose.Propose(r, req)
	}
	var refused *propose.RefusedError
	if errors.As(err, &refused) {
		code := cmdutil.ExitUsage
		switch refused.Diagnostic.Code {
		case diag.CodeProposalPath:
			code = cmdutil.ExitFindings
		case diag.CodeProposalExists:
			code = cmdutil.ExitRepo
		}
		return &cmdutil.ExitError{Code: code, Err: err}
	}
	if err != nil {
		return cmdutil.Classify(err)
	}
	if opts.Format == diag.FormatJSON {
		if err := cmdutil.WriteJSON(opts.IO.Out, res); err != nil {
			return err
		}
	} else {
		writeText(opts, res)
	}
	if !res.Accepted {
		return cmdutil.Findings
	}
	return nil
}

// maxManifestRead bounds what is read of a file before the proposal's own
// bound (limits.manifestBytes) judges it.
const maxManifestRead = 64 << 20

// readManifest reads the working tree's file at p (slash-separated,
// relative to root) if it is a regular file reached through directories
// only: a symbolic link on the way could lead out of the repository.
func readManifest(root, p string) ([]byte, error) {
	name := root
	for _, part := range strings.Split(p, "/") {
		name = filepath.Join(name, part)
		if fi, err := os.Lstat(name); err == nil && fi.Mode()&os.ModeSymlink != 0 {
			return nil, fmt.Errorf("not a regular file: %s is a symbolic link, and a proposal writes manifest files", filepath.ToSlash(strings.TrimPrefix(name, root+string(filepath.Separator))))
		}
	}
	fi, err := os.Lstat(name)
	switch {
	case err != nil:
		return nil, err
	case !fi.Mode().IsRegular():
		return nil, fmt.Errorf("not a regular file: a proposal writes manifest files")
	case fi.Size() > maxManifestRead:
		return nil, fmt.Errorf("%d bytes: too large for a manifest", fi.Size())
	}
	return os.ReadFile(name)
}

func writeText(opts *Options, res *propose.Result) {
	out := opts.IO.Out
	rep := diag.Report{Command: "propose", Manifests: res.Manifests, Diagnostics: res.Diagnostics, Stopped: res.Stopped}
	for _, d := range res.Diagnostics {
		fmt.Fprintln(out, d.String())
	}
	base := fmt.Sprintf("%s at %s", shortRef(res.Base), cmdutil.ShortID(res.BaseCommit))
	switch {
	case !res.Accepted:
		fmt.Fprintf(opts.IO.ErrOut, "%s\nsmall check refuses the proposal from %s: nothing was written\n", rep.Summary(), base)
		return
	case res.Written:
		fmt.Fprintf(out, "Proposed %s on %s from %s: small check accepts it\n", cmdutil.ShortID(res.Commit), res.Branch, base)
	default:
		fmt.Fprintf(out, "small check accepts the proposal from %s (dry run: nothing was written)\n", base)
	}
	if res.Plan != nil {
		fmt.Fprintf(out, "Merging builds: %s\n", res.Plan.Line())
		for _, c := range []struct {
			action string
			paths  []string
		}{{"created", res.Plan.Created}, {"updated", res.Plan.Updated}, {"retracted", res.Plan.Retracted}} {
			for _, p := range c.paths {
				fmt.Fprintf(out, "  %-9s %s\n", c.action, p)
			}
		}
	} else if res.PlanError != "" {
		fmt.Fprintf(opts.IO.ErrOut, "small propose: no plan of what merging builds: %s\n", res.PlanError)
	}
	if res.Written {
		fmt.Fprintf(out, "Open a pull request from it: git push origin %s\n", res.Branch)
	}
}

func shortRef(ref string) string {
	for _, p := range []string{"refs/heads/", "refs/remotes/"} {
		if len(ref) > len(p) && ref[:len(p)] == p {
			return ref[len(p):]
		}
	}
	return ref
}
