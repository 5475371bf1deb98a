// Package httpapi is small serve's HTTP front end: the small/v1 contract
// at /protocol/small/v1, a JSON API under /v1/ over the same domain calls
// as the commands (their --format json output, byte for byte), and the
// browser UI (package ui). Every answer is read from the commit HEAD is at
// when the request arrives, never the working tree, and nothing is written
// to the repository.
//
// The handler New returns guards every route (see guard): the Host and
// Origin must name the address served, URL paths must be clean, bodies are
// capped, and every response carries security headers.
package httpapi

import (
	"fmt"
	"net/http"
	"runtime"

	"github.com/smallhq/small/cmd/internal/cmdutil"
	"github.com/smallhq/small/cmd/internal/httpapi/ui"
)

// DefaultMaxBody is the largest request body accepted unless Options say
// otherwise: 1 MiB.
const DefaultMaxBody = 1 << 20

// Options configure the handler.
type Options struct {
	// Factory opens the repository served.
	Factory *cmdutil.Factory
	// Addr is the address served, host:port as the listener has it
	// (127.0.0.1:7474): a request's Host, and its Origin when it has one,
	// must name it.
	Addr string
	// Hosts are more host names (without port) the server may be reached
	// by, e.g. a machine's name when it serves beyond loopback.
	Hosts []string
	// MaxBody caps request bodies (DefaultMaxBody when 0); a longer one is
	// answered 413.
	MaxBody int64
	// Evaluations bounds the evaluations (validate, render, verify) run
	// at once; the default is the number of CPUs. Others wait their turn.
	Evaluations int
	// Bodies bounds the requests holding a body (validate, render) at
	// once, reading it or waiting for an evaluation with it, and so the
	// memory bodies take: Bodies times MaxBody. The default is
	// DefaultBodies; a request beyond is answered 503 at once.
	Bodies int
}

// DefaultBodies is how many requests may hold a body at once unless
// Options say otherwise: 64 MiB of bodies at the default MaxBody.
const DefaultBodies = 64

// Server is the handler and what it keeps between requests.
type Server struct {
	opts  Options
	mux   *http.ServeMux
	cache *cache
	// evals holds a token per evaluation running.
	evals chan struct{}
	// verifying serializes verifications: each rebuilds every build.
	verifying chan struct{}
	// bodies holds a token per request holding a body.
	bodies chan struct{}
}

// New returns small serve's handler.
func New(opts Options) *Server {
	if opts.MaxBody <= 0 {
		opts.MaxBody = DefaultMaxBody
	}
	if opts.Evaluations <= 0 {
		opts.Evaluations = runtime.NumCPU()
	}
	if opts.Bodies <= 0 {
		opts.Bodies = DefaultBodies
	}
	s := &Server{opts: opts, mux: http.NewServeMux(), cache: newCache(), evals: make(chan struct{}, opts.Evaluations), verifying: make(chan struct{}, 1), bodies: make(chan struct{}, opts.Bodies)}
	s.routes()
	ui.Register(s.mux)
	return s
}

// ServeHTTP answers a request through the guard.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.guard(s.mux).ServeHTTP(w, r)
}

// route is one API endpoint: the methods it answers and its handler.
type route struct {
	path    string
	methods []string
	h       http.HandlerFunc
}

func (s *Server) routes() {
	get := []string{http.MethodGet, http.MethodHead}
	post := []string{http.MethodPost}
	for _, rt := range []route{
		{"/protocol/small/v1", get, s.protocol},
		{"/protocol/small/v1/records/{name}", get, s.record},
		{"/v1/validate", post, s.withBody(s.validate)},
		{"/v1/render", post, s.withBody(s.render)},
		{"/v1/kinds", get, s.kinds},
		{"/v1/kinds/{kind}", get, s.kind},
		{"/v1/kinds/{kind}/schema", get, s.kindSchema},
		{"/v1/status", get, s.status},
		{"/v1/artifacts/{path...}", get, s.artifact},
		{"/v1/lineage/{path...}", get, s.lineage},
		{"/v1/history/{path...}", get, s.history},
		{"/v1/verify", get, s.verify},
	} {
		s.mux.HandleFunc(rt.path, methods(rt.methods, rt.h))
	}
	// Anything else under the API, and any path the UI does not serve, is
	// a JSON 404.
	s.mux.HandleFunc("/v1/", notFound)
	s.mux.HandleFunc("/protocol/", notFound)
	s.mux.HandleFunc("/", notFound)
}

// withBody admits a request that reads a body while fewer than
// Options.Bodies do, and answers 503 otherwise: a body is read before the
// request waits for an evaluation, so without a bound, clients holding
// connections open would make the server hold a body of up to MaxBody for
// each of them.
func (s *Server) withBody(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		select {
		case s.bodies <- struct{}{}:
			defer func() { <-s.bodies }()
		default:
			w.Header().Set("Retry-After", fmt.Sprint(RetryAfter))
			fail(w, http.StatusServiceUnavailable, "%d requests with a manifest are being read or wait for an evaluation already: try again shortly", cap(s.bodies))
			return
		}
		h(w, r)
	}
}

// methods answers 405, with Allow, to a method the endpoint does not take.
func methods(allowed []string, h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		for _, m := range allowed {
			if r.Method == m {
				h(w, r)
				return
			}
		}
		allow := allowed[0]
		for _, m := range allowed[1:] {
			allow += ", " + m
		}
		w.Header().Set("Allow", allow)
		fail(w, http.StatusMethodNotAllowed, "%s %s: expected %s", r.Method, r.URL.Path, allow)
	}
}

func notFound(w http.ResponseWriter, r *http.Request) {
	fail(w, http.StatusNotFound, "%s: no such endpoint (see /protocol/small/v1 and docs/serve.md)", r.URL.Path)
}
