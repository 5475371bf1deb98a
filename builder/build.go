// Package builder turns a validated manifest commit into the next commit of
// the artifact branch: deterministic, incremental, with trailers and lineage
// and lifecycle notes. Nothing else writes the artifact branch.
package builder

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/smallhq/small/config"
	"github.com/smallhq/small/content"
	"github.com/smallhq/small/diag"
	"github.com/smallhq/small/lineage"
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
	files          map[string]repo.Hash
	blobs          map[string][]byte // new artifact bytes by path
	index          Index
	indexFiles     map[string][]byte    // index shards to write
	keptIndex      map[string]repo.Hash // index shards kept from the previous build
	transitions    []transition         // status changes
	rollbacks      []rollback           // versions brought back
	fresh          []IndexEntry         // the entries of the manifests evaluated
	against        bool                 // computed against another plan: for reading only
	restated       bool                 // schemas, small.cue or builder changed since the previous build
}

// UpToDate reports whether the build would change nothing: no artifact,
// and neither the schemas, small.cue nor the builder it rests on.
func (p *Plan) UpToDate() bool { return len(p.Changes) == 0 && !p.restated }

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

// NotFetchedError is an artifact branch that origin has and this clone does not.
type NotFetchedError struct{ Branch string }

func (e *NotFetchedError) Error() string {
	return fmt.Sprintf("%s exists on origin but not here: fetch it first (git fetch origin %s:%s 'refs/notes/small/*:refs/notes/small/*'), so that this build continues its history",
		e.Branch, e.Branch, e.Branch)
}

// Prepare computes the build of rev against the artifact branch's tip: it
// reads the previous build, validates and renders the manifests that
// changed since (all of them when the schemas, small.cue or the builder
// changed), and lists the artifact changes. It writes nothing.
func Prepare(r *repo.Repository, rev string) (*Plan, error) {
	return prepare(r, rev, nil, true)
}

// PrepareFresh computes the build of rev as if nothing had been built yet:
// every manifest evaluated, every artifact created. Such a plan is for
// reading, and as the base of PrepareAgainst; it cannot be applied.
func PrepareFresh(r *repo.Repository, rev string) (*Plan, error) {
	p, err := prepare(r, rev, nil, false)
	if p != nil {
		p.against = true
	}
	return p, err
}

// PrepareAgainst computes the build of rev against base, the plan of another
// revision computed as if nothing had been built: what rev changes relative
// to base. Such a plan is for reading (small plan --base); it cannot be applied.
func PrepareAgainst(r *repo.Repository, rev string, base *Plan) (*Plan, error) {
	return prepare(r, rev, base, false)
}

// prepare computes a plan against base, or against the artifact branch's tip
// when base is nil and readTip is set, or against nothing.
func prepare(r *repo.Repository, rev string, base *Plan, readTip bool) (*Plan, error) {
	m, err := r.Resolve(rev)
	if err != nil {
		return nil, err
	}
	snap := r.Snapshot(m)
	cfg, err := config.Load(snap)
	if err != nil {
		return nil, err
	}
	p := &Plan{Branch: protocol.BranchRef(cfg.Artifacts.Branch), ManifestCommit: m, Config: cfg,
		Report: diag.Report{Command: "build"}, blobs: map[string][]byte{}, against: base != nil}
	kinds, err := content.LoadSchema(snap, cfg)
	if err != nil {
		var se *schema.Error
		if errors.As(err, &se) {
			// Broken schemas are findings, reported like validate's.
			res, verr := content.Validate(snap, cfg, content.Options{})
			if verr != nil {
				return nil, verr
			}
			p.Report = res.Report
			p.Report.Command = "build"
			return p, nil
		}
		return nil, err
	}
	p.SchemaDigest = kinds.Digest
	configID, _, _ := r.Lookup(m.Tree, protocol.ConfigFile)
	configBlob := configID.String()

	// The previous build is the cache.
	var prev *prior
	if base != nil {
		prev = base.asPrior()
	} else if readTip {
		if prev, err = readPrevious(r, p.Branch); err != nil {
			return nil, err
		}
	}
	if prev != nil {
		p.Previous = prev.commit
	} else {
		prev = &prior{files: map[string]repo.Hash{}, index: &Index{}, loaded: true}
	}
	reuse := prev.schemaDigest == kinds.Digest && prev.builder == version.Builder() && prev.index.Config == configBlob
	if reuse && prev.manifestCommit == m.ID {
		p.Manifests = prev.index.Count
		p.Report.Manifests = p.Manifests
		p.index = *prev.index
		return p, nil // up to date: nothing to read
	}
	p.Full = !reuse
	// A build with new schemas, small.cue or builder is recorded even if no
	// artifact changes: its commit names what the artifacts now rest on,
	// and the next build can be incremental again.
	p.restated = !reuse && p.Previous != nil
	var d *delta
	if reuse && r.HasCommit(prev.manifestCommit) {
		d, err = incrementalDelta(r, prev, m, cfg.Manifests)
	} else {
		d, err = fullDelta(r, prev, m, cfg.Manifests, reuse)
	}
	if err != nil {
		return nil, err
	}
	p.Manifests = d.count
	changed := slices.Sorted(maps.Keys(d.changed))
	p.Evaluated = len(changed)

	res := &content.Result{}
	if len(changed) > 0 {
		if res, err = content.Validate(snap, cfg, content.Options{Paths: changed, Artifacts: true}); err != nil {
			return nil, err
		}
	}
	p.Report.Manifests = d.count
	p.Report.Diagnostics = res.Report.Diagnostics
	if p.Report.Failed() {
		diag.Sort(p.Report.Diagnostics)
		return p, nil
	}

	// Introducing commits and actors of the changed manifests.
	known := map[repo.Hash]map[string]repo.Hash{}
	if !prev.manifestCommit.IsZero() && !r.HasCommit(prev.manifestCommit) {
		// A shallow clone: the previous build's index stands in for the
		// history before it.
		idx, err := prev.fullIndex(r)
		if err != nil {
			return nil, err
		}
		files := map[string]repo.Hash{}
		for _, e := range idx.Manifests {
			files[e.Path], _ = repo.ParseHash(e.Blob)
		}
		known[prev.manifestCommit] = files
	}
	intro, err := r.Introductions(m.ID, cfg.Manifests, d.changed, known)
	var shallow *repo.ShallowError
	if errors.As(err, &shallow) && p.Previous == nil {
		return nil, fmt.Errorf("%w; or, if %s has been built elsewhere, fetch it: git fetch origin %s:%s",
			err, cfg.Artifacts.Branch, cfg.Artifacts.Branch, cfg.Artifacts.Branch)
	}
	if err != nil {
		return nil, err
	}
	actors := map[repo.Hash]lineage.Actor{}
	rollbackOf := map[repo.Hash]string{} // a commit's Small-Rollback-Of trailer
	actorOf := func(h repo.Hash) (lineage.Actor, error) {
		if a, ok := actors[h]; ok {
			return a, nil
		}
		c, err := r.ReadCommit(h)
		if err != nil {
			return lineage.Actor{}, err
		}
		a := lineage.ActorOf(c, cfg.IsAgent)
		actors[h] = a
		rollbackOf[h] = c.Trailer(protocol.TrailerRollbackOf)
		return a, nil
	}

	// The entries of the changed manifests.
	prevBlob := map[[2]string]string{}
	for _, e := range d.replaced {
		prevBlob[[2]string{e.Kind, e.ID}] = e.Blob
	}
	var fresh []IndexEntry
	for _, mf := range res.Manifests {
		e := IndexEntry{Path: mf.Path, Blob: d.changed[mf.Path].String(), Kind: mf.Kind, ID: mf.ID, Status: mf.Status}
		if h, ok := intro[mf.Path]; ok {
			e.Commit = h.String()
			if e.Actor, err = actorOf(h); err != nil {
				return nil, err
			}
			// Recorded once, when the rolled-back version is new, not again
			// when a full rebuild evaluates it anew.
			if of := rollbackOf[h]; of != "" && prevBlob[[2]string{mf.Kind, mf.ID}] != e.Blob {
				p.rollbacks = append(p.rollbacks, rollback{of: of, entry: len(fresh)})
			}
		}
		for _, a := range mf.Artifacts {
			e.Artifacts = append(e.Artifacts, a.Path)
			p.blobs[a.Path] = a.Data
		}
		fresh = append(fresh, e)
	}

	// Kinds and ids, and artifact paths, are unique across the repository.
	dups, err := d.conflicts(r, prev, fresh)
	if err != nil {
		return nil, err
	}
	p.Report.Diagnostics = dups
	diag.Sort(p.Report.Diagnostics)
	if p.Report.Failed() {
		return p, nil
	}

	// The new index: the shards the changes touch.
	entries := append(slices.Clone(d.keptInShards), fresh...)
	slices.SortFunc(entries, func(a, b IndexEntry) int { return strings.Compare(a.Path, b.Path) })
	p.index = Index{Protocol: protocol.Version, Config: configBlob, Count: d.count}
	if d.dirty == nil {
		p.index.Manifests = entries
		p.indexFiles = renderShards(entries, nil)
	} else {
		p.indexFiles = renderShards(entries, d.dirty)
		p.keptIndex = map[string]repo.Hash{}
		for name, h := range prev.indexFiles {
			// Shards the change does not touch; never the metadata, which
			// every build writes anew.
			if shard, ok := strings.CutPrefix(name, IndexDir+"/"); ok && !d.dirty[shard] {
				p.keptIndex[name] = h
			}
		}
	}

	// The new tree's files: the previous ones, less what the replaced
	// manifests built, plus what the changed ones build.
	w := r.NewObjectWriter() // only to compute blob ids; Apply writes
	p.files = maps.Clone(prev.files)
	prevOwner := map[string]IndexEntry{}
	for _, e := range d.replaced {
		for _, a := range e.Artifacts {
			prevOwner[a] = e
			delete(p.files, a)
		}
	}
	owner := map[string]*IndexEntry{}
	for i := range fresh {
		e := &fresh[i]
		for _, a := range e.Artifacts {
			owner[a] = e
			if p.files[a], err = w.Blob(p.blobs[a]); err != nil {
				return nil, err
			}
		}
	}
	for a := range owner {
		old, had := prev.files[a]
		switch h := p.files[a]; {
		case !had:
			p.Changes = append(p.Changes, Change{Path: a, Action: lineage.Created, New: p.blobs[a], NewBlob: h, Owner: owner[a]})
		case old != h:
			oldData, err := prev.read(r, a, old)
			if err != nil {
				return nil, err
			}
			p.Changes = append(p.Changes, Change{Path: a, Action: lineage.Updated, Old: oldData, New: p.blobs[a], OldBlob: old, NewBlob: h, Owner: owner[a]})
		}
	}
	for a, po := range prevOwner {
		if _, ok := p.files[a]; ok {
			continue
		}
		old := prev.files[a]
		oldData, err := prev.read(r, a, old)
		if err != nil {
			return nil, err
		}
		// A retraction is caused by the commit being built, which no
		// longer has the manifest; the record still names the manifest.
		o := po
		o.Commit = m.ID.String()
		if o.Actor, err = actorOf(m.ID); err != nil {
			return nil, err
		}
		p.Changes = append(p.Changes, Change{Path: a, Action: lineage.Retracted, Old: oldData, OldBlob: old, Owner: &o})
	}
	slices.SortFunc(p.Changes, func(a, b Change) int { return strings.Compare(a.Path, b.Path) })

	p.fresh = fresh

	// Status changes, matched by kind and id so that a renamed file keeps
	// its history.
	before := map[[2]string]IndexEntry{}
	for _, e := range d.replaced {
		before[[2]string{e.Kind, e.ID}] = e
	}
	for i := range fresh {
		e := &fresh[i]
		if b, ok := before[[2]string{e.Kind, e.ID}]; ok && b.Status != "" && b.Status != e.Status {
			p.transitions = append(p.transitions, transition{from: b.Status, to: e.Status, entry: e})
		}
	}
	return p, nil
}

// rollback is a manifest version brought back by a commit with a
// Small-Rollback-Of trailer.
type rollback struct {
	of    string // the build whose version it brings back
	entry int    // index in fresh
}

// transition is a status change a build records.
type transition struct {
	from, to string
	entry    *IndexEntry
}

// delta is what a build has to do relative to the previous one.
type delta struct {
	changed      map[string]repo.Hash // manifests to evaluate: path -> blob
	replaced     []IndexEntry         // previous entries of changed and removed manifests
	keptInShards []IndexEntry         // unchanged entries that share a shard with a change
	dirty        map[string]bool      // index shards to rewrite; nil: all
	count        int                  // manifests in the commit
}

// fullDelta evaluates every manifest of m; with reuse, manifests whose blob
// the previous index has are kept (a shallow clone, where the previous
// manifest commit is missing).
func fullDelta(r *repo.Repository, prev *prior, m *repo.Commit, dir string, reuse bool) (*delta, error) {
	all, err := r.TreeFiles(m.Tree, dir)
	if err != nil {
		return nil, err
	}
	d := &delta{changed: map[string]repo.Hash{}}
	for fp, h := range all {
		if protocol.IsManifestFile(fp) {
			d.changed[fp] = h
		}
	}
	d.count = len(d.changed)
	idx, err := prev.fullIndex(r)
	if err != nil {
		return nil, err
	}
	for _, e := range idx.Manifests {
		if reuse && d.changed[e.Path].String() == e.Blob {
			delete(d.changed, e.Path)
			d.keptInShards = append(d.keptInShards, e)
			continue
		}
		d.replaced = append(d.replaced, e)
	}
	return d, nil
}

// incrementalDelta finds the manifests that changed between the previous
// build's manifest commit and m by comparing their trees, descending only
// into subtrees that differ, and reads only the index shards they live in.
func incrementalDelta(r *repo.Repository, prev *prior, m *repo.Commit, dir string) (*delta, error) {
	old, err := r.ReadCommit(prev.manifestCommit)
	if err != nil {
		return nil, err
	}
	newSub, oldSub := subtree(r, m.Tree, dir), subtree(r, old.Tree, dir)
	added, err := r.DiffTrees(newSub, oldSub, dir)
	if err != nil {
		return nil, err
	}
	gone, err := r.DiffTrees(oldSub, newSub, dir)
	if err != nil {
		return nil, err
	}
	d := &delta{changed: map[string]repo.Hash{}, dirty: map[string]bool{}, count: prev.index.Count}
	for fp, h := range added {
		if protocol.IsManifestFile(fp) {
			d.changed[fp] = h
			d.dirty[shardOf(fp)] = true
			if _, ok := gone[fp]; !ok {
				d.count++
			}
		}
	}
	touched := map[string]bool{}
	for fp := range gone {
		if protocol.IsManifestFile(fp) {
			touched[fp] = true
			d.dirty[shardOf(fp)] = true
			if _, ok := added[fp]; !ok {
				d.count--
			}
		}
	}
	entries, err := prev.shardEntries(r, d.dirty)
	if err != nil {
		return nil, err
	}
	for _, e := range entries {
		if touched[e.Path] {
			d.replaced = append(d.replaced, e)
		} else if _, ok := d.changed[e.Path]; !ok {
			d.keptInShards = append(d.keptInShards, e)
		}
	}
	return d, nil
}

// conflicts reports (kind, id) pairs and artifact paths that the fresh
// entries claim twice, among themselves or with manifests kept from the
// previous build. A clash with a kept manifest shows as an artifact path of
// the previous tree that none of the replaced manifests built.
func (d *delta) conflicts(r *repo.Repository, prev *prior, fresh []IndexEntry) ([]diag.Diagnostic, error) {
	if d.dirty == nil {
		return uniqueness(append(slices.Clone(d.keptInShards), fresh...)), nil
	}
	released := map[string]bool{}
	for _, e := range d.replaced {
		for _, a := range e.Artifacts {
			released[a] = true
		}
	}
	clash := false
	for _, e := range fresh {
		for _, a := range e.Artifacts {
			if _, ok := prev.files[a]; ok && !released[a] {
				clash = true
			}
		}
	}
	if !clash {
		return uniqueness(fresh), nil
	}
	// Rare: name the other manifests, from the whole previous index.
	idx, err := prev.fullIndex(r)
	if err != nil {
		return nil, err
	}
	all := map[string]IndexEntry{}
	for _, e := range idx.Manifests {
		all[e.Path] = e
	}
	for _, e := range d.replaced {
		delete(all, e.Path)
	}
	for _, e := range fresh {
		all[e.Path] = e
	}
	return uniqueness(slices.Collect(maps.Values(all))), nil
}

// subtree is the id of the directory dir in tree, or ZeroHash.
func subtree(r *repo.Repository, tree repo.Hash, dir string) repo.Hash {
	if h, isDir, ok := r.Lookup(tree, dir); ok && isDir {
		return h
	}
	return repo.ZeroHash
}

// prior is the build a plan is computed against: the artifact branch's tip,
// or an in-memory plan of another revision.
type prior struct {
	commit         *repo.Commit // nil for an in-memory plan
	manifestCommit repo.Hash
	schemaDigest   string
	builder        string
	files          map[string]repo.Hash
	index          *Index               // its Manifests are there once loaded
	loaded         bool                 // index.Manifests holds every entry
	indexFiles     map[string]repo.Hash // the index's own files in the build tree
	blobs          map[string][]byte    // bytes not in the repository yet
}

// read returns an artifact's bytes as the prior build has them.
func (pr *prior) read(r *repo.Repository, path string, h repo.Hash) ([]byte, error) {
	if b, ok := pr.blobs[path]; ok {
		return b, nil
	}
	return r.ReadBlob(h)
}

// fullIndex loads every entry of the prior build's index.
func (pr *prior) fullIndex(r *repo.Repository) (*Index, error) {
	if !pr.loaded {
		es, err := readShards(r, pr.indexFiles, nil)
		if err != nil {
			return nil, err
		}
		pr.index.Manifests, pr.loaded = es, true
	}
	return pr.index, nil
}

// shardEntries returns the entries of the given index shards.
func (pr *prior) shardEntries(r *repo.Repository, shards map[string]bool) ([]IndexEntry, error) {
	if pr.loaded {
		var out []IndexEntry
		for _, e := range pr.index.Manifests {
			if shards[shardOf(e.Path)] {
				out = append(out, e)
			}
		}
		return out, nil
	}
	return readShards(r, pr.indexFiles, shards)
}

func (p *Plan) asPrior() *prior {
	return &prior{manifestCommit: p.ManifestCommit.ID, schemaDigest: p.SchemaDigest, builder: version.Builder(),
		files: p.files, index: &p.index, loaded: true, blobs: p.blobs}
}

// readPrevious reads the artifact branch's tip, its files and its index's
// metadata; nil when there is no build yet. Index entries are read on demand.
func readPrevious(r *repo.Repository, branch string) (*prior, error) {
	tip, err := r.Ref(branch)
	if err != nil {
		return nil, err
	}
	if tip.IsZero() {
		// A first build here while origin has builds would start a second
		// history that origin refuses.
		short := protocol.BranchName(branch)
		if remote, _ := r.Ref("refs/remotes/origin/" + short); !remote.IsZero() {
			return nil, &NotFetchedError{Branch: short}
		}
		return nil, nil
	}
	c, err := r.ReadCommit(tip)
	if err != nil {
		return nil, err
	}
	mc, ok := repo.ParseHash(c.Trailer(protocol.TrailerManifestCommit))
	if !ok {
		return nil, &NotABuildError{Branch: branch, Commit: tip.String()}
	}
	files, err := r.TreeFiles(c.Tree, "")
	if err != nil {
		return nil, err
	}
	indexFiles := map[string]repo.Hash{}
	for name, h := range files {
		if strings.HasPrefix(name, ".small/") {
			indexFiles[name] = h
			delete(files, name)
		}
	}
	idx, err := readIndexMeta(r, indexFiles)
	if err != nil {
		return nil, fmt.Errorf("the index of %s: %w", tip.Short(), err)
	}
	return &prior{commit: c, manifestCommit: mc, schemaDigest: c.Trailer(protocol.TrailerSchemaDigest),
		builder: c.Trailer(protocol.TrailerBuilder), files: files, index: idx, indexFiles: indexFiles}, nil
}

// uniqueness reports (kind, id) pairs and artifact paths claimed twice.
func uniqueness(entries []IndexEntry) []diag.Diagnostic {
	var ds []diag.Diagnostic
	byID := map[[2]string][]string{}
	byPath := map[string][]string{}
	for _, e := range entries {
		k := [2]string{e.Kind, e.ID}
		byID[k] = append(byID[k], e.Path)
		for _, a := range e.Artifacts {
			byPath[a] = append(byPath[a], e.Path)
		}
	}
	others := func(all []string, me string) string {
		var o []string
		for _, x := range all {
			if x != me {
				o = append(o, x)
			}
		}
		return strings.Join(o, ", ")
	}
	dupDoc := map[string]bool{}
	for k, paths := range byID {
		if len(paths) > 1 {
			dupDoc[protocol.ArtifactPath(k[0], k[1])] = true
			for _, p := range paths {
				ds = append(ds, diag.Diagnostic{File: p, Path: protocol.FieldID, Code: diag.CodeIDDuplicate, Severity: diag.Error,
					Message: fmt.Sprintf("%s %q is also defined in %s: expected each kind and id once", k[0], k[1], others(paths, p))})
			}
		}
	}
	for a, paths := range byPath {
		if len(paths) > 1 && !dupDoc[a] {
			for _, p := range paths {
				ds = append(ds, diag.Diagnostic{File: p, Code: diag.CodeOutputClash, Severity: diag.Error,
					Message: fmt.Sprintf("artifact %s is also built by %s: expected each artifact path once", a, others(paths, p))})
			}
		}
	}
	return ds
}

// Result is what Apply wrote.
type Result struct {
	Commit    repo.Hash // the new build commit (or the tip, when up to date)
	Written   bool
	Lineage   repo.Hash // the lineage notes commit
	Lifecycle repo.Hash // the lifecycle notes commit
}

// Apply writes the plan: objects first (one packfile), then the notes refs,
// then the artifact branch, each with compare-and-swap. Because the build
// commit's id is a function of its inputs, a build killed between two steps
// is completed by the next one, which makes the same commit.
func Apply(r *repo.Repository, p *Plan) (*Result, error) {
	res, err := apply(r, p)
	var moved *repo.RefMovedError
	if errors.As(err, &moved) {
		return nil, fmt.Errorf("%w: run small build again", err)
	}
	return res, err
}

func apply(r *repo.Repository, p *Plan) (*Result, error) {
	if p.Report.Failed() {
		return nil, errors.New("the plan has findings: nothing to write")
	}
	if p.against {
		return nil, errors.New("a plan against another revision cannot be applied")
	}
	if p.UpToDate() {
		return &Result{Commit: tipOf(p)}, nil
	}
	m := p.ManifestCommit
	builder := repo.Signature{Name: p.Config.Builder.Name, Email: p.Config.Builder.Email, When: m.Committer.When}
	w := r.NewObjectWriter()
	files := make(map[string]repo.Hash, len(p.files)+1)
	for a, h := range p.files {
		if data, ok := p.blobs[a]; ok {
			if _, err := w.Blob(data); err != nil {
				return nil, err
			}
		}
		files[a] = h
	}
	meta, err := json.Marshal(p.index)
	if err != nil {
		return nil, err
	}
	if files[IndexMeta], err = w.Blob(append(meta, '\n')); err != nil {
		return nil, err
	}
	for name, h := range p.keptIndex {
		files[name] = h
	}
	for name, data := range p.indexFiles {
		if files[name], err = w.Blob(data); err != nil {
			return nil, err
		}
	}
	tree, err := w.FileTree(files)
	if err != nil {
		return nil, err
	}
	var parents []repo.Hash
	if p.Previous != nil {
		parents = []repo.Hash{p.Previous.ID}
	}
	commit, err := w.Commit(repo.CommitSpec{Tree: tree, Parents: parents, Author: builder, Committer: builder, Message: p.Message()})
	if err != nil {
		return nil, err
	}
	lineageNote, lifecycleNote, err := p.notes()
	if err != nil {
		return nil, err
	}
	res := &Result{Commit: commit, Written: true}
	set := func(note []byte) repo.NoteEdit { return func([]byte) ([]byte, error) { return note, nil } }
	notes, err := r.WriteNotes(w, []repo.NotesChange{
		{Ref: protocol.NotesLineage, Edits: map[repo.Hash]repo.NoteEdit{commit: set(lineageNote)}},
		{Ref: protocol.NotesLifecycle, Edits: map[repo.Hash]repo.NoteEdit{commit: set(lifecycleNote)}},
	}, builder, fmt.Sprintf("Notes added by small build for %s\n", commit.Short()), func(stage string) {
		switch stage {
		case "objects":
			crashPoint("after-objects")
		case protocol.NotesLineage:
			crashPoint("after-lineage")
		}
	})
	if err != nil {
		return nil, err
	}
	res.Lineage, res.Lifecycle = notes[0], notes[1]
	crashPoint("after-notes")
	old := repo.ZeroHash
	if p.Previous != nil {
		old = p.Previous.ID
	}
	if err := r.UpdateRef(p.Branch, commit, old); err != nil {
		var moved *repo.RefMovedError
		if errors.As(err, &moved) && moved.Got == commit {
			return res, nil // a concurrent build of the same input won: same commit
		}
		return nil, err
	}
	return res, nil
}

func tipOf(p *Plan) repo.Hash {
	if p.Previous == nil {
		return repo.ZeroHash
	}
	return p.Previous.ID
}

// Message is the build commit's canonical message: a subject, a summary and
// the trailers of small/v1.
func (p *Plan) Message() string {
	created, updated, retracted := p.Counts()
	m := p.ManifestCommit
	var b strings.Builder
	fmt.Fprintf(&b, "Build %s: %d created, %d updated, %d retracted\n\n", m.ID.Short(), created, updated, retracted)
	fmt.Fprintf(&b, "Built by small build from manifest commit %s\n(%s).\n\n", m.ID.Short(), m.Subject())
	fmt.Fprintf(&b, "%s: %s\n", protocol.TrailerManifestCommit, m.ID)
	fmt.Fprintf(&b, "%s: %s\n", protocol.TrailerSchemaDigest, p.SchemaDigest)
	fmt.Fprintf(&b, "%s: %s\n", protocol.TrailerBuilder, version.Builder())
	fmt.Fprintf(&b, "%s: %s\n", protocol.TrailerProtocol, protocol.Version)
	return b.String()
}

// notes renders the lineage and lifecycle notes of the build.
func (p *Plan) notes() ([]byte, []byte, error) {
	// UTC, so that lines sorted as text are in time order.
	when := p.ManifestCommit.Committer.When.UTC().Format(time.RFC3339)
	var recs []lineage.Record
	var events []lineage.Event
	for _, c := range p.Changes {
		o := c.Owner
		data, blob := c.New, c.NewBlob
		if c.Action == lineage.Retracted {
			data, blob = c.Old, c.OldBlob
		}
		sum := sha256.Sum256(data)
		recs = append(recs, lineage.Record{
			Artifact: c.Path, Blob: blob.String(), SHA256: hex.EncodeToString(sum[:]), Action: c.Action,
			Kind: o.Kind, ID: o.ID, Manifest: o.Path, ManifestBlob: o.Blob, ManifestCommit: o.Commit,
			Actor: o.Actor, SchemaDigest: p.SchemaDigest,
		})
		ev := lineage.Event{Time: when, Event: c.Action, Artifact: c.Path, Kind: o.Kind, ID: o.ID, ManifestCommit: o.Commit, Actor: o.Actor}
		if c.Action == lineage.Created {
			ev.To = o.Status
		}
		events = append(events, ev)
	}
	for _, rb := range p.rollbacks {
		e := p.fresh[rb.entry]
		events = append(events, lineage.Event{Time: when, Event: lineage.RolledBack,
			Artifact: protocol.ArtifactPath(e.Kind, e.ID), Kind: e.Kind, ID: e.ID,
			ManifestCommit: e.Commit, Actor: e.Actor, RollbackOf: rb.of})
	}
	for _, t := range p.transitions {
		e := t.entry
		events = append(events, lineage.Event{Time: when, Event: lineage.Transitioned,
			Artifact: protocol.ArtifactPath(e.Kind, e.ID), Kind: e.Kind, ID: e.ID,
			From: t.from, To: t.to, ManifestCommit: e.Commit, Actor: e.Actor})
	}
	lin, err := lineage.JSONLines(recs)
	if err != nil {
		return nil, nil, err
	}
	lif, err := lineage.JSONLines(events)
	return lin, lif, err
}
