package content

import (
	"fmt"
	"io"
	"path"
	"slices"
	"strings"

	"github.com/smallhq/small/config"
	"github.com/smallhq/small/repo"
)

// ProposalPathError is a path a proposed manifest cannot live at.
type ProposalPathError struct {
	Path, Root, Why string
	Rules           []string // the globs of small.cue's files rules, if any
}

func (e *ProposalPathError) Error() string {
	if len(e.Rules) > 0 {
		return fmt.Sprintf("%s: %s: expected a path %s that one of small.cue's files rules matches (%s)", e.Path, e.Why, under(e.Root), strings.Join(e.Rules, ", "))
	}
	return fmt.Sprintf("%s: %s: expected a path under %s/ ending in .yaml, .yml or .json, e.g. %s/articles/new.yaml", e.Path, e.Why, e.Root, e.Root)
}

// ValidateProposal validates a manifest given as bytes (small validate -,
// an agent's draft) as if it were the file at p in snap, under the schemas
// snap has: p says where it would live, for the findings' file, the id its
// file name gives and whether it is read as YAML or JSON. A file already
// at p is replaced by the proposal. As small validate FILE does, it judges
// the one manifest, not whether another file has its id.
func ValidateProposal(snap repo.Snapshot, cfg *config.Config, p string, data []byte) (*Result, error) {
	if err := CheckManifestPath(cfg, p); err != nil {
		return nil, err
	}
	return Validate(&overlay{Snapshot: snap, path: p, data: data}, cfg, Options{Paths: []string{p}})
}

// CheckManifestPath says whether a manifest may live at p under cfg: a
// clean repository-relative path under the manifests root with a manifest
// extension, or one small.cue's files rules match. Otherwise it is a *ProposalPathError.
func CheckManifestPath(cfg *config.Config, p string) error {
	clean := path.Clean(p)
	rules := ruleGlobs(cfg)
	switch {
	case p == "" || path.IsAbs(p) || clean != p || clean == ".." || strings.HasPrefix(clean, "../"):
		return &ProposalPathError{Path: p, Root: cfg.Manifests, Rules: rules, Why: "not a clean path relative to the top of the repository"}
	case !cfg.UnderManifests(p):
		return &ProposalPathError{Path: p, Root: cfg.Manifests, Rules: rules, Why: "outside the manifests directory"}
	case !cfg.IsManifest(p) && cfg.HasFileRules():
		return &ProposalPathError{Path: p, Root: cfg.Manifests, Rules: rules, Why: "matched by none of small.cue's files rules"}
	case !cfg.IsManifest(p):
		return &ProposalPathError{Path: p, Root: cfg.Manifests, Rules: rules, Why: "not a manifest file name"}
	}
	return nil
}

// InputOptions say where ValidateInput reads the manifest and the rules.
type InputOptions struct {
	// Rev is the commit whose schemas apply; "" for the working tree.
	Rev string
	// Staged takes the schemas as the index holds them.
	Staged bool
	// Path is where the manifest would live.
	Path string
	// Input holds the manifest's bytes.
	Input io.Reader
}

// ValidateInput is ValidateProposal with the manifest read from
// opts.Input (never more than limits.manifestBytes and one byte) and the
// schemas of the working tree, the index or a commit.
func ValidateInput(r *repo.Repository, opts InputOptions) (*Result, error) {
	snap, err := snapshotOf(r, opts.Rev, opts.Staged)
	if err != nil {
		return nil, err
	}
	cfg, err := config.Load(snap)
	if err != nil {
		return nil, err
	}
	data, err := io.ReadAll(io.LimitReader(opts.Input, cfg.Limits.ManifestBytes+1))
	if err != nil {
		return nil, fmt.Errorf("read standard input: %w", err)
	}
	return ValidateProposal(snap, cfg, opts.Path, data)
}

// snapshotOf is what small reads: the working tree, the index (staged) or
// a commit (rev).
func snapshotOf(r *repo.Repository, rev string, staged bool) (repo.Snapshot, error) {
	switch {
	case staged:
		tree, err := r.StagedTree()
		if err != nil {
			return nil, err
		}
		return r.TreeSnapshot(tree, "index"), nil
	case rev != "":
		c, err := r.Resolve(rev)
		if err != nil {
			return nil, err
		}
		return r.Snapshot(c), nil
	}
	return r.WorkingTree(), nil
}

// overlay is a snapshot with one file's bytes given.
type overlay struct {
	repo.Snapshot
	path string
	data []byte
}

func (o *overlay) Name() string { return o.Snapshot.Name() + " with " + o.path + " proposed" }

func (o *overlay) Files(dir string) ([]repo.FileEntry, error) {
	files, err := o.Snapshot.Files(dir)
	if err != nil {
		return nil, err
	}
	if dir != "" && dir != "." && !strings.HasPrefix(o.path, strings.TrimSuffix(dir, "/")+"/") {
		return files, nil
	}
	files = slices.DeleteFunc(files, func(e repo.FileEntry) bool { return e.Path == o.path })
	files = append(files, repo.FileEntry{Path: o.path, Size: int64(len(o.data))})
	slices.SortFunc(files, func(a, b repo.FileEntry) int { return strings.Compare(a.Path, b.Path) })
	return files, nil
}

func (o *overlay) Read(name string, max int64) ([]byte, error) {
	if name != o.path {
		return o.Snapshot.Read(name, max)
	}
	if int64(len(o.data)) > max {
		return nil, &repo.TooLargeError{Size: int64(len(o.data)), Max: max}
	}
	return o.data, nil
}
