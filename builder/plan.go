// Package builder turns a validated manifest commit into the next commit of
// the artifact branch: deterministic, incremental, with trailers and lineage
// and lifecycle notes. Nothing else writes the artifact branch. It also
// answers from the latest build's index: where each artifact stands
// (Status), and which manifest version to bring back (StageRollback).
package builder

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/smallhq/small/config"
	"github.com/smallhq/small/content"
	"github.com/smallhq/small/diag"
	"github.com/smallhq/small/lineage"
	"github.com/smallhq/small/progress"
	"github.com/smallhq/small/protocol"
	"github.com/smallhq/small/repo"
	"github.com/smallhq/small/schema"
	"github.com/smallhq/small/version"
)

// Change is one artifact a build creates, updates or retracts.
type Change struct {
	Path     string
	Action   string
	Old, New []byte // content before and after (nil when absent)
	OldBlob  repo.Hash
	NewBlob  repo.Hash
	Owner    *IndexEntry // the manifest that caused the change
}

// Plan is what a build would do, computed without writing anything.
type Plan struct {
	Branch         string // full ref name of the artifact branch
	ManifestCommit *repo.Commit
	Config         *config.Config
	SchemaDigest   string
	Previous       *repo.Commit // the artifact branch's tip; nil before the first build
	Full           bool         // every manifest was evaluated
	Evaluated      int          // manifests evaluated
	Manifests      int          // manifests in the commit
	Report         diag.Report  // findings; a plan with errors must not be applied
	Changes        []Change     // sorted by path
	// Assets are the asset files the build adds to or removes from the
	// artifact tree, sorted by path (see assets.go).
	Assets []AssetChange
	// Platform, when set before Apply, is recorded in every lineage record
	// of the build: who the hosting platform said ran it.
	Platform *lineage.Platform
	// Unverified, set by Build, says why the build it stands on could not
	// be verified here (a shallow clone); "" when it was.
	Unverified string
	out        output            // what Apply writes
	against    bool              // computed against another plan: for reading only
	restated   bool              // schemas, small.cue or builder changed since the previous build
	builder    string            // the Small-Builder it records: this small, or the one a rebuild reproduces
	gate       []diag.Diagnostic // the rules of a change, on the commits since the previous build
	spill      *spiller          // where rendered artifacts went, when spooled to disk (prepare)
	noLineage  bool              // write no lineage index: the rebuild of a build made without one
}

// spiller writes rendered artifacts to a packfile on disk as they come
// (repo.ObjectWriter.SpoolBlob), keeping of each only its id and the
// sha256 its lineage record carries.
type spiller struct {
	w    *repo.ObjectWriter
	mu   sync.Mutex
	sums map[repo.Hash][sha256.Size]byte
}

func (s *spiller) Spill(data []byte) (repo.Hash, error) {
	h, err := s.w.SpoolBlob(data)
	if err != nil {
		return h, err
	}
	sum := sha256.Sum256(data)
	s.mu.Lock()
	s.sums[h] = sum
	s.mu.Unlock()
	return h, nil
}

func (s *spiller) Unspill(h repo.Hash) ([]byte, error) { return s.w.ReadBlob(h) }

// Discard removes what a plan spooled to disk and was not applied; a plan
// that spooled nothing, or was applied, has nothing to remove.
func (p *Plan) Discard() {
	if p != nil && p.spill != nil {
		p.spill.w.Discard()
	}
}

// data returns an artifact's bytes as the plan has them: rendered in
// memory, spooled to disk, or in the repository.
func (p *Plan) data(r *repo.Repository, path string, h repo.Hash) ([]byte, error) {
	if b, ok := p.out.blobs[path]; ok {
		return b, nil
	}
	if p.spill != nil {
		return p.spill.w.ReadBlob(h)
	}
	return r.ReadBlob(h)
}

// output is what a plan would write, beyond its changes: the new tree's
// files, the bytes of the artifacts it renders, its index, and the lifecycle
// events that are not artifact changes.
type output struct {
	files      map[string]repo.Hash // the new tree's artifacts, path to blob
	blobs      map[string][]byte    // bytes of the artifacts the plan renders
	index      Index
	indexFiles map[string][]byte    // index shards to write
	keptIndex  map[string]repo.Hash // index shards kept from the previous build
	events     []lineage.Event      // rollbacks and status changes
	assets     assetOutput          // the reverse index of assets and the asset files' changes
	refs       refOutput            // the reverse index of references
	lineage    lineageOutput        // the lineage index (lineindex.go)
}

// UpToDate reports whether the build would change nothing: no artifact,
// and neither the schemas, small.cue nor the builder it rests on.
func (p *Plan) UpToDate() bool { return len(p.Changes) == 0 && len(p.Assets) == 0 && !p.restated }

// Events are the lifecycle events the build records: its artifact changes,
// rollbacks and status changes.
func (p *Plan) Events() []lineage.Event {
	_, evs := p.events()
	return evs
}

// Counts returns how many artifacts are created, updated and retracted.
func (p *Plan) Counts() (created, updated, retracted int) {
	for _, c := range p.Changes {
		switch c.Action {
		case lineage.Created:
			created++
		case lineage.Updated:
			updated++
		case lineage.Retracted:
			retracted++
		}
	}
	return
}

// NotABuildError is an artifact branch tip that small did not write.
type NotABuildError struct{ Branch, Commit string }

func (e *NotABuildError) Error() string {
	return fmt.Sprintf("%s is at %s, which has no %s trailer: only small build writes this branch", e.Branch, repo.ShortID(e.Commit), protocol.TrailerManifestCommit)
}

// Prepare computes the build of rev against the artifact branch's tip: it
// reads the previous build, validates and renders the manifests that
// changed since (all of them when the schemas, small.cue or the builder
// changed), and lists the artifact changes. It writes nothing.
//
// A commit that does not descend from the last build's manifest commit is a
// *NotDescendantError: the artifact history only moves forward.
func Prepare(r *repo.Repository, rev string) (*Plan, error) {
	return prepare(r, rev, nil, true, false, false)
}

// PrepareForced is Prepare that builds a commit which does not descend from
// the last build's manifest commit (after history was rewritten, say).
func PrepareForced(r *repo.Repository, rev string) (*Plan, error) {
	return prepare(r, rev, nil, true, true, false)
}

// NotDescendantError is a commit to build that does not contain the last
// build's manifest commit: building it would move the artifact history
// backwards (a status would seem to go back, events out of order).
type NotDescendantError struct {
	Rev           string
	Commit, Built repo.Hash
	Branch        string
}

func (e *NotDescendantError) Error() string {
	return fmt.Sprintf("%s (%s) does not contain %s, the manifest commit %s was last built from: build a commit that does (merge first), or, to build it anyway, small build --rev %s --force",
		e.Rev, e.Commit.Short(), e.Built.Short(), protocol.BranchName(e.Branch), e.Rev)
}

// PrepareFresh computes the build of rev as if nothing had been built yet:
// every manifest evaluated, every artifact created. Such a plan is for
// reading, and as the base of PrepareAgainst; it cannot be applied.
func PrepareFresh(r *repo.Repository, rev string) (*Plan, error) {
	p, err := prepare(r, rev, nil, false, false, false)
	if p != nil {
		p.against = true
	}
	return p, err
}

// PrepareAgainst computes the build of rev against base, the plan of another
// revision computed as if nothing had been built: what rev changes relative
// to base. Such a plan is for reading (small plan --base); it cannot be applied.
func PrepareAgainst(r *repo.Repository, rev string, base *Plan) (*Plan, error) {
	return prepare(r, rev, base, false, false, false)
}

// prepare computes a plan against base, or against the artifact branch's tip
// when base is nil and readTip is set, or against nothing. Its phases, in
// order: read the inputs, read the previous build, diff the manifests,
// validate and render the changed ones, attribute them to their commits and
// actors, check uniqueness, and compute the new index, the artifact changes
// and the lifecycle events. A phase that finds problems ends the plan with
// them in its report.
func prepare(r *repo.Repository, rev string, base *Plan, readTip, force, spool bool) (*Plan, error) {
	return prepareCounted(r, rev, base, readTip, force, spool, nil)
}

// prepareCounted is prepare that counts the manifests it evaluates in pg.
//
// With spool, the artifacts' bytes go to disk as they are rendered, into
// the packfile Apply installs, and the plan holds their ids only: a build
// of 100,000 manifests holds none of their artifacts in memory. Such a
// plan must be applied or discarded (Discard).
func prepareCounted(r *repo.Repository, rev string, base *Plan, readTip, force, spool bool, pg *progress.Counter) (*Plan, error) {
	in, err := readInputs(r, rev)
	if err != nil {
		return nil, err
	}
	in.progress = pg
	p := newPlan(in, base != nil)
	if spool {
		p.spill = &spiller{w: r.NewObjectWriter(), sums: map[repo.Hash][sha256.Size]byte{}}
	}
	if in.broken != nil {
		return p, nil
	}
	// The previous build is the cache.
	prev, err := previousBuild(r, p.Branch, base, readTip)
	if err != nil {
		return nil, err
	}
	return p, p.compute(r, in, prev, force)
}

// newPlan starts the plan of in, by this version of small. Schemas that do
// not compile are findings, reported like validate's.
func newPlan(in *inputs, against bool) *Plan {
	p := &Plan{Branch: protocol.BranchRef(in.cfg.Artifacts.Branch), ManifestCommit: in.commit, Config: in.cfg,
		Report: diag.Report{Command: "build"}, against: against, builder: version.Builder()}
	if in.broken != nil {
		p.Report = in.broken.Report
		p.Report.Command = "build"
		return p
	}
	p.SchemaDigest = in.schema.Digest
	return p
}

// compute fills the plan of in against prev.
func (p *Plan) compute(r *repo.Repository, in *inputs, prev *prior, force bool) error {
	p.Previous = prev.commit
	if p.Previous != nil && !force && r.HasCommit(prev.manifestCommit) {
		// (A shallow clone may lack the last build's manifest commit; its
		// index then stands in for the history, as in attribute.)
		ok, err := r.IsAncestor(prev.manifestCommit, in.commit.ID)
		if err != nil {
			return err
		}
		if !ok {
			return &NotDescendantError{Rev: in.rev, Commit: in.commit.ID, Built: prev.manifestCommit, Branch: p.Branch}
		}
	}
	reuse := prev.restsOn(r, in, p.builder)
	if reuse && prev.manifestCommit == in.commit.ID {
		p.Manifests = prev.index.Count
		p.Report.Manifests = p.Manifests
		p.out.index = *prev.index
		return nil // up to date: nothing to read
	}
	if prev.index.Count > 0 && in.cfg.Manifests != "." && r.DirAt(in.commit.Tree, in.cfg.Manifests).IsZero() {
		// Every artifact would be retracted because the manifests root is
		// gone: far more often a mistyped small.cue than the intent.
		return content.MissingRoot(in.snap, in.cfg)
	}
	p.Full = !reuse
	// A build with new schemas, small.cue or builder is recorded even if no
	// artifact changes: its commit names what the artifacts now rest on,
	// and the next build can be incremental again.
	p.restated = !reuse && p.Previous != nil

	d, err := diffManifests(r, prev, in, reuse)
	if err != nil {
		return err
	}
	p.Manifests, p.Report.Manifests = d.count, d.count

	rendered, err := render(r, in, prev, d, reuse, p.spill)
	if err != nil {
		return err
	}
	p.Evaluated = len(d.changed)
	p.Report.Diagnostics = rendered.Report.Diagnostics
	if p.Report.Failed() {
		diag.Sort(p.Report.Diagnostics)
		return nil
	}

	who := &attribution{r: r, isAgent: in.cfg.IsAgent, actors: map[repo.Hash]lineage.Actor{}, rollbackOf: map[repo.Hash]string{}}
	fresh, rollbacks, err := attribute(r, who, in, prev, d, rendered)
	var shallow *repo.ShallowError
	if errors.As(err, &shallow) && p.Previous == nil {
		b := in.cfg.Artifacts.Branch
		return fmt.Errorf("%w; or, if %s has been built elsewhere, fetch it: git fetch origin %s:%s", err, b, b, b)
	}
	if err != nil {
		return err
	}

	// Kinds and ids, and artifact paths, are unique across the repository.
	if p.Report.Diagnostics, err = d.conflicts(r, prev, fresh); err != nil {
		return err
	}
	diag.Sort(p.Report.Diagnostics)
	if p.Report.Failed() {
		return nil
	}

	p.out.index, p.out.indexFiles, p.out.keptIndex = newIndex(prev, d, fresh, in.configBlob)
	p.out.blobs = rendered.blobs
	if p.out.files, p.Changes, err = artifactChanges(r, who, in.commit, prev, d, fresh, rendered, p.spill == nil); err != nil {
		return err
	}
	if err := p.placeAssets(r, who, in.commit, prev, d, fresh); err != nil {
		return err
	}
	if err := p.placeRefs(r, prev, d, fresh); err != nil {
		return err
	}
	if err := p.placeLineage(r, prev); err != nil {
		return err
	}
	steps, walked, err := p.walkSteps(r, in, prev, d, reuse)
	if err != nil {
		return err
	}
	p.out.events = stateEvents(in.commit, d.replaced, fresh, rollbacks, steps, walked)
	return nil
}

// inputs are what a build reads of its manifest commit.
type inputs struct {
	rev        string // as the user named it
	commit     *repo.Commit
	snap       repo.Snapshot
	cfg        *config.Config
	schema     *schema.Schema
	configBlob string          // blob id of small.cue
	broken     *content.Result // the findings, when the schemas do not compile

	// progress counts the manifests render evaluates.
	progress *progress.Counter
}

// readInputs reads the manifest commit rev names, its small.cue and its
// schemas. Schemas that do not compile are not an error: the findings are
// in broken.
func readInputs(r *repo.Repository, rev string) (*inputs, error) {
	m, err := r.Resolve(rev)
	if err != nil {
		return nil, err
	}
	in := &inputs{rev: rev, commit: m, snap: r.Snapshot(m)}
	if in.cfg, err = config.Load(in.snap); err != nil {
		return nil, err
	}
	in.schema, err = content.LoadSchema(in.snap, in.cfg)
	var se *schema.Error
	if errors.As(err, &se) {
		in.broken, err = content.Validate(in.snap, in.cfg, content.Options{})
		return in, err
	}
	if err != nil {
		return nil, err
	}
	in.configBlob = r.FileAt(m.Tree, protocol.ConfigFile).String()
	return in, nil
}

// previousBuild is the build a plan is computed against: base, or the
// artifact branch's tip when readTip is set, or an empty build.
func previousBuild(r *repo.Repository, branch string, base *Plan, readTip bool) (*prior, error) {
	var prev *prior
	if base != nil {
		prev = base.asPrior()
	} else if readTip {
		var err error
		if prev, err = readPrevious(r, branch); err != nil {
			return nil, err
		}
	}
	if prev == nil {
		prev = &prior{files: map[string]repo.Hash{}, index: &Index{}, loaded: true}
	}
	return prev, nil
}

// restsOn reports whether the previous build was made from the same schemas,
// small.cue and builder as in: then its artifacts of unchanged manifests
// stand, and only changed manifests need evaluating.
func (pr *prior) restsOn(r *repo.Repository, in *inputs, builder string) bool {
	if pr.schemaDigest != in.schema.Digest || pr.builder != builder {
		return false
	}
	if pr.index.Config == in.configBlob {
		return true
	}
	// small.cue changed: only what a build reads of it matters.
	if pr.manifestCommit.IsZero() || !r.HasCommit(pr.manifestCommit) {
		return false
	}
	mc, err := r.ReadCommit(pr.manifestCommit)
	if err != nil {
		return false
	}
	before, err := config.Load(r.Snapshot(mc))
	return err == nil && before.BuildsLike(in.cfg)
}

// diffManifests finds the manifests to evaluate: those that changed since
// the previous build's manifest commit when reuse allows (comparing trees),
// every one otherwise.
func diffManifests(r *repo.Repository, prev *prior, in *inputs, reuse bool) (*delta, error) {
	if reuse && r.HasCommit(prev.manifestCommit) {
		return incrementalDelta(r, prev, in.commit, in.cfg)
	}
	return fullDelta(r, prev, in.commit, in.cfg, reuse)
}

// rendering is the outcome of validating and rendering the changed manifests.
type rendering struct {
	*content.Result
	blobs   map[string][]byte    // artifact bytes by path, held in memory
	spilled map[string]repo.Hash // artifact ids by path, their bytes spooled to disk
}

// id is the blob id of the artifact rendered at path.
func (rd *rendering) id(path string) repo.Hash {
	if h, ok := rd.spilled[path]; ok {
		return h
	}
	return repo.BlobID(rd.blobs[path])
}

// render validates the changed manifests and renders their artifacts.
// Where the previous build stands (reuse), the others are known valid,
// with the kind, id and state its index gives them (content.Options.Known,
// as verified as the build it stands on), so that every rule across
// manifests is checked against them too: a changed manifest taking an
// unchanged one's @unique value or id, a reference or a translation left
// without the manifest that went.
func render(r *repo.Repository, in *inputs, prev *prior, d *delta, reuse bool, spill *spiller) (*rendering, error) {
	out := &rendering{Result: &content.Result{}, blobs: map[string][]byte{}, spilled: map[string]repo.Hash{}}
	if len(d.changed) == 0 && (!reuse || len(d.replaced) == 0) {
		return out, nil
	}
	opts := content.Options{Paths: slices.Sorted(maps.Keys(d.changed)), Artifacts: true, Progress: in.progress}
	if reuse {
		idx, err := prev.fullIndex(r)
		if err != nil {
			return nil, err
		}
		known := make(map[string]content.Known, len(idx.Manifests))
		for _, e := range idx.Manifests {
			if _, ok := d.changed[e.Path]; !ok {
				known[e.Path] = content.Known{Kind: e.Kind, ID: e.ID, Locale: e.Locale, Path: e.Path, State: e.Status}
			}
		}
		// Of the known ones, only those that can relate to the changes
		// are read: the others reference no manifest that went or
		// changed, and use no asset that changed (those are among the
		// changed: usersOfChanged).
		vanished := map[string]bool{}
		for _, e := range d.replaced {
			vanished[e.Kind+"/"+e.ID] = true
		}
		related := func(names map[string]bool) ([]string, error) {
			targets := maps.Clone(names)
			maps.Copy(targets, vanished)
			return prev.referrersOf(r, targets)
		}
		opts = content.Options{Known: known, Related: related, Artifacts: true, Progress: in.progress}
	}
	if spill != nil {
		opts.Spill = spill
	}
	res, err := content.Validate(in.snap, in.cfg, opts)
	if err != nil {
		return nil, err
	}
	out.Result = res
	if reuse {
		// The build's are the changed ones; the known ones stand.
		var mine []content.Manifest
		for _, mf := range res.Manifests {
			if _, ok := d.changed[mf.Path]; ok {
				mine = append(mine, mf)
			}
		}
		out.Manifests = mine
	}
	for _, mf := range out.Manifests {
		for _, a := range mf.Artifacts {
			if a.Data == nil && a.Spilled != ([20]byte{}) {
				out.spilled[a.Path] = repo.Hash(a.Spilled)
				continue
			}
			out.blobs[a.Path] = a.Data
		}
	}
	return out, nil
}

// attribution says who made commits, and which version a commit rolls
// back, reading each commit once.
type attribution struct {
	r          *repo.Repository
	isAgent    func(email string) bool
	actors     map[repo.Hash]lineage.Actor
	rollbackOf map[repo.Hash]string // a commit's Small-Rollback-Of trailer
}

// of returns the actor of commit h and the build its Small-Rollback-Of
// trailer names ("" for none).
func (a *attribution) of(h repo.Hash) (lineage.Actor, string, error) {
	if actor, ok := a.actors[h]; ok {
		return actor, a.rollbackOf[h], nil
	}
	c, err := a.r.ReadCommit(h)
	if err != nil {
		return lineage.Actor{}, "", err
	}
	actor := lineage.ActorOf(c, a.isAgent)
	a.actors[h], a.rollbackOf[h] = actor, c.Trailer(protocol.TrailerRollbackOf)
	return actor, a.rollbackOf[h], nil
}

// attribute makes the index entries of the changed manifests: each with the
// commit that introduced its version and that commit's actor. It also
// returns the versions brought back by a rollback commit.
func attribute(r *repo.Repository, who *attribution, in *inputs, prev *prior, d *delta, rendered *rendering) ([]IndexEntry, []rollback, error) {
	known := map[repo.Hash]map[string]repo.Hash{}
	if !prev.manifestCommit.IsZero() && !r.HasCommit(prev.manifestCommit) {
		// A shallow clone: the previous build's index stands in for the
		// history before it.
		idx, err := prev.fullIndex(r)
		if err != nil {
			return nil, nil, err
		}
		files := map[string]repo.Hash{}
		for _, e := range idx.Manifests {
			files[e.Path], _ = repo.ParseHash(e.Blob)
		}
		known[prev.manifestCommit] = files
	}
	// A manifest built again, unchanged, because what it uses changed (a
	// manifest its #outputs read, an asset) keeps the commit the previous
	// build found for its version, as an unchanged manifest does: no walk
	// of history back to it.
	same := map[string]IndexEntry{}
	targets := d.changed
	if d.dirty != nil {
		for _, e := range d.replaced {
			if h, ok := d.changed[e.Path]; ok && h.String() == e.Blob && e.Commit != "" {
				same[e.Path] = e
			}
		}
		if len(same) > 0 {
			targets = maps.Clone(d.changed)
			for p := range same {
				delete(targets, p)
			}
		}
	}
	intro, err := r.Introductions(in.commit.ID, in.cfg.Manifests, targets, known)
	if err != nil {
		return nil, nil, err
	}
	prevBlob := map[[3]string]string{}
	for _, e := range d.replaced {
		prevBlob[e.key()] = e.Blob
	}
	hasher := &assetHasher{r: r, tree: in.commit.Tree, sums: map[repo.Hash]string{}}
	prevAssets := map[string][]AssetUse{}
	for _, e := range d.replaced {
		prevAssets[e.Path] = e.Assets
	}
	newAssets := map[string]repo.Hash{} // assets not used as they are by the manifest's previous version
	var fresh []IndexEntry
	var rollbacks []rollback
	for _, mf := range rendered.Manifests {
		e := IndexEntry{Path: mf.Path, Blob: d.changed[mf.Path].String(), Kind: mf.Kind, ID: mf.ID, Locale: mf.Locale, Status: mf.Status}
		if e.Assets, err = hasher.uses(mf.Assets); err != nil {
			return nil, nil, err
		}
		if e.Refs, err = refUses(hasher, &mf); err != nil {
			return nil, nil, err
		}
		for _, a := range e.Assets {
			if !slices.Contains(prevAssets[mf.Path], a) {
				newAssets[a.Source], _ = repo.ParseHash(a.Blob)
			}
		}
		if was, ok := same[mf.Path]; ok {
			e.Commit, e.Actor = was.Commit, was.Actor
		} else if h, ok := intro[mf.Path]; ok {
			e.Commit = h.String()
			var of string
			if e.Actor, of, err = who.of(h); err != nil {
				return nil, nil, err
			}
			// Recorded once, when the rolled-back version is new, not again
			// when a full rebuild evaluates it anew.
			if of != "" && prevBlob[e.key()] != e.Blob {
				rollbacks = append(rollbacks, rollback{of: of, entry: len(fresh)})
			}
		}
		for _, a := range mf.Artifacts {
			e.Artifacts = append(e.Artifacts, a.Path)
		}
		fresh = append(fresh, e)
	}
	if err := attributeAssets(r, who, in, fresh, prevAssets, newAssets); err != nil {
		return nil, nil, err
	}
	return fresh, rollbacks, nil
}

// attributeAssets attributes a manifest version to the commit that made
// one of its assets what it is, where that commit comes after the one
// that introduced the manifest's own version: a new image of an unchanged
// article is the image's author's change. Where neither commit contains
// the other, or history is shallow, the manifest's own commit stands.
func attributeAssets(r *repo.Repository, who *attribution, in *inputs, fresh []IndexEntry, prevAssets map[string][]AssetUse, newAssets map[string]repo.Hash) error {
	if len(newAssets) == 0 {
		return nil
	}
	intro, err := r.Introductions(in.commit.ID, "", newAssets, nil)
	var shallow *repo.ShallowError
	if errors.As(err, &shallow) {
		return nil
	}
	if err != nil {
		return err
	}
	for i := range fresh {
		e := &fresh[i]
		for _, a := range e.Assets {
			h, ok := intro[a.Source]
			if !ok || slices.Contains(prevAssets[e.Path], a) || h.String() == e.Commit {
				continue
			}
			if mine, ok := repo.ParseHash(e.Commit); ok {
				if later, err := r.IsAncestor(mine, h); err != nil || !later {
					continue
				}
			}
			e.Commit = h.String()
			if e.Actor, _, err = who.of(h); err != nil {
				return err
			}
		}
	}
	return nil
}

// placeAssets computes the asset files of the new tree and the reverse
// index (assets.go), and adds them to the plan's output.
func (p *Plan) placeAssets(r *repo.Repository, who *attribution, m *repo.Commit, prev *prior, d *delta, fresh []IndexEntry) error {
	out, err := assetChanges(r, who, m, prev, d, fresh)
	if err != nil {
		return err
	}
	p.out.assets, p.Assets = *out, out.changes
	p.out.index.Assets = out.count
	for _, c := range out.changes {
		if c.Action == lineage.Created {
			p.out.files[c.Path], _ = repo.ParseHash(c.Use.Blob)
		} else {
			delete(p.out.files, c.Path)
		}
	}
	p.out.addIndexFiles(out.shards, out.kept)
	return nil
}

// addIndexFiles adds shards of a reverse index (of assets, of references)
// to the index files the build writes, and those it keeps as they were.
func (o *output) addIndexFiles(shards map[string][]byte, kept map[string]repo.Hash) {
	if o.indexFiles == nil {
		o.indexFiles = map[string][]byte{}
	}
	maps.Copy(o.indexFiles, shards)
	if kept != nil {
		if o.keptIndex == nil {
			o.keptIndex = map[string]repo.Hash{}
		}
		maps.Copy(o.keptIndex, kept)
	}
}

// newIndex computes the new build's index: its metadata, the shards the
// changes touch, and the shards kept as they were.
func newIndex(prev *prior, d *delta, fresh []IndexEntry, configBlob string) (Index, map[string][]byte, map[string]repo.Hash) {
	entries := append(slices.Clone(d.keptInShards), fresh...)
	slices.SortFunc(entries, func(a, b IndexEntry) int { return strings.Compare(a.Path, b.Path) })
	idx := Index{Protocol: protocol.Version, Config: configBlob, Count: d.count}
	if d.dirty == nil {
		idx.Manifests = entries
		return idx, renderShards(entries, nil), nil
	}
	kept := map[string]repo.Hash{}
	for name, h := range prev.indexFiles {
		// Shards the change does not touch; never the metadata, which
		// every build writes anew.
		if shard, ok := strings.CutPrefix(name, IndexDir+"/"); ok && !d.dirty[shard] {
			kept[name] = h
		}
	}
	return idx, renderShards(entries, d.dirty), kept
}

// artifactChanges computes the new tree's files (the previous ones, less
// what the replaced manifests built, plus what the changed ones build) and
// the changes, sorted by path. A retraction is attributed to the commit
// being built, which no longer has the manifest.
//
// With withData, each change carries the bytes before and after (small
// plan shows their diff); without, a build of every manifest holds none
// of them: Apply reads them one at a time where it needs them.
func artifactChanges(r *repo.Repository, who *attribution, m *repo.Commit, prev *prior, d *delta, fresh []IndexEntry, rendered *rendering, withData bool) (map[string]repo.Hash, []Change, error) {
	blobs := rendered.blobs
	files := maps.Clone(prev.files)
	prevOwner := map[string]IndexEntry{}
	for _, e := range d.replaced {
		for _, a := range e.Artifacts {
			prevOwner[a] = e
			delete(files, a)
		}
	}
	owner := map[string]*IndexEntry{}
	for i := range fresh {
		e := &fresh[i]
		for _, a := range e.Artifacts {
			owner[a] = e
			files[a] = rendered.id(a)
		}
	}
	var changes []Change
	for a := range owner {
		old, had := prev.files[a]
		switch h := files[a]; {
		case !had:
			changes = append(changes, Change{Path: a, Action: lineage.Created, New: blobs[a], NewBlob: h, Owner: owner[a]})
		case old != h || !slices.Equal(prevOwner[a].Assets, owner[a].Assets):
			// An artifact is its bytes and the assets its manifest names.
			// (Rendered again from other versions of the manifests it
			// reads, to the same bytes, it is the same version: its record
			// keeps the versions it was first rendered with, the index the
			// latest ones, which small lineage --uses shows.)
			var oldData []byte
			if withData {
				var err error
				if oldData, err = prev.read(r, a, old); err != nil {
					return nil, nil, err
				}
			}
			changes = append(changes, Change{Path: a, Action: lineage.Updated, Old: oldData, New: blobs[a], OldBlob: old, NewBlob: h, Owner: owner[a]})
		}
	}
	for a, po := range prevOwner {
		if _, ok := files[a]; ok {
			continue
		}
		old := prev.files[a]
		var oldData []byte
		if withData {
			var err error
			if oldData, err = prev.read(r, a, old); err != nil {
				return nil, nil, err
			}
		}
		// The record still names the manifest.
		o := po
		var err error
		o.Commit = m.ID.String()
		if o.Actor, _, err = who.of(m.ID); err != nil {
			return nil, nil, err
		}
		changes = append(changes, Change{Path: a, Action: lineage.Retracted, Old: oldData, OldBlob: old, Owner: &o})
	}
	slices.SortFunc(changes, func(a, b Change) int { return strings.Compare(a.Path, b.Path) })
	return files, changes, nil
}

// walkSteps lists the status changes the commits since the previous build
// made, each at its own commit, judged by the previous build's policy
// (content.Transitions). walked is false where that history is not here:
// a first build, a shallow clone that lacks the previous build's manifest
// commit, a forced build of a commit that does not contain it.
func (p *Plan) walkSteps(r *repo.Repository, in *inputs, prev *prior, d *delta, reuse bool) (steps []content.Step, walked bool, err error) {
	if prev.commit == nil || prev.manifestCommit.IsZero() || !r.HasCommit(prev.manifestCommit) {
		return nil, false, nil
	}
	if ok, err := r.IsAncestor(prev.manifestCommit, in.commit.ID); err != nil || !ok {
		return nil, false, err
	}
	base, err := r.ReadCommit(prev.manifestCommit)
	if err != nil {
		return nil, false, err
	}
	// The previous build's policy is the current one when the build
	// reuses it with the very same small.cue (and no signers file to read).
	pol := &content.Policy{Config: in.cfg, Schema: in.schema}
	if !reuse || in.cfg.HumanSigners != "" || prev.index.Config != in.configBlob {
		if pol, err = content.LoadPolicy(r, base, in.schema); err != nil {
			return nil, false, err
		}
	}
	// The previous versions of the changed manifests are in its index.
	known := make([]content.Known, 0, len(d.replaced))
	for _, e := range d.replaced {
		blob, _ := repo.ParseHash(e.Blob)
		known = append(known, content.Known{Kind: e.Kind, ID: e.ID, Locale: e.Locale, Path: e.Path, State: e.Status, Blob: blob})
	}
	steps, p.gate, err = content.Review(r, content.Change{Base: base, Head: in.commit, Result: &content.Result{}, Policy: pol, Known: known})
	return steps, err == nil, err
}

// stateEvents are the lifecycle events of a build that are not artifact
// changes: versions brought back by a rollback, and status changes. Where
// the history since the previous build was walked, each status change is
// recorded at the commit that made it, with its actor, in graph order (a
// squash's steps one by one, marked collapsed); otherwise as one move from
// the previous build's state, matched by kind and id so that a renamed file
// keeps its history.
func stateEvents(m *repo.Commit, replaced, fresh []IndexEntry, rollbacks []rollback, steps []content.Step, walked bool) []lineage.Event {
	when := eventTime(m)
	var evs []lineage.Event
	for _, rb := range rollbacks {
		e := fresh[rb.entry]
		evs = append(evs, lineage.Event{Time: when, Event: lineage.RolledBack,
			Artifact: protocol.ArtifactPath(e.Kind, e.ID, e.Locale), Kind: e.Kind, ID: e.ID, Locale: e.Locale,
			ManifestCommit: e.Commit, Actor: e.Actor, RollbackOf: rb.of})
	}
	if walked {
		built := map[[3]string]bool{}
		for _, e := range fresh {
			built[e.key()] = true
		}
		seq := 0
		for _, st := range steps {
			if !built[[3]string{st.Kind, st.ID, st.Locale}] {
				continue
			}
			states := append(append([]string{st.From}, st.Via...), st.To)
			for i := 0; i+1 < len(states); i++ {
				seq++
				evs = append(evs, lineage.Event{Time: eventTime(st.Commit), Event: lineage.Transitioned,
					Artifact: protocol.ArtifactPath(st.Kind, st.ID, st.Locale), Kind: st.Kind, ID: st.ID, Locale: st.Locale,
					From: states[i], To: states[i+1], ManifestCommit: st.Commit.ID.String(), Actor: st.Actor,
					Seq: seq, Collapsed: len(states) > 2, Illegal: !st.Allowed})
			}
		}
		return evs
	}
	before := map[[3]string]IndexEntry{}
	for _, e := range replaced {
		before[e.key()] = e
	}
	for _, e := range fresh {
		if b, ok := before[e.key()]; ok && b.Status != "" && b.Status != e.Status {
			evs = append(evs, lineage.Event{Time: when, Event: lineage.Transitioned,
				Artifact: protocol.ArtifactPath(e.Kind, e.ID, e.Locale), Kind: e.Kind, ID: e.ID, Locale: e.Locale,
				From: b.Status, To: e.Status, ManifestCommit: e.Commit, Actor: e.Actor})
		}
	}
	return evs
}

// eventTime is when a build's events happened: the manifest commit's
// committer date, in UTC so that lines sorted as text are in time order.
func eventTime(m *repo.Commit) string { return m.Committer.When.UTC().Format(time.RFC3339) }

// rollback is a manifest version brought back by a commit with a
// Small-Rollback-Of trailer.
type rollback struct {
	of    string // the build whose version it brings back
	entry int    // index in fresh
}
