// Package ui is small serve's browser UI: plain HTML, CSS and JavaScript
// embedded in the binary, calling the JSON API of package httpapi.
package ui

import (
	"embed"
	"net/http"
)

//go:embed static
var static embed.FS

// Register adds the UI's routes to mux.
func Register(mux *http.ServeMux) {
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		b, err := static.ReadFile("static/index.html")
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write(b)
	})
}
