package builder

import (
	"bytes"
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
	"github.com/smallhq/small/diag"
	"github.com/smallhq/small/lineage"
	"github.com/smallhq/small/progress"
	"github.com/smallhq/small/protocol"
	"github.com/smallhq/small/repo"
	"github.com/smallhq/small/version"
)

// Mismatch is one way a recorded build differs from what rebuilding it
// from its parent and its manifest commit makes, with the evidence: the
// build, the path and both sides.
type Mismatch struct {
	Code     string `json:"code"` // a verify.* diagnostic code
	Build    string `json:"build"`
	Path     string `json:"path,omitempty"`
	Recorded string `json:"recorded,omitempty"`
	Rebuilt  string `json:"rebuilt,omitempty"`
	Message  string `json:"message"`
}

// Verification is a build judged against its rebuild.
type Verification struct {
	Build          *repo.Commit
	ManifestCommit repo.Hash // as its trailer names it
	Builder        string    // the Small-Builder it names
	// Exact is set when the rebuild made the very same commit (tree,
	// message, commit id) and the same notes.
	Exact bool
	// Stable is set for a build by another version of small whose
	// version-specific parts differ but whose artifacts and recorded
	// facts the rebuild reproduced.
	Stable bool
	// Plan is the rebuild; nil where none could be made.
	Plan *Plan
	// Gate are the findings of the rules of a change on the commits the
	// build took in since its parent, judged under the policy of the
	// parent's manifest commit (what small check would have said).
	Gate         []diag.Diagnostic
	Observations []lineage.Event // lines small event added to its lifecycle note
	Mismatches   []Mismatch
	// Unverifiable says why the build could not be rebuilt here: a shallow
	// clone lacks its parent or its manifest commit. It is neither
	// reproduced nor a mismatch.
	Unverifiable string
	prior        *prior // the build as recorded, the next build's parent
}

// OK reports whether the build stands: reproduced, exactly or in its
// stable parts.
func (v *Verification) OK() bool { return len(v.Mismatches) == 0 && v.Unverifiable == "" }

func (v *Verification) mismatch(code, path, recorded, rebuilt, format string, args ...any) {
	v.Mismatches = append(v.Mismatches, Mismatch{Code: code, Build: v.Build.ID.String(), Path: path,
		Recorded: recorded, Rebuilt: rebuilt, Message: fmt.Sprintf(format, args...)})
}

// Verifier rebuilds builds of one repository, oldest first, each from its
// parent as recorded. It reads each build's tree once: a build verified is
// the parent of the next.
type Verifier struct {
	r         *repo.Repository
	lineage   *repo.NotesLookup
	lifecycle *repo.NotesLookup
	last      *prior // the build verified last
	// Progress, when set, counts the manifests each rebuild evaluates.
	Progress *progress.Counter
}

// NewVerifier opens the notes a verification compares.
func NewVerifier(r *repo.Repository) (*Verifier, error) {
	lin, err := r.LookupNotes(protocol.NotesLineage)
	if err != nil {
		return nil, err
	}
	lif, err := r.LookupNotes(protocol.NotesLifecycle)
	if err != nil {
		return nil, err
	}
	return &Verifier{r: r, lineage: lin, lifecycle: lif}, nil
}

// Verify rebuilds build b from its parent and the manifest commit its
// Small-Manifest-Commit trailer names, by the version of small its
// Small-Builder trailer names, and compares: the commit (tree, message,
// id), the lineage note, the build's own lines of the lifecycle note; the
// lines small event added are checked for shape, actor and order. A build
// by another version of small that differs only in what is specific to a
// version (the index, the trailer, hence the commit id) is Stable, not a
// mismatch. Errors are for a repository that cannot be read; every way the
// build is wrong is a Mismatch.
func (vf *Verifier) Verify(b *repo.Commit) (*Verification, error) {
	v := &Verification{Build: b, Builder: b.Trailer(protocol.TrailerBuilder)}
	rec, err := readPrior(vf.r, b)
	var nb *NotABuildError
	var bad *badIndexError
	switch {
	case errors.As(err, &nb):
		v.mismatch(diag.CodeVerifyTrailer, "", "", "", "%s has no valid %s trailer: only small build writes the artifact branch", b.ID.Short(), protocol.TrailerManifestCommit)
		return v, nil
	case errors.As(err, &bad):
		v.mismatch(diag.CodeVerifyIndex, IndexMeta, "", "", "%v", err)
		return v, nil
	case err != nil:
		return nil, err
	}
	v.prior = rec
	v.ManifestCommit = rec.manifestCommit
	if len(b.Parents) > 1 {
		v.mismatch(diag.CodeVerifyCommit, "", "", "", "%s has %d parents: a build has at most one, the build before it", b.ID.Short(), len(b.Parents))
		return v, nil
	}
	parent := &prior{files: map[string]repo.Hash{}, index: &Index{}, loaded: true}
	if len(b.Parents) == 1 {
		if vf.last != nil && vf.last.commit.ID == b.Parents[0] {
			parent = vf.last
		} else if vf.r.Shallow() && (vf.r.IsShallowBoundary(b.ID) || !vf.r.HasCommit(b.Parents[0])) {
			v.Unverifiable = fmt.Sprintf("this shallow clone lacks %s, the build before %s (fetch the artifact branch's history: git fetch --unshallow)", b.Parents[0].Short(), b.ID.Short())
			return v, nil
		} else {
			pc, err := vf.r.ReadCommit(b.Parents[0])
			if err != nil {
				return nil, fmt.Errorf("the parent of build %s: %w", b.ID.Short(), err)
			}
			if parent, err = readPrior(vf.r, pc); err != nil {
				switch {
				case errors.As(err, &nb):
					v.mismatch(diag.CodeVerifyTrailer, "", "", "", "the parent of %s, %s, has no valid %s trailer", b.ID.Short(), pc.ID.Short(), protocol.TrailerManifestCommit)
					return v, nil
				case errors.As(err, &bad):
					v.mismatch(diag.CodeVerifyIndex, IndexMeta, "", "", "the parent of %s: %v", b.ID.Short(), err)
					return v, nil
				}
				return nil, err
			}
		}
	}
	defer func() { vf.last = rec }()
	if !vf.r.HasCommit(rec.manifestCommit) && vf.r.Shallow() {
		v.Unverifiable = fmt.Sprintf("this shallow clone lacks %s, the manifest commit of %s (git fetch --unshallow)", rec.manifestCommit.Short(), b.ID.Short())
		return v, nil
	}
	if !vf.r.HasCommit(rec.manifestCommit) {
		v.mismatch(diag.CodeVerifyManifestCommit, "", rec.manifestCommit.String(), "", "%s names manifest commit %s, which is not in this repository (a forged trailer, or history not fetched: git fetch --unshallow)", b.ID.Short(), rec.manifestCommit.Short())
		return v, nil
	}
	in, err := readInputs(vf.r, rec.manifestCommit.String())
	if err != nil {
		var ce *config.Error
		if errors.As(err, &ce) {
			v.mismatch(diag.CodeVerifyInputs, protocol.ConfigFile, "", "", "manifest commit %s: %v", rec.manifestCommit.Short(), err)
			return v, nil
		}
		return nil, err
	}
	in.progress = vf.Progress
	p := newPlan(in, false)
	p.builder = v.Builder
	p.noLineage = !rec.hasLineageIndex() // made by a small that kept none
	if in.broken == nil {
		err = p.compute(vf.r, in, parent, true)
		var nd *NotDescendantError
		if errors.As(err, &nd) {
			err = nil
		}
		if err != nil {
			return nil, fmt.Errorf("rebuild %s: %w", b.ID.Short(), err)
		}
	}
	if p.Report.Failed() {
		for _, d := range p.Report.Diagnostics {
			if d.Severity == diag.Error {
				v.mismatch(diag.CodeVerifyInvalid, d.File, "", "", "%s built from manifests its schemas refuse: %s", b.ID.Short(), d.String())
			}
		}
		return v, nil
	}
	v.Plan = p
	v.Gate = p.gate
	if p.UpToDate() {
		p.out.files = parent.files // what the build should have left as it was
		v.compareArtifacts(vf.r, rec, p)
		v.mismatch(diag.CodeVerifyCommit, "", b.ID.String(), "", "%s changes nothing a build of %s would record: small build would not have made it", b.ID.Short(), rec.manifestCommit.Short())
		return v, nil
	}
	linNote, hasLin, err := vf.lineage.Note(b.ID)
	if err != nil {
		return nil, err
	}
	lifNote, hasLif, err := vf.lifecycle.Note(b.ID)
	if err != nil {
		return nil, err
	}
	if recs, _ := lineage.ParseRecords(linNote); len(recs) > 0 {
		p.Platform = recs[0].Platform // an observation of the platform, not reproduced
	}
	w := vf.r.NewObjectWriter() // never flushed: the rebuild is compared, not written
	commit, err := p.stage(w)
	if err != nil {
		return nil, err
	}
	wantLin, wantLif, err := p.notes(vf.r)
	if err != nil {
		return nil, err
	}
	ownLif, observed := splitLifecycle(lifNote)
	v.Observations = observed
	if commit == b.ID && hasLin && bytes.Equal(linNote, wantLin) && bytes.Equal(ownLif, wantLif) {
		v.Exact = true
	} else if v.Builder != version.Builder() && commit != b.ID {
		// Another version: the bytes of its index may differ; the
		// artifacts, the facts the index holds, the message (rebuilt as
		// that version's), the identity and the facts of the notes may
		// not. (The Small-Builder trailer is the build's own claim: what
		// it excuses is the index's encoding, nothing else.)
		if err := v.compareCommit(vf.r, rec, p, commit, true); err != nil {
			return nil, err
		}
		v.compareNotes(hasLin, stableRecords(linNote), stableRecords(wantLin), hasLif || len(wantLif) == 0, ownLif, wantLif)
		v.Stable = v.OK()
	} else {
		if err := v.compareCommit(vf.r, rec, p, commit, false); err != nil {
			return nil, err
		}
		v.compareNotes(hasLin, linNote, wantLin, hasLif || len(wantLif) == 0, ownLif, wantLif)
	}
	v.checkObservations(vf.r, in.cfg, rec)
	return v, nil
}

// compareCommit says how the recorded commit differs from the rebuilt one:
// its artifacts, its index (byte for byte, or, for a build by another
// version, by the facts it holds), its message and its identity. A commit
// that differs in none of them differs in its parents.
func (v *Verification) compareCommit(r *repo.Repository, rec *prior, p *Plan, rebuilt repo.Hash, byFacts bool) error {
	if rebuilt == v.Build.ID {
		return nil
	}
	before := len(v.Mismatches)
	v.compareArtifacts(r, rec, p)
	if byFacts {
		if err := v.compareIndexFacts(r, rec, p); err != nil {
			return err
		}
	} else {
		v.compareIndexBytes(r, rec, p)
	}
	b := v.Build
	if got, want := b.Message, p.Message(); got != want {
		v.mismatch(diag.CodeVerifyMessage, "", firstDiff(got, want), firstDiff(want, got), "the commit message of %s differs from the rebuild's", b.ID.Short())
	}
	ident := func(s repo.Signature) string {
		return fmt.Sprintf("%s <%s> %s", s.Name, s.Email, s.When.UTC().Format(time.RFC3339))
	}
	sig := p.signature()
	for _, who := range []repo.Signature{b.Author, b.Committer} {
		if who.Name != sig.Name || who.Email != sig.Email || !who.When.Equal(sig.When) {
			v.mismatch(diag.CodeVerifyCommit, "", ident(who), ident(sig), "the author or committer of %s is not the builder at the manifest commit's date", b.ID.Short())
			break
		}
	}
	if len(v.Mismatches) == before && !byFacts {
		v.mismatch(diag.CodeVerifyCommit, "", b.ID.String(), rebuilt.String(), "%s is not the commit the rebuild makes (%s): its parents differ", b.ID.Short(), rebuilt.Short())
	}
	return nil
}

// compareIndexBytes compares the index files of the recorded build with
// the rebuild's, blob by blob: small's bookkeeping, as much part of the
// build as the rest.
func (v *Verification) compareIndexBytes(r *repo.Repository, rec *prior, p *Plan) {
	want := map[string]repo.Hash{}
	w := r.NewObjectWriter()
	meta, _ := indexMetaBytes(p.out.index)
	want[IndexMeta], _ = w.Blob(meta)
	maps.Copy(want, p.out.keptIndex)
	for name, data := range p.out.indexFiles {
		want[name], _ = w.Blob(data)
	}
	for _, name := range slices.Sorted(maps.Keys(union(rec.indexFiles, want))) {
		if rec.indexFiles[name] != want[name] {
			v.mismatch(diag.CodeVerifyIndex, name, blobOrNone(rec.indexFiles[name]), blobOrNone(want[name]), "the build index file %s differs from the rebuild's", name)
		}
	}
}

// compareIndexFacts compares the index of the recorded build with the
// rebuild's by what it says (each manifest's blob, kind, id, state,
// commit, actor and artifacts; the count and small.cue), not by its bytes.
func (v *Verification) compareIndexFacts(r *repo.Repository, rec *prior, p *Plan) error {
	got, err := readShards(r, rec.indexFiles, nil)
	if err != nil {
		v.mismatch(diag.CodeVerifyIndex, IndexDir, "", "", "the index of %s cannot be read: %v", v.Build.ID.Short(), err)
		return nil
	}
	want, err := readShards(r, p.out.keptIndex, nil)
	if err != nil {
		return err
	}
	for name, data := range p.out.indexFiles {
		if !strings.HasPrefix(name, IndexDir+"/") {
			continue // the reverse indexes, compared below (refs) or by the entries (assets)
		}
		es, err := parseShard(name, data)
		if err != nil {
			return fmt.Errorf("rebuilt %w", err)
		}
		want = append(want, es...)
	}
	lines := func(es []IndexEntry) map[string]string {
		m := map[string]string{}
		for _, e := range es {
			var b strings.Builder
			encodeEntry(&b, e)
			m[e.Path] = b.String()
		}
		return m
	}
	g, w := lines(got), lines(want)
	for _, path := range slices.Sorted(maps.Keys(union(g, w))) {
		if g[path] != w[path] {
			v.mismatch(diag.CodeVerifyIndex, path, strings.TrimSpace(g[path]), strings.TrimSpace(w[path]), "the index of %s says of %s what the rebuild does not", v.Build.ID.Short(), path)
		}
	}
	if err := v.compareRefFacts(r, rec, p); err != nil {
		return err
	}
	if err := v.compareLineageFacts(r, rec, p); err != nil {
		return err
	}
	if rec.index.Config != p.out.index.Config || rec.index.Count != p.out.index.Count || rec.index.Protocol != p.out.index.Protocol {
		meta := func(i *Index) string {
			return fmt.Sprintf("protocol %s, small.cue %s, %d manifests", i.Protocol, i.Config, i.Count)
		}
		v.mismatch(diag.CodeVerifyIndex, IndexMeta, meta(rec.index), meta(&p.out.index), "the index metadata of %s differs from the rebuild's", v.Build.ID.Short())
	}
	return nil
}

// compareRefFacts compares the reverse index of references of the
// recorded build with the rebuild's, line by line.
func (v *Verification) compareRefFacts(r *repo.Repository, rec *prior, p *Plan) error {
	got, err := rec.refsOf(r, nil)
	if err != nil {
		v.mismatch(diag.CodeVerifyIndex, RefIndexDir, "", "", "the reverse index of references of %s cannot be read: %v", v.Build.ID.Short(), err)
		return nil
	}
	rebuilt := &prior{indexFiles: p.out.refs.kept}
	want, err := rebuilt.refsOf(r, nil)
	if err != nil {
		return err
	}
	for name, data := range p.out.refs.shards {
		ls, err := parseRefLines(name, data)
		if err != nil {
			return fmt.Errorf("rebuilt %w", err)
		}
		want = append(want, ls...)
	}
	slices.SortFunc(got, compareRefLines)
	slices.SortFunc(want, compareRefLines)
	if !slices.Equal(got, want) {
		v.mismatch(diag.CodeVerifyIndex, RefIndexDir, fmt.Sprintf("%d lines", len(got)), fmt.Sprintf("%d lines", len(want)), "the reverse index of references of %s differs from the rebuild's", v.Build.ID.Short())
	}
	return nil
}

// compareArtifacts lists the artifacts the recorded build and the rebuild
// disagree on, with both blob ids and sha256 digests.
func (v *Verification) compareArtifacts(r *repo.Repository, rec *prior, p *Plan) {
	digest := func(data []byte, h repo.Hash) string {
		if data == nil {
			data, _ = r.ReadBlob(h)
		}
		return sha256Hex(data)
	}
	for _, a := range slices.Sorted(maps.Keys(union(rec.files, p.out.files))) {
		got, want := rec.files[a], p.out.files[a]
		if got == want {
			continue
		}
		switch {
		case got.IsZero():
			v.mismatch(diag.CodeVerifyArtifact, a, "", want.String(), "%s is missing from %s: the rebuild makes it (sha256 %s)", a, v.Build.ID.Short(), digest(p.out.blobs[a], want))
		case want.IsZero():
			v.mismatch(diag.CodeVerifyArtifact, a, got.String(), "", "%s is in %s, but no manifest of %s builds it (sha256 %s)", a, v.Build.ID.Short(), v.ManifestCommit.Short(), digest(nil, got))
		default:
			v.mismatch(diag.CodeVerifyArtifact, a, got.String(), want.String(), "%s in %s is not what its manifest builds: sha256 %s, rebuilt %s",
				a, v.Build.ID.Short(), digest(nil, got), digest(p.out.blobs[a], want))
		}
	}
}

// compareNotes compares the lineage note and the build's own lines of the
// lifecycle note with the rebuild's.
func (v *Verification) compareNotes(hasLin bool, lin, wantLin []byte, hasLif bool, lif, wantLif []byte) {
	v.compareNote(diag.CodeVerifyLineage, protocol.NotesLineage, "lineage", hasLin, lin, wantLin)
	v.compareNote(diag.CodeVerifyLifecycle, protocol.NotesLifecycle, "lifecycle", hasLif, lif, wantLif)
}

func (v *Verification) compareNote(code, ref, name string, has bool, got, want []byte) {
	short := v.Build.ID.Short()
	if !has {
		v.mismatch(code, "", "", "", "%s has no %s note (%s): fetch the notes (small pull)", short, name, ref)
		return
	}
	for _, d := range lineDiff(got, want) {
		v.mismatch(code, d.path, d.recorded, d.rebuilt, "the %s note of %s %s", name, short, d.what)
	}
}

// clockSkew is how far an observation's time may stray from the dates it
// is checked against: clocks of different machines disagree.
const clockSkew = time.Hour

// checkObservations judges the lines small event added: their shape, that
// the actor is who the policy says, that the artifact is in the build, and
// their order: not before the manifest commit of the version they observe,
// not in the future.
func (v *Verification) checkObservations(r *repo.Repository, cfg *config.Config, rec *prior) {
	now := time.Now()
	for _, e := range v.Observations {
		line, _ := lineage.MarshalLine(e)
		bad := func(format string, args ...any) {
			v.mismatch(diag.CodeVerifyObservation, e.Artifact, string(line), "", "%s: %s", v.Build.ID.Short(), fmt.Sprintf(format, args...))
		}
		when, err := time.Parse(time.RFC3339, e.Time)
		var made time.Time
		if h, ok := repo.ParseHash(e.ManifestCommit); ok {
			if c, err := r.ReadCommit(h); err == nil {
				made = c.Committer.When
			}
		}
		switch {
		case lineage.CheckEventName(e.Event) != nil:
			bad("%v", lineage.CheckEventName(e.Event))
		case err != nil:
			bad("the event's time %q is not RFC 3339", e.Time)
		case !made.IsZero() && when.Before(made.Add(-clockSkew)):
			bad("a %s event at %s, before the version it observes was committed (%s)", e.Event, e.Time, made.UTC().Format(time.RFC3339))
		case when.After(now.Add(clockSkew)):
			bad("a %s event at %s, in the future", e.Event, e.Time)
		case rec.files[e.Artifact].IsZero():
			bad("a %s event on %s, which this build does not have", e.Event, e.Artifact)
		case e.Kind != "" && protocol.ArtifactPath(e.Kind, e.ID, e.Locale) != e.Artifact:
			bad("a %s event names %s but artifact %s", e.Event, protocol.EntryName(e.Kind, e.ID, e.Locale), e.Artifact)
		case e.Actor.Email == "" || e.Actor.Name == "":
			bad("a %s event without its actor's name and e-mail", e.Event)
		case e.Actor.Type != actorType(cfg.IsAgent(e.Actor.Email)):
			bad("a %s event by %s recorded as %s; the policy says %s", e.Event, e.Actor.Email, e.Actor.Type, actorType(cfg.IsAgent(e.Actor.Email)))
		}
	}
}

func actorType(agent bool) string {
	if agent {
		return "agent"
	}
	return "human"
}

// splitLifecycle separates the build's own lines of a lifecycle note (the
// events only small build records, and lines that are no event at all) from
// the observations small event added.
func splitLifecycle(note []byte) (own []byte, observed []lineage.Event) {
	var lines []string
	for _, l := range strings.Split(string(note), "\n") {
		if strings.TrimSpace(l) == "" {
			continue
		}
		if evs := lineage.ParseEvents([]byte(l)); len(evs) == 1 && !slices.Contains(lineage.BuildEvents, evs[0].Event) {
			observed = append(observed, evs[0])
			continue
		}
		lines = append(lines, l)
	}
	if len(lines) == 0 {
		return nil, observed
	}
	// Sorted as small writes them, duplicates kept: a line written twice
	// is a difference.
	slices.Sort(lines)
	return []byte(strings.Join(lines, "\n") + "\n"), observed
}

// stableRecords is a lineage note less what a version of small may record
// differently (the schema digest): the facts a rebuild by any version
// reproduces.
func stableRecords(note []byte) []byte {
	recs, errs := lineage.ParseRecords(note)
	lines := make([]string, 0, len(recs)+len(errs))
	for _, rc := range recs {
		rc.SchemaDigest = ""
		b, _ := lineage.MarshalLine(rc)
		lines = append(lines, string(b))
	}
	for _, e := range errs {
		lines = append(lines, e.Error())
	}
	return lineage.SortLines(lines)
}

// lineChange is a line one side of a note has and the other has not, or
// a line both have for the same artifact with different facts.
type lineChange struct {
	path, recorded, rebuilt, what string
}

// lineDiff lists the lines of two notes (JSON lines) that differ. Lines
// that differ but speak of the same thing (the same artifact, event and
// step) are paired, and the fields that differ named.
func lineDiff(recorded, rebuilt []byte) []lineChange {
	// Multisets: a line written twice is not the line written once.
	set := func(b []byte) map[string]int {
		m := map[string]int{}
		for _, l := range strings.Split(string(b), "\n") {
			if strings.TrimSpace(l) != "" {
				m[l]++
			}
		}
		return m
	}
	got, want := set(recorded), set(rebuilt)
	type about struct {
		Artifact string `json:"artifact"`
		Event    string `json:"event"`
		Seq      int    `json:"seq"`
	}
	key := func(l string) (about, bool) {
		var x about
		err := json.Unmarshal([]byte(l), &x)
		return x, err == nil
	}
	onlyGot, onlyWant := map[about][]string{}, map[about][]string{}
	var out []lineChange
	for _, l := range slices.Sorted(maps.Keys(got)) {
		for range got[l] - want[l] {
			k, ok := key(l)
			if !ok {
				out = append(out, lineChange{recorded: l, what: "has a line that is not JSON"})
				continue
			}
			onlyGot[k] = append(onlyGot[k], l)
		}
	}
	for _, l := range slices.Sorted(maps.Keys(want)) {
		for range want[l] - got[l] {
			k, _ := key(l)
			onlyWant[k] = append(onlyWant[k], l)
		}
	}
	for _, k := range slices.SortedFunc(maps.Keys(union(onlyGot, onlyWant)), func(a, b about) int {
		return strings.Compare(fmt.Sprint(a), fmt.Sprint(b))
	}) {
		g, w := onlyGot[k], onlyWant[k]
		if len(g) == 1 && len(w) == 1 {
			what := fieldDiff(g[0], w[0])
			if what == "" {
				what = "the same facts, written differently"
			}
			out = append(out, lineChange{path: k.Artifact, recorded: g[0], rebuilt: w[0], what: "differs from the rebuild's on " + k.Artifact + ": " + what})
			continue
		}
		for _, l := range g {
			out = append(out, lineChange{path: k.Artifact, recorded: l, what: "has a line the rebuild does not record"})
		}
		for _, l := range w {
			out = append(out, lineChange{path: k.Artifact, rebuilt: l, what: "lacks a line the rebuild records"})
		}
	}
	return out
}

// fieldDiff names the fields of two JSON objects that differ, with both
// values: `actor.type "agent", rebuilt "human"`.
func fieldDiff(recorded, rebuilt string) string {
	flat := func(s string) map[string]string {
		var v map[string]any
		_ = json.Unmarshal([]byte(s), &v)
		out := map[string]string{}
		var walk func(prefix string, v any)
		walk = func(prefix string, v any) {
			if m, ok := v.(map[string]any); ok {
				for k, x := range m {
					walk(strings.TrimPrefix(prefix+"."+k, "."), x)
				}
				return
			}
			b, _ := json.Marshal(v)
			out[prefix] = string(b)
		}
		walk("", v)
		return out
	}
	g, w := flat(recorded), flat(rebuilt)
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(union(g, w))) {
		gv, gok := g[k]
		wv, wok := w[k]
		switch {
		case gv == wv && gok == wok:
		case !gok:
			parts = append(parts, fmt.Sprintf("%s missing, rebuilt %s", k, wv))
		case !wok:
			parts = append(parts, fmt.Sprintf("%s %s, rebuilt has none", k, gv))
		default:
			parts = append(parts, fmt.Sprintf("%s %s, rebuilt %s", k, gv, wv))
		}
	}
	return strings.Join(parts, "; ")
}

// union is the keys of two maps with the values of either (b's where both
// have one): what the two sides being compared hold between them.
func union[K comparable, V any](a, b map[K]V) map[K]V {
	out := make(map[K]V, len(a)+len(b))
	maps.Copy(out, a)
	maps.Copy(out, b)
	return out
}

func blobOrNone(h repo.Hash) string {
	if h.IsZero() {
		return ""
	}
	return h.String()
}

func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// firstDiff is the first line of a that b does not have.
func firstDiff(a, b string) string {
	bl := strings.Split(b, "\n")
	for i, l := range strings.Split(a, "\n") {
		if i >= len(bl) || bl[i] != l {
			return l
		}
	}
	return ""
}

// NotReproducedError is a build on the artifact branch that rebuilding it
// from its parent and recorded inputs does not reproduce: nothing may be
// built on it.
type NotReproducedError struct {
	Branch     string
	Mismatches []Mismatch
}

func (e *NotReproducedError) Error() string {
	var b strings.Builder
	builds := map[string]bool{}
	for _, m := range e.Mismatches {
		builds[m.Build] = true
	}
	fmt.Fprintf(&b, "%s has %d build(s) that rebuilding does not reproduce; nothing is built on them:", protocol.BranchName(e.Branch), len(builds))
	for i, m := range e.Mismatches {
		if i == 10 {
			fmt.Fprintf(&b, "\n  … and %d more", len(e.Mismatches)-10)
			break
		}
		fmt.Fprintf(&b, "\n  %s %s: %s", repo.ShortID(m.Build), m.Code, m.Message)
	}
	fmt.Fprintf(&b, "\nsmall verify gives the full evidence; restore %s from a trusted clone (small pull) or reset it to the last good build", protocol.BranchName(e.Branch))
	return b.String()
}

// CurrentMark is the state of branch to verify: its tip and the notes
// commits as they are now.
func CurrentMark(r *repo.Repository, tip repo.Hash) (repo.Mark, error) {
	lin, err := r.Ref(protocol.NotesLineage)
	if err != nil {
		return repo.Mark{}, err
	}
	lif, err := r.Ref(protocol.NotesLifecycle)
	return repo.Mark{Build: tip, Lineage: lin, Lifecycle: lif}, err
}

// Verified reports whether this clone has verified branch as it is now:
// its tip and the notes on it.
func Verified(r *repo.Repository, branch string, tip repo.Hash) bool {
	now, err := CurrentMark(r, tip)
	return err == nil && r.VerifiedMark(branch) == now
}

// MarkVerified marks branch verified as it stands now.
func MarkVerified(r *repo.Repository, branch string, tip repo.Hash) error {
	now, err := CurrentMark(r, tip)
	if err != nil {
		return err
	}
	return r.SetVerifiedMark(branch, now)
}

// VerifyBuilt verifies the builds of branch this clone has not verified,
// up to tip: those after the build verified last, or the tip alone when
// no ancestor was verified here (or only the notes moved since). Each is
// rebuilt from its parent (cost: what it changed). When all are
// reproduced, the branch is marked verified; a mismatch is a
// *NotReproducedError. A build a shallow clone lacks the history to
// rebuild is neither: unverified says why.
func VerifyBuilt(r *repo.Repository, branch string, tip *repo.Commit) (unverified string, err error) {
	now, err := CurrentMark(r, tip.ID)
	if err != nil {
		return "", err
	}
	mark := r.VerifiedMark(branch)
	if mark == now {
		return "", nil
	}
	// The builds since the one verified last (or the tip alone)...
	chain := []*repo.Commit{tip}
	onChain := map[repo.Hash]bool{tip.ID: true}
	covered := mark.Build == tip.ID
	if !mark.Build.IsZero() && !covered {
		if ok, err := r.IsAncestor(mark.Build, tip.ID); err == nil && ok {
			covered = true
			for c := tip; len(c.Parents) == 1 && c.Parents[0] != mark.Build; {
				var err error
				if c, err = r.ReadCommit(c.Parents[0]); err != nil {
					return "", err
				}
				chain = append(chain, c)
				onChain[c.ID] = true
			}
		}
	}
	// ... and, before them, the builds whose notes changed since: an edit
	// to an old build's note is checked as much as a new build.
	if covered {
		var edited []repo.Hash
		for _, refs := range [][2]repo.Hash{{mark.Lineage, now.Lineage}, {mark.Lifecycle, now.Lifecycle}} {
			if refs[0] == refs[1] {
				continue
			}
			hs, err := r.NotesChanged(refs[0], refs[1])
			if err != nil {
				return "", err
			}
			edited = append(edited, hs...)
		}
		for _, h := range edited {
			if onChain[h] {
				continue
			}
			if ok, err := r.IsAncestor(h, tip.ID); err != nil || !ok {
				continue // a note on something that is not a build of the branch
			}
			c, err := r.ReadCommit(h)
			if err != nil {
				return "", err
			}
			chain = append(chain, c)
			onChain[h] = true
		}
	}
	vf, err := NewVerifier(r)
	if err != nil {
		return "", err
	}
	var bad []Mismatch
	for i := len(chain) - 1; i >= 0; i-- {
		v, err := vf.Verify(chain[i])
		if err != nil {
			return "", err
		}
		bad = append(bad, v.Mismatches...)
		if v.Unverifiable != "" {
			unverified = v.Unverifiable
		}
	}
	if len(bad) > 0 {
		return "", &NotReproducedError{Branch: branch, Mismatches: bad}
	}
	if unverified != "" {
		return unverified, nil
	}
	return "", r.SetVerifiedMark(branch, now)
}
