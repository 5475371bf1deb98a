package builder

import (
	"github.com/smallhq/small/content"
	"github.com/smallhq/small/lineage"
	"github.com/smallhq/small/protocol"
	"github.com/smallhq/small/repo"
)

// ChangeReport is one artifact change as plan and build report it.
type ChangeReport struct {
	Path   string `json:"path"`
	Action string `json:"action"`
	Diff   string `json:"diff,omitempty"` // unified diff, when asked for
}

// PlanReport is what a build would do, as small plan reports it.
type PlanReport struct {
	Protocol       string         `json:"protocol"`
	ManifestCommit string         `json:"manifestCommit"`
	Changes        []ChangeReport `json:"changes"`
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
}

// Build prepares the build of rev against the artifact branch and, when the
// plan has no findings, applies it. A plan with findings is returned with a
// nil result: nothing was written.
func Build(r *repo.Repository, rev string, opts BuildOptions) (*Plan, *Result, error) {
	prepare := Prepare
	if opts.Force {
		prepare = PrepareForced
	}
	p, err := prepare(r, rev)
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
	return p, res, err
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
	if base, err = PrepareFresh(r, mb.ID.String()); err != nil || base.Report.Failed() {
		return base, nil, err
	}
	p, err = PrepareAgainst(r, head.ID.String(), base)
	return base, p, err
}
