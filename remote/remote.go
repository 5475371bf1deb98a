// Package remote moves the artifact branch and small's notes between this
// clone and a remote through the git CLI: notes merge as a union of their
// lines (never a forced overwrite), a rejected push fetches, merges and
// tries again, and a diverged artifact branch is explained, not forced.
package remote

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/smallhq/small/lineage"
	"github.com/smallhq/small/protocol"
	"github.com/smallhq/small/repo"
)

// notesRefs are the notes small keeps.
var notesRefs = []string{protocol.NotesLineage, protocol.NotesLifecycle}

// TrackingPrefix is where a remote's notes are fetched to, beside this
// clone's own: refs/notes/small-remote/<remote>/<name>. A plain git fetch
// with the refspec small init adds never fails on diverged notes, and never
// drops local ones; small pull merges from there.
func TrackingPrefix(remote string) string { return "refs/notes/small-remote/" + remote + "/" }

// FetchRefspec is the refspec that brings a remote's notes to their
// tracking refs.
func FetchRefspec(remote string) string {
	return "+refs/notes/small/*:" + TrackingPrefix(remote) + "*"
}

// EnsureFetchRefspec adds FetchRefspec to remote's fetch configuration
// unless it is there; it reports whether it added it.
func EnsureFetchRefspec(r *repo.Repository, remote string) (bool, error) {
	specs, err := r.FetchRefspecs(remote)
	if err != nil {
		return false, err
	}
	if slices.Contains(specs, FetchRefspec(remote)) {
		return false, nil
	}
	return true, r.AddFetchRefspec(remote, FetchRefspec(remote))
}

// FetchesNotes says how remote's fetch configuration brings small's notes:
// ok when it has FetchRefspec; otherwise other is a refspec of its own that
// fetches them elsewhere (refs/notes/* straight over the local notes), or "".
func FetchesNotes(r *repo.Repository, remote string) (ok bool, other string, err error) {
	specs, err := r.FetchRefspecs(remote)
	if err != nil {
		return false, "", err
	}
	for _, s := range specs {
		if s == FetchRefspec(remote) {
			return true, "", nil
		}
		src, _, _ := strings.Cut(strings.TrimPrefix(s, "+"), ":")
		if src == "refs/notes/*" || strings.HasPrefix(src, "refs/notes/small/") || src == "refs/*" {
			other = s
		}
	}
	return false, other, nil
}

// Result says what a pull or push did.
type Result struct {
	Protocol string `json:"protocol"`
	Remote   string `json:"remote" jsonschema:"the remote's name"`
	Branch   string `json:"branch" jsonschema:"the artifact branch, a full ref name"`
	// Artifacts is what happened to the local artifact branch:
	// "unchanged", "created", "fast-forwarded", "ahead" (the remote lacks
	// builds this clone has; push them), "reset" (--reset).
	Artifacts string `json:"artifacts" jsonschema:"what happened to the local artifact branch (ahead: the remote lacks builds this clone has; push them)"`
	// Notes says, per notes ref, "unchanged", "created", "fast-forwarded"
	// or "merged".
	Notes map[string]string `json:"notes" jsonschema:"what happened to each of small's notes refs here, by full ref name"`
	// Pushed is set when a push updated the remote.
	Pushed bool `json:"pushed" jsonschema:"whether a push updated the remote"`
	// Attempts is how many times a push was tried.
	Attempts int `json:"attempts,omitempty" jsonschema:"how many times a push was tried (pulling between tries)"`
}

// The values of Result.Artifacts and of Result.Notes.
var (
	ArtifactsOutcomes = []string{"unchanged", "created", "fast-forwarded", "ahead", "reset"}
	NotesOutcomes     = []string{"unchanged", "created", "fast-forwarded", "merged"}
)

// DivergedError is an artifact branch whose local and remote builds have
// both moved on from a common build: neither can be laid over the other
// without losing builds.
type DivergedError struct {
	Remote, Branch string
	Base           repo.Hash      // the last build both have (ZeroHash: none)
	Ours, Theirs   []*repo.Commit // builds only here, only there; newest first
}

func (e *DivergedError) Error() string {
	b := protocol.BranchName(e.Branch)
	var s strings.Builder
	base := "no common build"
	if !e.Base.IsZero() {
		base = "build " + e.Base.Short()
	}
	fmt.Fprintf(&s, "%s has diverged from %s/%s since %s: %d build(s) only here, %d only on %s", b, e.Remote, b, base, len(e.Ours), len(e.Theirs), e.Remote)
	list := func(side string, cs []*repo.Commit) {
		for i, c := range cs {
			if i == 10 {
				fmt.Fprintf(&s, "\n  %s … and %d more", side, len(cs)-10)
				break
			}
			fmt.Fprintf(&s, "\n  %s %s (manifest commit %s)", side, c.ID.Short(), repo.ShortID(c.Trailer(protocol.TrailerManifestCommit)))
		}
	}
	list("here:   ", e.Ours)
	list(e.Remote+":", e.Theirs)
	fmt.Fprintf(&s, "\nThe builds on %s are the shared history: take them with small pull --reset (the events recorded on the builds only here are carried over to %s's newest build), then run small build to build your manifest commits on top", e.Remote, e.Remote)
	return s.String()
}

// Options change how Pull and Push work.
type Options struct {
	// Reset, on a diverged artifact branch, takes the remote's builds and
	// carries the observations recorded on the builds only here over to the
	// remote's newest build.
	Reset bool
	// Who records the notes merges; the user.
	Who repo.Signature
}

// Pull fetches the artifact branch and the notes from remote, fast-forwards
// the artifact branch (or creates it), and merges the notes line by line.
func Pull(r *repo.Repository, remoteName, branch string, opts Options) (*Result, error) {
	res := &Result{Protocol: protocol.Version, Remote: remoteName, Branch: branch, Notes: map[string]string{}}
	short := protocol.BranchName(branch)
	tracking := "refs/remotes/" + remoteName + "/" + short
	if err := r.Fetch(remoteName, "+"+branch+":"+tracking, FetchRefspec(remoteName)); err != nil {
		var ge *repo.GitError
		if errors.As(err, &ge) && strings.Contains(ge.Stderr, "couldn't find remote ref") {
			// Nothing built there yet: the notes alone, if any.
			if err := r.Fetch(remoteName, FetchRefspec(remoteName)); err != nil && !strings.Contains(err.Error(), "couldn't find remote ref") {
				return nil, err
			}
			res.Artifacts = "unchanged"
			return res, mergeNotes(r, remoteName, opts.Who, res)
		}
		return nil, err
	}
	// Notes first: the events of builds the branch may leave behind must be
	// here before it moves.
	if err := mergeNotes(r, remoteName, opts.Who, res); err != nil {
		return nil, err
	}
	var err error
	res.Artifacts, err = advance(r, remoteName, branch, tracking, opts)
	return res, err
}

// relation is how a local ref stands to its remote-tracking ref.
type relation int

const (
	same      relation = iota // equal, or nothing there to take
	missing                   // the local ref does not exist: create it
	behind                    // the remote's contains ours: fast-forward
	ahead                     // ours contains the remote's
	divergent                 // both moved on
)

// relate reads ref and tracking and says how they stand.
func relate(r *repo.Repository, ref, tracking string) (rel relation, ours, theirs repo.Hash, err error) {
	if theirs, err = r.Ref(tracking); err != nil || theirs.IsZero() {
		return same, ours, theirs, err
	}
	if ours, err = r.Ref(ref); err != nil {
		return same, ours, theirs, err
	}
	switch {
	case ours == theirs:
		return same, ours, theirs, nil
	case ours.IsZero():
		return missing, ours, theirs, nil
	}
	if ok, err := r.IsAncestor(theirs, ours); err != nil || ok {
		return ahead, ours, theirs, err
	}
	if ok, err := r.IsAncestor(ours, theirs); err != nil || ok {
		return behind, ours, theirs, err
	}
	return divergent, ours, theirs, nil
}

// advance moves the local artifact branch to the remote's where that loses
// nothing.
func advance(r *repo.Repository, remoteName, branch, tracking string, opts Options) (string, error) {
	rel, ours, theirs, err := relate(r, branch, tracking)
	switch {
	case err != nil:
		return "", err
	case rel == same:
		return "unchanged", nil
	case rel == missing:
		return "created", r.UpdateRef(branch, theirs, ours)
	case rel == behind:
		return "fast-forwarded", r.UpdateRef(branch, theirs, ours)
	case rel == ahead:
		return "ahead", nil
	}
	div, err := diverged(r, remoteName, branch, ours, theirs)
	if err != nil {
		return "", err
	}
	if !opts.Reset {
		return "", div
	}
	if err := carryOver(r, div, theirs, opts.Who); err != nil {
		return "", err
	}
	return "reset", r.UpdateRef(branch, theirs, ours)
}

// diverged describes a diverged artifact branch.
func diverged(r *repo.Repository, remoteName, branch string, ours, theirs repo.Hash) (*DivergedError, error) {
	e := &DivergedError{Remote: remoteName, Branch: branch}
	base, err := r.MergeBase(ours, theirs)
	if err == nil {
		e.Base = base
	}
	side := func(tip repo.Hash) ([]*repo.Commit, error) {
		var out []*repo.Commit
		for h := tip; !h.IsZero() && h != e.Base; {
			c, err := r.ReadCommit(h)
			if err != nil {
				return out, nil
			}
			out = append(out, c)
			if len(c.Parents) == 0 {
				break
			}
			h = c.Parents[0]
		}
		return out, nil
	}
	if e.Ours, err = side(ours); err != nil {
		return nil, err
	}
	e.Theirs, err = side(theirs)
	return e, err
}

// carryOver moves the observations recorded on the builds only here to the
// remote's newest build, so that history shows them once the branch is
// reset; the lines stay on the old builds too (notes are append-only). An
// observation of an artifact the remote's build does not have stays where
// it is: there is no version of it there to observe.
func carryOver(r *repo.Repository, div *DivergedError, to repo.Hash, who repo.Signature) error {
	lif, err := r.LookupNotes(protocol.NotesLifecycle)
	if err != nil {
		return err
	}
	target, err := r.ReadCommit(to)
	if err != nil {
		return err
	}
	var lines []string
	for _, c := range div.Ours {
		text, ok, err := lif.Note(c.ID)
		if err != nil || !ok {
			continue
		}
		for _, l := range strings.Split(string(text), "\n") {
			evs := lineage.ParseEvents([]byte(l))
			if len(evs) == 1 && !slices.Contains(lineage.BuildEvents, evs[0].Event) && !r.FileAt(target.Tree, evs[0].Artifact).IsZero() {
				lines = append(lines, l)
			}
		}
	}
	if len(lines) == 0 {
		return nil
	}
	add := func(current []byte) ([]byte, error) {
		return unionLines(current, []byte(strings.Join(lines, "\n"))), nil
	}
	_, err = r.WriteNotes(r.NewObjectWriter(), []repo.NotesChange{{Ref: protocol.NotesLifecycle, Edits: map[repo.Hash]repo.NoteEdit{to: add}}},
		who, "Events carried over by small pull --reset\n", nil)
	return err
}

// mergeNotes brings each notes ref up to date with the remote's tracking
// ref: created or fast-forwarded where one contains the other, merged as a
// union of lines where both moved on.
func mergeNotes(r *repo.Repository, remoteName string, who repo.Signature, res *Result) error {
	for _, ref := range notesRefs {
		name := strings.TrimPrefix(ref, "refs/notes/small/")
		tracking := TrackingPrefix(remoteName) + name
		what, err := mergeNotesRef(r, ref, tracking, who)
		if err != nil {
			return fmt.Errorf("merge %s from %s: %w", ref, tracking, err)
		}
		res.Notes[ref] = what
	}
	return nil
}

// maxMergeRetries bounds how often a notes merge starts again after another
// writer moved the local notes ref.
const maxMergeRetries = 5

func mergeNotesRef(r *repo.Repository, ref, tracking string, who repo.Signature) (string, error) {
	for attempt := 0; ; attempt++ {
		what, err := mergeNotesOnce(r, ref, tracking, who)
		if errors.Is(err, repo.ErrRefMoved) && attempt < maxMergeRetries {
			continue
		}
		return what, err
	}
}

func mergeNotesOnce(r *repo.Repository, ref, tracking string, who repo.Signature) (string, error) {
	rel, ours, theirs, err := relate(r, ref, tracking)
	switch {
	case err != nil:
		return "", err
	case rel == same, rel == ahead:
		return "unchanged", nil
	case rel == missing:
		return "created", r.UpdateRef(ref, theirs, ours)
	case rel == behind:
		return "fast-forwarded", r.UpdateRef(ref, theirs, ours)
	}
	on, err := r.ReadNotes(ref)
	if err != nil {
		return "", err
	}
	tn, err := r.ReadNotes(tracking)
	if err != nil {
		return "", err
	}
	if on.Commit != ours {
		return "", repo.ErrRefMoved
	}
	w := r.NewObjectWriter()
	merged, err := w.MergeNotesCommit(r, on, tn, unionLines, who, "Notes merged by small pull from "+tracking+"\n")
	if err != nil {
		return "", err
	}
	if err := w.Flush(); err != nil {
		return "", err
	}
	return "merged", r.UpdateRef(ref, merged, ours)
}

// unionLines merges two notes as the sorted union of their lines: what git
// notes merge -s cat_sort_uniq does, so nobody's line is lost. Every line
// small writes is unique (build events by their content, observations by
// their id).
func unionLines(a, b []byte) []byte {
	var lines []string
	for _, text := range [][]byte{a, b} {
		for _, l := range strings.Split(string(text), "\n") {
			if strings.TrimSpace(l) != "" {
				lines = append(lines, l)
			}
		}
	}
	return lineage.SortLines(lines)
}

// RejectedError is a push the remote still refused after the retries.
type RejectedError struct {
	Remote  string
	Results []repo.PushResult
}

func (e *RejectedError) Error() string {
	var refs []string
	for _, p := range e.Results {
		if p.Rejected {
			refs = append(refs, p.Ref+" ("+p.Reason+")")
		}
	}
	return fmt.Sprintf("%s kept refusing the push of %s: others are pushing too; run small push again", e.Remote, strings.Join(refs, ", "))
}

// maxPushAttempts bounds how often Push fetches, merges and tries again;
// between attempts it waits a random while, longer each time, so that
// writers racing each other fall out of step.
const maxPushAttempts = 8

func backoff(attempt int) time.Duration {
	return time.Duration(rand.Int64N(int64(25*time.Millisecond) << min(attempt, 5)))
}

// Push sends the artifact branch and both notes refs to remote, all or none
// and never forced. When the remote refuses because it moved on, Push pulls
// (merging notes, fast-forwarding nothing it would lose) and tries again, up
// to maxPushAttempts times; a diverged artifact branch is a *DivergedError.
func Push(r *repo.Repository, remoteName, branch string, opts Options) (*Result, error) {
	res := &Result{Protocol: protocol.Version, Remote: remoteName, Branch: branch, Notes: map[string]string{}, Artifacts: "unchanged"}
	for attempt := 1; ; attempt++ {
		res.Attempts = attempt
		specs := []string{}
		for _, ref := range append([]string{branch}, notesRefs...) {
			if h, err := r.Ref(ref); err != nil {
				return nil, err
			} else if !h.IsZero() {
				specs = append(specs, ref+":"+ref)
			}
		}
		if len(specs) == 0 {
			return nil, &lineage.NoBuildError{Branch: branch}
		}
		results, err := r.Push(remoteName, specs...)
		if err != nil {
			return nil, err
		}
		rejected := slices.ContainsFunc(results, func(p repo.PushResult) bool { return p.Rejected })
		if !rejected {
			res.Pushed = true
			return res, nil
		}
		if attempt == maxPushAttempts {
			return nil, &RejectedError{Remote: remoteName, Results: results}
		}
		time.Sleep(backoff(attempt))
		pulled, err := Pull(r, remoteName, branch, Options{Who: opts.Who})
		if err != nil {
			return nil, err
		}
		res.Notes, res.Artifacts = pulled.Notes, pulled.Artifacts
	}
}
