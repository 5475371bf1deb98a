// Package propose is how an agent changes a repository: it commits one or
// more manifests on a new branch small/proposals/<name> that starts at the
// default branch, with the agent named in a Small-Agent trailer, after
// small check's rules (validation, lifecycle, the agent boundary) have
// judged the commit under the default branch's policy. A proposal never
// touches the working tree, the index, the current branch, the artifact
// branch or an existing branch, and never pushes: the agent or its host
// opens the pull request.
//
// The commit is judged before anything is written: it is staged in
// memory and checked through a view of the repository that sees it
// (repo.ObjectWriter.View); only a proposal the check accepts is written,
// objects first (one packfile, synced), then the branch, created with a
// compare-and-swap that refuses a branch that exists.
package propose

import (
	"errors"
	"fmt"
	"path"
	"regexp"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/smallhq/small/builder"
	"github.com/smallhq/small/config"
	"github.com/smallhq/small/content"
	"github.com/smallhq/small/diag"
	"github.com/smallhq/small/protocol"
	"github.com/smallhq/small/repo"
)

// Bounds of a proposal: what one request may carry.
const (
	// MaxFiles is the most manifests one proposal writes.
	MaxFiles = 64
	// MaxMessageBytes bounds the commit message an agent gives.
	MaxMessageBytes = 8 << 10
	// MaxAgentName bounds the agent's name.
	MaxAgentName = 64
)

// File is one manifest of a proposal: where it lives and its text.
type File struct {
	Path string `json:"path" jsonschema:"where the manifest lives, relative to the top of the repository, e.g. manifests/articles/hello.yaml; its file name gives the id when the manifest has none"`
	Text string `json:"text" jsonschema:"the whole manifest, YAML (.yaml, .yml) or JSON (.json) as its path says"`
}

// Request is a proposal.
type Request struct {
	// Name makes the branch small/proposals/<Name>; Judge needs none.
	Name string
	// Agent is who proposes: the Small-Agent trailer, and the author's name.
	Agent string
	// Message says what the change is for: the commit message's subject,
	// and its body after a blank line.
	Message string
	Files   []File
}

// Result is a proposal judged, and written when the check accepted it.
type Result struct {
	Protocol string `json:"protocol" jsonschema:"always small/v1"`
	// Base is the default branch the proposal starts at, as a ref.
	Base       string `json:"base" jsonschema:"the default branch the proposal starts at (refs/remotes/origin/<branch>, or refs/heads/<branch> without a remote)"`
	BaseCommit string `json:"baseCommit" jsonschema:"the commit of the default branch the proposal starts at"`
	// Branch is the proposal's branch, once written.
	Branch  string `json:"branch,omitempty" jsonschema:"the branch the proposal was committed on (small/proposals/<name>), once written"`
	Commit  string `json:"commit,omitempty" jsonschema:"the proposal's commit: on the branch once written, else the commit that was judged and not written"`
	Written bool   `json:"written" jsonschema:"whether the branch was created"`
	// Accepted is small check's verdict on the change: no findings.
	Accepted    bool              `json:"accepted" jsonschema:"small check's verdict for a pull request of this change: true when it has no findings"`
	Manifests   int               `json:"manifests" jsonschema:"how many manifests the check validated"`
	Stopped     string            `json:"stopped,omitempty" jsonschema:"why no manifest could be checked, when none could (the schemas do not compile)"`
	Diagnostics []diag.Diagnostic `json:"diagnostics" jsonschema:"the check's findings, each at file:line:column with a stable code (schema.violation, lifecycle.transition, lifecycle.human-only, policy.agent-boundary, ...)"`
	Plan        *diag.Plan        `json:"plan,omitempty" jsonschema:"the artifacts merging the change would create, update and retract, when the check accepts it"`
	// PlanError says why an accepted change has no plan.
	PlanError string `json:"planError,omitempty" jsonschema:"why an accepted change has no plan, when it has none"`
}

// RefusedError is a proposal refused before it was judged: a name, a path
// or a branch a proposal may not have. Diagnostic says why, with a stable
// code (proposal.name, proposal.branch, proposal.exists, proposal.path,
// proposal.input, proposal.base).
type RefusedError struct{ Diagnostic diag.Diagnostic }

func (e *RefusedError) Error() string {
	if e.Diagnostic.File == "" {
		return e.Diagnostic.Message
	}
	return e.Diagnostic.String()
}

func refuse(code, file, format string, args ...any) error {
	return &RefusedError{diag.Diagnostic{File: file, Code: code, Severity: diag.Error, Message: fmt.Sprintf(format, args...)}}
}

var (
	agentName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*(\[bot\])?$`)
	smallKey  = regexp.MustCompile(`(?im)^\s*small-[a-z0-9-]*\s*:`)
)

// Base is where proposals start: the default branch, as the remote's HEAD
// names it (refs/remotes/origin/HEAD), else the branch HEAD is on without a
// remote. It is never the artifact branch or a proposal branch.
func Base(r *repo.Repository) (ref string, c *repo.Commit, err error) {
	if target, h := r.SymbolicRef("refs/remotes/origin/HEAD"); !h.IsZero() {
		ref = target
	} else if b := r.DefaultBranch(); b != "" {
		ref = protocol.BranchRef(b)
	} else {
		return "", nil, refuse(diag.CodeProposalBase, "", "no default branch to propose from: HEAD is detached and there is no origin/HEAD (git remote set-head origin --auto, or git switch main)")
	}
	h, err := r.Ref(ref)
	if err != nil {
		return "", nil, err
	}
	if h.IsZero() {
		return "", nil, refuse(diag.CodeProposalBase, "", "the default branch %s has no commits yet: commit small.cue, the schemas and the manifests first", shortRef(ref))
	}
	if c, err = r.ReadCommit(h); err != nil {
		return "", nil, err
	}
	branch := strings.TrimPrefix(strings.TrimPrefix(ref, "refs/heads/"), "refs/remotes/origin/")
	if strings.HasPrefix(branch, protocol.ProposalPrefix) {
		return "", nil, refuse(diag.CodeProposalBase, "", "the default branch %s is a proposal branch: switch to the branch content lives on (git switch main)", shortRef(ref))
	}
	if cfg, err := config.Load(r.Snapshot(c)); err == nil && cfg.Artifacts.Branch == branch {
		return "", nil, refuse(diag.CodeProposalBase, "", "the default branch %s is the artifact branch: switch to the branch content lives on (git switch main)", shortRef(ref))
	}
	return ref, c, nil
}

func shortRef(ref string) string {
	return strings.TrimPrefix(strings.TrimPrefix(ref, "refs/heads/"), "refs/remotes/")
}

// Judge stages the proposal's commit on the default branch, in memory, and
// returns small check's verdict on it and, when it passes, what merging it
// would build. It writes nothing; the name is not needed and not checked.
func Judge(r *repo.Repository, req Request) (*Result, error) {
	p, err := stage(r, req, nil)
	if err != nil {
		return nil, err
	}
	return p.res, nil
}

// Propose judges the proposal as Judge does and, when the check accepts it,
// writes it: its objects, then the branch small/proposals/<name>, which
// must not exist. A proposal the check refuses is returned with its
// findings and nothing written. A name, path or branch a proposal may not
// have is a *RefusedError, before anything is judged.
func Propose(r *repo.Repository, req Request) (*Result, error) {
	if !protocol.ValidProposalName(req.Name) {
		return nil, refuse(diag.CodeProposalName, "", "proposal name %q: expected lower case letters, digits, '.', '_' and '-', starting with a letter or digit, at most 64, without \"..\" (it names the branch %s<name>)", req.Name, protocol.ProposalPrefix)
	}
	branch := protocol.ProposalBranch(req.Name)
	ref := protocol.BranchRef(branch)
	p, err := stage(r, req, func(cfg *config.Config) error { return writable(r, ref, cfg) })
	if err != nil {
		return nil, err
	}
	if !p.res.Accepted {
		return p.res, nil
	}
	if err := p.w.Flush(); err != nil {
		return nil, fmt.Errorf("write the proposal's objects: %w", err)
	}
	if err := r.UpdateRef(ref, p.commit, repo.ZeroHash); err != nil {
		var moved *repo.RefMovedError
		if errors.As(err, &moved) && moved.Conflict != "" {
			return nil, refuse(diag.CodeProposalExists, "", "branch %s cannot be created: %s exists, and git keeps no branch beside a branch of its directory; choose another name", branch, moved.Conflict)
		}
		if errors.As(err, &moved) && moved.Locked == "" {
			return nil, refuse(diag.CodeProposalExists, "", "branch %s exists already: a proposal never moves an existing branch; choose another name", branch)
		}
		return nil, fmt.Errorf("create %s: %w", branch, err)
	}
	p.res.Branch, p.res.Written = branch, true
	return p.res, nil
}

// writable refuses a branch a proposal may not create: one that exists,
// the current branch (an unborn one included) and the artifact branch.
func writable(r *repo.Repository, ref string, cfg *config.Config) error {
	branch := protocol.BranchName(ref)
	if other, err := r.RefConflict(ref); err != nil {
		return err
	} else if other != "" {
		return refuse(diag.CodeProposalExists, "", "branch %s cannot be created: %s exists, and git keeps no branch beside a branch of its directory; choose another name", branch, other)
	}
	if slices.Contains(r.CheckedOut(), ref) {
		return refuse(diag.CodeProposalBranch, "", "branch %s is checked out in a worktree of this repository: a proposal never commits on a current branch; choose another name", branch)
	}
	artifacts := []string{cfg.Artifacts.Branch}
	if head, err := r.Resolve("HEAD"); err == nil {
		// The branch small build writes here is the one HEAD's small.cue
		// names, which may not be the default branch's yet.
		if hc, err := config.Load(r.Snapshot(head)); err == nil {
			artifacts = append(artifacts, hc.Artifacts.Branch)
		}
	}
	for _, a := range artifacts {
		if protocol.BranchRef(a) == ref {
			return refuse(diag.CodeProposalBranch, "", "branch %s is the artifact branch, which only small build writes; choose another name", branch)
		}
	}
	h, err := r.Ref(ref)
	if err != nil {
		return err
	}
	if !h.IsZero() {
		return refuse(diag.CodeProposalExists, "", "branch %s exists already (at %s): a proposal never moves an existing branch; choose another name", branch, h.Short())
	}
	return nil
}

// staged is a proposal's commit, staged and judged.
type staged struct {
	w      *repo.ObjectWriter
	commit repo.Hash
	res    *Result
}

// stage stages the proposal's commit and judges it. first, when set,
// refuses what the base's configuration rules out before anything is
// staged.
func stage(r *repo.Repository, req Request, first func(*config.Config) error) (*staged, error) {
	if err := CheckAgent(req.Agent); err != nil {
		return nil, err
	}
	msg, err := message(req.Message, req.Agent)
	if err != nil {
		return nil, err
	}
	ref, base, err := Base(r)
	if err != nil {
		return nil, err
	}
	cfg, err := config.Load(r.Snapshot(base))
	if err != nil {
		var ce *config.Error
		if errors.As(err, &ce) {
			return nil, refuse(diag.CodeProposalBase, protocol.ConfigFile, "the default branch %s has no usable small.cue: %v", shortRef(ref), err)
		}
		return nil, err
	}
	if first != nil {
		if err := first(cfg); err != nil {
			return nil, err
		}
	}
	if err := checkFiles(cfg, req.Files); err != nil {
		return nil, err
	}
	// The agent is the author, with the e-mail of the person who runs it
	// (who answers for it); that person commits.
	me, err := r.UserIdentity()
	if err != nil {
		return nil, err
	}
	committer, err := r.CommitterIdentity()
	if err != nil {
		return nil, err
	}
	author := repo.Signature{Name: req.Agent, Email: me.Email, When: me.When}
	w := r.NewObjectWriter()
	files := make(map[string]repo.Hash, len(req.Files))
	for _, f := range req.Files {
		if files[f.Path], err = w.Blob([]byte(f.Text)); err != nil {
			return nil, err
		}
	}
	tree, err := w.EditTree(base.Tree, files)
	if err != nil {
		var tp *repo.TreePathError
		if errors.As(err, &tp) {
			return nil, refuse(diag.CodeProposalPath, tp.Path, "%s on the default branch %s: a proposal writes manifest files only", tp.Why, shortRef(ref))
		}
		return nil, err
	}
	if tree == base.Tree {
		return nil, refuse(diag.CodeProposalInput, "", "the proposal changes nothing: every manifest given is as the default branch %s has it", shortRef(ref))
	}
	commit, err := w.Commit(repo.CommitSpec{Tree: tree, Parents: []repo.Hash{base.ID}, Author: author, Committer: committer, Message: msg})
	if err != nil {
		return nil, err
	}
	view, err := w.View()
	if err != nil {
		return nil, err
	}
	check, planErr, err := builder.Check(view, content.CheckOptions{Rev: commit.String(), Base: base.ID.String(), Command: "check"})
	if err != nil {
		return nil, err
	}
	res := &Result{Protocol: protocol.Version, Base: ref, BaseCommit: base.ID.String(), Commit: commit.String(),
		Accepted: !check.Report.Failed(), Manifests: check.Report.Manifests, Stopped: check.Report.Stopped, Diagnostics: check.Report.Diagnostics, Plan: check.Report.Plan}
	if res.Diagnostics == nil {
		res.Diagnostics = []diag.Diagnostic{}
	}
	if planErr != nil && res.Accepted {
		res.PlanError = planErr.Error()
	}
	return &staged{w: w, commit: commit, res: res}, nil
}

// CheckAgent refuses an agent name that is not one safe token: it becomes
// a trailer value and an author name.
func CheckAgent(name string) error {
	if len(name) > MaxAgentName || !agentName.MatchString(name) {
		return refuse(diag.CodeProposalInput, "", "agent name %q: expected letters, digits, '.', '_' and '-', starting with a letter or digit, at most %d (small mcp --agent NAME)", name, MaxAgentName)
	}
	return nil
}

// message is the commit message: the agent's, normalised, with the
// Small-Agent trailer as its last paragraph. An agent's message carries no
// trailer of small's: it could forge another agent's name, or a rollback.
func message(text, agent string) (string, error) {
	text = strings.TrimSpace(strings.ReplaceAll(text, "\r\n", "\n"))
	switch {
	case text == "":
		return "", refuse(diag.CodeProposalInput, "", "the proposal has no message: say in a line what the change is for (and why, after a blank line)")
	case len(text) > MaxMessageBytes:
		return "", refuse(diag.CodeProposalInput, "", "the message is %d bytes: expected at most %d", len(text), MaxMessageBytes)
	case !utf8.ValidString(text) || strings.ContainsFunc(text, func(c rune) bool { return hidden(c) && c != '\n' && c != '\t' }):
		return "", refuse(diag.CodeProposalInput, "", "the message holds a control or invisible formatting character (such as U+202E), or invalid UTF-8: expected plain text")
	case patchStart.MatchString(text):
		return "", refuse(diag.CodeProposalInput, "", "the message holds a line starting with ---, where git stops reading trailers (git interpret-trailers): expected plain text")
	case smallKey.MatchString(text):
		return "", refuse(diag.CodeProposalInput, "", "the message holds a Small-* line: small adds the Small-Agent trailer itself, and an agent's message carries none")
	}
	msg := text + "\n\n" + protocol.TrailerAgent + ": " + agent + "\n"
	if ds := content.CheckMessage("message", msg); len(ds) > 0 {
		return "", &RefusedError{ds[0]}
	}
	return msg, nil
}

// checkFiles refuses files a proposal may not write, under the base's
// policy: anything but a manifest file below the manifests directory, where
// agents may change things, at a plain path; and more, or larger, than the
// bounds.
func checkFiles(cfg *config.Config, files []File) error {
	switch {
	case len(files) == 0:
		return refuse(diag.CodeProposalInput, "", "the proposal has no manifests: give at least one (path and text)")
	case len(files) > MaxFiles:
		return refuse(diag.CodeProposalInput, "", "the proposal has %d manifests: expected at most %d", len(files), MaxFiles)
	}
	seen := map[string]bool{}
	for _, f := range files {
		if err := CheckPath(cfg, f.Path); err != nil {
			return err
		}
		if seen[f.Path] {
			return refuse(diag.CodeProposalInput, f.Path, "given twice: expected each manifest once")
		}
		seen[f.Path] = true
		if int64(len(f.Text)) > cfg.Limits.ManifestBytes {
			return refuse(diag.CodeProposalInput, f.Path, "%d bytes: expected at most limits.manifestBytes (%d)", len(f.Text), cfg.Limits.ManifestBytes)
		}
	}
	return nil
}

// CheckPath refuses a path an agent's manifest may not have under cfg: not
// a clean relative path of plain names (no hidden or control characters),
// outside the manifests directory or what agentPaths allow, or not a
// manifest file name.
func CheckPath(cfg *config.Config, p string) error {
	expect := fmt.Sprintf("expected a path under %s/ ending in .yaml, .yml or .json, e.g. %s/articles/new.yaml", cfg.Manifests, cfg.Manifests)
	if cfg.HasFileRules() {
		var globs []string
		for _, r := range cfg.Files {
			globs = append(globs, r.Glob)
		}
		where := "under " + cfg.Manifests + "/"
		if cfg.Manifests == "." {
			where = "of the repository"
		}
		expect = fmt.Sprintf("expected a path %s that one of small.cue's files rules matches (%s)", where, strings.Join(globs, ", "))
	}
	if p == "" || len(p) > 1024 || path.IsAbs(p) || path.Clean(p) != p || strings.HasPrefix(p, "../") || p == ".." || strings.Contains(p, "\\") {
		return refuse(diag.CodeProposalPath, p, "not a clean path relative to the top of the repository: %s", expect)
	}
	if !utf8.ValidString(p) || strings.ContainsFunc(p, hidden) {
		return refuse(diag.CodeProposalPath, p, "holds a control or invisible formatting character (such as U+202E or U+200B), or invalid UTF-8: %s", expect)
	}
	for _, part := range strings.Split(p, "/") {
		if strings.HasPrefix(part, ".") || strings.EqualFold(part, "git~1") || strings.TrimSpace(part) != part {
			return refuse(diag.CodeProposalPath, p, "%q is hidden, or a name git or a file system treats specially: %s", part, expect)
		}
	}
	if !cfg.UnderManifests(p) {
		return refuse(diag.CodeProposalPath, p, "outside the manifests directory: %s", expect)
	}
	if !cfg.IsManifest(p) && cfg.HasFileRules() {
		return refuse(diag.CodeProposalPath, p, "matched by none of small.cue's files rules: %s", expect)
	}
	if !cfg.IsManifest(p) {
		return refuse(diag.CodeProposalPath, p, "not a manifest file name: %s", expect)
	}
	if !cfg.AgentMayChange(p) {
		return refuse(diag.CodeProposalPath, p, "outside what agents may change (small.cue agentPaths: %s): a human must make this change", cfg.AgentScope())
	}
	return nil
}

// hidden reports a character a reviewer cannot see for what it is: a
// control character, or an invisible formatting one (Unicode Cf: U+202E
// turns text around, U+200B is a zero-width space).
func hidden(c rune) bool { return unicode.IsControl(c) || unicode.Is(unicode.Cf, c) }

// patchStart is a line git takes for the start of a patch, after which it
// reads no trailer: the Small-Agent trailer must stay visible to git.
var patchStart = regexp.MustCompile(`(?m)^---`)
