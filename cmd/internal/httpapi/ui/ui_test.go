package ui

import (
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
)

func server(t *testing.T) *httptest.Server {
	mux := http.NewServeMux()
	Register(mux)
	ts := httptest.NewServer(mux)
	t.Cleanup(ts.Close)
	return ts
}

func get(t *testing.T, u string) (*http.Response, string) {
	t.Helper()
	res, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res, string(b)
}

func TestRoutes(t *testing.T) {
	ts := server(t)
	for _, c := range []struct {
		path, ctype, contains string
	}{
		{"/", "text/html; charset=utf-8", "/static/playground.js"},
		{"/status", "text/html; charset=utf-8", "/static/status.js"},
		{"/artifact/article/hello-world.json", "text/html; charset=utf-8", "/static/artifact.js"},
		{"/artifact/Article/hello-world", "text/html; charset=utf-8", "/static/artifact.js"},
		{"/static/style.css", "text/css; charset=utf-8", ":root"},
		{"/static/playground.js", "text/javascript; charset=utf-8", "/v1/validate"},
		{"/static/common.js", "text/javascript; charset=utf-8", "export function h("},
		{"/static/favicon.svg", "image/svg+xml", "<svg"},
	} {
		res, body := get(t, ts.URL+c.path)
		if res.StatusCode != 200 {
			t.Errorf("GET %s: %d", c.path, res.StatusCode)
			continue
		}
		if got := res.Header.Get("Content-Type"); got != c.ctype {
			t.Errorf("GET %s: Content-Type %q, want %q", c.path, got, c.ctype)
		}
		if !strings.Contains(body, c.contains) {
			t.Errorf("GET %s: no %q in the body", c.path, c.contains)
		}
	}
}

func TestNotServed(t *testing.T) {
	ts := server(t)
	for _, p := range []string{
		"/static/", "/static/playground.html", "/static/nope.js", "/static/static/style.css",
		"/static/..%2fui.go", "/static/%2e%2e/ui.go", "/ui.go", "/index.html", "/status/x",
	} {
		res, _ := get(t, ts.URL+p)
		if res.StatusCode == 200 {
			t.Errorf("GET %s: 200, want it refused", p)
		}
	}
	res, err := http.Post(ts.URL+"/", "text/plain", strings.NewReader("x"))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST /: %d, want 405", res.StatusCode)
	}
}

func TestAssetName(t *testing.T) {
	for p, want := range map[string]bool{
		"style.css": true, "a.js": true, "favicon.svg": true,
		"": false, "x.html": false, "a/b.js": false, `a\b.js`: false, ".js": true, "ui.go": false,
	} {
		if got := assetName(p); got != want {
			t.Errorf("assetName(%q) = %v, want %v", p, got, want)
		}
	}
}

// TestNoInline holds the pages to the server's Content-Security-Policy
// (script-src 'self'; style-src 'self'): no inline script, no style
// element or attribute, no event-handler attribute, no javascript: URL,
// nothing fetched from another origin, and no innerHTML in the scripts.
func TestNoInline(t *testing.T) {
	bad := []*regexp.Regexp{
		regexp.MustCompile(`<script(?:\s[^>]*)?>\s*[^<\s]`), // a script with a body
		regexp.MustCompile(`<style`),
		regexp.MustCompile(`\sstyle=`),
		regexp.MustCompile(`\son[a-z]+=`),
		regexp.MustCompile(`javascript:`),
		regexp.MustCompile(`(?:src|href)="(?:https?:)?//`),
	}
	scripts := regexp.MustCompile(`<script\b[^>]*\bsrc="/static/[a-z]+\.js"[^>]*>`)
	n := 0
	err := fs.WalkDir(static, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(static, p)
		if err != nil {
			return err
		}
		s := string(b)
		switch {
		case strings.HasSuffix(p, ".html"):
			n++
			for _, re := range bad {
				if m := re.FindString(s); m != "" {
					t.Errorf("%s: %q", p, m)
				}
			}
			if !scripts.MatchString(s) {
				t.Errorf("%s: loads no script of its own from /static/", p)
			}
		case strings.HasSuffix(p, ".js"):
			for _, w := range []string{"innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function", "setAttribute('style'", ".style."} {
				if strings.Contains(s, w) {
					t.Errorf("%s uses %s", p, w)
				}
			}
			if strings.Contains(s, "http://") || strings.Contains(s, "https://") {
				if strings.Count(s, "http://www.w3.org/2000/svg") != strings.Count(s, "http://")+strings.Count(s, "https://") {
					t.Errorf("%s names another origin", p)
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n != 3 {
		t.Errorf("%d pages checked, want 3", n)
	}
}
