package content

import (
	"cmp"
	"encoding/json"
	"fmt"
	"runtime"
	"slices"
	"strconv"
	"sync"

	"github.com/smallhq/small/diag"
	"github.com/smallhq/small/manifest"
	"github.com/smallhq/small/schema"
)

// A kind that declares #refs (schema.RefsField) reads the manifests its
// @ref fields name: its artifacts are rendered after the references are
// resolved, with #refs filled with the canonical document of each
// manifest referenced, as the same snapshot has it. Check renders only
// such a manifest's document at first (which #refs never changes), and
// renderRefs its #outputs once every reference is resolved. A manifest
// referenced but not evaluated (a narrowed validation: a build of the
// changed manifests and their dependents) is evaluated for its document.

// refsOf sets each manifest's Refs: the manifests its references resolve
// to, each once, sorted by kind, id and locale.
func (ev *evaluation) refsOf() map[int][]Reference {
	by := map[int][]Reference{}
	for _, r := range ev.refs {
		by[r.From.Manifest] = append(by[r.From.Manifest], r)
	}
	for i, rs := range by {
		var to []Referent
		for _, r := range rs {
			if r.Problem == "" && !slices.Contains(to, r.To) {
				to = append(to, r.To)
			}
		}
		slices.SortFunc(to, func(a, b Referent) int {
			return cmp.Or(cmp.Compare(a.Kind, b.Kind), cmp.Compare(a.ID, b.ID), cmp.Compare(a.Locale, b.Locale))
		})
		ev.mans[i].Refs = to
	}
	return by
}

// renderRefs renders the artifacts of the valid manifests whose kind
// reads #refs, and returns the findings of those that fail.
func (ev *evaluation) renderRefs() ([]diag.Diagnostic, error) {
	by := ev.refsOf()
	if !ev.render {
		return nil, nil
	}
	var todo []int
	for i := range ev.mans {
		if ev.mans[i].deferred && ev.mans[i].Valid {
			todo = append(todo, i)
		}
	}
	if len(todo) == 0 {
		return nil, nil
	}
	byPath := make(map[string]int, len(ev.mans))
	for i, m := range ev.mans {
		byPath[m.Path] = i
	}
	// The documents of the manifests referenced: rendered already, or
	// evaluated now.
	docs := map[string][]byte{}
	var missing []string
	for _, i := range todo {
		for _, r := range by[i] {
			p := r.To.Path
			if _, ok := docs[p]; ok || p == "" {
				continue
			}
			if j, ok := byPath[p]; ok && !ev.mans[j].known {
				if m := ev.mans[j]; m.Valid && len(m.Artifacts) > 0 {
					d, err := ev.artifactData(m.Artifacts[0])
					if err != nil {
						return nil, err
					}
					docs[p] = d
				} else {
					docs[p] = nil // invalid: its own findings say why
				}
				continue
			}
			docs[p] = nil
			missing = append(missing, p)
		}
	}
	var ds []diag.Diagnostic
	type docOut struct {
		data []byte
		ds   []diag.Diagnostic
	}
	found, stopped, err := eachManifest(ev, missing, func(v *schema.Validator, p string, doc *manifest.Document, id manifest.Identity) docOut {
		if v.Schema().HasKind(id.Kind) && id.Status == "" {
			id.Status = v.Schema().Lifecycle(id.Kind).Initial
		}
		data, ds := v.Document(doc, id)
		return docOut{data, ds}
	})
	if err != nil || stopped != nil {
		return stopped, err
	}
	for i, p := range missing {
		docs[p] = found[i].data
	}
	// Render each reader with its #refs, made on its worker: the
	// documents of one manifest's references may be many.
	paths := make([]string, 0, len(todo))
	for _, i := range todo {
		paths = append(paths, ev.mans[i].Path)
	}
	type artsOut struct {
		arts []schema.Artifact
		ds   []diag.Diagnostic
		err  error // of the spill
	}
	rendered, stopped, err := eachManifest(ev, paths, func(v *schema.Validator, p string, doc *manifest.Document, _ manifest.Identity) artsOut {
		i := byPath[p]
		m := ev.mans[i] // read only: the identity check gave it
		fail := func(msg string) artsOut {
			return artsOut{ds: []diag.Diagnostic{{File: p, Code: diag.CodeOutputInvalid, Severity: diag.Error, Message: msg}}}
		}
		b, bad := refsDocument(by[i], docs)
		switch {
		case bad != "":
			return fail(fmt.Sprintf("#%s: %s, which it references, does not evaluate: expected a valid manifest to read", schema.RefsField, bad))
		case len(b) > maxRefsBytes:
			return fail(fmt.Sprintf("#%s: the documents it references come to more than %d bytes: expected at most %d", schema.RefsField, maxRefsBytes, maxRefsBytes))
		}
		arts, ds := v.ArtifactsWithRefs(doc, m.Identity, b)
		if len(ds) > 0 {
			return artsOut{ds: ds}
		}
		return artsOut{arts: arts, err: ev.spillArtifacts(arts)}
	})
	if err != nil || stopped != nil {
		return stopped, err
	}
	for k, p := range paths {
		m := &ev.mans[byPath[p]]
		if rendered[k].err != nil {
			return nil, rendered[k].err
		}
		if len(rendered[k].ds) > 0 {
			m.Valid, m.Artifacts = false, nil
			ds = append(ds, rendered[k].ds...)
			continue
		}
		m.Artifacts = rendered[k].arts
	}
	return ds, nil
}

// maxRefsBytes bounds the documents one manifest's #refs holds: a list of
// references to large manifests must not make small hold gigabytes.
const maxRefsBytes = 16 << 20

// refsDocument is the JSON of one manifest's #refs: each reference's
// field, as the manifest has it (author, authors[1], credits[0].person),
// holding the document of the manifest it names. bad names a manifest
// referenced that has no document.
func refsDocument(refs []Reference, docs map[string][]byte) ([]byte, string) {
	root := map[string]any{}
	total := 0
	for _, r := range refs {
		if r.Problem != "" {
			continue
		}
		d := docs[r.To.Path]
		if d == nil {
			return nil, r.To.Path
		}
		if total += len(d); total > maxRefsBytes {
			return make([]byte, total), "" // too many: the caller says so, nothing is marshalled
		}
		place(root, r.From.sel, json.RawMessage(d))
	}
	b, err := json.Marshal(dense(root))
	if err != nil {
		return nil, err.Error()
	}
	return b, ""
}

// place puts value at sel in a tree of maps, where a numeric selector
// is a list's index (kept as map[int]any until dense).
func place(root map[string]any, sel []string, value any) {
	var at any = root
	for k, s := range sel {
		last := k == len(sel)-1
		next := func() any {
			if last {
				return value
			}
			if _, err := strconv.Atoi(sel[k+1]); err == nil {
				return map[int]any{}
			}
			return map[string]any{}
		}
		switch node := at.(type) {
		case map[string]any:
			if _, ok := node[s]; !ok || last {
				node[s] = next()
			}
			at = node[s]
		case map[int]any:
			i, _ := strconv.Atoi(s)
			if _, ok := node[i]; !ok || last {
				node[i] = next()
			}
			at = node[i]
		default:
			return
		}
	}
}

// dense turns the tree's index maps into lists, a missing element an
// empty struct (a list of structs where some have no reference).
func dense(x any) any {
	switch node := x.(type) {
	case map[string]any:
		for k, v := range node {
			node[k] = dense(v)
		}
		return node
	case map[int]any:
		n := 0
		for i := range node {
			n = max(n, i+1)
		}
		out := make([]any, n)
		for i := range out {
			if v, ok := node[i]; ok {
				out[i] = dense(v)
			} else {
				out[i] = map[string]any{}
			}
		}
		return out
	}
	return x
}

// eachManifest reads, decodes and passes to f each manifest at paths, on
// all cores, each evaluation within small.cue's limits; out[i] is f's
// result for paths[i]. A file that does not read or decode gives the
// zero result (its own validation reports it). stopped holds findings
// when evaluation went over limits.evalMemory or limits.evalSeconds.
func eachManifest[T any](ev *evaluation, paths []string, f func(*schema.Validator, string, *manifest.Document, manifest.Identity) T) (out []T, stopped []diag.Diagnostic, err error) {
	out = make([]T, len(paths))
	if len(paths) == 0 {
		return out, nil, nil
	}
	cfg := ev.cfg
	lim := cfg.ManifestLimits()
	type job struct {
		i    int
		data []byte
	}
	ev.progress.Expect(len(paths))
	g := watch(cfg.EvalMemoryBytes())
	defer g.done()
	jobs := make(chan job, 64)
	var mu sync.Mutex
	var wg sync.WaitGroup
	var setupErr error
	workers := min(runtime.GOMAXPROCS(0), (len(paths)+minPerWorker-1)/minPerWorker)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			v, err := ev.kinds.NewValidator()
			for j := range jobs {
				ev.progress.Done(1)
				if err != nil {
					continue
				}
				p := paths[j.i]
				match, _ := cfg.Manifest(p)
				doc, id, derr := decodeManifest(p, match, j.data, lim)
				if derr != nil || doc == nil {
					continue
				}
				r, how := boundedRun(cfg.EvalTimeout(), g, func() T { return f(v, p, doc, id) })
				if how == finished {
					out[j.i] = r
					continue
				}
				d := diag.Diagnostic{File: p, Code: diag.CodeSchemaTimeout, Severity: diag.Error,
					Message: fmt.Sprintf("rendering it with the manifests it references (#%s) took longer than limits.evalSeconds (%d s), and was abandoned", schema.RefsField, cfg.Limits.EvalSeconds)}
				if how == overMemory {
					d.Code = diag.CodeSchemaMemory
					d.Message = fmt.Sprintf("rendering it with the manifests it references (#%s) made small hold more than limits.evalMemory (%d MiB)", schema.RefsField, cfg.Limits.EvalMemory)
				}
				mu.Lock()
				stopped = append(stopped, d)
				mu.Unlock()
				if v, err = ev.kinds.NewValidator(); err != nil { // the abandoned run keeps the old one
					mu.Lock()
					setupErr = err
					mu.Unlock()
				}
			}
			if err != nil {
				mu.Lock()
				setupErr = err
				mu.Unlock()
			}
		}()
	}
	for i, p := range paths {
		// Reading stays on this goroutine: a snapshot is not safe for
		// concurrent use.
		data, rerr := ev.snap.Read(p, cfg.Limits.ManifestBytes)
		if rerr != nil {
			ev.progress.Done(1)
			continue
		}
		jobs <- job{i, data}
	}
	close(jobs)
	wg.Wait()
	if setupErr != nil {
		return nil, nil, setupErr
	}
	diag.Sort(stopped)
	return out, stopped, nil
}
