package builder

import (
	"maps"
	"slices"
	"strings"

	"github.com/smallhq/small/diag"
	"github.com/smallhq/small/lineage"
	"github.com/smallhq/small/repo"
)

// The lineage index (lineage/index.go): per artifact, the build that last
// changed it and the one before, so that small lineage reads one note
// whatever the history's length. A build computes its own from the
// previous build's and the artifacts its lineage records name:
//
//   - an artifact it changes gets the line (this build, the build that
//     changed it last before);
//   - a line the previous build wrote for its own changes ("this build")
//     gets the previous build's id, which only now can be written;
//   - every other line stays, in shards the build does not touch.
//
// The lines the previous build wrote for its own changes are in the
// shards its tree changed against its parent's: a tree comparison of one
// directory, not a read of the whole index. The first build that keeps an
// index on a history made without one reads that history's notes once
// (lineage.LastChanges).

// lineageOutput is what a plan writes of the lineage index.
type lineageOutput struct {
	shards map[string][]byte    // file name to content
	kept   map[string]repo.Hash // shards kept as they were
}

// recordedArtifacts are the artifacts the build's lineage records name
// (every artifact change, and every asset file change that a manifest
// caused: Plan.events writes a record for each), and the manifests they
// name, by lineage.ManifestKey.
func (p *Plan) recordedArtifacts() map[string]bool {
	out := make(map[string]bool, len(p.Changes)+len(p.Assets))
	for _, c := range p.Changes {
		out[c.Path] = true
		if c.Owner != nil && c.Owner.Path != "" {
			out[lineage.ManifestKey(c.Owner.Path)] = true
		}
	}
	for _, c := range p.Assets {
		if c.Owner != nil && c.Owner.Path != "" {
			out[c.Path] = true
			out[lineage.ManifestKey(c.Owner.Path)] = true
		}
	}
	return out
}

// placeLineage computes the lineage index of the new build and adds it to
// the plan's output. A plan against another plan, for reading, has none
// (it names no build to point at); nor has the rebuild of a build made
// without one (noLineage: by a small that kept none), which small verify
// reproduces as it was made: an index that is not there cannot mislead,
// the queries walk history instead.
func (p *Plan) placeLineage(r *repo.Repository, prev *prior) error {
	if p.against || p.noLineage {
		return nil
	}
	out, err := lineageChanges(r, prev, p.recordedArtifacts())
	if err != nil {
		return err
	}
	p.out.lineage = *out
	p.out.addIndexFiles(out.shards, out.kept)
	return nil
}

// prevLineageShards are the shards of the previous build's lineage index,
// by shard name.
func prevLineageShards(prev *prior) map[string]repo.Hash {
	out := map[string]repo.Hash{}
	for name, h := range prev.indexFiles {
		if s, ok := strings.CutPrefix(name, lineage.IndexDir+"/"); ok {
			out[s] = h
		}
	}
	return out
}

// lineageChanges computes the lineage index of a build whose records name
// changed, on prev.
func lineageChanges(r *repo.Repository, prev *prior, changed map[string]bool) (*lineageOutput, error) {
	old := prevLineageShards(prev)
	var lines []lineage.IndexLine
	dirty := map[string]bool{}
	switch {
	case prev.commit == nil:
		// The first build: every line is its own.
		for a := range changed {
			lines = append(lines, lineage.IndexLine{Artifact: a})
		}
	case len(old) == 0:
		// A previous build without an index: index its history once.
		last, err := lineage.LastChanges(r, prev.commit.ID)
		if err != nil {
			return nil, err
		}
		for a, b := range last {
			if !changed[a] {
				lines = append(lines, lineage.IndexLine{Artifact: a, Last: b[0], Prev: b[1]})
			}
		}
		for a := range changed {
			lines = append(lines, lineage.IndexLine{Artifact: a, Prev: last[a][0]})
		}
	default:
		// The shards with the previous build's own lines, and those of
		// this build's changes.
		own, err := ownShards(r, prev, old)
		if err != nil {
			return nil, err
		}
		maps.Copy(dirty, own)
		for a := range changed {
			dirty[lineage.IndexShard(a)] = true
		}
		seen := map[string]bool{}
		for _, s := range slices.Sorted(maps.Keys(dirty)) {
			h, ok := old[s]
			if !ok {
				continue
			}
			data, err := r.ReadBlob(h)
			if err != nil {
				return nil, err
			}
			ls, err := lineage.ParseIndex(lineage.IndexDir+"/"+s, data)
			if err != nil {
				return nil, &badIndexError{Build: prev.commit.ID, Err: err}
			}
			for _, l := range ls {
				last := l.Last
				if last.IsZero() {
					last = prev.commit.ID // its own change, named now
				}
				switch {
				case changed[l.Artifact]:
					l = lineage.IndexLine{Artifact: l.Artifact, Prev: last}
				default:
					l.Last = last
				}
				seen[l.Artifact] = true
				lines = append(lines, l)
			}
		}
		for a := range changed {
			if !seen[a] {
				lines = append(lines, lineage.IndexLine{Artifact: a})
			}
		}
	}
	groups := map[string][]lineage.IndexLine{}
	for _, l := range lines {
		s := lineage.IndexShard(l.Artifact)
		groups[s] = append(groups[s], l)
	}
	out := &lineageOutput{shards: map[string][]byte{}, kept: map[string]repo.Hash{}}
	for s, ls := range groups {
		out.shards[lineage.IndexDir+"/"+s] = lineage.EncodeIndex(ls)
	}
	if len(dirty) > 0 {
		for s, h := range old {
			if !dirty[s] {
				out.kept[lineage.IndexDir+"/"+s] = h
			}
		}
	}
	return out, nil
}

// ownShards are the shards of the previous build's lineage index that may
// hold lines of its own changes: those its tree changed against its
// parent's (all of them when the parent has no index, or is not here).
func ownShards(r *repo.Repository, prev *prior, old map[string]repo.Hash) (map[string]bool, error) {
	out := map[string]bool{}
	var before map[string]repo.Hash
	if len(prev.commit.Parents) > 0 && r.HasCommit(prev.commit.Parents[0]) {
		pc, err := r.ReadCommit(prev.commit.Parents[0])
		if err != nil {
			return nil, err
		}
		files, err := r.TreeFiles(pc.Tree, lineage.IndexDir)
		if err != nil {
			return nil, err
		}
		before = map[string]repo.Hash{}
		for name, h := range files {
			before[strings.TrimPrefix(name, lineage.IndexDir+"/")] = h
		}
	}
	for s, h := range old {
		if before == nil || before[s] != h {
			out[s] = true
		}
	}
	return out, nil
}

// hasLineageIndex reports whether a build's tree holds a lineage index.
func (pr *prior) hasLineageIndex() bool {
	for name := range pr.indexFiles {
		if strings.HasPrefix(name, lineage.IndexDir+"/") {
			return true
		}
	}
	return false
}

// lineageLines reads every line of a lineage index: the files given (a
// build's index files, or those a rebuild keeps) and the shards rendered.
func lineageLines(r *repo.Repository, files map[string]repo.Hash, rendered map[string][]byte) ([]lineage.IndexLine, error) {
	var out []lineage.IndexLine
	for _, name := range slices.Sorted(maps.Keys(files)) {
		if !strings.HasPrefix(name, lineage.IndexDir+"/") {
			continue
		}
		if _, ok := rendered[name]; ok {
			continue
		}
		data, err := r.ReadBlob(files[name])
		if err != nil {
			return nil, err
		}
		ls, err := lineage.ParseIndex(name, data)
		if err != nil {
			return nil, err
		}
		out = append(out, ls...)
	}
	for _, name := range slices.Sorted(maps.Keys(rendered)) {
		ls, err := lineage.ParseIndex(name, rendered[name])
		if err != nil {
			return nil, err
		}
		out = append(out, ls...)
	}
	slices.SortFunc(out, func(a, b lineage.IndexLine) int { return strings.Compare(a.Artifact, b.Artifact) })
	return out, nil
}

// compareLineageFacts compares the lineage index of the recorded build
// with the rebuild's, artifact by artifact: the builds it names are facts
// of the history, whatever version of small wrote them.
func (v *Verification) compareLineageFacts(r *repo.Repository, rec *prior, p *Plan) error {
	got, err := lineageLines(r, rec.indexFiles, nil)
	if err != nil {
		v.mismatch(diag.CodeVerifyIndex, lineage.IndexDir, "", "", "the lineage index of %s cannot be read: %v", v.Build.ID.Short(), err)
		return nil
	}
	want, err := lineageLines(r, p.out.lineage.kept, p.out.lineage.shards)
	if err != nil {
		return err
	}
	text := func(ls []lineage.IndexLine) map[string]string {
		m := map[string]string{}
		for _, l := range ls {
			m[l.Artifact] = strings.TrimSpace(string(lineage.EncodeIndex([]lineage.IndexLine{l})))
		}
		return m
	}
	g, w := text(got), text(want)
	for _, a := range slices.Sorted(maps.Keys(union(g, w))) {
		if g[a] != w[a] {
			v.mismatch(diag.CodeVerifyIndex, lineage.IndexDir+"/"+lineage.IndexShard(a), g[a], w[a], "the lineage index of %s says of %s what the rebuild does not", v.Build.ID.Short(), a)
		}
	}
	return nil
}
