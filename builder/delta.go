package builder

import (
	"fmt"
	"iter"
	"maps"
	"slices"
	"strings"

	"github.com/smallhq/small/config"
	"github.com/smallhq/small/diag"
	"github.com/smallhq/small/protocol"
	"github.com/smallhq/small/repo"
)

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
func fullDelta(r *repo.Repository, prev *prior, m *repo.Commit, cfg *config.Config, reuse bool) (*delta, error) {
	all, err := r.TreeFiles(m.Tree, cfg.Manifests)
	if err != nil {
		return nil, err
	}
	d := &delta{changed: map[string]repo.Hash{}}
	for fp, h := range all {
		if cfg.IsManifest(fp) {
			d.changed[fp] = h
		}
	}
	d.count = len(d.changed)
	idx, err := prev.fullIndex(r)
	if err != nil {
		return nil, err
	}
	stand, read := assetsStand(r, m), refsStand(r, m)
	for _, e := range idx.Manifests {
		if reuse && d.changed[e.Path].String() == e.Blob && stand(e) && read(e) {
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
// Only files cfg makes manifests count: with files rules, a change to a
// file no rule matches builds nothing.
func incrementalDelta(r *repo.Repository, prev *prior, m *repo.Commit, cfg *config.Config) (*delta, error) {
	dir := cfg.Manifests
	old, err := r.ReadCommit(prev.manifestCommit)
	if err != nil {
		return nil, err
	}
	newSub, oldSub := r.DirAt(m.Tree, dir), r.DirAt(old.Tree, dir)
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
		if cfg.IsManifest(fp) {
			d.changed[fp] = h
			d.dirty[shardOf(fp)] = true
			if _, ok := gone[fp]; !ok {
				d.count++
			}
		}
	}
	touched := map[string]bool{}
	for fp := range gone {
		if cfg.IsManifest(fp) {
			touched[fp] = true
			d.dirty[shardOf(fp)] = true
			if _, ok := added[fp]; !ok {
				d.count--
			}
		}
	}
	if prev.index.Assets > 0 {
		// A manifest whose asset changed is built again: the files of the
		// whole tree that changed, looked up in the reverse index.
		changedFiles, err := r.DiffTrees(old.Tree, m.Tree, "")
		if err != nil {
			return nil, err
		}
		users, err := usersOfChanged(r, prev, changedFiles)
		if err != nil {
			return nil, err
		}
		for _, fp := range users {
			if _, ok := d.changed[fp]; ok || touched[fp] {
				continue
			}
			if h := r.FileAt(m.Tree, fp); !h.IsZero() && cfg.IsManifest(fp) {
				d.changed[fp] = h
				touched[fp] = true
				d.dirty[shardOf(fp)] = true
			}
		}
	}
	entries, err := prev.shardEntries(r, d.dirty)
	if err != nil {
		return nil, err
	}
	if more, err := d.readers(r, prev, m, cfg, entries, touched); err != nil {
		return nil, err
	} else {
		entries = append(entries, more...)
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

// readers adds to the delta the manifests whose kind reads #refs and
// that reference a manifest that changed, moved or went (the previous
// versions of the changed paths, among entries): their #outputs may show
// it. It returns the previous entries of the shards it makes dirty that
// entries did not hold. A reader's own references are not followed
// further: the document #refs holds never depends on #refs.
func (d *delta) readers(r *repo.Repository, prev *prior, m *repo.Commit, cfg *config.Config, entries []IndexEntry, touched map[string]bool) ([]IndexEntry, error) {
	if prev.index.Refs == 0 {
		return nil, nil
	}
	targets := map[string]bool{}
	for _, e := range entries {
		if touched[e.Path] {
			targets[e.Kind+"/"+e.ID] = true
		}
	}
	readers, err := prev.readersOf(r, targets)
	if err != nil {
		return nil, err
	}
	more := map[string]bool{}
	for _, fp := range readers {
		if _, ok := d.changed[fp]; ok || touched[fp] {
			continue
		}
		h := r.FileAt(m.Tree, fp)
		if h.IsZero() || !cfg.IsManifest(fp) {
			continue
		}
		d.changed[fp] = h
		touched[fp] = true
		if s := shardOf(fp); !d.dirty[s] {
			d.dirty[s] = true
			more[s] = true
		}
	}
	if len(more) == 0 {
		return nil, nil
	}
	return prev.shardEntries(r, more)
}

// assetsStand returns a function that reports whether the assets an index
// entry names are, in commit m, the blobs it was built with.
func assetsStand(r *repo.Repository, m *repo.Commit) func(e IndexEntry) bool {
	h := &assetHasher{r: r, tree: m.Tree}
	return func(e IndexEntry) bool {
		for _, a := range e.Assets {
			if b, err := h.blobAt(a.Source); err != nil || b.String() != a.Blob {
				return false
			}
		}
		return true
	}
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
	var dirs map[string]bool // of the previous tree, made when a new path needs them
	for _, e := range fresh {
		for _, a := range e.Artifacts {
			if _, ok := prev.files[a]; ok {
				clash = clash || !released[a]
				continue
			}
			// A new path: a file of the previous tree where it needs a
			// directory, or a directory where it goes.
			for dir := range parentDirs(a) {
				if _, ok := prev.files[dir]; ok && !released[dir] {
					clash = true
				}
			}
			if dirs == nil {
				dirs = map[string]bool{}
				for f := range prev.files {
					for dir := range parentDirs(f) {
						dirs[dir] = true
					}
				}
			}
			clash = clash || dirs[a]
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

// parentDirs yields the directories of a path in the tree, outermost
// first: doc/v1/install.json has doc and doc/v1.
func parentDirs(p string) iter.Seq[string] {
	return func(yield func(string) bool) {
		for i := 0; i < len(p); i++ {
			if p[i] == '/' && !yield(p[:i]) {
				return
			}
		}
	}
}

// uniqueness reports (kind, id) pairs and artifact paths claimed twice,
// and an artifact path where another needs a directory (pages/v1.md beside
// pages/v1.md/x.md): a tree holds a name once, as a file or a directory.
func uniqueness(entries []IndexEntry) []diag.Diagnostic {
	var ds []diag.Diagnostic
	byID := map[[3]string][]string{}
	byPath := map[string][]string{}
	for _, e := range entries {
		k := e.key()
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
			dupDoc[protocol.ArtifactPath(k[0], k[1], k[2])] = true
			for _, p := range paths {
				ds = append(ds, diag.Diagnostic{File: p, Path: protocol.FieldID, Code: diag.CodeIDDuplicate, Severity: diag.Error,
					Message: fmt.Sprintf("%s is also defined in %s: expected each kind, id and locale once", protocol.EntryName(k[0], k[1], k[2]), others(paths, p))})
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
		for dir := range parentDirs(a) {
			files, ok := byPath[dir]
			if !ok {
				continue
			}
			for _, p := range paths {
				ds = append(ds, diag.Diagnostic{File: p, Code: diag.CodeOutputClash, Severity: diag.Error,
					Message: fmt.Sprintf("artifact %s needs a directory %s, where %s builds a file: expected no artifact path inside another", a, dir, strings.Join(files, ", "))})
			}
			for _, p := range files {
				ds = append(ds, diag.Diagnostic{File: p, Code: diag.CodeOutputClash, Severity: diag.Error,
					Message: fmt.Sprintf("artifact %s is a file where %s needs a directory for %s: expected no artifact path inside another", dir, strings.Join(paths, ", "), a)})
			}
		}
	}
	return ds
}
