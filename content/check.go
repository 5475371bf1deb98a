package content

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"unicode"

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
	// Built, when set, is a build small made: the build of the change's
	// merge base, or the artifact branch's tip. Where it was made under the
	// schemas, small.cue and version of small that judge the commit, Check
	// takes from it that a manifest it built passes its kind, and does not
	// evaluate that manifest again, only decodes it (see
	// Options.KnownValid): the same findings a full evaluation gives. Which
	// of its manifests it takes, and why a forged build gains nothing, is
	// builtValid's to say.
	Built *Built
	// Progress, when set, counts the manifests evaluated (see
	// Options.Progress).
	Progress *progress.Counter
}

// Built is what a build says of the manifest commit it built: every
// manifest there was valid, with the kind, id and state its index records,
// under the schemas, small.cue and version of small its trailers name.
// Check takes nothing from it but that verdict, for the manifests whose
// bytes it can tie to the build's manifest commit (builtValid); small
// verify and the next small build check that the branch is what small
// would have written.
type Built struct {
	ManifestCommit repo.Hash
	SchemaDigest   string
	Config         string // blob id of small.cue
	Builder        string // Small-Builder
	// Manifests are the manifests its index lists; when nil, Load reads
	// them, once Check knows it can use them.
	Manifests []Known
	Load      func() ([]Known, error)
}

// entries are the manifests b's index lists.
func (b *Built) entries() ([]Known, error) {
	if b.Manifests == nil && b.Load != nil {
		ms, err := b.Load()
		if err != nil {
			return nil, err
		}
		b.Manifests, b.Load = ms, nil
	}
	return b.Manifests, nil
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
	var valid, touched map[string]bool
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
		valid, touched = reusable(r, ch, opts, headSchema)
	} else if head != nil && opts.Built != nil {
		// small validate --rev: the build must be of the default branch's
		// history, which small check guards.
		if _, tips := r.DefaultBranchTips(); len(tips) > 0 {
			if s, err := LoadSchema(snap, cfg); err == nil {
				valid = builtValid(r, opts.Built, cfg, s.Digest, head, tips, []*repo.Commit{head}, nil)
			}
		}
	}
	if ch == nil && len(opts.Paths) == 0 && cfg.Manifests != "." {
		// Not a change, where deleting the last manifest is a change to
		// judge: a root with nothing in it is a mistyped name.
		if files, err := snap.Files(cfg.Manifests); err == nil && len(files) == 0 {
			return nil, MissingRoot(snap, cfg)
		}
	}
	res, err := Validate(snap, cfg, Options{Paths: opts.Paths, KnownValid: valid, Progress: opts.Progress})
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
	if valid != nil && ch.Policy.Schema != nil && res.Schema != nil && ch.Policy.Schema.Digest == res.Schema.Digest {
		// The base's manifests, as the gate reads them, from what the
		// head's validation decoded where the base has the same bytes.
		if ch.Known, err = baseStates(r, ch, touched); err != nil {
			ch.Known = nil // the gate reads them itself, and says what is wrong
		}
	}
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

// reusable returns the manifests of the change's head whose verdict
// opts.Built gives (see builtValid), by path, and the paths the change
// touched; nil when the build cannot stand in for an evaluation: the
// schemas, small.cue or version of small that judge the change (the
// head's schemas, the head's and the target's small.cue) are not those it
// was built under, or it is not of the target's history.
//
// Every manifest a commit of the change touched, on any side of it (a
// commit without parents against nothing), is evaluated again, so its
// findings carry its lines, and nothing the change brings in is taken on
// the build's word. History it cannot read means no reuse: the full
// evaluation and the gate say what is missing.
func reusable(r *repo.Repository, ch *Change, opts CheckOptions, headSchema *schema.Schema) (valid, touched map[string]bool) {
	b := opts.Built
	if b == nil || ch.Head == nil || len(opts.Paths) > 0 || opts.Staged || headSchema == nil ||
		b.Builder != version.Builder() || headSchema.Digest != b.SchemaDigest {
		return nil, nil
	}
	pcfg := ch.Policy.Config
	touched = map[string]bool{}
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
		return nil, nil
	}
	commits, err := r.Range(ch.Target.ID, ch.Head.ID)
	if err != nil {
		return nil, nil
	}
	for _, c := range commits {
		parents := []repo.Hash{repo.ZeroHash} // a root commit adds all it has
		if len(c.Parents) > 0 {
			parents = parents[:0]
			for _, h := range c.Parents {
				pc, err := r.ReadCommit(h)
				if err != nil {
					return nil, nil
				}
				parents = append(parents, pc.Tree)
			}
		}
		for _, pt := range parents {
			if !diff(pt, c.Tree) {
				return nil, nil
			}
		}
	}
	valid = builtValid(r, b, pcfg, headSchema.Digest, ch.Head, []repo.Hash{ch.Target.ID}, []*repo.Commit{ch.Head, ch.Target, ch.Base}, touched)
	if valid == nil {
		return nil, nil
	}
	return valid, touched
}

// builtValid returns the manifests of head that b says pass their kind,
// by path: b must be by this version of small, under the schemas whose
// digest is digest and the small.cue every commit of same has, and of a
// commit in the history of one of trusted (for a change, the target,
// never the change; else the default branch's tips). Of its index, only
// an entry whose blob that commit has at that path, as head does, counts,
// and not one the change touched: the key of a verdict is (path, blob,
// schema digest, small.cue blob, version of small). nil when nothing
// counts.
//
// What is taken on the build's word is then only that those bytes, which
// the trusted history already held at that path under these rules, pass
// their kind: a forged build (an index that says an invalid file is
// valid) can hide no manifest a change brings in, only a file the target
// (or the default branch) had already, which small check admitted, and
// small verify finds the forgery. Kinds, ids, states and every rule
// across manifests are read from the bytes. Whether head descends from
// that commit does not matter: the bytes are the same.
func builtValid(r *repo.Repository, b *Built, cfg *config.Config, digest string, head *repo.Commit, trusted []repo.Hash, same []*repo.Commit, touched map[string]bool) map[string]bool {
	if b == nil || b.Builder != version.Builder() || b.SchemaDigest != digest || b.ManifestCommit.IsZero() || !r.HasCommit(b.ManifestCommit) {
		return nil
	}
	for _, c := range same {
		if r.FileAt(c.Tree, protocol.ConfigFile).String() != b.Config {
			return nil
		}
	}
	anchored := false
	for _, h := range trusted {
		if ok, err := r.IsAncestor(b.ManifestCommit, h); err == nil && ok {
			anchored = true
			break
		}
	}
	if !anchored {
		return nil
	}
	// The build's commit has the small.cue and schemas its trailers name.
	mc, err := r.ReadCommit(b.ManifestCommit)
	if err != nil || r.FileAt(mc.Tree, protocol.ConfigFile).String() != b.Config {
		return nil
	}
	if d, err := schemaDigest(r.Snapshot(mc), cfg); err != nil || d != b.SchemaDigest {
		return nil
	}
	entries, err := b.entries()
	if err != nil {
		return nil
	}
	built, err := r.RegularFiles(mc.Tree, cfg.Manifests)
	if err != nil {
		return nil
	}
	now, err := r.RegularFiles(head.Tree, cfg.Manifests)
	if err != nil {
		return nil
	}
	valid := map[string]bool{}
	for _, k := range entries {
		if !touched[k.Path] && !k.Blob.IsZero() && built[k.Path] == k.Blob && now[k.Path] == k.Blob {
			valid[k.Path] = true
		}
	}
	if len(valid) == 0 {
		return nil
	}
	return valid
}

// baseStates are the manifests of the change's base as the gate reads
// them (statesAt), for a change whose head, target and base share
// small.cue and whose head and target share the schemas: a file the
// change did not touch holds at the head the bytes it holds at the base,
// and the head's validation decoded them; the others (and a symbolic
// link, whose bytes the gate reads as they are) are decoded from the
// base.
func baseStates(r *repo.Repository, ch *Change, touched map[string]bool) ([]Known, error) {
	pol := ch.Policy
	at := make(map[string]*Manifest, len(ch.Result.Manifests))
	for i := range ch.Result.Manifests {
		at[ch.Result.Manifests[i].Path] = &ch.Result.Manifests[i]
	}
	files, err := r.TreeFiles(ch.Base.Tree, pol.Config.Manifests)
	if err != nil {
		return nil, err
	}
	regular, err := r.RegularFiles(ch.Base.Tree, pol.Config.Manifests)
	if err != nil {
		return nil, err
	}
	states := []Known{}
	for _, p := range slices.Sorted(maps.Keys(files)) {
		blob := files[p]
		match, ok := matchAny(p, pol.Config, ch.HeadConfig)
		if !ok {
			continue
		}
		if m := at[p]; m != nil && !touched[p] && regular[p] == blob && m.Kind != "" && !strings.ContainsFunc(p, unicode.IsControl) {
			if pol.knows(m.Kind) {
				states = append(states, Known{Kind: m.Kind, ID: m.ID, Locale: m.Locale, Path: p, State: m.State, Blob: blob})
			}
			continue
		}
		d, err := pol.decode(r, p, match, blob)
		if err != nil {
			return nil, err
		}
		if d.ok {
			states = append(states, Known{Kind: d.key[0], ID: d.key[1], Locale: d.key[2], Path: p, State: d.state, Blob: blob})
		}
	}
	return states, nil
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
