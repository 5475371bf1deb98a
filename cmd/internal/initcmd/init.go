// Package initcmd implements small init: set a Git repository up for small.
package initcmd

import (
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/spf13/cobra"

	"github.com/smallhq/small/cmd/internal/cmdutil"
	"github.com/smallhq/small/config"
	"github.com/smallhq/small/content"
	"github.com/smallhq/small/diag"
	"github.com/smallhq/small/remote"
	"github.com/smallhq/small/scaffold"
	"github.com/smallhq/small/schema"
	"github.com/smallhq/small/version"
)

// Options are the inputs of small init.
type Options struct {
	IO      *cmdutil.IOStreams
	Factory *cmdutil.Factory
	Example bool
	CI      bool
	Adopt   bool
	DryRun  bool
	Format  string
}

// NewCmdInit returns the init command; runF replaces the run function in tests.
func NewCmdInit(f *cmdutil.Factory, runF func(*Options) error) *cobra.Command {
	opts := &Options{IO: f.IO, Factory: f}
	cmd := &cobra.Command{
		Use:   "init [--example] [--ci] [--adopt [--dry-run]]",
		Short: "Set up small.cue, schemas/ and manifests/ in a Git repository",
		Long: `Write small.cue (the configuration, every default spelled out), a schemas
package with a starter kind, and a manifests directory, at the top of the
current Git repository.

With --example, write example kinds (Author, Article) and manifests instead
of the starter kind: articles that name their author (a reference,
@ref(Author)), and a French translation of one (small.cue then declares
the locales en and fr; see small status --translations).

With --ci, write .github/workflows/small.yml: small's GitHub Action,
pinned to the version of small running init, checks pull requests into
the repository's default branch (origin/HEAD, else the current branch) and
builds pushes to it. Pull requests are checked with pull_request_target:
the workflow runs as the default branch has it, so a pull request that
edits the workflow cannot switch its own check off, and the pull request's
commits are read as Git data only. See docs/ci.md.

For editors, init exports the kinds' JSON Schemas into .small/jsonschema/
and, when there is no .vscode/settings.json, writes one that maps them onto
the manifests (yaml-language-server's yaml.schemas), so that editors
complete and check manifests; see docs/editors.md. Those exports are
small's output: init exports them again when the schemas changed.

init never overwrites a file of yours: run it again and it only adds what
is missing.

With --adopt, in a repository that already has content (Markdown files
with YAML front matter, YAML or JSON files, laid out by convention as
Jekyll, Hugo and the like do), init proposes small.cue instead: files
rules that give each file its kind and id from its path (topics/*/index.md,
kind Topic, id "$1"), and a starting schema per kind under schemas/,
inferred from the files (field names and types, which fields every file
has, small sets of values, dates, @unique() for names and titles that
differ in every file, @asset() for images beside the files). It reports
how many files each rule matched, the files a rule matches that small
validate would report, and the files no rule matched, with why. It writes
no other file and changes no content file; it refuses to run where
small.cue or a proposed schema exists. --dry-run prints what it would
write. See docs/adopting.md.`,
		Example: `  $ git init blog && cd blog
  $ small init --example --ci
  $ small hooks install
  $ small validate

  # A site that already has content:
  $ small init --adopt --dry-run
  $ small init --adopt && small validate`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := cmdutil.CheckFormat(opts.Format, diag.FormatText, diag.FormatJSON); err != nil {
				return err
			}
			if opts.Adopt && (opts.Example || opts.CI) {
				return cmdutil.Usagef("--adopt proposes a configuration for the content already here: run it without --example and --ci (then small init --ci adds the workflow)")
			}
			if !opts.Adopt && (opts.DryRun || opts.Format != diag.FormatText) {
				return cmdutil.Usagef("--dry-run and --format are for --adopt")
			}
			if runF != nil {
				return runF(opts)
			}
			if opts.Adopt {
				return RunAdopt(opts)
			}
			return Run(opts)
		},
	}
	cmd.Flags().BoolVar(&opts.Example, "example", false, "add example kinds and manifests")
	cmd.Flags().BoolVar(&opts.CI, "ci", false, "add a GitHub Actions workflow: check pull requests, build the default branch")
	cmd.Flags().BoolVar(&opts.Adopt, "adopt", false, "propose small.cue files rules and schemas for the content already in the repository")
	cmd.Flags().BoolVar(&opts.DryRun, "dry-run", false, "with --adopt: print what would be written, write nothing")
	cmd.Flags().StringVar(&opts.Format, "format", diag.FormatText, "output `format` of --adopt: text or json")
	return cmd
}

// Run sets the repository up.
func Run(opts *Options) error {
	r, err := opts.Factory.Repository()
	if err != nil {
		return err
	}
	// An existing small.cue says where the schemas and manifests go.
	dirs := scaffold.DefaultDirs
	cfg, err := config.Load(r.WorkingTree())
	var ce *config.Error
	switch {
	case err == nil:
		dirs = scaffold.Dirs{Schemas: cfg.Schemas, Manifests: cfg.Manifests}
	case errors.As(err, &ce) && ce.Diagnostics[0].Code == diag.CodeConfigMissing:
	default:
		return cmdutil.Usage(err)
	}
	var skip scaffold.Skip
	if opts.Example && cfg != nil {
		skip = unsupportedLocales(cfg.Locales)
		if res, err := content.Validate(r.WorkingTree(), cfg, content.Options{}); err == nil {
			skip = existingEntries(res, cfg.Manifests, skip)
		}
	}
	acts, err := scaffold.InitExcept(r.Root(), opts.Example, dirs, skip)
	if err != nil {
		return fmt.Errorf("init: %w", err)
	}
	editorActs, updated := editorSchemas(opts, r.Root())
	acts = append(acts, editorActs...)
	branch := r.DefaultBranch()
	if branch == "" {
		branch = "main"
	}
	guide, err := scaffold.WriteAgentsGuide(r.Root(), scaffold.GuideSettings{Dirs: dirs, Branch: branch})
	if err != nil {
		return fmt.Errorf("init: %w", err)
	}
	acts = append(acts, guide)
	if opts.CI {
		ref, pinned := version.Ref()
		wrote, err := scaffold.WriteWorkflow(r.Root(), scaffold.WorkflowSettings{Branch: branch, Version: version.Current(), Ref: ref})
		if err != nil {
			return fmt.Errorf("init: %w", err)
		}
		acts = append(acts, scaffold.Action{Path: scaffold.WorkflowPath, Created: wrote})
		if wrote && !pinned {
			fmt.Fprintf(opts.IO.ErrOut, "warning: this small (%s) is a development build that no release names: %s uses %s@main, unpinned; pin it to a release (uses: %s@vX.Y.Z) before relying on it, or a new release changes Small-Builder and the build ids\n",
				version.Current(), scaffold.WorkflowPath, scaffold.ActionRepository, scaffold.ActionRepository)
		}
	}
	// Remotes fetch small's notes to tracking refs beside this clone's own,
	// where small pull merges them: a plain git fetch then never fails on
	// diverged notes, nor drops local lines.
	remotes, err := r.Remotes()
	if err != nil {
		return err
	}
	for _, name := range remotes {
		added, err := remote.EnsureFetchRefspec(r, name)
		if err != nil {
			return fmt.Errorf("init: %w", err)
		}
		if added {
			fmt.Fprintf(opts.IO.Out, "remote %s now fetches small's notes (%s)\n", name, remote.FetchRefspec(name))
		}
	}
	created := 0
	for _, a := range acts {
		if a.Skipped != "" {
			fmt.Fprintf(opts.IO.Out, "skipped %s (%s)\n", a.Path, a.Skipped)
		} else if a.Created {
			created++
			fmt.Fprintf(opts.IO.Out, "created %s\n", a.Path)
		} else {
			fmt.Fprintf(opts.IO.Out, "kept    %s (exists)\n", a.Path)
		}
	}
	for _, p := range updated {
		fmt.Fprintf(opts.IO.Out, "updated %s (exported again: the schemas changed)\n", p)
	}
	if created == 0 && len(updated) == 0 {
		fmt.Fprintln(opts.IO.Out, "nothing to do: this repository is already set up")
		return nil
	}
	// Say what comes next for what was just set up, not for a setup
	// that was there already.
	setUp, workflow := false, false
	for _, a := range acts {
		if a.Created {
			if a.Path == scaffold.WorkflowPath {
				workflow = true
			} else {
				setUp = true
			}
		}
	}
	next := "Next:"
	if setUp {
		fmt.Fprintf(opts.IO.Out, "\nNext: add manifests under %s/, run small validate, and commit.\n", dirs.Manifests)
		next = "Then:"
	}
	if workflow {
		if !setUp {
			fmt.Fprintln(opts.IO.Out)
		}
		fmt.Fprintf(opts.IO.Out, "%s commit %s and push it to %s; pull requests into %s are then checked, and %s is built.\n", next, scaffold.WorkflowPath, branch, branch, branch)
	}
	return nil
}

var (
	kindField = regexp.MustCompile(`(?m)^\s*"?kind"?\s*:\s*"?([A-Za-z_][A-Za-z0-9_]*)`)
	idField   = regexp.MustCompile(`(?m)^\s*"?id"?\s*:\s*"?([a-z0-9][a-z0-9._/-]*)`)
)

// existingEntries skips an example manifest whose kind and id a manifest
// of the repository already has: adding the example to an existing site
// must not make two Author/ada.
func existingEntries(res *content.Result, manifests string, also scaffold.Skip) scaffold.Skip {
	have := map[string]string{}
	for _, m := range res.Manifests {
		have[m.Kind+"/"+m.ID] = m.Path
	}
	return func(name string, data []byte) string {
		if why := also(name, data); why != "" {
			return why
		}
		rest, ok := strings.CutPrefix(name, "manifests/")
		if !ok {
			return ""
		}
		k := kindField.FindSubmatch(data)
		if k == nil {
			return ""
		}
		id := strings.TrimSuffix(path.Base(rest), path.Ext(rest))
		if m := idField.FindSubmatch(data); m != nil {
			id = string(m[1])
		}
		key := string(k[1]) + "/" + id
		if p, ok := have[key]; ok && p != path.Join(manifests, rest) {
			return key + " is already " + p
		}
		return ""
	}
}

var localeField = regexp.MustCompile(`(?m)^\s*"?locale"?\s*:\s*"?([A-Za-z0-9-]+)`)

// unsupportedLocales skips an example translation in a locale the
// repository's own small.cue does not support (it keeps its small.cue,
// which may declare no locales): it would be invalid there.
func unsupportedLocales(l *config.Locales) scaffold.Skip {
	return func(name string, data []byte) string {
		if !strings.HasPrefix(name, "manifests/") {
			return ""
		}
		m := localeField.FindSubmatch(data)
		switch {
		case m == nil:
			return ""
		case l == nil:
			return "a translation, and small.cue declares no locales"
		case !l.Supports(string(m[1])):
			return fmt.Sprintf("a translation into %s, which small.cue's locales.supported does not list", m[1])
		}
		return ""
	}
}

// editorSchemas writes what makes editors complete and check manifests:
// the kinds' JSON Schemas under .small/jsonschema/ (exported again when
// the schemas changed since: they are small's output, not the user's) and
// a VS Code settings file mapping them onto the manifests for
// yaml-language-server, only where there is none. Schemas that do not
// compile are left for small validate to report. See docs/editors.md.
func editorSchemas(opts *Options, top string) (acts []scaffold.Action, updated []string) {
	r, err := opts.Factory.Repository()
	if err != nil {
		return nil, nil
	}
	tree := r.WorkingTree()
	cfg, err := config.Load(tree)
	if err != nil {
		return nil, nil
	}
	s, err := content.LoadSchema(tree, cfg)
	if err != nil {
		return nil, nil
	}
	stale, present, err := content.StaleEditorSchemas(tree, s)
	if err != nil {
		fmt.Fprintf(opts.IO.ErrOut, "warning: %s: %v\n", content.EditorSchemaDir, err)
		return nil, nil
	}
	files, err := content.ExportFiles(s, "", content.FormatJSONSchema)
	if err != nil {
		fmt.Fprintf(opts.IO.ErrOut, "warning: no editor schemas: %v\n", err)
		return nil, nil
	}
	dir := filepath.Join(top, filepath.FromSlash(content.EditorSchemaDir))
	existed := map[string]bool{}
	for _, f := range files {
		if _, err := os.Lstat(filepath.Join(dir, f.Path)); err == nil {
			existed[f.Path] = true
		}
	}
	refresh := !present || len(stale) > 0
	wrote, kept, err := cmdutil.WriteGenerated(dir, files, refresh)
	if err != nil {
		fmt.Fprintf(opts.IO.ErrOut, "warning: no editor schemas: %v\n", err)
		return nil, nil
	}
	rel := func(p string) string {
		r, _ := filepath.Rel(top, p)
		return filepath.ToSlash(r)
	}
	for _, p := range wrote {
		if existed[filepath.Base(p)] {
			updated = append(updated, rel(p))
		} else {
			acts = append(acts, scaffold.Action{Path: rel(p), Created: true})
		}
	}
	for _, p := range kept {
		acts = append(acts, scaffold.Action{Path: rel(p)})
	}
	settings := []schema.File{{Path: filepath.Base(content.VSCodeSettings), Data: content.EditorSettings(cfg.Manifests)}}
	wrote, _, err = cmdutil.WriteGenerated(filepath.Join(top, filepath.FromSlash(path.Dir(content.VSCodeSettings))), settings, false)
	switch {
	case err != nil:
		fmt.Fprintf(opts.IO.ErrOut, "warning: %s not written: %v\n", content.VSCodeSettings, err)
	case len(wrote) == 1:
		acts = append(acts, scaffold.Action{Path: content.VSCodeSettings, Created: true})
	default:
		acts = append(acts, scaffold.Action{Path: content.VSCodeSettings})
	}
	return acts, updated
}
