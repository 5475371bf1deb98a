package builder

import (
	"errors"
	"fmt"

	"github.com/smallhq/small/config"
	"github.com/smallhq/small/content"
	"github.com/smallhq/small/diag"
	"github.com/smallhq/small/lineage"
	"github.com/smallhq/small/progress"
	"github.com/smallhq/small/protocol"
	"github.com/smallhq/small/repo"
)

// ChangeReport is one artifact change as plan and build report it.
type ChangeReport struct {
	Path   string `json:"path"`
	Action string `json:"action"`
	Diff   string `json:"diff,omitempty"` // unified diff, when asked for
}

// AssetReport is one asset file a build adds to or removes from the
// artifact tree.
type AssetReport struct {
	Path   string `json:"path" jsonschema:"the asset's path in the artifact tree: assets/sha256/<first two hex digits>/<sha256><extension>"`
	Action string `json:"action" jsonschema:"created or retracted: an asset's path names its bytes, so it is never updated"`
	Source string `json:"source,omitempty" jsonschema:"the file's path in the manifest commit (for retracted, in the build before)"`
}

// assetReports are the plan's asset changes as reported.
func (p *Plan) assetReports() []AssetReport {
	var out []AssetReport
	for _, a := range p.Assets {
		out = append(out, AssetReport{Path: a.Path, Action: a.Action, Source: a.Use.Source})
	}
	return out
}

// PlanReport is what a build would do, as small plan reports it.
type PlanReport struct {
	Protocol       string         `json:"protocol"`
	ManifestCommit string         `json:"manifestCommit"`
	Changes        []ChangeReport `json:"changes"`
	Assets         []AssetReport  `json:"assets,omitempty" jsonschema:"the asset files the build would add or remove; absent when none"`
}

// Summary is the plan as small plan reports it; with diffs, each change
// carries its unified diff.
func (p *Plan) Summary(diffs bool) PlanReport {
	out := PlanReport{Protocol: protocol.Version, ManifestCommit: p.ManifestCommit.ID.String(), Changes: []ChangeReport{}}
	for _, ch := range p.Changes {
		c := ChangeReport{Path: ch.Path, Action: ch.Action}
		if diffs {
			c.Diff = UnifiedDiff(ch.Path, ch.Old, ch.New)
		}
		out.Changes = append(out.Changes, c)
	}
	out.Assets = p.assetReports()
	return out
}

// Paths is the plan by action, as small check reports it.
func (p *Plan) Paths() *diag.Plan {
	out := &diag.Plan{Created: []string{}, Updated: []string{}, Retracted: []string{}}
	for _, c := range p.Changes {
		switch c.Action {
		case lineage.Created:
			out.Created = append(out.Created, c.Path)
		case lineage.Updated:
			out.Updated = append(out.Updated, c.Path)
		case lineage.Retracted:
			out.Retracted = append(out.Retracted, c.Path)
		}
	}
	return out
}

// BuildReport is what a build wrote, as small build reports it.
type BuildReport struct {
	Protocol       string         `json:"protocol"`
	Branch         string         `json:"branch"`
	Commit         string         `json:"commit,omitempty"`
	Written        bool           `json:"written"`
	ManifestCommit string         `json:"manifestCommit"`
	SchemaDigest   string         `json:"schemaDigest"`
	Evaluated      int            `json:"evaluated"`
	Manifests      int            `json:"manifests"`
	Changes        []ChangeReport `json:"changes"`
	Assets         []AssetReport  `json:"assets,omitempty" jsonschema:"the asset files the build added or removed; absent when none"`
}

// Summary is the applied plan as small build reports it.
func (res *Result) Summary(p *Plan) BuildReport {
	out := BuildReport{Protocol: protocol.Version, Branch: p.Branch, Written: res.Written, ManifestCommit: p.ManifestCommit.ID.String(),
		SchemaDigest: p.SchemaDigest, Evaluated: p.Evaluated, Manifests: p.Manifests, Changes: []ChangeReport{}}
	if !res.Commit.IsZero() {
		out.Commit = res.Commit.String()
	}
	for _, c := range p.Changes {
		out.Changes = append(out.Changes, ChangeReport{Path: c.Path, Action: c.Action})
	}
	out.Assets = p.assetReports()
	return out
}

// BuildOptions change how Build builds.
type BuildOptions struct {
	// Force builds a commit that does not descend from the last build's
	// manifest commit.
	Force bool
	// Platform is who the hosting platform says runs the build, recorded
	// in the lineage; nil outside one.
	Platform *lineage.Platform
	// Progress, when set, counts the manifests the build evaluates.
	Progress *progress.Counter
}

// Build prepares the build of rev against the artifact branch and, when the
// plan has no findings, applies it. A plan with findings is returned with a
// nil result: nothing was written.
func Build(r *repo.Repository, rev string, opts BuildOptions) (*Plan, *Result, error) {
	// The artifacts go to disk as they are rendered (a full build of
	// 100,000 manifests would otherwise hold them all): applied, they are
	// its packfile; otherwise removed.
	p, err := prepareCounted(r, rev, nil, true, opts.Force, true, opts.Progress)
	defer p.Discard()
	if err != nil || p.Report.Failed() {
		return p, nil, err
	}
	// A build stands on its predecessor: never on one that rebuilding does
	// not reproduce.
	if p.Previous != nil {
		if p.Unverified, err = VerifyBuilt(r, p.Branch, p.Previous); err != nil {
			return p, nil, err
		}
	}
	p.Platform = opts.Platform
	res, err := Apply(r, p)
	if err == nil && res.Written && p.Unverified == "" {
		// Made here, on a verified build: verified.
		err = r.SetVerifiedMark(p.Branch, repo.Mark{Build: res.Commit, Lineage: res.Lineage, Lifecycle: res.Lifecycle})
	}
	if err == nil && res.Written {
		res.Packs, res.PacksErr = rollUpPacks(r)
	}
	return p, res, err
}

// rollUpPacks keeps the packs few once a build is written (its refs moved,
// its mark set): a build writes one pack, and reads slow down with every
// pack there is. The build is done whatever happens here, so a failure
// is the caller's to report as a warning, never a failed build.
func rollUpPacks(r *repo.Repository) (repo.Rollup, error) {
	return r.RollUpPacks(func(stage string) { crashPoint("rollup-" + stage) })
}

// PlanChange computes what a change does to the artifacts, as a pull
// request's check shows it: the build of rev against a build of the merge
// base of baseSpec and rev ("A...B" names the merge base of A and B), both
// as if nothing had been built. A base with findings is returned with a nil
// plan.
func PlanChange(r *repo.Repository, baseSpec, rev string) (base, p *Plan, err error) {
	head, err := r.Resolve(rev)
	if err != nil {
		return nil, nil, err
	}
	_, mb, err := content.ResolveBase(r, baseSpec, head)
	if err != nil {
		return nil, nil, err
	}
	built, err := buildOf(r, head, mb)
	if err != nil {
		return nil, nil, err
	}
	return planChange(r, head, mb, built)
}

// planChange is PlanChange from the build of the merge base mb where
// there is one (built), as when a pull request starts from a built main:
// the change then costs what it changed, not a fresh build of the base.
func planChange(r *repo.Repository, head, mb *repo.Commit, built *prior) (base, p *Plan, err error) {
	if built != nil {
		in, err := readInputs(r, head.ID.String())
		if err != nil {
			return nil, nil, err
		}
		base = &Plan{ManifestCommit: mb, Previous: built.commit, Report: diag.Report{Command: "build"}, against: true}
		p = newPlan(in, true)
		if in.broken == nil {
			err = p.compute(r, in, built, true)
		}
		return base, p, err
	}
	if base, err = PrepareFresh(r, mb.ID.String()); err != nil || base.Report.Failed() {
		return base, nil, err
	}
	p, err = PrepareAgainst(r, head.ID.String(), base)
	return base, p, err
}

// Check is small check: content.Check told what a build knows (the
// build of the change's merge base where there is one, else the artifact
// branch's tip), so that it evaluates only what it must (see
// content.Built); then, when the change passes, the plan of what merging
// it builds, from the build of the merge base where there is one. A
// change that passes without a plan has planErr saying why.
func Check(r *repo.Repository, opts content.CheckOptions) (res *content.Result, planErr, err error) {
	head, mb, built := withBuild(r, &opts)
	res, err = content.Check(r, opts)
	if err != nil || res.Report.Failed() || head == nil || mb == nil {
		return res, nil, err
	}
	_, p, planErr := planChange(r, head, mb, built)
	if planErr == nil && p != nil && !p.Report.Failed() {
		res.Report.Plan = p.Paths()
	}
	return res, planErr, nil
}

// Validate is small validate: content.Check told what a build knows, as
// Check does; with a revision and no base, the artifact branch's tip.
func Validate(r *repo.Repository, opts content.CheckOptions) (*content.Result, error) {
	withBuild(r, &opts)
	return content.Check(r, opts)
}

// withBuild sets opts.Built for a revision (never the working tree or the
// index, whose files no build has seen): the build of the merge base of
// the revision and opts.Base where there is one, else the artifact
// branch's tip. It returns the revision's commit, the merge base (nil
// without a base) and its build. What cannot be read here is
// content.Check's to report: then nothing is set.
func withBuild(r *repo.Repository, opts *content.CheckOptions) (head, mb *repo.Commit, built *prior) {
	opts.Built = nil
	if opts.Rev == "" || opts.Staged {
		return nil, nil, nil
	}
	head, err := r.Resolve(opts.Rev)
	if err != nil {
		return nil, nil, nil
	}
	if opts.Base != "" {
		if _, mb, err = content.ResolveBase(r, opts.Base, head); err != nil {
			return nil, nil, nil
		}
		if built, err = buildOf(r, head, mb); err != nil {
			return nil, nil, nil
		}
		if built != nil {
			opts.Built = built.asBuilt(r)
			return head, mb, built
		}
	}
	if tip, err := tipBuild(r, head); err == nil && tip != nil {
		opts.Built = tip.asBuilt(r)
	}
	return head, mb, nil
}

// asBuilt says what the build says of its manifests, for content.Check;
// its index is read when content.Check asks.
func (pr *prior) asBuilt(r *repo.Repository) *content.Built {
	return &content.Built{ManifestCommit: pr.manifestCommit, SchemaDigest: pr.schemaDigest, Config: pr.index.Config, Builder: pr.builder,
		Load: func() ([]content.Known, error) {
			idx, err := pr.fullIndex(r)
			if err != nil {
				return nil, err
			}
			out := make([]content.Known, 0, len(idx.Manifests))
			for _, e := range idx.Manifests {
				blob, ok := repo.ParseHash(e.Blob)
				if !ok {
					return nil, &badIndexError{Build: pr.commit.ID, Err: fmt.Errorf("%s: blob %q is not an object id", e.Path, e.Blob)}
				}
				out = append(out, content.Known{Kind: e.Kind, ID: e.ID, Locale: e.Locale, Path: e.Path, State: e.Status, Blob: blob})
			}
			return out, nil
		}}
}

// tipBuild reads the tip of the artifact branch that small.cue at head
// names: its trailers and its index's metadata, not its artifacts; nil
// when there is none, or it is no build small can read.
func tipBuild(r *repo.Repository, head *repo.Commit) (*prior, error) {
	cfg, err := config.Load(r.Snapshot(head))
	if err != nil {
		return nil, nil
	}
	tip, err := r.Ref(protocol.BranchRef(cfg.Artifacts.Branch))
	if err != nil || tip.IsZero() {
		return nil, err
	}
	c, err := r.ReadCommit(tip)
	if err != nil {
		return nil, err
	}
	mc, ok := repo.ParseHash(c.Trailer(protocol.TrailerManifestCommit))
	if !ok {
		return nil, nil
	}
	indexFiles, err := r.TreeFiles(c.Tree, ".small")
	if err != nil {
		return nil, err
	}
	idx, err := readIndexMeta(r, indexFiles)
	if err != nil {
		return nil, nil
	}
	return &prior{commit: c, manifestCommit: mc, schemaDigest: c.Trailer(protocol.TrailerSchemaDigest),
		builder: c.Trailer(protocol.TrailerBuilder), index: idx, indexFiles: indexFiles}, nil
}

// maxBuildSearch bounds how far back buildOf looks on the artifact branch.
const maxBuildSearch = 1000

// buildOf finds the build of manifest commit m on the artifact branch that
// small.cue at head names, among its newest builds; nil when there is none.
func buildOf(r *repo.Repository, head, m *repo.Commit) (*prior, error) {
	cfg, err := config.Load(r.Snapshot(head))
	if err != nil {
		return nil, nil // the plan's own reading will say what is wrong
	}
	tip, err := r.Ref(protocol.BranchRef(cfg.Artifacts.Branch))
	if err != nil || tip.IsZero() {
		return nil, err
	}
	for h, n := tip, 0; !h.IsZero() && n < maxBuildSearch; n++ {
		c, err := r.ReadCommit(h)
		if err != nil {
			return nil, nil // a shallow clone's end: plan from scratch
		}
		if c.Trailer(protocol.TrailerManifestCommit) == m.ID.String() {
			pr, err := readPrior(r, c)
			var nb *NotABuildError
			if errors.As(err, &nb) {
				return nil, nil
			}
			return pr, err
		}
		if len(c.Parents) == 0 {
			break
		}
		h = c.Parents[0]
	}
	return nil, nil
}
