// Package audit judges the history of the artifact branch against the
// compliance requirements of small/v1, clause by clause, from the Git data
// alone: it rebuilds every build from its parent and recorded inputs
// (builder.Verifier) and reads what the rebuild cannot reproduce (the lines
// small event adds, the reachability of manifest commits, rollbacks).
package audit

import (
	"errors"
	"fmt"
	"strings"

	"github.com/smallhq/small/builder"
	"github.com/smallhq/small/diag"
	"github.com/smallhq/small/lineage"
	"github.com/smallhq/small/progress"
	"github.com/smallhq/small/protocol"
	"github.com/smallhq/small/repo"
	"github.com/smallhq/small/version"
)

// The clauses of the SMALL compliance requirements, in report order.
const (
	ClauseSchema    = "schema-enforcement"
	ClauseImmutable = "immutable-artifacts"
	ClauseLineage   = "explicit-lineage"
	ClauseLifecycle = "observable-lifecycle"
	ClauseBoundary  = "agent-boundary"
	ClauseRollback  = "rollback"
)

var clauses = []struct{ id, title, requirement string }{
	{ClauseSchema, "Schema enforcement and manifest intent", "every manifest a build used was valid under the schemas of its commit"},
	{ClauseImmutable, "Immutable artifacts", "every build is reproduced bit for bit by rebuilding it from its parent and the manifest commit its trailer names"},
	{ClauseLineage, "Explicit lineage", "every build has its notes, equal to what the rebuild records, and every manifest commit it names is reachable from the default branch"},
	{ClauseLifecycle, "Observable lifecycle", "every status change followed the lifecycle in force at its commit; every observation is well-formed, by whom it says, after its build"},
	{ClauseBoundary, "Agent boundary", "the rules of a change held on every commit a build took in: agents act only through manifests and only along the lifecycle"},
	{ClauseRollback, "Rollback", "every Small-Rollback-Of names a real earlier build"},
}

// clauseOf files a finding under its clause by code.
func clauseOf(code string) string {
	switch code {
	case diag.CodeVerifyInvalid, diag.CodeVerifyInputs:
		return ClauseSchema
	case diag.CodeVerifyTrailer, diag.CodeVerifyCommit, diag.CodeVerifyArtifact, diag.CodeVerifyIndex, diag.CodeVerifyMessage:
		return ClauseImmutable
	case diag.CodeVerifyLineage, diag.CodeVerifyManifestCommit, diag.CodeVerifyUnreachable:
		return ClauseLineage
	case diag.CodeVerifyLifecycle, diag.CodeVerifyObservation, diag.CodeTransition, diag.CodeDelete, diag.CodeStateUnknown:
		return ClauseLifecycle
	case diag.CodeVerifyRollback:
		return ClauseRollback
	}
	return ClauseBoundary // the agent rules: boundary, human-only states, frozen content
}

// Finding is one way the history breaks a clause, with its evidence.
type Finding = builder.Mismatch

// Clause is one requirement and its verdict.
type Clause struct {
	ID          string    `json:"id"`
	Title       string    `json:"title"`
	Requirement string    `json:"requirement"`
	Pass        bool      `json:"pass"`
	Findings    []Finding `json:"findings"`
}

// Report is small verify's verdict.
type Report struct {
	Protocol string `json:"protocol"`
	Branch   string `json:"branch"`
	Verifier string `json:"verifier"` // the small that verified: small/<version>
	Since    string `json:"since,omitempty"`
	From     string `json:"from,omitempty"` // the oldest build verified
	To       string `json:"to,omitempty"`   // the newest: the tip
	Builds   int    `json:"builds"`
	Exact    int    `json:"exact"`  // reproduced bit for bit
	Stable   int    `json:"stable"` // by another version: artifacts and facts reproduced
	// Unverified builds could not be rebuilt here (a shallow clone lacks
	// their history): no verdict is compliant while any is.
	Unverified int  `json:"unverified"`
	Compliant  bool `json:"compliant"`
	// DefaultBranch is the branch manifest commits must be reachable from.
	DefaultBranch string   `json:"defaultBranch"`
	Clauses       []Clause `json:"clauses"`
	// Notes are facts that are not findings: builds verified in their
	// stable parts, and history a shallow clone lacks.
	Notes []string `json:"notes"`
}

// Options say what Verify reads.
type Options struct {
	// Since, when set, names a build of the branch that is trusted: only the
	// builds after it are verified.
	Since string
	// ReadOnly leaves this clone's memory of what it verified (the marks
	// small build and small show consult) as it is: a read-only front end
	// (small serve) writes nothing into the repository.
	ReadOnly bool
	// Progress, when set, counts the builds verified (its steps) and the
	// manifests each rebuild evaluates.
	Progress *progress.Counter
}

// SinceError is a --since that names no build of the branch.
type SinceError struct{ Rev, Branch, Why string }

func (e *SinceError) Error() string {
	return fmt.Sprintf("--since %s: %s; name a build of %s (small log lists them)", e.Rev, e.Why, protocol.BranchName(e.Branch))
}

// Verify judges the builds of the artifact branch (a full ref name),
// oldest first. When every clause holds, the tip is remembered as verified
// (unless opts.ReadOnly).
func Verify(r *repo.Repository, branch string, opts Options) (*Report, error) {
	rep := &Report{Protocol: protocol.Version, Branch: branch, Verifier: version.Builder(), Since: opts.Since, Notes: []string{}}
	for _, c := range clauses {
		rep.Clauses = append(rep.Clauses, Clause{ID: c.id, Title: c.title, Requirement: c.requirement, Findings: []Finding{}})
	}
	tip, err := r.Ref(branch)
	if err != nil {
		return nil, err
	}
	if tip.IsZero() {
		if err := lineage.OnRemoteOnly(r, branch); err != nil {
			return nil, err
		}
		return nil, &lineage.NoBuildError{Branch: branch}
	}
	var stop repo.Hash
	if opts.Since != "" {
		c, err := r.Resolve(opts.Since)
		if err != nil {
			return nil, err
		}
		if ok, _ := r.IsAncestor(c.ID, tip); !ok {
			return nil, &SinceError{Rev: opts.Since, Branch: branch, Why: c.ID.Short() + " is not on it"}
		}
		if c.Trailer(protocol.TrailerManifestCommit) == "" {
			return nil, &SinceError{Rev: opts.Since, Branch: branch, Why: c.ID.Short() + " is not a build"}
		}
		if c.ID == tip {
			return nil, &SinceError{Rev: opts.Since, Branch: branch, Why: c.ID.Short() + " is the newest build: nothing after it to verify"}
		}
		stop = c.ID
	}
	// The builds to verify, newest first, down to --since; the trusted
	// ones before it are earlier builds a rollback may name.
	l, err := lineage.Open(r, branch)
	if err != nil {
		return nil, err
	}
	var chain []*repo.Commit
	builds := map[repo.Hash]bool{}
	trusting := false
	err = l.Walk(func(c *repo.Commit) (bool, error) {
		trusting = trusting || c.ID == stop
		if trusting {
			builds[c.ID] = true
		} else {
			chain = append(chain, c)
		}
		return true, nil
	})
	if err != nil {
		return nil, err
	}
	shallow := l.Shallow
	if shallow {
		rep.Notes = append(rep.Notes, "this clone's history of "+protocol.BranchName(branch)+" is shallow: only the builds it has were verified (git fetch --unshallow)")
	}
	rep.Builds, rep.To = len(chain), tip.String()
	if len(chain) > 0 {
		rep.From = chain[len(chain)-1].ID.String()
	}
	def, defTips := DefaultBranch(r)
	rep.DefaultBranch = def

	vf, err := builder.NewVerifier(r)
	if err != nil {
		return nil, err
	}
	vf.Progress = opts.Progress
	opts.Progress.Steps(len(chain))
	var manifests []repo.Hash
	for i := len(chain) - 1; i >= 0; i-- {
		b := chain[i]
		opts.Progress.Step()
		v, err := vf.Verify(b)
		if err != nil {
			return nil, err
		}
		switch {
		case v.Unverifiable != "":
			rep.Unverified++
			rep.Notes = append(rep.Notes, v.Unverifiable)
		case v.Exact:
			rep.Exact++
		case v.Stable:
			rep.Stable++
			rep.Notes = append(rep.Notes, fmt.Sprintf("%s was built by %s: its artifacts and recorded facts are reproduced by %s; its version-specific parts (index, trailer, commit id) were not compared", b.ID.Short(), v.Builder, version.Builder()))
		}
		for _, m := range v.Mismatches {
			rep.add(m)
		}
		for _, d := range v.Gate {
			rep.add(Finding{Code: d.Code, Build: b.ID.String(), Path: d.File, Message: fmt.Sprintf("%s took in: %s", b.ID.Short(), d.String())})
		}
		if v.Plan != nil {
			for _, e := range v.Plan.Events() {
				if e.Event == lineage.RolledBack && !namesBuild(builds, e.RollbackOf) {
					rep.add(Finding{Code: diag.CodeVerifyRollback, Build: b.ID.String(), Path: e.Artifact, Recorded: e.RollbackOf,
						Message: fmt.Sprintf("%s rolls %s back to %q (Small-Rollback-Of of %s), which is no earlier build of %s", b.ID.Short(), e.Artifact, e.RollbackOf, repo.ShortID(e.ManifestCommit), protocol.BranchName(branch))})
				}
			}
		}
		if !v.ManifestCommit.IsZero() && v.Unverifiable == "" {
			manifests = append(manifests, v.ManifestCommit)
		}
		builds[b.ID] = true
	}
	if err := rep.reachable(r, manifests, def, defTips); err != nil {
		return nil, err
	}
	for _, ref := range []string{protocol.NotesLineage, protocol.NotesLifecycle} {
		fs, err := appendOnly(r, ref)
		if err != nil {
			return nil, err
		}
		for _, f := range fs {
			rep.add(f)
		}
	}
	// Compliance is binary: every build verified, every clause held.
	rep.Compliant = rep.Unverified == 0 && !shallow
	for i := range rep.Clauses {
		rep.Clauses[i].Pass = len(rep.Clauses[i].Findings) == 0
		rep.Compliant = rep.Compliant && rep.Clauses[i].Pass
	}
	// Remember the verdict: a compliant branch as it stands now is
	// verified; a branch that is not, is not (even where a build made here
	// marked it).
	mark := repo.Mark{}
	// With --since, what came before was trusted, not verified: the
	// branch is verified only if this clone had verified that much.
	trusted := stop.IsZero()
	if m := r.VerifiedMark(branch).Build; !trusted && !m.IsZero() {
		trusted, _ = r.IsAncestor(stop, m)
	}
	if rep.Compliant && trusted && rep.Exact+rep.Stable == rep.Builds {
		if mark, err = builder.CurrentMark(r, tip); err != nil {
			return nil, err
		}
	}
	if !opts.ReadOnly && (mark != (repo.Mark{}) || !rep.Compliant) {
		if err := r.SetVerifiedMark(branch, mark); err != nil {
			return nil, err
		}
	}
	return rep, nil
}

func (rep *Report) add(f Finding) {
	id := clauseOf(f.Code)
	for i := range rep.Clauses {
		if rep.Clauses[i].ID == id {
			rep.Clauses[i].Findings = append(rep.Clauses[i].Findings, f)
		}
	}
}

// Findings counts the findings of every clause.
func (rep *Report) Findings() int {
	n := 0
	for _, c := range rep.Clauses {
		n += len(c.Findings)
	}
	return n
}

// reachable checks that every manifest commit (oldest first) is reachable
// from the default branch (any of its tips): each from the next, the
// newest from a tip.
func (rep *Report) reachable(r *repo.Repository, manifests []repo.Hash, def string, tips []repo.Hash) error {
	if len(tips) == 0 {
		rep.Notes = append(rep.Notes, "no default branch found (no origin/HEAD, main, master or HEAD): the reachability of manifest commits was not checked")
		return nil
	}
	for i, m := range manifests {
		if !r.HasCommit(m) {
			continue // a finding of its build already (verify.manifest-commit)
		}
		if i+1 < len(manifests) && r.HasCommit(manifests[i+1]) {
			if ok, _ := r.IsAncestor(m, manifests[i+1]); ok {
				continue
			}
		}
		found := false
		for _, tip := range tips {
			ok, err := r.IsAncestor(m, tip)
			if err != nil {
				var shallow *repo.ShallowError
				if errors.As(err, &shallow) {
					rep.Notes = append(rep.Notes, fmt.Sprintf("the history of %s is shallow: whether %s is reachable was not checked", def, m.Short()))
					found = true
					break
				}
				return err
			}
			if ok {
				found = true
				break
			}
		}
		if !found {
			rep.add(Finding{Code: diag.CodeVerifyUnreachable, Build: "", Recorded: m.String(),
				Message: fmt.Sprintf("manifest commit %s is not reachable from %s: what was built is not what the default branch holds", m.Short(), def)})
		}
	}
	return nil
}

// DefaultBranch is the branch the content lives on: the remote's HEAD
// (origin/HEAD), or else main, master, or the branch HEAD names. It
// returns its name and its tips: the remote's and the local branch of the
// same name, whichever exist (a commit made here and not yet pushed is on
// the default branch of this clone); none when there is no such branch.
func DefaultBranch(r *repo.Repository) (string, []repo.Hash) {
	if name, tips := r.DefaultBranchTips(); name != "" {
		return name, tips
	}
	if target, h := r.SymbolicRef("HEAD"); !h.IsZero() {
		return strings.TrimPrefix(target, "refs/heads/"), []repo.Hash{h}
	}
	return "", nil
}

// namesBuild reports whether rev (a full or abbreviated commit id) names one
// of the builds.
func namesBuild(builds map[repo.Hash]bool, rev string) bool {
	rev = strings.ToLower(strings.TrimSpace(rev))
	if len(rev) < 7 {
		return false
	}
	for b := range builds {
		if strings.HasPrefix(b.String(), rev) {
			return true
		}
	}
	return false
}
