// Package doctor checks how a clone is set up for small (small.cue and
// schemas, hooks, remotes, the GitHub workflow, the artifact branch, what
// go-git reads of git's configuration) and says, one line each, what to fix.
package doctor

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/smallhq/small/config"
	"github.com/smallhq/small/content"
	"github.com/smallhq/small/hooks"
	"github.com/smallhq/small/protocol"
	"github.com/smallhq/small/remote"
	"github.com/smallhq/small/repo"
	"github.com/smallhq/small/scaffold"
	"github.com/smallhq/small/schema"
	"github.com/smallhq/small/version"
)

// Status is a check's verdict.
type Status string

const (
	OK   Status = "ok"
	Warn Status = "warn" // works, but not as it should for a team
	Fail Status = "fail" // small, a hook or CI does not work as set up
	Info Status = "info" // nothing set up here, which may be meant
)

// Check is one line of the report.
type Check struct {
	Name    string `json:"check"`
	Status  Status `json:"status"`
	Message string `json:"message"`
}

// Report is what small doctor found.
type Report struct {
	Protocol string  `json:"protocol"`
	Version  string  `json:"version"`
	Checks   []Check `json:"checks"`
	Problems int     `json:"problems"` // checks that failed
	Warnings int     `json:"warnings"`
}

func (rep *Report) add(name string, st Status, format string, args ...any) {
	rep.Checks = append(rep.Checks, Check{Name: name, Status: st, Message: fmt.Sprintf(format, args...)})
	switch st {
	case Fail:
		rep.Problems++
	case Warn:
		rep.Warnings++
	}
}

// Options say how far doctor looks.
type Options struct {
	// Offline skips what asks a remote (the artifact branch there, the
	// pinned release's tag).
	Offline bool
	// Timeout bounds each question to a remote; 0 means 10 s.
	Timeout time.Duration
	// Small is the path of the running small, to compare with the one the
	// hooks run; "" to skip that comparison.
	Small string
}

// RunDir checks the clone at dir. Outside a repository it returns
// repo.ErrNotRepository; a repository small cannot open is the report's
// first finding.
func RunDir(dir string, opts Options) (*Report, error) {
	r, err := repo.Open(dir)
	if errors.Is(err, repo.ErrNotRepository) {
		return nil, err
	}
	if err != nil {
		return unopenable(err), nil
	}
	return Run(r, opts), nil
}

// unopenable is the report for a repository small cannot open: git's
// configuration holds what go-git refuses (git itself may accept it).
func unopenable(err error) *Report {
	rep := &Report{Protocol: protocol.Version, Version: version.Current()}
	rep.add("git-config", Fail, "go-git, which small reads repositories with, refuses this repository's configuration: %v: fix the entry in .git/config (git config --list --show-origin shows where each comes from)", err)
	return rep
}

// Run checks the clone r.
func Run(r *repo.Repository, opts Options) *Report {
	if opts.Timeout == 0 {
		opts.Timeout = 10 * time.Second
	}
	rep := &Report{Protocol: protocol.Version, Version: version.Current()}
	rep.add("git-config", OK, "go-git reads this repository's configuration")
	cfg := checkConfig(r, rep)
	checkHooks(r, rep, opts)
	remotes := checkRemotes(r, rep)
	checkWorkflows(r, rep, opts)
	if cfg != nil {
		checkArtifacts(r, rep, cfg, remotes, opts)
	}
	return rep
}

func checkConfig(r *repo.Repository, rep *Report) *config.Config {
	tree := r.WorkingTree()
	cfg, err := config.Load(tree)
	var ce *config.Error
	switch {
	case errors.As(err, &ce) && len(ce.Diagnostics) > 0:
		d := ce.Diagnostics[0]
		more := ""
		if n := len(ce.Diagnostics) - 1; n > 0 {
			more = fmt.Sprintf(" (and %d more: small validate lists them)", n)
		}
		rep.add("config", Fail, "%s%s", d.String(), more)
		return nil
	case err != nil:
		rep.add("config", Fail, "%s: %v", protocol.ConfigFile, err)
		return nil
	}
	rep.add("config", OK, "%s loads: schemas in %s/, manifests in %s/, artifacts on %s", protocol.ConfigFile, cfg.Schemas, cfg.Manifests, cfg.Artifacts.Branch)
	s, err := content.LoadSchema(tree, cfg)
	var se *schema.Error
	switch {
	case errors.As(err, &se) && len(se.Diagnostics) > 0:
		rep.add("schemas", Fail, "%s", se.Diagnostics[0].String())
	case err != nil:
		rep.add("schemas", Fail, "%s: %v", cfg.Schemas, err)
	default:
		kinds := s.Kinds
		rep.add("schemas", OK, "%s/ compiles: %d %s (%s)", cfg.Schemas, len(kinds), plural(len(kinds), "kind", "kinds"), strings.Join(kinds, ", "))
		checkEditorSchemas(tree, s, rep)
	}
	if files, err := tree.Files(cfg.Manifests); err == nil && len(files) == 0 {
		ce := content.MissingRoot(tree, cfg).(*config.Error)
		rep.add("manifests", Fail, "%s", ce.Diagnostics[0].String())
	}
	return cfg
}

// checkEditorSchemas says whether the JSON Schemas small init exported for
// editors still match the schemas: they are generated, and go stale when
// a kind changes.
func checkEditorSchemas(tree repo.Snapshot, s *schema.Schema, rep *Report) {
	stale, present, err := content.StaleEditorSchemas(tree, s)
	switch {
	case err != nil:
		rep.add("editor schemas", Warn, "%s: %v", content.EditorSchemaDir, err)
	case !present:
	case len(stale) > 0:
		rep.add("editor schemas", Warn, "%s/ was exported from other schemas (%s): run small schema export --out %s", content.EditorSchemaDir, strings.Join(stale, ", "), content.EditorSchemaDir)
	default:
		rep.add("editor schemas", OK, "%s/ matches the schemas", content.EditorSchemaDir)
	}
}

func checkHooks(r *repo.Repository, rep *Report, opts Options) {
	installed, err := hooks.Inspect(r.HooksDir())
	if err != nil {
		rep.add("hooks", Fail, "%v", err)
		return
	}
	var missing []string
	for _, in := range installed {
		name := "hooks: " + in.Name
		switch {
		case !in.Exists:
			missing = append(missing, in.Name)
		case !in.Ours:
			rep.add(name, Warn, "%s is not small's: add `%s` to it, or move it away and run small hooks install", in.Path, in.Runs)
		case in.Small == "":
			rep.add(name, Fail, "%s names no small to run: run small hooks install", in.Path)
		default:
			fi, err := os.Stat(in.Small)
			switch {
			case err != nil:
				rep.add(name, Fail, "runs %s, which does not exist (small moved?): run small hooks install", in.Small)
			case fi.IsDir() || fi.Mode()&0o111 == 0:
				rep.add(name, Fail, "runs %s, which is not an executable file: run small hooks install", in.Small)
			case opts.Small != "" && !sameFile(in.Small, opts.Small):
				rep.add(name, Warn, "runs %s, not this small (%s): run small hooks install to use this one", in.Small, opts.Small)
			default:
				rep.add(name, OK, "installed: %s", in.Does)
			}
		}
	}
	if len(missing) == len(installed) {
		rep.add("hooks", Info, "none installed: small hooks install makes git check manifests on commit and push")
	} else if len(missing) > 0 {
		rep.add("hooks", Warn, "%s not installed: run small hooks install", strings.Join(missing, ", "))
	}
}

func sameFile(a, b string) bool {
	fa, err1 := os.Stat(a)
	fb, err2 := os.Stat(b)
	return err1 == nil && err2 == nil && os.SameFile(fa, fb)
}

// checkRemotes checks each remote's notes refspec and returns the remotes.
func checkRemotes(r *repo.Repository, rep *Report) []string {
	names, err := r.Remotes()
	if err != nil {
		rep.add("remotes", Fail, "%v", err)
		return nil
	}
	if len(names) == 0 {
		rep.add("remotes", Info, "no remote: small pull and small push need one (git remote add origin URL, then small init)")
		return nil
	}
	for _, name := range names {
		ok, other, err := remote.FetchesNotes(r, name)
		switch {
		case err != nil:
			rep.add("remote "+name, Fail, "%v", err)
		case ok:
			rep.add("remote "+name, OK, "fetches small's notes (%s)", remote.FetchRefspec(name))
		case other != "":
			rep.add("remote "+name, Warn, "fetches small's notes with %s, over the local ones: a plain git fetch then fails or drops lines when both sides added notes; run small init to add %s, and remove yours", other, remote.FetchRefspec(name))
		default:
			rep.add("remote "+name, Fail, "does not fetch small's notes, so lineage and lifecycle stay behind: run small init, or git config --add remote.%s.fetch '%s'", name, remote.FetchRefspec(name))
		}
	}
	return names
}

// usesSmall finds a workflow step that runs small's action, or installs
// small with go install.
var usesSmall = regexp.MustCompile(`(?m)^\s*(?:-\s+)?(?:uses:\s*["']?` + regexp.QuoteMeta(scaffold.ActionRepository) + `@([^\s"'#]+)|run:.*go install github\.com/smallhq/small/cmd/small@([^\s"'#]+))`)

func checkWorkflows(r *repo.Repository, rep *Report, opts Options) {
	dir := filepath.Join(r.Root(), ".github", "workflows")
	entries, err := os.ReadDir(dir)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		rep.add("workflow", Fail, "%v", err)
		return
	}
	found := false
	for _, e := range entries {
		if e.IsDir() || !(strings.HasSuffix(e.Name(), ".yml") || strings.HasSuffix(e.Name(), ".yaml")) {
			continue
		}
		data, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			rep.add("workflow", Fail, "%v", err)
			continue
		}
		file := ".github/workflows/" + e.Name()
		var refs []string
		for _, m := range usesSmall.FindAllStringSubmatch(string(data), -1) {
			ref := m[1] + m[2]
			if !slices.Contains(refs, ref) {
				refs = append(refs, ref)
			}
		}
		for _, ref := range refs {
			found = true
			checkPin(r, rep, file, ref, opts)
		}
	}
	if !found {
		rep.add("workflow", Info, "no GitHub workflow runs small: small init --ci writes one")
	}
}

func checkPin(r *repo.Repository, rep *Report, file, ref string, opts Options) {
	name := "workflow " + file
	switch {
	case version.IsCommit(ref):
		rep.add(name, OK, "runs small pinned to commit %s", ref)
	case version.IsRelease(ref):
		if !opts.Offline {
			url := "https://github.com/" + scaffold.ActionRepository
			refs, err := r.RemoteRefs(url, "refs/tags/"+ref, opts.Timeout)
			switch {
			case err != nil:
				rep.add(name, Warn, "runs small %s, which could not be looked up (%v)", ref, err)
				return
			case len(refs) == 0:
				rep.add(name, Fail, "runs small %s, which %s has no tag for: pin a release that exists", ref, url)
				return
			}
		}
		if cur := version.Current(); version.IsRelease(cur) && cur != ref {
			rep.add(name, Warn, "runs small %s, and this is %s: builds by the two differ in Small-Builder and build ids; pin one version for both", ref, cur)
			return
		}
		rep.add(name, OK, "runs small pinned to %s", ref)
	default:
		rep.add(name, Fail, "runs small at %q, which is not pinned: a new release changes Small-Builder and every build id; pin a release tag (%s@vX.Y.Z)", ref, scaffold.ActionRepository)
	}
}

func checkArtifacts(r *repo.Repository, rep *Report, cfg *config.Config, remotes []string, opts Options) {
	branch := cfg.Artifacts.Branch
	name := "artifacts"
	if h, err := r.Ref(protocol.BranchRef(branch)); err == nil && !h.IsZero() {
		rep.add(name, OK, "%s is here (tip %s)", branch, h.Short())
		return
	}
	for _, rem := range remotes {
		if h, err := r.Ref("refs/remotes/" + rem + "/" + branch); err == nil && !h.IsZero() {
			rep.add(name, Warn, "%s is on %s (tip %s), not here: run small pull %s", branch, rem, h.Short(), rem)
			return
		}
	}
	if !opts.Offline {
		for _, rem := range remotes {
			refs, err := r.RemoteRefs(rem, protocol.BranchRef(branch), opts.Timeout)
			if err != nil {
				rep.add(name, Warn, "%s is not here, and %s could not be asked (%v)", branch, rem, err)
				return
			}
			if h, ok := refs[protocol.BranchRef(branch)]; ok {
				rep.add(name, Warn, "%s is on %s (tip %s), not fetched: run small pull %s", branch, rem, h.Short(), rem)
				return
			}
		}
	}
	rep.add(name, Info, "no build yet: small build creates %s", branch)
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// ErrNotRepository is RunDir's answer outside a Git repository.
var ErrNotRepository = repo.ErrNotRepository
