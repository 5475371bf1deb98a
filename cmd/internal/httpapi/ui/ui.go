// Package ui is the browser side of small serve: the playground, the status
// page and the artifact pages, plain HTML, CSS and JavaScript embedded in
// the binary. The pages read everything through the server's JSON API
// (/v1/...), the same answers a program gets; this package only serves the
// files. Nothing here runs inline script or inline style, so the pages work
// under the server's Content-Security-Policy (script-src 'self';
// style-src 'self'), offline, with no build step and no CDN.
package ui

import (
	"bytes"
	"embed"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"time"
)

//go:embed static
var files embed.FS

// static is the tree served under /static/.
var static = mustSub(files, "static")

func mustSub(f fs.FS, dir string) fs.FS {
	s, err := fs.Sub(f, dir)
	if err != nil {
		panic(err)
	}
	return s
}

// Register adds the pages and their assets to mux:
//
//	GET /{$}                the playground
//	GET /status             every artifact, its state and what may happen next
//	GET /artifact/{path...} one artifact: lineage, lifecycle, bytes
//	GET /static/            the CSS, JavaScript and icon the pages load
//
// The artifact page is one HTML shell for every path: its script reads the
// path from the location and asks the API, so no path is ever written into
// HTML by the server.
func Register(mux *http.ServeMux) {
	mux.Handle("GET /{$}", page("playground.html"))
	mux.Handle("GET /status", page("status.html"))
	mux.Handle("GET /artifact/{path...}", page("artifact.html"))
	mux.Handle("GET /static/", http.StripPrefix("/static/", assets()))
}

// page serves one embedded HTML file. The pages are small and fixed at
// build time, so they are read once and served from memory.
func page(name string) http.Handler {
	b, err := fs.ReadFile(static, name)
	if err != nil {
		panic(err)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		http.ServeContent(w, r, name, time.Time{}, bytes.NewReader(b))
	})
}

// assets serves the files under static/ except the HTML pages, which have
// their own routes; directories are not listed.
func assets() http.Handler {
	fsrv := http.FileServerFS(static)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := r.URL.Path
		if p == "" || p[len(p)-1] == '/' || !assetName(p) {
			http.NotFound(w, r)
			return
		}
		fsrv.ServeHTTP(w, r)
	})
}

// assetName reports whether p names an asset: a file at the top of
// static/ whose extension is one of the asset types.
func assetName(p string) bool {
	if strings.ContainsAny(p, "/\\") {
		return false
	}
	switch path.Ext(p) {
	case ".css", ".js", ".svg":
		return true
	}
	return false
}
