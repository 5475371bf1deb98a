package content

import (
	"errors"
	"fmt"
	"strings"

	"github.com/smallhq/small/config"
	"github.com/smallhq/small/diag"
	"github.com/smallhq/small/progress"
	"github.com/smallhq/small/protocol"
	"github.com/smallhq/small/repo"
	"github.com/smallhq/small/schema"
	"github.com/smallhq/small/version"
)

// CheckOptions say what Check reads and which rules it applies.
type CheckOptions struct {
	// Rev is the commit whose schemas and manifests are checked; "" for the
	// working tree.
	Rev string
	// Base, when set, is the revision the change is checked against: the
	// lifecycle rules, and (with Rev) the agent boundary.
	Base string
	// Paths limits validation to these repository-relative files and
	// directories; empty means every manifest.
	Paths []string
	// Staged reads the manifests and schemas as the index holds them (what
	// git commit would commit) instead of the working tree.
	Staged bool
	// Command names the report ("validate", "check").
	Command string
	// Platform is who the hosting platform says opened the change (see
	// GitHubPlatform); nil where there is none.
	Platform *Platform
	// Built, when set, is a build of the change's merge base (see Built):
	// where it was made under the schemas, small.cue and version of small
	// that judge the change, Check evaluates only the manifests the change
	// touched and takes the others' verdicts and states from it, with the
	// same findings a full evaluation gives.
	Built *Built
	// Progress, when set, counts the manifests evaluated (see
	// Options.Progress).
	Progress *progress.Counter
}

// Built is what a build says of the manifest commit it built: every
// manifest there was valid, with the kind, id and state its index records,
// under the schemas, small.cue and version of small its trailers name.
// It is as trustworthy as the artifact branch; small verify and the next
// small build check that the branch is what small would have written.
type Built struct {
	ManifestCommit repo.Hash
	SchemaDigest   string
	Config         string // blob id of small.cue
	Builder        string // Small-Builder
	Manifests      []Known
}

// HistoryError is history a check needs and cannot read: a repository
// state, not a finding about content.
type HistoryError struct{ Err error }

func (e *HistoryError) Error() string { return e.Err.Error() }
func (e *HistoryError) Unwrap() error { return e.Err }

// Check is small validate and small check: it validates the manifests of a
// revision (or the working tree) against their kinds and, with a base,
// judges the change under the policy of the branch it goes into (see Gate). Findings are in the
// result's report. A revision that names no commit is a *repo.RevisionError,
// a broken small.cue a *config.Error.
func Check(r *repo.Repository, opts CheckOptions) (*Result, error) {
	snap := r.WorkingTree()
	if opts.Staged {
		tree, err := r.StagedTree()
		if err != nil {
			return nil, err
		}
		snap = r.TreeSnapshot(tree, "index")
	}
	var head *repo.Commit
	if opts.Rev != "" {
		c, err := r.Resolve(opts.Rev)
		if err != nil {
			return nil, err
		}
		head, snap = c, r.Snapshot(c)
	}
	cfg, err := config.Load(snap)
	var ce *config.Error
	headless := errors.As(err, &ce) && len(ce.Diagnostics) > 0 && ce.Diagnostics[0].Code == diag.CodeConfigMissing
	if err != nil && !(headless && opts.Base != "") {
		return nil, err
	}
	var ch *Change
	var known map[string]Known
	if opts.Base != "" {
		tip := head
		if tip == nil {
			if tip, err = r.Resolve("HEAD"); err != nil {
				return nil, err
			}
		}
		target, base, err := ResolveBase(r, opts.Base, tip)
		if err != nil {
			return nil, err
		}
		if headless {
			// The change deletes small.cue: judge it (an agent's deletion
			// is a boundary finding) and validate under the target's.
			tc, err := config.Load(r.Snapshot(target))
			if err != nil {
				return nil, err
			}
			cfg = tc
		}
		headSchema, _ := LoadSchema(snap, cfg)
		// The policy is the target's, its newest trusted word: a branch
		// started long ago is not judged by the rules of its day. The
		// merge base only says which commits and contents are the change.
		pol, err := LoadPolicy(r, target, headSchema)
		if err != nil {
			return nil, err
		}
		// The limits, like all policy, are the base's.
		limited := *cfg
		limited.Limits = pol.Config.Limits
		cfg = &limited
		ch = &Change{Base: base, Target: target, Head: head, Policy: pol, Paths: opts.Paths, Tree: snap, Platform: opts.Platform, HeadConfig: cfg}
		known = reusable(r, ch, opts, headSchema)
	}
	if ch == nil && len(opts.Paths) == 0 && cfg.Manifests != "." {
		// Not a change, where deleting the last manifest is a change to
		// judge: a root with nothing in it is a mistyped name.
		if files, err := snap.Files(cfg.Manifests); err == nil && len(files) == 0 {
			return nil, MissingRoot(snap, cfg)
		}
	}
	res, err := Validate(snap, cfg, Options{Paths: opts.Paths, Known: known, Progress: opts.Progress})
	if err != nil {
		return nil, err
	}
	if opts.Command != "" {
		res.Report.Command = opts.Command
	}
	if ch == nil {
		return res, nil
	}
	ch.Result = res
	ds, err := Gate(r, *ch)
	if err != nil {
		return nil, &HistoryError{err}
	}
	res.Report.Diagnostics = append(res.Report.Diagnostics, ds...)
	if ds, err = publishFindings(r, ch, cfg); err != nil {
		return nil, &HistoryError{err}
	}
	res.Report.Diagnostics = append(res.Report.Diagnostics, ds...)
	diag.Sort(res.Report.Diagnostics)
	return res, nil
}

// reusable returns the verdicts of opts.Built that hold for the change's
// head, by path, and makes the build's states the base's for the gate; nil
// when the build cannot stand in for an evaluation: it is not of the merge
// base, its schemas, small.cue or version of small are not those that
// judge the change (the head's and the target's), or its index does not
// list exactly the manifest files the merge base has, blob for blob.
//
// Every manifest a commit of the change touched, on any side of it (a
// commit without parents against nothing), is evaluated again, so its
// findings carry its lines, and its state at the base is read from the
// base, not taken from the index. A symbolic link is never taken from the
// index: its bytes are a path, and its verdict is its target's. History it
// cannot read means no reuse: the full evaluation and the gate say what is
// missing.
func reusable(r *repo.Repository, ch *Change, opts CheckOptions, headSchema *schema.Schema) map[string]Known {
	b := opts.Built
	if b == nil || ch.Head == nil || len(opts.Paths) > 0 || opts.Staged ||
		b.ManifestCommit != ch.Base.ID || b.Builder != version.Builder() ||
		headSchema == nil || ch.Policy.Schema == nil ||
		headSchema.Digest != b.SchemaDigest || ch.Policy.Schema.Digest != b.SchemaDigest {
		return nil
	}
	for _, c := range []*repo.Commit{ch.Head, ch.Target, ch.Base} {
		if r.FileAt(c.Tree, protocol.ConfigFile).String() != b.Config {
			return nil
		}
	}
	pcfg := ch.Policy.Config
	root := pcfg.Manifests
	touched := map[string]bool{}
	seen := map[[2]repo.Hash]bool{}
	diff := func(a, b repo.Hash) bool {
		if seen[[2]repo.Hash{a, b}] || seen[[2]repo.Hash{b, a}] {
			return true
		}
		seen[[2]repo.Hash{a, b}] = true
		changes, err := r.Changes(a, b)
		for _, c := range changes {
			if pcfg.UnderManifests(c.Path) {
				touched[c.Path] = true
			}
		}
		return err == nil
	}
	if !diff(ch.Base.Tree, ch.Head.Tree) {
		return nil
	}
	commits, err := r.Range(ch.Target.ID, ch.Head.ID)
	if err != nil {
		return nil
	}
	for _, c := range commits {
		parents := []repo.Hash{repo.ZeroHash} // a root commit adds all it has
		if len(c.Parents) > 0 {
			parents = parents[:0]
			for _, h := range c.Parents {
				pc, err := r.ReadCommit(h)
				if err != nil {
					return nil
				}
				parents = append(parents, pc.Tree)
			}
		}
		for _, pt := range parents {
			if !diff(pt, c.Tree) {
				return nil
			}
		}
	}
	// The index must be the base's manifests: a shard lost or an entry
	// for a blob the base does not have means the build is not of it.
	files, err := r.RegularFiles(ch.Base.Tree, root)
	if err != nil {
		return nil
	}
	listed := 0
	known := make(map[string]Known, len(b.Manifests))
	var states []Known
	for _, k := range b.Manifests {
		blob, regular := files[k.Path]
		switch {
		case regular && blob == k.Blob:
			listed++
		case !regular && !r.FileAt(ch.Base.Tree, k.Path).IsZero():
			continue // a link (or a submodule) at the base: never reused
		default:
			return nil
		}
		if touched[k.Path] {
			continue
		}
		known[k.Path] = k
		states = append(states, k)
	}
	for p := range files {
		if pcfg.IsManifest(p) {
			listed--
		}
	}
	if listed != 0 {
		return nil
	}
	// What the change touched is judged from the base's own bytes.
	for p := range touched {
		blob, ok := files[p]
		m, isManifest := pcfg.Manifest(p)
		if !ok || !isManifest {
			continue
		}
		d, err := ch.Policy.decode(r, p, m, blob)
		if err != nil {
			return nil
		}
		if d.ok {
			states = append(states, Known{Kind: d.key[0], ID: d.key[1], Locale: d.key[2], Path: p, State: d.state, Blob: blob})
		}
	}
	ch.Known = states
	return known
}

// ResolveBase resolves what --base names against the head of a change, as
// GitHub's pull-request diff does: REV is the branch the change goes into,
// and the change is judged from the merge base of REV and head; A...B names
// the target A and the merge base of A and B. It returns the target's tip
// and the merge base.
func ResolveBase(r *repo.Repository, spec string, head *repo.Commit) (target, base *repo.Commit, err error) {
	other := head
	if a, b, ok := strings.Cut(spec, "..."); ok {
		if a == "" {
			a = "HEAD"
		}
		if b == "" {
			b = "HEAD"
		}
		if other, err = r.Resolve(b); err != nil {
			return nil, nil, err
		}
		spec = a
	}
	if target, err = r.Resolve(spec); err != nil {
		return nil, nil, err
	}
	mb, err := r.MergeBase(target.ID, other.ID)
	if err != nil {
		return nil, nil, &HistoryError{fmt.Errorf("the merge base of %s and %s: %w", spec, other.ID.Short(), err)}
	}
	if base, err = r.ReadCommit(mb); err != nil {
		return nil, nil, err
	}
	return target, base, nil
}

// SchemaAt loads the schemas package of a revision ("" for the working
// tree), as small.cue there names it. Schemas that do not compile are a
// *schema.Error with their diagnostics.
func SchemaAt(r *repo.Repository, rev string) (*schema.Schema, error) {
	snap, err := snapshotOf(r, rev, false)
	if err != nil {
		return nil, err
	}
	cfg, err := config.Load(snap)
	if err != nil {
		return nil, err
	}
	return LoadSchema(snap, cfg)
}
