package httpapi

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"path"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/smallhq/small/audit"
	"github.com/smallhq/small/builder"
	"github.com/smallhq/small/cmd/internal/cmdutil"
	"github.com/smallhq/small/config"
	"github.com/smallhq/small/content"
	"github.com/smallhq/small/lineage"
	"github.com/smallhq/small/records"
	"github.com/smallhq/small/schema"
)

// contract is small protocol's output, made once: it depends on nothing
// but this build of small.
var contract = sync.OnceValues(func() ([]byte, error) { return encode(records.DescribeContract()) })

// protocol answers GET /protocol/small/v1: what small protocol prints.
func (s *Server) protocol(w http.ResponseWriter, r *http.Request) {
	if !query(w, r) {
		return
	}
	b, err := contract()
	if err != nil {
		fail(w, http.StatusInternalServerError, "the contract: %v", err)
		return
	}
	send(w, http.StatusOK, typeJSON, b)
}

// record answers GET /protocol/small/v1/records/{name}: what small
// protocol --schema NAME prints.
func (s *Server) record(w http.ResponseWriter, r *http.Request) {
	if !query(w, r) {
		return
	}
	name := r.PathValue("name")
	if err := cmdutil.CheckName("record", name, records.Names()); err != nil {
		fail(w, http.StatusNotFound, "%v", err)
		return
	}
	rec, _ := records.Lookup(name)
	b, err := rec.SchemaJSON()
	if err != nil {
		fail(w, http.StatusInternalServerError, "%v", err)
		return
	}
	send(w, http.StatusOK, typeJSONSchema, b)
}

// validate answers POST /v1/validate: the body is a manifest, ?path= where
// it would live; the answer is small validate - --format json's report,
// 200 whether the manifest is valid or not.
func (s *Server) validate(w http.ResponseWriter, r *http.Request) {
	c, p, data, ok := s.manifestInput(w, r)
	if !ok {
		return
	}
	res, err := s.evaluate(r.Context(), func() (any, error) {
		return content.ValidateInput(c.Repo, content.InputOptions{Rev: c.Rev, Path: p, Input: bytes.NewReader(data)})
	})
	if err != nil {
		failErr(w, err)
		return
	}
	var b bytes.Buffer
	if err := res.(*content.Result).Report.WriteJSON(&b); err != nil {
		fail(w, http.StatusInternalServerError, "encode the report: %v", err)
		return
	}
	w.Header().Set(CommitHeader, c.Rev)
	send(w, http.StatusOK, typeJSON, b.Bytes())
}

// render answers POST /v1/render: what the manifest in the body would
// build (content.Rendering), 200 whether it is valid or not.
func (s *Server) render(w http.ResponseWriter, r *http.Request) {
	c, p, data, ok := s.manifestInput(w, r)
	if !ok {
		return
	}
	res, err := s.evaluate(r.Context(), func() (any, error) {
		return content.RenderInput(c.Repo, content.InputOptions{Rev: c.Rev, Path: p, Input: bytes.NewReader(data)})
	})
	if err != nil {
		failErr(w, err)
		return
	}
	w.Header().Set(CommitHeader, c.Rev)
	sendJSON(w, http.StatusOK, res)
}

// manifestInput reads what validate and render take: the body (capped by
// the guard; multipart forms refused) and the path it would live at
// (?path=, or draft.yaml, draft.json for a body that starts with '{', in
// the manifests directory).
func (s *Server) manifestInput(w http.ResponseWriter, r *http.Request) (c *cmdutil.Committed, p string, data []byte, ok bool) {
	if !query(w, r, "path") {
		return
	}
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		// curl --data-binary says application/x-www-form-urlencoded and
		// sends the bytes as they are: taken. A multipart form wraps them.
		if err != nil || strings.HasPrefix(mt, "multipart/") {
			fail(w, http.StatusUnsupportedMediaType, "Content-Type %q: expected the manifest itself as the body (application/yaml, application/json or text/plain), not a multipart form", clip(ct))
			return
		}
	}
	data, err := io.ReadAll(r.Body)
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		fail(w, http.StatusRequestEntityTooLarge, "the request body is over %d bytes: expected at most %d", tooLarge.Limit, tooLarge.Limit)
		return
	}
	if err != nil {
		fail(w, http.StatusBadRequest, "read the request body: %v", err)
		return
	}
	if c, err = s.open(); err != nil {
		failErr(w, err)
		return
	}
	p = r.URL.Query().Get("path")
	if p == "" {
		cfg, err := c.Config()
		if err != nil {
			failErr(w, err)
			return
		}
		p = cfg.Manifests + "/draft.yaml"
		if t := bytes.TrimLeft(data, " \t\r\n"); len(t) > 0 && t[0] == '{' {
			p = cfg.Manifests + "/draft.json"
		}
	}
	return c, p, data, true
}

// kinds answers GET /v1/kinds: small schema list --format json.
func (s *Server) kinds(w http.ResponseWriter, r *http.Request) {
	s.fromSchemas(w, r, "kinds", func(sc *schema.Schema) (string, []byte, error) {
		b, err := encode(sc.Listing())
		return typeJSON, b, err
	})
}

// kind answers GET /v1/kinds/{kind}: small schema show KIND --format json.
func (s *Server) kind(w http.ResponseWriter, r *http.Request) {
	kind := r.PathValue("kind")
	s.fromSchemas(w, r, "kind "+kind, func(sc *schema.Schema) (string, []byte, error) {
		d, err := sc.Describe(kind)
		if err != nil {
			return "", nil, err
		}
		b, err := encode(d)
		return typeJSON, b, err
	})
}

// kindSchema answers GET /v1/kinds/{kind}/schema: small schema export KIND.
func (s *Server) kindSchema(w http.ResponseWriter, r *http.Request) {
	kind := r.PathValue("kind")
	s.fromSchemas(w, r, "schema "+kind, func(sc *schema.Schema) (string, []byte, error) {
		files, err := content.ExportFiles(sc, kind, content.FormatJSONSchema)
		if err != nil {
			return "", nil, err
		}
		return typeJSONSchema, files[len(files)-1].Data, nil
	})
}

// fromSchemas answers from the schemas package at HEAD, cached by HEAD's
// commit.
func (s *Server) fromSchemas(w http.ResponseWriter, r *http.Request, what string, f func(*schema.Schema) (string, []byte, error)) {
	if !query(w, r) {
		return
	}
	c, err := s.open()
	if err != nil {
		failErr(w, err)
		return
	}
	s.cached(w, c.Rev, what, func() (string, []byte, error) {
		// Loading the schemas is an evaluation, bounded by
		// limits.evalSeconds and abandoned past it: it takes a slot.
		sc, err := s.evaluate(r.Context(), func() (any, error) { return content.SchemaAt(c.Repo, c.Rev) })
		if err != nil {
			return "", nil, err
		}
		return f(sc.(*schema.Schema))
	})
}

// status answers GET /v1/status[?kind=K&state=S]: small status --format json.
func (s *Server) status(w http.ResponseWriter, r *http.Request) {
	if !query(w, r, "kind", "state") {
		return
	}
	q := r.URL.Query()
	s.fromLog(w, r, "status\x00"+q.Get("kind")+"\x00"+q.Get("state"), func(c *cmdutil.Committed, l *lineage.Log) (string, []byte, error) {
		// Status loads the schemas of the builds' manifest commits (their
		// lifecycles): evaluations, each taking a slot.
		rep, err := s.evaluate(r.Context(), func() (any, error) {
			return builder.Status(c.Repo, l, builder.StatusFilter{Kind: q.Get("kind"), State: q.Get("state")})
		})
		if err != nil {
			return "", nil, err
		}
		b, err := encode(rep)
		return typeJSON, b, err
	})
}

// artifact answers GET /v1/artifacts/{path...}: small show PATH, the bytes
// as the latest build holds them.
func (s *Server) artifact(w http.ResponseWriter, r *http.Request) {
	name, ok := target(w, r)
	if !ok || !query(w, r) {
		return
	}
	s.fromLog(w, r, "artifact\x00"+name, func(c *cmdutil.Committed, l *lineage.Log) (string, []byte, error) {
		p, data, err := l.Artifact(name)
		if err != nil {
			return "", nil, err
		}
		return artifactType(p, data), data, nil
	})
}

// artifactType is the Content-Type of an artifact: JSON for .json, plain
// text for other UTF-8, bytes otherwise. Nothing is served as HTML or
// script: an artifact is content to read, not a page of this origin.
func artifactType(p string, data []byte) string {
	switch {
	case path.Ext(p) == ".json":
		return typeJSON
	case utf8.Valid(data):
		return "text/plain; charset=utf-8"
	}
	return "application/octet-stream"
}

// lineage answers GET /v1/lineage/{path...}[?all=true]: small lineage
// TARGET --format json. A build without its lineage record is in the
// report (200), as small lineage prints it before it exits 1. ?uses=true
// is small lineage TARGET --uses (judged at HEAD's commit), ?usedBy=true
// small lineage TARGET --used-by.
func (s *Server) lineage(w http.ResponseWriter, r *http.Request) {
	name, ok := target(w, r)
	if !ok || !query(w, r, "all", "uses", "usedBy") {
		return
	}
	all, ok := boolParam(w, r, "all")
	if !ok {
		return
	}
	uses, ok := boolParam(w, r, "uses")
	if !ok {
		return
	}
	usedBy, ok := boolParam(w, r, "usedBy")
	if !ok {
		return
	}
	if btoi(all)+btoi(uses)+btoi(usedBy) > 1 {
		fail(w, http.StatusBadRequest, "?all, ?uses and ?usedBy: expected at most one of them")
		return
	}
	s.fromLog(w, r, fmt.Sprintf("lineage\x00%s\x00%t\x00%t\x00%t", name, all, uses, usedBy), func(c *cmdutil.Committed, l *lineage.Log) (string, []byte, error) {
		var rep any
		var err error
		switch {
		case uses:
			rep, err = builder.Uses(c.Repo, l, name, c.Head)
		case usedBy:
			rep, err = builder.UsedBy(c.Repo, l, name)
		default:
			rep, _, err = builder.Lineage(c.Repo, l, name, all)
		}
		if err != nil {
			return "", nil, err
		}
		b, err := encode(rep)
		return typeJSON, b, err
	})
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// history answers GET /v1/history/{path...}: small history TARGET --format json.
func (s *Server) history(w http.ResponseWriter, r *http.Request) {
	name, ok := target(w, r)
	if !ok || !query(w, r) {
		return
	}
	s.fromLog(w, r, "history\x00"+name, func(c *cmdutil.Committed, l *lineage.Log) (string, []byte, error) {
		rep, err := l.History(name)
		if err != nil {
			return "", nil, err
		}
		b, err := encode(rep)
		return typeJSON, b, err
	})
}

// verify answers GET /v1/verify[?since=REV]: small verify --format json,
// 200 whether the branch complies or not. One verification runs at a
// time, and its answer is kept until the branch or its notes move. The
// clone's verified marks are left as they are.
func (s *Server) verify(w http.ResponseWriter, r *http.Request) {
	if !query(w, r, "since") {
		return
	}
	since := r.URL.Query().Get("since")
	s.fromLog(w, r, "verify\x00"+since, func(c *cmdutil.Committed, l *lineage.Log) (string, []byte, error) {
		select {
		case s.verifying <- struct{}{}:
			defer func() { <-s.verifying }()
		case <-r.Context().Done():
			return "", nil, r.Context().Err()
		}
		v, err := s.evaluate(r.Context(), func() (any, error) {
			return audit.Verify(c.Repo, l.Branch(), audit.Options{Since: since, ReadOnly: true})
		})
		if err != nil {
			return "", nil, err
		}
		b, err := encode(v)
		return typeJSON, b, err
	})
}

// fromLog answers from the artifact branch small.cue at HEAD names,
// cached by HEAD's commit, the branch's tip and small's notes.
func (s *Server) fromLog(w http.ResponseWriter, r *http.Request, what string, f func(*cmdutil.Committed, *lineage.Log) (string, []byte, error)) {
	c, err := s.open()
	if err != nil {
		failErr(w, err)
		return
	}
	l, err := lineage.Open(c.Repo, config.ArtifactRef(c.Repo.Snapshot(c.Head)))
	if err != nil {
		failErr(w, err)
		return
	}
	mark, err := builder.CurrentMark(c.Repo, l.Tip())
	if err != nil {
		failErr(w, err)
		return
	}
	state := c.Rev + " " + l.Branch() + " " + mark.Build.String() + " " + mark.Lineage.String() + " " + mark.Lifecycle.String()
	s.cached(w, state, what, func() (string, []byte, error) { return f(c, l) })
}

// cached answers what from the cache for state, or computes, keeps and
// answers it. Failures are answered, not kept.
func (s *Server) cached(w http.ResponseWriter, state, what string, f func() (string, []byte, error)) {
	key := state + "\x00" + what
	e, ok := s.cache.get(key)
	if !ok {
		ctype, body, err := f()
		if err != nil {
			failErr(w, err)
			return
		}
		e = entry{ctype: ctype, body: body}
		s.cache.put(key, e)
	}
	w.Header().Set(CommitHeader, strings.Fields(state)[0])
	send(w, http.StatusOK, e.ctype, e.body)
}

// open reads the commit HEAD is at now.
func (s *Server) open() (*cmdutil.Committed, error) {
	c, err := s.opts.Factory.OpenCommitted()
	if err != nil {
		return nil, &noCommitError{err}
	}
	return c, nil
}

// evaluate runs f when an evaluation token is free: at most
// Options.Evaluations run at once, each bounded by small.cue's limits.
// An evaluation past limits.evalSeconds is answered but goes on in the
// background (CUE cannot be stopped), its token given back: while
// Options.Evaluations of those still run, new ones are refused (503)
// rather than piled on top of them.
func (s *Server) evaluate(ctx context.Context, f func() (any, error)) (any, error) {
	select {
	case s.evals <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	defer func() { <-s.evals }()
	if n := content.Abandoned(); n >= s.opts.Evaluations {
		return nil, &busyError{abandoned: n}
	}
	return f()
}

// busyError refuses an evaluation while too many that ran over the limits
// still run.
type busyError struct{ abandoned int }

func (e *busyError) Error() string {
	return fmt.Sprintf("%d evaluations that ran over small.cue's limits (limits.evalSeconds, limits.evalMemory) are still running, and cannot be stopped: try again when they end", e.abandoned)
}

// target is the {path...} of an artifact, lineage or history request: an
// artifact path, Kind/id, or (lineage) a manifest path. The guard has
// refused dot segments and encoded slashes already.
func target(w http.ResponseWriter, r *http.Request) (string, bool) {
	name := r.PathValue("path")
	if name == "" || strings.HasSuffix(name, "/") {
		fail(w, http.StatusBadRequest, "%s: expected an artifact path (article/hello.json) or Kind/id after the endpoint", clip(r.URL.EscapedPath()))
		return "", false
	}
	return name, true
}

// query refuses query parameters the endpoint does not take, and
// parameters given twice: a misspelt filter must not pass unnoticed.
func query(w http.ResponseWriter, r *http.Request, allowed ...string) bool {
	q, err := urlQuery(r)
	if err != nil {
		fail(w, http.StatusBadRequest, "the query: %v", err)
		return false
	}
	for k, vs := range q {
		known := false
		for _, a := range allowed {
			known = known || k == a
		}
		switch {
		case !known && len(allowed) == 0:
			fail(w, http.StatusBadRequest, "?%s: %s takes no query parameters", clip(k), r.URL.Path)
			return false
		case !known:
			fail(w, http.StatusBadRequest, "?%s: expected one of %s", clip(k), strings.Join(allowed, ", "))
			return false
		case len(vs) > 1:
			fail(w, http.StatusBadRequest, "?%s given %d times: expected it once", clip(k), len(vs))
			return false
		}
	}
	return true
}

func urlQuery(r *http.Request) (url.Values, error) { return url.ParseQuery(r.URL.RawQuery) }

// boolParam reads a true/false query parameter; absent is false.
func boolParam(w http.ResponseWriter, r *http.Request, name string) (bool, bool) {
	switch v := r.URL.Query().Get(name); v {
	case "", "false", "0":
		return false, true
	case "true", "1":
		return true, true
	default:
		fail(w, http.StatusBadRequest, "?%s=%s: expected true or false", name, clip(v))
		return false, false
	}
}
