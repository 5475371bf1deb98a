package builder

import (
	"errors"
	"fmt"
	"strings"

	"github.com/smallhq/small/lineage"

	"github.com/smallhq/small/protocol"
	"github.com/smallhq/small/repo"
)

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
	assetLines     []assetLine          // the reverse index of assets, for an in-memory plan
	refLines       []refLine            // the reverse index of references, for an in-memory plan
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
	lines := []assetLine{}
	for name, data := range p.out.assets.shards {
		ls, _ := parseAssetLines(name, data)
		lines = append(lines, ls...)
	}
	refs := []refLine{}
	for name, data := range p.out.refs.shards {
		ls, _ := parseRefLines(name, data)
		refs = append(refs, ls...)
	}
	return &prior{manifestCommit: p.ManifestCommit.ID, schemaDigest: p.SchemaDigest, builder: p.builder,
		files: p.out.files, index: &p.out.index, loaded: true, blobs: p.out.blobs, assetLines: lines, refLines: refs}
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
		if err := lineage.OnRemoteOnly(r, branch); err != nil {
			return nil, err
		}
		return nil, nil
	}
	c, err := r.ReadCommit(tip)
	if err != nil {
		return nil, err
	}
	pr, err := readPrior(r, c)
	var nb *NotABuildError
	if errors.As(err, &nb) {
		nb.Branch = branch
	}
	return pr, err
}

// readPrior reads a build commit: its trailers, its files and its index's
// metadata. Index entries are read on demand.
func readPrior(r *repo.Repository, c *repo.Commit) (*prior, error) {
	mc, ok := repo.ParseHash(c.Trailer(protocol.TrailerManifestCommit))
	if !ok {
		return nil, &NotABuildError{Commit: c.ID.String()}
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
		return nil, &badIndexError{Build: c.ID, Err: err}
	}
	return &prior{commit: c, manifestCommit: mc, schemaDigest: c.Trailer(protocol.TrailerSchemaDigest),
		builder: c.Trailer(protocol.TrailerBuilder), files: files, index: idx, indexFiles: indexFiles}, nil
}

// badIndexError is a build whose index small cannot read: not a build
// small made as it stands.
type badIndexError struct {
	Build repo.Hash
	Err   error
}

func (e *badIndexError) Error() string {
	return fmt.Sprintf("the index of %s: %v", e.Build.Short(), e.Err)
}
func (e *badIndexError) Unwrap() error { return e.Err }
