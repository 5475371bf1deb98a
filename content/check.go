package content

import (
	"github.com/smallhq/small/config"
	"github.com/smallhq/small/diag"
	"github.com/smallhq/small/repo"
	"github.com/smallhq/small/schema"
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
	// Command names the report ("validate", "check").
	Command string
}

// HistoryError is history a check needs and cannot read: a repository
// state, not a finding about content.
type HistoryError struct{ Err error }

func (e *HistoryError) Error() string { return e.Err.Error() }
func (e *HistoryError) Unwrap() error { return e.Err }

// Check is small validate and small check: it validates the manifests of a
// revision (or the working tree) against their kinds and, with a base,
// checks the change against the lifecycle rules and the agent boundary.
// Findings are in the result's report. A revision that names no commit is a
// *repo.RevisionError, a broken small.cue a *config.Error.
func Check(r *repo.Repository, opts CheckOptions) (*Result, error) {
	snap := r.WorkingTree()
	var head *repo.Commit
	if opts.Rev != "" {
		c, err := r.Resolve(opts.Rev)
		if err != nil {
			return nil, err
		}
		head, snap = c, r.Snapshot(c)
	}
	cfg, err := config.Load(snap)
	if err != nil {
		return nil, err
	}
	res, err := Validate(snap, cfg, Options{Paths: opts.Paths})
	if err != nil {
		return nil, err
	}
	if opts.Command != "" {
		res.Report.Command = opts.Command
	}
	if opts.Base == "" {
		return res, nil
	}
	base, err := r.Resolve(opts.Base)
	if err != nil {
		return nil, err
	}
	ds, err := CheckLifecycle(r, Change{Base: base, Head: head, Config: cfg, Result: res})
	if err != nil {
		return nil, &HistoryError{err}
	}
	res.Report.Diagnostics = append(res.Report.Diagnostics, ds...)
	if head != nil {
		ds, err := CheckBoundary(r, base, head, cfg)
		if err != nil {
			return nil, &HistoryError{err}
		}
		res.Report.Diagnostics = append(res.Report.Diagnostics, ds...)
	}
	diag.Sort(res.Report.Diagnostics)
	return res, nil
}

// SchemaAt loads the schemas package of a revision ("" for the working
// tree), as small.cue there names it. Schemas that do not compile are a
// *schema.Error with their diagnostics.
func SchemaAt(r *repo.Repository, rev string) (*schema.Schema, error) {
	snap := r.WorkingTree()
	if rev != "" {
		c, err := r.Resolve(rev)
		if err != nil {
			return nil, err
		}
		snap = r.Snapshot(c)
	}
	cfg, err := config.Load(snap)
	if err != nil {
		return nil, err
	}
	return LoadSchema(snap, cfg)
}
