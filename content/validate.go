// Package content applies a repository's rules to its content: it validates
// every manifest of a snapshot against its kind on all cores, checks a change
// against the lifecycle and the agent boundary (Check), and states the
// small/v1 contract those rules follow (DescribeContract).
package content

import (
	"errors"
	"fmt"
	"path"
	"runtime"
	"slices"
	"strings"
	"sync"
	"unicode"

	"github.com/smallhq/small/config"
	"github.com/smallhq/small/diag"
	"github.com/smallhq/small/manifest"
	"github.com/smallhq/small/progress"
	"github.com/smallhq/small/protocol"
	"github.com/smallhq/small/repo"
	"github.com/smallhq/small/schema"
)

// Manifest is one validated manifest file.
type Manifest struct {
	Path string
	manifest.Identity
	// IDLine and IDColumn locate the id (or the top of the file when the id
	// comes from the file name), for findings about it. The decoded document
	// itself is not kept: 10,000 of them would hold hundreds of megabytes.
	IDLine, IDColumn int
	// StatusLine and StatusColumn locate the status field (or the top of
	// the file when there is none).
	StatusLine, StatusColumn int
	// State is the manifest's lifecycle state: its status, or its kind's
	// initial state when it has none.
	State string
	Valid bool
	// Artifacts are what the manifest builds into, when Options.Artifacts is set.
	Artifacts []schema.Artifact
	// Assets are the repository paths of the files its @asset fields
	// name, each once, in path order, when they all hold.
	Assets []string
	// Refs are the manifests its @ref fields name, each once, sorted by
	// kind, id and locale, when they all hold.
	Refs []Referent
	// ReadsRefs says its kind declares #refs: its #outputs may show the
	// manifests it references, and were rendered with them.
	ReadsRefs bool

	values []fieldValue  // of its @unique, @asset and @ref fields, until they are checked (crossmanifest.go)
	shared []sharedValue // of its @shared fields, until they are checked (translations.go)
	known  bool          // its verdict came from Options.Known
	// localeLine and localeCol locate the locale field (or the top of the
	// file when there is none).
	localeLine, localeCol int
	// idFromName: its id is its file's name, neither stated nor given by
	// a files rule (a clash of such ids may want path-scoped ids).
	idFromName bool
	// deferred: only its document is rendered yet; its #outputs wait
	// for its references (refrender.go).
	deferred bool
}

// Result is the outcome of validating a snapshot.
type Result struct {
	Config    *config.Config
	Schema    *schema.Schema // nil when the schemas package is broken
	Manifests []Manifest     // in path order
	Report    diag.Report
	// Reused is how many manifests' verdicts came from Options.Known
	// rather than an evaluation.
	Reused int
	// References are the values of the manifests' @ref fields, in path
	// order, each resolved against every manifest of the snapshot (also
	// when Options.Paths narrowed which were evaluated).
	References []Reference
}

// Options narrow a validation.
type Options struct {
	// Paths limits validation to these files and directories (repository
	// relative); empty means every manifest.
	Paths []string
	// Workers is how many manifests are validated at once; 0 means one per CPU.
	Workers int
	// Artifacts renders each valid manifest's artifacts too.
	Artifacts bool
	// Known are manifests whose verdict the caller already has, by path:
	// valid, with the kind, id and state given. Validate does not read
	// them, except to place a finding that another file shares the id.
	// The caller vouches that the snapshot holds, at each path, the bytes
	// that were judged there, under the same schemas, small.cue limits and
	// version of small, and that no rule relates one manifest's verdict to
	// another's but the id's uniqueness and the kinds' @unique, @asset and @ref
	// fields, which Validate checks again itself: a known manifest of a
	// kind with such fields is read for their values (crossmanifest.go).
	// A symbolic link is always read.
	Known map[string]Known
	// Related, with Known, narrows which known manifests are read for the
	// rules across manifests. Without it, every known manifest whose kind
	// has @unique, @asset, @ref or @shared fields is read, and every
	// translation. With it, only those that can relate to what was
	// evaluated: of a kind whose @unique fields an evaluated manifest
	// has, of the kind and id of an evaluated manifest (a source and its
	// translations), a translation whose source is not there, and those
	// Related returns for the Kind/id names of the evaluated manifests:
	// the known manifests that reference one of them, or one that went or
	// changed its name since the verdicts were made. The caller vouches
	// that no other known manifest references a manifest that went or
	// changed, or uses an asset that changed, since its verdict.
	Related func(names map[string]bool) ([]string, error)
	// KnownValid are manifests whose evaluation against their kind the
	// caller knows to pass, by path: it vouches that the snapshot holds,
	// at each path, bytes that passed it under the same schemas, small.cue
	// and version of small. Validate reads and decodes them as any other
	// (their kind, id, locale, state, positions and the values of their
	// constrained fields come from their bytes, and every rule across
	// manifests is checked again), and skips only their CUE evaluation.
	// Unlike Known, nothing of the caller's but that verdict is taken: a
	// file that no longer decodes, or states no lifecycle state of its
	// kind, has its findings. A symbolic link is always evaluated; with
	// Artifacts, KnownValid is not used.
	KnownValid map[string]bool
	// Progress, when set, counts the manifests evaluated, of those to
	// evaluate, as the evaluation goes (for a front end to show).
	Progress *progress.Counter
	// Spill, with Artifacts, takes each valid manifest's artifacts on the
	// worker that rendered them, as soon as they are: a build writes
	// their bytes to disk and keeps their ids, so that its memory does
	// not grow with the number of manifests. Nil keeps every artifact's
	// bytes in the result.
	Spill Spiller
}

// A Spiller keeps artifacts' bytes out of memory (Options.Spill). Its
// methods are called from many goroutines at once.
type Spiller interface {
	// Spill takes an artifact's bytes and returns where it put them.
	Spill(data []byte) (repo.Hash, error)
	// Unspill returns the bytes Spill put there: the document of a
	// manifest that another one's #refs reads.
	Unspill(h repo.Hash) ([]byte, error)
}

// PathError is a path given to validate that holds no manifest.
type PathError struct {
	Path, Root string
	Rules      []string // the globs of small.cue's files rules, if any
}

func (e *PathError) Error() string {
	if len(e.Rules) > 0 {
		return fmt.Sprintf("%s: no manifests there (manifests are the files %s that small.cue's files rules match: %s)", e.Path, under(e.Root), strings.Join(e.Rules, ", "))
	}
	return fmt.Sprintf("%s: no manifests there (manifests are *.yaml, *.yml or *.json files under %s/)", e.Path, e.Root)
}

// under says where the manifests root is, in words.
func under(root string) string {
	if root == "." {
		return "of the repository"
	}
	return "under " + root + "/"
}

// ruleGlobs lists the globs of cfg's files rules.
func ruleGlobs(cfg *config.Config) []string {
	var out []string
	for _, r := range cfg.Files {
		out = append(out, r.Glob)
	}
	return out
}

// schemaFiles reads the files of the schemas package named by the
// configuration.
func schemaFiles(snap repo.Snapshot, cfg *config.Config) ([]schema.File, error) {
	entries, err := snap.Files(cfg.Schemas)
	if err != nil {
		return nil, err
	}
	var files []schema.File
	for _, e := range entries {
		// A CUE package is the .cue files of one directory; subdirectories
		// hold other packages.
		if path.Ext(e.Path) != ".cue" || path.Dir(e.Path) != path.Clean(cfg.Schemas) {
			continue
		}
		data, err := snap.Read(e.Path, 4<<20)
		if err != nil {
			return nil, fmt.Errorf("read schema %s: %w", e.Path, err)
		}
		files = append(files, schema.File{Path: e.Path, Data: data})
	}
	return files, nil
}

// schemaDigest is the schema digest of the schemas package named by the
// configuration, as LoadSchema would give it, without compiling it.
func schemaDigest(snap repo.Snapshot, cfg *config.Config) (string, error) {
	files, err := schemaFiles(snap, cfg)
	if err != nil {
		return "", err
	}
	slices.SortFunc(files, func(a, b schema.File) int { return strings.Compare(a.Path, b.Path) })
	return schema.Digest(files), nil
}

// LoadSchema reads and builds the schemas package named by the configuration.
func LoadSchema(snap repo.Snapshot, cfg *config.Config) (*schema.Schema, error) {
	files, err := schemaFiles(snap, cfg)
	if err != nil {
		return nil, err
	}
	type loaded struct {
		s   *schema.Schema
		err error
	}
	g := watch(cfg.EvalMemoryBytes())
	defer g.done()
	l, how := boundedRun(cfg.EvalTimeout(), g, func() loaded {
		s, err := schema.Load(cfg.Schemas, files)
		return loaded{s, err}
	})
	switch how {
	case timedOut:
		return nil, &schema.Error{Diagnostics: []diag.Diagnostic{{File: cfg.Schemas, Code: diag.CodeSchemaTimeout, Severity: diag.Error,
			Message: fmt.Sprintf("evaluating the schemas took longer than limits.evalSeconds (%d s), and was abandoned: expected schemas that evaluate in bounded time (no comprehension over millions of values)", cfg.Limits.EvalSeconds)}}}
	case overMemory:
		return nil, &schema.Error{Diagnostics: []diag.Diagnostic{{File: cfg.Schemas, Code: diag.CodeSchemaMemory, Severity: diag.Error,
			Message: fmt.Sprintf("evaluating the schemas made small hold more than limits.evalMemory (%d MiB), and was stopped: expected schemas that evaluate in bounded memory", cfg.Limits.EvalMemory)}}}
	}
	return l.s, l.err
}

// Validate checks every manifest of the snapshot (or those under opts.Paths)
// against the schemas. Findings are in the result's report; the error is for
// what stops validation from running at all.
func Validate(snap repo.Snapshot, cfg *config.Config, opts Options) (*Result, error) {
	res := &Result{Config: cfg, Report: diag.Report{Command: "validate"}}
	entries, err := manifestFiles(snap, cfg, opts.Paths)
	if err != nil {
		return nil, err
	}
	res.Report.Manifests = len(entries)
	kinds, err := LoadSchema(snap, cfg)
	var se *schema.Error
	if errors.As(err, &se) {
		res.Report.Diagnostics = se.Diagnostics
		res.Report.Stopped = fmt.Sprintf("the schemas in %s/ do not compile: no manifest was checked", cfg.Schemas)
		if len(se.Diagnostics) > 0 && se.Diagnostics[0].Code == diag.CodeSchemaEmpty {
			res.Report.Stopped = fmt.Sprintf("the schemas in %s/ define no kind: no manifest was checked", cfg.Schemas)
		}
		if len(se.Diagnostics) > 0 && se.Diagnostics[0].Code == diag.CodeSchemaTimeout {
			res.Report.Stopped = fmt.Sprintf("the schemas in %s/ take too long to evaluate: no manifest was checked", cfg.Schemas)
		}
		return res, nil
	}
	if err != nil {
		return nil, err
	}
	res.Schema = kinds

	// Workers write here, never into res: after a memory stop an abandoned
	// evaluation may still finish, and res is the caller's by then.
	mans := make([]Manifest, len(entries))
	diags := make([][]diag.Diagnostic, len(entries))
	var todo []int
	for i, e := range entries {
		if k, ok := opts.Known[e.Path]; ok && !e.Symlink {
			mans[i] = Manifest{Path: e.Path, Identity: manifest.Identity{Kind: k.Kind, ID: k.ID, Status: k.State, Locale: k.Locale}, State: k.State, Valid: true, known: true}
			continue
		}
		todo = append(todo, i)
	}
	ev := &evaluation{snap: snap, cfg: cfg, kinds: kinds, entries: entries, workers: opts.Workers, render: opts.Artifacts, mans: mans, diags: diags, narrowed: len(opts.Paths) > 0, related: opts.Related, spill: opts.Spill, progress: opts.Progress}
	if !opts.Artifacts && len(opts.KnownValid) > 0 {
		ev.valid = opts.KnownValid
		for _, i := range todo {
			if ev.skips(i) {
				res.Reused++
			}
		}
	}
	stopped, err := ev.run(todo)
	if err == nil && stopped == nil && len(todo) < len(entries) {
		// A finding that two files share an id is placed at each one's
		// id: read the known ones that share one.
		again := sharing(mans, todo)
		stopped, err = ev.run(again)
		res.Reused += len(entries) - len(todo) - len(again)
	}
	if err != nil {
		return nil, err
	}
	if stopped != nil {
		res.Report.Diagnostics = append(res.Report.Diagnostics, stopped...)
		res.Report.Stopped = fmt.Sprintf("evaluation made small hold more than limits.evalMemory (%d MiB): stopped, not every manifest was checked", cfg.Limits.EvalMemory)
		diag.Sort(res.Report.Diagnostics)
		return res, nil
	}
	// What the rules across manifests need of the known ones, before
	// any of them is applied.
	if err := ev.readKnownValues(); err != nil {
		return nil, err
	}
	res.Manifests = mans
	for _, ds := range diags {
		res.Report.Diagnostics = append(res.Report.Diagnostics, ds...)
	}
	res.Report.Diagnostics = append(res.Report.Diagnostics, duplicates(res.Manifests, cfg)...)
	res.Report.Diagnostics = append(res.Report.Diagnostics, localeFindings(cfg, res.Manifests)...)
	cross, err := ev.crossManifest()
	if err != nil {
		return nil, err
	}
	res.Report.Diagnostics = append(res.Report.Diagnostics, cross...)
	res.References = ev.refs
	rd, err := ev.renderRefs()
	if err != nil {
		return nil, err
	}
	res.Report.Diagnostics = append(res.Report.Diagnostics, rd...)
	diag.Sort(res.Report.Diagnostics)
	return res, nil
}

// sharing lists the manifests not in read whose kind and id another
// manifest also has.
func sharing(ms []Manifest, read []int) []int {
	wasRead := make(map[int]bool, len(read))
	for _, i := range read {
		wasRead[i] = true
	}
	var out []int
	for _, idx := range byKey(ms) {
		if len(idx) < 2 {
			continue
		}
		for _, i := range idx {
			if !wasRead[i] {
				out = append(out, i)
			}
		}
	}
	slices.Sort(out)
	return out
}

// evaluation validates manifest files on all cores, each within the
// limits of small.cue, writing each one's outcome at its index.
type evaluation struct {
	snap    repo.Snapshot
	cfg     *config.Config
	kinds   *schema.Schema
	entries []repo.FileEntry
	workers int
	render  bool
	mans    []Manifest
	diags   [][]diag.Diagnostic
	// narrowed says entries are only some of the snapshot's manifests.
	narrowed bool
	refs     []Reference // resolved by crossManifest
	spill    Spiller     // takes the artifacts' bytes as they are rendered (Options.Spill)
	progress *progress.Counter
	// valid are the paths whose CUE evaluation is known to pass
	// (Options.KnownValid): decoded and checked, not evaluated.
	valid map[string]bool
	// related narrows which known manifests are read (Options.Related).
	related func(names map[string]bool) ([]string, error)
}

// skips reports whether entry i's CUE evaluation is skipped: its verdict
// is known (Options.KnownValid), and it is no symbolic link.
func (ev *evaluation) skips(i int) bool {
	return ev.valid[ev.entries[i].Path] && !ev.entries[i].Symlink
}

// minPerWorker is how many files make another worker worth its compile.
const minPerWorker = 16

// run evaluates the entries at the given indexes. When evaluation goes
// over limits.evalMemory it stops and returns the findings that say which
// files were running; the outcomes are then incomplete.
func (ev *evaluation) run(todo []int) (stopped []diag.Diagnostic, err error) {
	if len(todo) == 0 {
		return nil, nil
	}
	cfg, kinds, entries, mans, diags := ev.cfg, ev.kinds, ev.entries, ev.mans, ev.diags
	type job struct {
		i     int
		data  []byte
		err   error
		known bool // its evaluation is known to pass: decoded, not evaluated
	}
	ev.progress.Expect(len(todo))
	workers := ev.workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	// Each worker compiles the schemas first (milliseconds): a few files
	// are done sooner by fewer workers.
	workers = min(workers, (len(todo)+minPerWorker-1)/minPerWorker)
	g := watch(cfg.EvalMemoryBytes())
	defer g.done()
	var mu sync.Mutex
	inflight := map[int]string{} // by worker: the file it evaluates
	var abandoned []string       // evaluations past the time limit, still running
	jobs := make(chan job, 4*workers)
	var wg sync.WaitGroup
	var setupErr error
	var once sync.Once
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			v, err := kinds.NewValidator()
			if err != nil {
				once.Do(func() { setupErr = err })
				for range jobs {
				}
				return
			}
			lim := cfg.ManifestLimits()
			type checked struct {
				m  Manifest
				ds []diag.Diagnostic
			}
			for j := range jobs {
				p, mine := entries[j.i].Path, v // an abandoned run keeps its own
				mu.Lock()
				inflight[w] = p
				mu.Unlock()
				c, how := boundedRun(cfg.EvalTimeout(), g, func() checked {
					match, _ := cfg.Manifest(p)
					m, ds := check(mine, p, match, j.data, j.err, lim, ev.render, j.known)
					return checked{m, ds}
				})
				if how == overMemory {
					return // the run stops; inflight[w] says what was running
				}
				mu.Lock()
				delete(inflight, w)
				mu.Unlock()
				ev.progress.Done(1)
				if how == finished {
					if !c.m.deferred {
						if err := ev.spillArtifacts(c.m.Artifacts); err != nil {
							once.Do(func() { setupErr = err })
						}
					}
					mans[j.i], diags[j.i] = c.m, c.ds
					continue
				}
				mans[j.i] = Manifest{Path: p}
				diags[j.i] = []diag.Diagnostic{{File: p, Code: diag.CodeSchemaTimeout, Severity: diag.Error,
					Message: fmt.Sprintf("evaluating it against its kind took longer than limits.evalSeconds (%d s), and was abandoned: expected a manifest that evaluates in bounded time", cfg.Limits.EvalSeconds)}}
				mu.Lock()
				abandoned = append(abandoned, p)
				mu.Unlock()
				// The abandoned evaluation still holds the validator.
				if v, err = kinds.NewValidator(); err != nil {
					once.Do(func() { setupErr = err })
					for range jobs {
					}
					return
				}
			}
		}()
	}
	allDone := make(chan struct{})
	go func() { wg.Wait(); close(allDone) }()
	// Reading stays on this goroutine: a snapshot of a commit is not safe
	// for concurrent use. It runs ahead of the workers through the channel.
	max := cfg.Limits.ManifestBytes
feed:
	for _, i := range todo {
		data, err := ev.snap.Read(entries[i].Path, max)
		select {
		case jobs <- job{i: i, data: data, err: err, known: ev.skips(i)}:
		case <-g.over:
			break feed
		}
	}
	close(jobs)
	select {
	case <-allDone:
	case <-g.over:
		// Stop here: the evaluations still running are abandoned with the
		// process. Say which files were being evaluated.
		mu.Lock()
		defer mu.Unlock()
		running := abandoned
		for _, p := range inflight {
			running = append(running, p)
		}
		for _, p := range running {
			stopped = append(stopped, diag.Diagnostic{File: p, Code: diag.CodeSchemaMemory, Severity: diag.Error,
				Message: fmt.Sprintf("evaluating it made small hold more than limits.evalMemory (%d MiB): expected a manifest that evaluates in bounded memory", cfg.Limits.EvalMemory)})
		}
		if stopped == nil {
			stopped = []diag.Diagnostic{}
		}
		return stopped, nil
	}
	return nil, setupErr
}

// spillArtifacts hands the artifacts' bytes to the spill, if any, and
// keeps where it put them instead.
func (ev *evaluation) spillArtifacts(arts []schema.Artifact) error {
	if ev.spill == nil {
		return nil
	}
	for i := range arts {
		h, err := ev.spill.Spill(arts[i].Data)
		if err != nil {
			return err
		}
		arts[i].Spilled, arts[i].Data = h, nil
	}
	return nil
}

// artifactData returns an artifact's bytes, from the spill if they are
// there.
func (ev *evaluation) artifactData(a schema.Artifact) ([]byte, error) {
	if a.Data != nil || ev.spill == nil || a.Spilled == ([20]byte{}) {
		return a.Data, nil
	}
	return ev.spill.Unspill(a.Spilled)
}

// check decodes and validates one manifest file, matched by match. A
// known one (Options.KnownValid) is decoded and its reserved fields
// checked, but not evaluated against its kind: that verdict is known.
func check(v *schema.Validator, p string, match config.Match, data []byte, readErr error, lim manifest.Limits, render, known bool) (Manifest, []diag.Diagnostic) {
	m := Manifest{Path: p}
	fail := func(code, msg string, line, col int) (Manifest, []diag.Diagnostic) {
		d := diag.Diagnostic{File: p, Line: line, Column: col, Code: code, Message: msg, Severity: diag.Error}
		// Findings about a reserved field name it as their path, like any other.
		switch code {
		case diag.CodeKindMissing, diag.CodeKindInvalid:
			d.Path, d.Message = protocol.FieldKind, strings.TrimPrefix(msg, protocol.FieldKind+": ")
		case diag.CodeIDInvalid:
			d.Path, d.Message = protocol.FieldID, strings.TrimPrefix(msg, protocol.FieldID+": ")
		case diag.CodeStatusInvalid:
			d.Path, d.Message = protocol.FieldStatus, strings.TrimPrefix(msg, protocol.FieldStatus+": ")
		case diag.CodeLocaleInvalid:
			d.Path, d.Message = protocol.FieldLocale, strings.TrimPrefix(msg, protocol.FieldLocale+": ")
		case diag.CodeRuleMismatch:
			for _, f := range []string{protocol.FieldKind, protocol.FieldID} {
				if rest, ok := strings.CutPrefix(msg, f+": "); ok {
					d.Path, d.Message = f, rest
				}
			}
		}
		return m, []diag.Diagnostic{d}
	}
	if strings.ContainsFunc(p, unicode.IsControl) {
		return fail(diag.CodePathInvalid, "the file name holds a control character: expected one without line breaks or other control characters", 0, 0)
	}
	var tooLarge *repo.TooLargeError
	switch {
	case errors.As(readErr, &tooLarge):
		return fail(diag.CodeTooLarge, tooLarge.Error(), 0, 0)
	case errors.Is(readErr, repo.ErrOutsideRepository):
		return fail(diag.CodeSymlinkOutside, "symbolic link leads outside the repository: expected a file inside it", 0, 0)
	case errors.Is(readErr, repo.ErrDanglingLink), errors.Is(readErr, repo.ErrLinkLoop),
		errors.Is(readErr, repo.ErrDirectory), errors.Is(readErr, repo.ErrNotRegular):
		return fail(diag.CodeUnreadable, readErr.Error()+": expected a manifest file", 0, 0)
	case readErr != nil:
		return fail(diag.CodeUnreadable, readErr.Error(), 0, 0)
	}
	doc, id, err := decodeManifest(p, match, data, lim)
	var de *manifest.Error
	if doc == nil && errors.As(err, &de) {
		return fail(de.Code, de.Msg, de.Line, de.Column)
	}
	if doc == nil {
		return fail(diag.CodeParse, err.Error(), 0, 0)
	}
	var stated bool
	m.IDLine, m.IDColumn, stated = doc.Position([]string{protocol.FieldID})
	m.idFromName = !stated && match.ID == ""
	if errors.As(err, &de) {
		return fail(de.Code, de.Msg, de.Line, de.Column)
	}
	m.Identity = id
	m.values = constrainedValues(v.Schema(), doc, id.Kind)
	m.shared = sharedValues(v.Schema(), doc, id.Kind)
	m.localeLine, m.localeCol, _ = doc.Position([]string{protocol.FieldLocale})
	m.StatusLine, m.StatusColumn, _ = doc.Position([]string{protocol.FieldStatus})
	var ds []diag.Diagnostic
	if v.Schema().HasKind(id.Kind) {
		lc := v.Schema().Lifecycle(id.Kind)
		m.State = id.Status
		if m.State == "" {
			m.State = lc.Initial
		} else if !lc.Has(m.State) {
			ds = append(ds, diag.Diagnostic{File: p, Line: m.StatusLine, Column: m.StatusColumn, Path: protocol.FieldStatus,
				Code: diag.CodeStateUnknown, Severity: diag.Error,
				Message: fmt.Sprintf("%q is not a state of %s: expected one of %s", m.State, id.Kind, strings.Join(lc.States, ", "))})
		}
	}
	var more []diag.Diagnostic
	if render && len(ds) == 0 {
		// The artifact carries the manifest's lifecycle state.
		id.Status = m.State
		m.Identity.Status = m.State
		if m.ReadsRefs = v.Schema().ReadsRefs(id.Kind); m.ReadsRefs {
			// Its #outputs wait for the manifests it references.
			var data []byte
			if data, more = v.Document(doc, id); len(more) == 0 {
				m.Artifacts, m.deferred = []schema.Artifact{{Path: protocol.ArtifactPath(id.Kind, id.ID, id.Locale), Data: data}}, true
			}
		} else {
			m.Artifacts, more = v.Artifacts(doc, id)
		}
	} else {
		m.ReadsRefs = v.Schema().ReadsRefs(id.Kind)
		if !known || !v.Schema().HasKind(id.Kind) {
			more = v.Validate(doc, id)
		}
	}
	ds = append(ds, more...)
	m.Valid = len(ds) == 0
	return m, ds
}

// byKey groups the manifests that have a kind by their kind, id and
// locale (a translation is another manifest of the kind and id), as
// indexes into ms.
func byKey(ms []Manifest) map[[3]string][]int {
	groups := map[[3]string][]int{}
	for i, m := range ms {
		if m.Kind != "" {
			k := [3]string{m.Kind, m.ID, m.Locale}
			groups[k] = append(groups[k], i)
		}
	}
	return groups
}

// duplicates reports every manifest whose (kind, id, locale) another one
// also has, naming the other file.
func duplicates(ms []Manifest, cfg *config.Config) []diag.Diagnostic {
	var ds []diag.Diagnostic
	for k, idx := range byKey(ms) {
		if len(idx) < 2 {
			continue
		}
		hint := pathScopedHint(cfg, ms, idx)
		for _, i := range idx {
			var others []string
			for _, j := range idx {
				if j != i {
					others = append(others, ms[j].Path)
				}
			}
			d := diag.Diagnostic{File: ms[i].Path, Line: ms[i].IDLine, Column: ms[i].IDColumn, Path: protocol.FieldID, Code: diag.CodeIDDuplicate, Severity: diag.Error,
				Message: fmt.Sprintf("%s %q is also defined in %s: expected each kind and id once%s", k[0], k[1], strings.Join(others, ", "), hint)}
			if k[2] != "" {
				d.Message = fmt.Sprintf("%s %q in locale %s is also defined in %s: expected each kind, id and locale once", k[0], k[1], k[2], strings.Join(others, ", "))
			}
			ms[i].Valid = false
			ds = append(ds, d)
		}
	}
	return ds
}

// MissingRoot is the configuration error of a manifests directory that
// holds no file at all in snap: a mistyped name (manifests: "content"
// for "contents") must not read as "0 manifests, all valid", nor make a
// build retract every artifact. A repository with no manifests keeps a
// file there (manifests/.gitkeep, as small init writes).
func MissingRoot(snap repo.Snapshot, cfg *config.Config) error {
	d := diag.Diagnostic{File: protocol.ConfigFile, Path: "manifests", Code: diag.CodeConfigInvalid, Severity: diag.Error,
		Message: fmt.Sprintf("%q: no such directory in the %s, or nothing in it", cfg.Manifests, snap.Name())}
	if data, err := snap.Read(protocol.ConfigFile, 1<<20); err == nil {
		for i, line := range strings.Split(string(data), "\n") {
			if col := strings.Index(line, "manifests:"); col >= 0 && strings.TrimSpace(line[:col]) == "" {
				d.Line, d.Column = i+1, col+1
				break
			}
		}
	}
	var dirs []string
	if files, err := snap.Files(""); err == nil {
		seen := map[string]bool{}
		for _, f := range files {
			if dir, _, ok := strings.Cut(f.Path, "/"); ok && !seen[dir] {
				seen[dir] = true
				dirs = append(dirs, dir)
			}
		}
	}
	if near := diag.Nearest(cfg.Manifests, dirs); near != "" {
		d.Message += fmt.Sprintf(" (did you mean %q?)", near)
	} else {
		d.Message += fmt.Sprintf("; a repository without manifests keeps a file there (%s/.gitkeep)", cfg.Manifests)
	}
	return &config.Error{Diagnostics: []diag.Diagnostic{d}}
}

// manifestFiles lists the manifest files of the snapshot, narrowed to paths.
func manifestFiles(snap repo.Snapshot, cfg *config.Config, paths []string) ([]repo.FileEntry, error) {
	all, err := snap.Files(cfg.Manifests)
	if err != nil {
		return nil, err
	}
	var out []repo.FileEntry
	for _, e := range all {
		if cfg.IsManifest(e.Path) {
			out = append(out, e)
		}
	}
	if len(paths) == 0 {
		return out, nil
	}
	byPath := make(map[string]repo.FileEntry, len(out))
	for _, e := range out {
		byPath[e.Path] = e
	}
	var picked []repo.FileEntry
	taken := map[string]bool{}
	take := func(e repo.FileEntry) {
		if !taken[e.Path] {
			taken[e.Path] = true
			picked = append(picked, e)
		}
	}
	for _, p := range paths {
		p = path.Clean(p)
		if e, ok := byPath[p]; ok {
			take(e)
			continue
		}
		// A directory: every manifest below it.
		prefix := p + "/"
		n := 0
		for _, e := range out {
			if p == "." || strings.HasPrefix(e.Path, prefix) {
				take(e)
				n++
			}
		}
		if n == 0 {
			return nil, &PathError{Path: p, Root: cfg.Manifests, Rules: ruleGlobs(cfg)}
		}
	}
	slices.SortFunc(picked, func(a, b repo.FileEntry) int { return strings.Compare(a.Path, b.Path) })
	return picked, nil
}
