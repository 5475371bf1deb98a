package httpapi_test

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/smallhq/small/cmd/internal/cmdutil"
	"github.com/smallhq/small/cmd/internal/httpapi"
	"github.com/smallhq/small/cmd/internal/root"
	"github.com/smallhq/small/content"
	"github.com/smallhq/small/diag"
)

// The tests serve real repositories, made and built by the real small
// commands (in process) and git, and compare every answer with what the
// matching command prints.

// env gives git and small an identity of the tests' own.
func env(t *testing.T) {
	home := t.TempDir()
	cfg := filepath.Join(home, ".gitconfig")
	if err := os.WriteFile(cfg, []byte("[init]\n\tdefaultBranch = main\n[commit]\n\tgpgsign = false\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for k, v := range map[string]string{
		"HOME": home, "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": cfg,
		"GIT_AUTHOR_NAME": "Test Author", "GIT_AUTHOR_EMAIL": "author@example.com",
		"GIT_COMMITTER_NAME": "Test Committer", "GIT_COMMITTER_EMAIL": "committer@example.com",
		"GIT_AUTHOR_DATE": "2026-01-15T10:00:00Z", "GIT_COMMITTER_DATE": "2026-01-15T10:00:00Z",
	} {
		t.Setenv(k, v)
	}
}

type repoDir string

func (d repoDir) git(t *testing.T, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = string(d)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// small runs small in the repository, in process, with stdin, and
// returns its standard output and exit code.
func (d repoDir) small(t *testing.T, stdin string, args ...string) (string, int) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := root.Main(append([]string{"-C", string(d)}, args...), &cmdutil.IOStreams{In: strings.NewReader(stdin), Out: &out, ErrOut: &errOut})
	return out.String(), code
}

func (d repoDir) write(t *testing.T, name, text string) {
	t.Helper()
	p := filepath.Join(string(d), filepath.FromSlash(name))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

// newRepo is the example content, committed and built twice: the second
// time with an article moved to review.
func newRepo(t *testing.T) repoDir {
	t.Helper()
	env(t)
	d := repoDir(t.TempDir())
	d.git(t, "init", "-q")
	if _, code := d.small(t, "", "init", "--example"); code != 0 {
		t.Fatal("small init failed")
	}
	d.git(t, "add", "-A")
	d.git(t, "commit", "-qm", "Example content")
	if out, code := d.small(t, "", "build"); code != 0 {
		t.Fatalf("small build: %d\n%s", code, out)
	}
	hello := filepath.Join(string(d), "manifests", "articles", "hello-world.yaml")
	b, err := os.ReadFile(hello)
	if err != nil {
		t.Fatal(err)
	}
	d.write(t, "manifests/articles/hello-world.yaml", string(b)+"status: review\n")
	d.git(t, "commit", "-qam", "Hello world to review")
	if out, code := d.small(t, "", "build"); code != 0 {
		t.Fatalf("small build: %d\n%s", code, out)
	}
	return d
}

// serve starts the handler on a loopback port, as small serve does.
func serve(t *testing.T, d repoDir, opts httpapi.Options) (*httptest.Server, *httpapi.Server) {
	t.Helper()
	ts := httptest.NewUnstartedServer(nil)
	opts.Factory = &cmdutil.Factory{IO: &cmdutil.IOStreams{In: strings.NewReader(""), Out: io.Discard, ErrOut: io.Discard}, Dir: string(d)}
	opts.Addr = ts.Listener.Addr().String()
	h := httpapi.New(opts)
	ts.Config.Handler = h
	ts.Start()
	t.Cleanup(ts.Close)
	return ts, h
}

type answer struct {
	status int
	header http.Header
	body   string
}

func do(t *testing.T, ts *httptest.Server, method, path, ctype, body string) answer {
	t.Helper()
	req, err := http.NewRequest(method, ts.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	res, err := ts.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return answer{res.StatusCode, res.Header, string(b)}
}

const (
	badPost  = "kind: Article\ntitle: X\nauthor: ada\nlayout: sideways\nbody: Short.\n"
	goodPost = "kind: Article\ntitle: A new post\nauthor: ada\nbody: Fresh.\n"
	jsonPost = `{"kind": "Author", "name": "Zed"}`
)

// TestSameAsCommands: every endpoint answers what its command prints
// with --format json, byte for byte.
func TestSameAsCommands(t *testing.T) {
	d := newRepo(t)
	ts, _ := serve(t, d, httpapi.Options{})
	head := strings.TrimSpace(d.git(t, "rev-parse", "HEAD"))
	cases := []struct {
		path  string
		args  []string
		ctype string
	}{
		{"/protocol/small/v1", []string{"protocol"}, "application/json"},
		{"/protocol/small/v1/records/status", []string{"protocol", "--schema", "status"}, "application/schema+json"},
		{"/v1/kinds", []string{"schema", "list", "--rev", "HEAD", "--format", "json"}, "application/json"},
		{"/v1/kinds/Article", []string{"schema", "show", "Article", "--rev", "HEAD", "--format", "json"}, "application/json"},
		{"/v1/kinds/Article/schema", []string{"schema", "export", "Article", "--rev", "HEAD"}, "application/schema+json"},
		{"/v1/status", []string{"status", "--format", "json"}, "application/json"},
		{"/v1/status?kind=Article&state=review", []string{"status", "--kind", "Article", "--state", "review", "--format", "json"}, "application/json"},
		{"/v1/artifacts/article/hello-world.json", []string{"show", "article/hello-world.json"}, "application/json"},
		{"/v1/artifacts/Article/hello-world", []string{"show", "Article/hello-world"}, "application/json"},
		{"/v1/lineage/Article/hello-world", []string{"lineage", "Article/hello-world", "--format", "json"}, "application/json"},
		{"/v1/lineage/article/hello-world.json?all=true", []string{"lineage", "article/hello-world.json", "--all", "--format", "json"}, "application/json"},
		{"/v1/lineage/manifests/articles/hello-world.yaml", []string{"lineage", "manifests/articles/hello-world.yaml", "--format", "json"}, "application/json"},
		{"/v1/lineage/article/hello-world.json?uses=1", []string{"lineage", "article/hello-world.json", "--uses", "--format", "json"}, "application/json"},
		{"/v1/lineage/Author/ada?usedBy=true", []string{"lineage", "Author/ada", "--used-by", "--format", "json"}, "application/json"},
		{"/v1/history/article/hello-world.json", []string{"history", "article/hello-world.json", "--format", "json"}, "application/json"},
		{"/v1/verify", []string{"verify", "--format", "json"}, "application/json"},
	}
	for _, c := range cases {
		t.Run(c.path, func(t *testing.T) {
			got := do(t, ts, "GET", c.path, "", "")
			want, code := d.small(t, "", c.args...)
			if code != 0 {
				t.Fatalf("small %s: exit %d", strings.Join(c.args, " "), code)
			}
			if got.status != 200 || got.body != want {
				t.Fatalf("GET %s: %d\n%s\nwant (small %s):\n%s", c.path, got.status, got.body, strings.Join(c.args, " "), want)
			}
			if ct := got.header.Get("Content-Type"); ct != c.ctype {
				t.Errorf("Content-Type %q, want %q", ct, c.ctype)
			}
			if !strings.HasPrefix(c.path, "/protocol/") && got.header.Get(httpapi.CommitHeader) != head {
				t.Errorf("%s: %q, want HEAD %s", httpapi.CommitHeader, got.header.Get(httpapi.CommitHeader), head)
			}
			// Asked again, from the cache: the same bytes.
			if again := do(t, ts, "GET", c.path, "", ""); again.body != got.body || again.status != 200 {
				t.Errorf("GET %s again: %d, a different answer", c.path, again.status)
			}
		})
	}
	for _, c := range []struct{ path, query, body, ctype string }{
		{"manifests/articles/new-post.yaml", "?path=manifests/articles/new-post.yaml", goodPost, "application/yaml"},
		{"manifests/articles/bad.yaml", "?path=manifests/articles/bad.yaml", badPost, "application/x-www-form-urlencoded"},
		{"manifests/authors/zed.json", "?path=manifests/authors/zed.json", jsonPost, "application/json"},
		{"manifests/draft.yaml", "", badPost, ""},
		{"manifests/draft.json", "", jsonPost, "text/plain"},
		{"manifests/articles/empty.yaml", "?path=manifests/articles/empty.yaml", "", ""},
		{"manifests/articles/broken.yaml", "?path=manifests/articles/broken.yaml", "kind: Article\ntitle: [unclosed\n", ""},
	} {
		t.Run("validate "+c.path, func(t *testing.T) {
			want, _ := d.small(t, c.body, "validate", "-", "--path", c.path, "--rev", "HEAD", "--format", "json")
			got := do(t, ts, "POST", "/v1/validate"+c.query, c.ctype, c.body)
			if got.status != 200 || got.body != want {
				t.Fatalf("POST /v1/validate%s: %d\n%s\nwant:\n%s", c.query, got.status, got.body, want)
			}
			if again := do(t, ts, "POST", "/v1/validate"+c.query, c.ctype, c.body); again.body != got.body {
				t.Fatalf("the same manifest validated again: another answer\n%s", again.body)
			}
		})
	}
}

// TestRender: what a manifest would build is what small build writes.
func TestRender(t *testing.T) {
	d := newRepo(t)
	ts, _ := serve(t, d, httpapi.Options{})
	hello, err := os.ReadFile(filepath.Join(string(d), "manifests", "articles", "hello-world.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	got := do(t, ts, "POST", "/v1/render?path=manifests/articles/hello-world.yaml", "application/yaml", string(hello))
	if got.status != 200 {
		t.Fatalf("render: %d %s", got.status, got.body)
	}
	var r content.Rendering
	if err := json.Unmarshal([]byte(got.body), &r); err != nil {
		t.Fatal(err)
	}
	built, _ := d.small(t, "", "show", "article/hello-world.json")
	sum := sha256.Sum256([]byte(built))
	if !r.Valid || len(r.Artifacts) != 1 || r.Artifacts[0].Path != "article/hello-world.json" || r.Artifacts[0].Content != built ||
		r.Artifacts[0].SHA256 != hex.EncodeToString(sum[:]) || r.Kind != "Article" || r.ID != "hello-world" || r.State != "review" {
		t.Fatalf("render of the committed manifest is not what was built:\n%s\nbuilt:\n%s", got.body, built)
	}
	// An invalid one: its findings, as small validate gives them, and nothing built.
	bad := do(t, ts, "POST", "/v1/render?path=manifests/articles/bad.yaml", "", badPost)
	var rb content.Rendering
	if err := json.Unmarshal([]byte(bad.body), &rb); err != nil || bad.status != 200 {
		t.Fatalf("%d %v %s", bad.status, err, bad.body)
	}
	var rep diag.JSONReport
	v, _ := d.small(t, badPost, "validate", "-", "--path", "manifests/articles/bad.yaml", "--rev", "HEAD", "--format", "json")
	if err := json.Unmarshal([]byte(v), &rep); err != nil {
		t.Fatal(err)
	}
	if rb.Valid || len(rb.Artifacts) != 0 || fmt.Sprint(rb.Diagnostics) != fmt.Sprint(rep.Diagnostics) {
		t.Fatalf("render of an invalid manifest:\n%s\nvalidate says:\n%s", bad.body, v)
	}
	// #outputs are rendered too.
	d.write(t, "schemas/page.cue", "package schemas\n\n#Page: {\n\tid:    string\n\ttitle: string\n\t#outputs: \"pages/\\(id).md\": \"# \\(title)\\n\"\n}\n")
	d.git(t, "add", "-A")
	d.git(t, "commit", "-qm", "Pages")
	page := do(t, ts, "POST", "/v1/render?path=manifests/pages/about.yaml", "", "kind: Page\ntitle: About us\n")
	var rp content.Rendering
	if err := json.Unmarshal([]byte(page.body), &rp); err != nil || len(rp.Artifacts) != 2 || rp.Artifacts[1].Path != "pages/about.md" || rp.Artifacts[1].Content != "# About us\n" {
		t.Fatalf("render with #outputs: %d %v\n%s", page.status, err, page.body)
	}
}

// failure decodes a failure object and checks its shape.
func failure(t *testing.T, a answer) diag.Failure {
	t.Helper()
	var f diag.Failure
	dec := json.NewDecoder(strings.NewReader(a.body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil || f.Protocol != "small/v1" || f.Error.Message == "" || f.Error.ExitCode == 0 {
		t.Fatalf("not small/v1's failure object (%v):\n%s", err, a.body)
	}
	if a.header.Get("Content-Type") != "application/json" {
		t.Errorf("failure Content-Type %q", a.header.Get("Content-Type"))
	}
	return f
}

// TestErrors: every error a client can cause, with its status and
// small/v1's failure object.
func TestErrors(t *testing.T) {
	d := newRepo(t)
	ts, _ := serve(t, d, httpapi.Options{MaxBody: 4096})
	cases := []struct {
		method, path, ctype, body string
		status                    int
		want                      string
	}{
		{"GET", "/v1/kinds/Nope/schema", "", "", 404, "Nope"},
		{"GET", "/v1/kinds/Nope", "", "", 404, "Nope"},
		{"GET", "/v1/artifacts/article/nope.json", "", "", 404, "no such artifact"},
		{"GET", "/v1/artifacts/Article/nope", "", "", 404, "no such artifact"},
		{"GET", "/v1/lineage/Article/nope", "", "", 404, "no such artifact"},
		{"GET", "/v1/history/article/nope.json", "", "", 404, "no such artifact"},
		{"GET", "/v1/history/manifests/articles/hello-world.yaml", "", "", 400, "is a manifest"},
		{"GET", "/v1/status?kind=Artcle", "", "", 400, "did you mean"},
		{"GET", "/v1/status?knd=Article", "", "", 400, "expected one of kind, state"},
		{"GET", "/v1/status?kind=Article&kind=Author", "", "", 400, "given 2 times"},
		{"GET", "/v1/kinds?x=1", "", "", 400, "takes no query parameters"},
		{"GET", "/v1/lineage/Article/hello-world?all=maybe", "", "", 400, "expected true or false"},
		{"GET", "/v1/verify?since=nope", "", "", 400, "nope"},
		{"GET", "/v1/verify?since=HEAD", "", "", 400, "is not on it"},
		{"GET", "/v1/artifacts/", "", "", 400, "expected an artifact path"},
		{"GET", "/v1/lineage/article/", "", "", 400, "expected an artifact path"},
		{"GET", "/protocol/small/v1/records/nope", "", "", 404, "nope"},
		{"POST", "/v1/validate?path=../x.yaml", "", goodPost, 400, "not a clean path"},
		{"POST", "/v1/validate?path=schemas/x.yaml", "", goodPost, 400, "outside the manifests directory"},
		{"POST", "/v1/validate?path=manifests/x.txt", "", goodPost, 400, "not a manifest file name"},
		{"POST", "/v1/render?path=/etc/x.yaml", "", goodPost, 400, "not a clean path"},
		{"POST", "/v1/validate?file=x", "", goodPost, 400, "expected one of path"},
		{"POST", "/v1/validate", "multipart/form-data; boundary=x", goodPost, 415, "multipart"},
		{"POST", "/v1/validate", "", strings.Repeat("#", 5000), 413, "at most 4096"},
		{"POST", "/v1/render", "", strings.Repeat("#", 4097), 413, "at most 4096"},
		{"GET", "/v1/validate", "", "", 405, "expected POST"},
		{"PUT", "/v1/render", "", "", 405, "expected POST"},
		{"DELETE", "/v1/kinds", "", "", 405, "expected GET, HEAD"},
		{"POST", "/v1/status", "", "", 405, "expected GET, HEAD"},
		{"POST", "/protocol/small/v1", "", "", 405, "expected GET, HEAD"},
		{"GET", "/v1/nope", "", "", 404, "no such endpoint"},
		{"GET", "/nope", "", "", 404, "no such endpoint"},
		{"GET", "/v1/artifacts/a%2Fb", "", "", 400, "encoded slash"},
		{"GET", "/v1/artifacts/a%5Cb", "", "", 400, "encoded slash, backslash"},
		{"GET", "/v1/artifacts/a%00b", "", "", 400, "NUL"},
		{"GET", "/v1/artifacts/%2e%2e/%2e%2e/etc/passwd", "", "", 400, ".. segment"},
		{"GET", "/v1/artifacts/article/./hello-world.json", "", "", 400, ".. segment"},
		{"GET", "/v1/artifacts//etc/passwd", "", "", 400, "empty segment"},
		{"GET", "/v1/artifacts/a%0Ab", "", "", 400, "control character"},
		{"GET", "/v1/artifacts/a%ffb", "", "", 400, "UTF-8"},
	}
	for _, c := range cases {
		t.Run(c.method+" "+c.path, func(t *testing.T) {
			a := do(t, ts, c.method, c.path, c.ctype, c.body)
			if a.status != c.status {
				t.Fatalf("%d, want %d:\n%s", a.status, c.status, a.body)
			}
			f := failure(t, a)
			if !strings.Contains(f.Error.Message, c.want) {
				t.Errorf("message %q, want it to say %q", f.Error.Message, c.want)
			}
			if c.status == 405 && a.header.Get("Allow") == "" {
				t.Error("405 without Allow")
			}
			securityHeaders(t, a.header)
		})
	}
	// A chunked body (no Content-Length) over the cap is cut at the cap.
	req, _ := http.NewRequest("POST", ts.URL+"/v1/validate", io.MultiReader(strings.NewReader("kind: Article\n"), strings.NewReader(strings.Repeat("#", 8000))))
	req.ContentLength = -1
	res, err := ts.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 413 {
		t.Errorf("a chunked body over the cap: %d, want 413", res.StatusCode)
	}
}

func securityHeaders(t *testing.T, h http.Header) {
	t.Helper()
	for k, v := range map[string]string{
		"Content-Security-Policy": httpapi.ContentSecurityPolicy,
		"X-Content-Type-Options":  "nosniff",
		"X-Frame-Options":         "DENY",
		"Referrer-Policy":         "no-referrer",
	} {
		if h.Get(k) != v {
			t.Errorf("%s: %q, want %q", k, h.Get(k), v)
		}
	}
	if strings.Contains(h.Get("Content-Security-Policy"), "unsafe-inline") {
		t.Error("the CSP allows inline script or style")
	}
}

// TestHostAndOrigin: a page elsewhere cannot reach the server, by DNS
// rebinding (its own name in Host) or a cross-origin request (Origin).
func TestHostAndOrigin(t *testing.T) {
	d := newRepo(t)
	ts, h := serve(t, d, httpapi.Options{Hosts: []string{"docs.internal"}})
	port := ts.Listener.Addr().String()[strings.LastIndex(ts.Listener.Addr().String(), ":")+1:]
	cases := []struct {
		host, origin, fetchSite string
		status                  int
	}{
		{"127.0.0.1:" + port, "", "", 200},
		{"localhost:" + port, "", "", 200},
		{"LOCALHOST:" + port, "", "", 200},
		{"docs.internal:" + port, "", "", 200},
		{"127.0.0.1:" + port, "http://127.0.0.1:" + port, "same-origin", 200},
		{"127.0.0.1:" + port, "http://localhost:" + port, "", 200},
		{"attacker.example:" + port, "", "", 403}, // DNS rebinding: the attacker's name, our IP
		{"attacker.example:" + port, "http://attacker.example:" + port, "", 403},
		{"127.0.0.1", "", "", 403}, // port 80 is not the one served
		{"127.0.0.1:1", "", "", 403},
		{"[::1]:" + port, "", "", 403}, // not the address served
		{"127.0.0.2:" + port, "", "", 403},
		{"", "", "", 403},
		{"localhost.attacker.example:" + port, "", "", 403},
		{"127.0.0.1:" + port, "http://attacker.example", "", 403},
		{"127.0.0.1:" + port, "null", "", 403},
		{"127.0.0.1:" + port, "https://127.0.0.1:" + port, "", 403},
		{"127.0.0.1:" + port, "http://127.0.0.1:" + port + "/x", "", 403},
		{"127.0.0.1:" + port, "", "cross-site", 403},
		// A person following a link from another site to a page: the
		// browser says navigate, document (Chromium, Firefox, Safari).
		{"127.0.0.1:" + port, "", "cross-site navigate document", 200},
		{"localhost:" + port, "", "cross-site navigate document", 200},
		// A page elsewhere framing or fetching: not a navigation of the
		// person's own window.
		{"127.0.0.1:" + port, "", "cross-site navigate iframe", 403},
		{"127.0.0.1:" + port, "", "cross-site no-cors image", 403},
		{"127.0.0.1:" + port, "", "cross-site cors empty", 403},
		// DNS rebinding stays refused, navigation or not.
		{"attacker.example:" + port, "", "cross-site navigate document", 403},
		{"attacker.example:" + port, "", "same-origin navigate document", 403},
	}
	for _, c := range cases {
		for _, path := range []string{"/v1/kinds", "/"} {
			req := httptest.NewRequest("GET", path, nil)
			req.Host = c.host
			if c.origin != "" {
				req.Header.Set("Origin", c.origin)
			}
			if f := strings.Fields(c.fetchSite); len(f) > 0 {
				req.Header.Set("Sec-Fetch-Site", f[0])
				if len(f) == 3 {
					req.Header.Set("Sec-Fetch-Mode", f[1])
					req.Header.Set("Sec-Fetch-Dest", f[2])
				}
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != c.status {
				t.Errorf("GET %s Host %q Origin %q: %d, want %d\n%s", path, c.host, c.origin, rec.Code, c.status, rec.Body)
			}
			securityHeaders(t, rec.Header())
		}
	}
	// Over the network too: a request naming another host is refused.
	req, _ := http.NewRequest("POST", ts.URL+"/v1/validate", strings.NewReader(goodPost))
	req.Host = "attacker.example:" + port
	res, err := ts.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 403 {
		t.Errorf("POST with Host attacker.example: %d", res.StatusCode)
	}
	// A form on another site that POSTs by navigating is refused: it is
	// not a GET, and it says its Origin.
	for _, origin := range []string{"", "http://attacker.example"} {
		req := httptest.NewRequest("POST", "/v1/validate", strings.NewReader(goodPost))
		req.Host = "127.0.0.1:" + port
		req.Header.Set("Sec-Fetch-Site", "cross-site")
		req.Header.Set("Sec-Fetch-Mode", "navigate")
		req.Header.Set("Sec-Fetch-Dest", "document")
		if origin != "" {
			req.Header.Set("Origin", origin)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != 403 {
			t.Errorf("a cross-site form POST navigating here (Origin %q): %d, want 403", origin, rec.Code)
		}
	}
}

// TestUIHeaders: the UI's pages carry the security headers too.
func TestUIHeaders(t *testing.T) {
	d := newRepo(t)
	ts, _ := serve(t, d, httpapi.Options{})
	a := do(t, ts, "GET", "/", "", "")
	if a.status != 200 || !strings.HasPrefix(a.header.Get("Content-Type"), "text/html") {
		t.Fatalf("GET /: %d %s", a.status, a.header.Get("Content-Type"))
	}
	securityHeaders(t, a.header)
}

// TestArtifactTypes: artifacts are served as JSON or plain text, never as
// a page or script of this origin.
func TestArtifactTypes(t *testing.T) {
	d := newRepo(t)
	d.write(t, "schemas/page.cue", "package schemas\n\n#Page: {\n\tid:    string\n\ttitle: string\n\t#outputs: {\n\t\t\"pages/\\(id).html\": \"<script>alert(1)</script>\"\n\t\t\"pages/\\(id).js\": \"alert(1)\"\n\t}\n}\n")
	d.write(t, "manifests/pages/about.yaml", "kind: Page\ntitle: About\n")
	d.git(t, "add", "-A")
	d.git(t, "commit", "-qm", "Pages")
	if out, code := d.small(t, "", "build"); code != 0 {
		t.Fatalf("build: %s", out)
	}
	ts, _ := serve(t, d, httpapi.Options{})
	for p, ct := range map[string]string{"pages/about.html": "text/plain; charset=utf-8", "pages/about.js": "text/plain; charset=utf-8", "page/about.json": "application/json"} {
		a := do(t, ts, "GET", "/v1/artifacts/"+p, "", "")
		if a.status != 200 || a.header.Get("Content-Type") != ct {
			t.Errorf("%s: %d %q, want %q", p, a.status, a.header.Get("Content-Type"), ct)
		}
		securityHeaders(t, a.header)
	}
}

// TestCommittedState: answers come from HEAD's commit, read again when
// HEAD moves, never from the working tree.
func TestCommittedState(t *testing.T) {
	d := newRepo(t)
	ts, _ := serve(t, d, httpapi.Options{})
	kinds := func() string { return do(t, ts, "GET", "/v1/kinds", "", "").body }
	before := kinds()
	valid := func() bool {
		var rep diag.JSONReport
		a := do(t, ts, "POST", "/v1/validate?path=manifests/notes/x.yaml", "", "kind: Note\ntext: Hello\n")
		if err := json.Unmarshal([]byte(a.body), &rep); err != nil {
			t.Fatal(err)
		}
		return rep.Valid
	}
	if valid() {
		t.Fatal("a note is valid before notes exist")
	}
	// Written, not committed: not seen.
	d.write(t, "schemas/note.cue", "package schemas\n\n#Note: {text: string}\n")
	if kinds() != before || valid() {
		t.Fatal("the working tree was read")
	}
	// Staged: not seen either.
	d.git(t, "add", "-A")
	if kinds() != before || valid() {
		t.Fatal("the index was read")
	}
	// Committed: seen at once.
	d.git(t, "commit", "-qm", "Notes")
	if after := kinds(); after == before || !strings.Contains(after, `"Note"`) {
		t.Fatalf("HEAD moved and /v1/kinds did not:\n%s", after)
	}
	if !valid() {
		t.Fatal("HEAD moved and /v1/validate did not follow")
	}
	// The artifact branch and its notes move: status follows.
	st := do(t, ts, "GET", "/v1/status?kind=Article&state=review", "", "").body
	if out, code := d.small(t, "", "event", "Article/hello-world", "--message", "Looked at it"); code != 0 {
		t.Logf("small event: %d %s", code, out)
	}
	if out, code := d.small(t, "", "build"); code != 0 {
		t.Fatalf("build: %s", out)
	}
	want, _ := d.small(t, "", "status", "--kind", "Article", "--state", "review", "--format", "json")
	if got := do(t, ts, "GET", "/v1/status?kind=Article&state=review", "", "").body; got != want {
		t.Fatalf("after a build, status:\n%s\nwant:\n%s\n(before:\n%s)", got, want, st)
	}
}

// TestNoCommit: a repository without a commit, and one whose schemas do
// not compile at HEAD: the repository's state (409), or a report.
func TestNoCommit(t *testing.T) {
	env(t)
	d := repoDir(t.TempDir())
	d.git(t, "init", "-q")
	ts, _ := serve(t, d, httpapi.Options{})
	for _, p := range []string{"/v1/kinds", "/v1/status", "/v1/verify", "/v1/artifacts/a.json"} {
		a := do(t, ts, "GET", p, "", "")
		if a.status != 409 || !strings.Contains(failure(t, a).Error.Message, "HEAD names no commit") {
			t.Errorf("GET %s with no commit: %d %s", p, a.status, a.body)
		}
	}
	if a := do(t, ts, "GET", "/protocol/small/v1", "", ""); a.status != 200 {
		t.Errorf("the contract needs no commit: %d", a.status)
	}

	d.small(t, "", "init", "--example")
	d.write(t, "schemas/broken.cue", "package schemas\n\n#Broken: {a: int & string\n")
	d.git(t, "add", "-A")
	d.git(t, "commit", "-qm", "Broken schemas")
	a := do(t, ts, "GET", "/v1/kinds", "", "")
	if f := failure(t, a); a.status != 409 || len(f.Error.Diagnostics) == 0 || f.Error.ExitCode != 1 {
		t.Errorf("kinds with broken schemas: %d %s", a.status, a.body)
	}
	if a := do(t, ts, "GET", "/v1/status", "", ""); a.status != 404 || !strings.Contains(a.body, "run small build first") {
		t.Errorf("status before any build: %d %s", a.status, a.body)
	}
	want, _ := d.small(t, goodPost, "validate", "-", "--path", "manifests/articles/x.yaml", "--rev", "HEAD", "--format", "json")
	if a := do(t, ts, "POST", "/v1/validate?path=manifests/articles/x.yaml", "", goodPost); a.status != 200 || a.body != want || !strings.Contains(a.body, `"stopped"`) {
		t.Errorf("validate with broken schemas: %d\n%s\nwant:\n%s", a.status, a.body, want)
	}
}

// TestLimits: small.cue's limits bound what a body holds and how long it
// is evaluated, as in small validate.
func TestLimits(t *testing.T) {
	d := newRepo(t)
	ts, _ := serve(t, d, httpapi.Options{MaxBody: 8 << 20})
	var b strings.Builder
	b.WriteString("kind: Article\na: &a [x, x, x, x, x, x, x, x, x, x]\n")
	for i := range 9 {
		fmt.Fprintf(&b, "%c: &%c [*%c, *%c, *%c, *%c, *%c, *%c, *%c, *%c, *%c, *%c]\n", 'b'+i, 'b'+i, 'a'+i, 'a'+i, 'a'+i, 'a'+i, 'a'+i, 'a'+i, 'a'+i, 'a'+i, 'a'+i, 'a'+i)
	}
	for _, c := range []struct{ name, body, code string }{
		{"billion laughs", b.String(), "manifest.aliases"},
		{"over manifestBytes", "kind: Article\nbody: " + strings.Repeat("x", 2<<20) + "\n", "manifest.too-large"},
		{"deep", "kind: Article\nbody: " + strings.Repeat("[", 5000) + strings.Repeat("]", 5000) + "\n", ""},
		{"NUL", "kind: Article\x00\n", ""},
		{"invalid UTF-8", "kind: Article\ntitle: \xff\xfe\n", ""},
	} {
		start := time.Now()
		a := do(t, ts, "POST", "/v1/validate?path=manifests/articles/h.yaml", "", c.body)
		var rep diag.JSONReport
		if err := json.Unmarshal([]byte(a.body), &rep); err != nil || a.status != 200 || rep.Valid {
			t.Errorf("%s: %d %v %.300s", c.name, a.status, err, a.body)
			continue
		}
		if c.code != "" && (len(rep.Diagnostics) == 0 || rep.Diagnostics[0].Code != c.code) {
			t.Errorf("%s: %v, want %s", c.name, rep.Diagnostics, c.code)
		}
		if time.Since(start) > 10*time.Second {
			t.Errorf("%s took %s", c.name, time.Since(start))
		}
	}
}

// TestConcurrent: validations in parallel (run with -race) answer each
// its own manifest, the same bytes as one at a time.
func TestConcurrent(t *testing.T) {
	d := newRepo(t)
	ts, _ := serve(t, d, httpapi.Options{})
	inputs := []struct{ query, body string }{
		{"?path=manifests/articles/new-post.yaml", goodPost},
		{"?path=manifests/articles/bad.yaml", badPost},
		{"?path=manifests/authors/zed.json", jsonPost},
		{"", "kind: Nope\n"},
	}
	want := make([]string, len(inputs))
	for i, in := range inputs {
		want[i] = do(t, ts, "POST", "/v1/validate"+in.query, "", in.body).body
	}
	var wg sync.WaitGroup
	errs := make(chan string, 100)
	for g := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 8 {
				k := (g + i) % len(inputs)
				res, err := ts.Client().Post(ts.URL+"/v1/validate"+inputs[k].query, "application/yaml", strings.NewReader(inputs[k].body))
				if err != nil {
					errs <- err.Error()
					return
				}
				b, _ := io.ReadAll(res.Body)
				res.Body.Close()
				if res.StatusCode != 200 || string(b) != want[k] {
					errs <- fmt.Sprintf("input %d: %d\n%s", k, res.StatusCode, b)
					return
				}
				if i%4 == 0 {
					if res, err := ts.Client().Get(ts.URL + "/v1/status"); err == nil {
						io.Copy(io.Discard, res.Body)
						res.Body.Close()
						if res.StatusCode != 200 {
							errs <- fmt.Sprintf("status: %d", res.StatusCode)
						}
					}
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}

// TestReadOnly: after every endpoint, the git directory is byte for byte
// what it was (refs, notes, objects, small's verified marks), and git
// fsck --strict finds nothing.
func TestReadOnly(t *testing.T) {
	d := newRepo(t)
	ts, _ := serve(t, d, httpapi.Options{})
	before := gitDirState(t, string(d))
	for _, r := range []struct{ method, path, body string }{
		{"GET", "/", ""},
		{"GET", "/protocol/small/v1", ""},
		{"POST", "/v1/validate?path=manifests/articles/hello-world.yaml", goodPost},
		{"POST", "/v1/validate?path=manifests/articles/new.yaml", badPost},
		{"POST", "/v1/render?path=manifests/articles/new.yaml", goodPost},
		{"GET", "/v1/kinds", ""},
		{"GET", "/v1/kinds/Article", ""},
		{"GET", "/v1/kinds/Article/schema", ""},
		{"GET", "/v1/status", ""},
		{"GET", "/v1/artifacts/article/hello-world.json", ""},
		{"GET", "/v1/lineage/Article/hello-world?all=true", ""},
		{"GET", "/v1/history/Article/hello-world", ""},
		{"GET", "/v1/verify", ""},
		{"GET", "/v1/verify?since=small/artifacts~1", ""},
	} {
		if a := do(t, ts, r.method, r.path, "", r.body); a.status != 200 {
			t.Errorf("%s %s: %d %s", r.method, r.path, a.status, a.body)
		}
	}
	if after := gitDirState(t, string(d)); after != before {
		t.Errorf("the git directory changed:\nbefore:\n%s\nafter:\n%s", before, after)
	}
	d.git(t, "fsck", "--strict")
}

// gitDirState lists every file of the git directory with a hash of its
// bytes.
func gitDirState(t *testing.T, dir string) string {
	t.Helper()
	var b strings.Builder
	root := filepath.Join(dir, ".git")
	err := filepath.WalkDir(root, func(p string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(data)
		rel, _ := filepath.Rel(root, p)
		fmt.Fprintf(&b, "%s %x\n", rel, sum[:8])
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// TestPathScopedIDs: an artifact whose id has segments
// (doc/v1/install.json) is served by its path, as Kind/id and through its
// manifest path, as the commands print it; a dot or empty segment is
// refused by the guard, not resolved.
func TestPathScopedIDs(t *testing.T) {
	d := newRepo(t)
	d.write(t, "schemas/doc.cue", "package schemas\n\n#Doc: title: string\n")
	d.write(t, "manifests/docs/v1/install.yaml", "kind: Doc\nid: v1/install\ntitle: Install v1\n")
	d.write(t, "manifests/docs/v1.yaml", "kind: Doc\ntitle: Version 1\n")
	d.git(t, "add", "-A")
	d.git(t, "commit", "-qm", "Nested docs")
	if out, code := d.small(t, "", "build"); code != 0 {
		t.Fatalf("small build: %d\n%s", code, out)
	}
	ts, _ := serve(t, d, httpapi.Options{})
	for _, c := range []struct {
		path string
		args []string
	}{
		{"/v1/artifacts/doc/v1/install.json", []string{"show", "doc/v1/install.json"}},
		{"/v1/artifacts/Doc/v1/install", []string{"show", "Doc/v1/install"}},
		{"/v1/artifacts/Doc/v1", []string{"show", "Doc/v1"}},
		{"/v1/lineage/Doc/v1/install", []string{"lineage", "Doc/v1/install", "--format", "json"}},
		{"/v1/lineage/manifests/docs/v1/install.yaml", []string{"lineage", "manifests/docs/v1/install.yaml", "--format", "json"}},
		{"/v1/history/doc/v1/install.json", []string{"history", "doc/v1/install.json", "--format", "json"}},
	} {
		got := do(t, ts, "GET", c.path, "", "")
		want, code := d.small(t, "", c.args...)
		if code != 0 || got.status != 200 || got.body != want {
			t.Errorf("GET %s: %d\n%s\nwant (small %s, exit %d):\n%s", c.path, got.status, got.body, strings.Join(c.args, " "), code, want)
		}
	}
	if got := do(t, ts, "GET", "/v1/artifacts/doc/v1/install.json", "", ""); !strings.Contains(got.body, `"id": "v1/install"`) {
		t.Errorf("the artifact: %s", got.body)
	}
	for _, p := range []string{"/v1/artifacts/Doc/v1/../v1/install", "/v1/artifacts/Doc/v1//install", "/v1/artifacts/Doc/v1%2Finstall"} {
		if got := do(t, ts, "GET", p, "", ""); got.status != 400 {
			t.Errorf("GET %s: %d, want 400\n%s", p, got.status, got.body)
		}
	}
	if got := do(t, ts, "GET", "/v1/artifacts/Doc/v2/install", "", ""); got.status != 404 || !strings.Contains(got.body, "no such artifact") {
		t.Errorf("GET Doc/v2/install: %d %s", got.status, got.body)
	}
}

// TestAbandonedEvaluationsBounded: an evaluation past limits.evalSeconds
// is answered but goes on in the background, as CUE cannot be stopped.
// The server must not start new ones on top while Options.Evaluations of
// those still run: a client posting slow manifests in a loop would pile up
// evaluations without bound, every one holding a core and its memory.
// The schema here is the repository's own, and legitimately quadratic in
// the manifest (list.UniqueItems over a long list).
func TestAbandonedEvaluationsBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("burns a core for seconds")
	}
	env(t)
	d := repoDir(t.TempDir())
	d.git(t, "init", "-q")
	if _, code := d.small(t, "", "init", "--example"); code != 0 {
		t.Fatal("small init failed")
	}
	art, err := os.ReadFile(filepath.Join(string(d), "schemas", "article.cue"))
	if err != nil {
		t.Fatal(err)
	}
	tags := `tags?: [...=~"^[a-z0-9-]+$"] & list.MaxItems(8)`
	if !strings.Contains(string(art), tags) {
		t.Fatalf("schemas/article.cue no longer has %s", tags)
	}
	d.write(t, "schemas/article.cue", strings.Replace(string(art), tags, `tags?: [...string] & list.UniqueItems()`, 1))
	cfg, err := os.ReadFile(filepath.Join(string(d), "small.cue"))
	if err != nil {
		t.Fatal(err)
	}
	limit := "evalSeconds:   5 "
	if !strings.Contains(string(cfg), limit) {
		t.Fatalf("small.cue no longer has %s", limit)
	}
	d.write(t, "small.cue", strings.Replace(string(cfg), limit, "evalSeconds:   1 ", 1))
	d.git(t, "add", "-A")
	d.git(t, "commit", "-qm", "Unique tags")
	ts, _ := serve(t, d, httpapi.Options{Evaluations: 1})
	if a := do(t, ts, "GET", "/v1/kinds", "", ""); a.status != 200 {
		t.Fatalf("GET /v1/kinds: %d %.300s", a.status, a.body)
	}

	var slow strings.Builder
	slow.WriteString(`{"kind": "Article", "title": "Slow", "author": "ada", "body": "x", "tags": [`)
	for i := range 12000 {
		if i > 0 {
			slow.WriteString(",")
		}
		fmt.Fprintf(&slow, `"t%d"`, i)
	}
	slow.WriteString("]}")
	const q = "/v1/validate?path=manifests/articles/slow.json"
	a := do(t, ts, "POST", q, "", slow.String())
	if a.status != 200 || !strings.Contains(a.body, string(diag.CodeSchemaTimeout)) {
		t.Fatalf("the slow manifest: %d %.400s, want a finding %s", a.status, a.body, diag.CodeSchemaTimeout)
	}
	if content.Abandoned() == 0 {
		t.Skip("the slow evaluation ended with its time limit: this machine is too fast for the test")
	}
	// While it runs, another evaluation is refused, not started.
	for _, p := range []string{q, "/v1/render?path=manifests/articles/x.yaml"} {
		a = do(t, ts, "POST", p, "", goodPost)
		if a.status != http.StatusServiceUnavailable || a.header.Get("Retry-After") == "" || !strings.Contains(a.body, "still running") {
			t.Errorf("%s while an abandoned evaluation runs: %d Retry-After %q %.300s, want 503", p, a.status, a.header.Get("Retry-After"), a.body)
		}
	}
	// What needs no evaluation is answered meanwhile: the kinds, loaded
	// before; loading the schemas for another answer is one.
	if a = do(t, ts, "GET", "/v1/kinds", "", ""); a.status != 200 {
		t.Errorf("GET /v1/kinds while an abandoned evaluation runs: %d %.300s", a.status, a.body)
	}
	if a = do(t, ts, "GET", "/v1/kinds/Author", "", ""); a.status != http.StatusServiceUnavailable {
		t.Errorf("GET /v1/kinds/Author while an abandoned evaluation runs: %d %.300s, want 503", a.status, a.body)
	}
	// Once it ends, evaluations are answered again.
	deadline := time.Now().Add(3 * time.Minute)
	for content.Abandoned() > 0 {
		if time.Now().After(deadline) {
			t.Fatal("the abandoned evaluation still runs after 3 minutes")
		}
		time.Sleep(50 * time.Millisecond)
	}
	if a = do(t, ts, "POST", "/v1/validate?path=manifests/articles/new-post.yaml", "", goodPost); a.status != 200 || !strings.Contains(a.body, `"valid": true`) {
		t.Errorf("after the abandoned evaluation ended: %d %.300s", a.status, a.body)
	}
}

// TestBodiesBounded: requests holding a body, being read or waiting for an
// evaluation, are bounded by Options.Bodies; one beyond is answered 503 at
// once, not read. Without the bound, clients holding connections open with
// bodies of up to MaxBody made the server hold all of them (300 posts of
// 1 MiB at once: 800 MB resident).
func TestBodiesBounded(t *testing.T) {
	d := newRepo(t)
	ts, _ := serve(t, d, httpapi.Options{Bodies: 2})
	addr := ts.Listener.Addr().String()
	// Two clients send half of their manifest and stall.
	var conns []net.Conn
	for range 2 {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		fmt.Fprintf(c, "POST /v1/validate?path=manifests/articles/new-post.yaml HTTP/1.1\r\nHost: %s\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s", addr, len(goodPost), goodPost[:10])
		conns = append(conns, c)
	}
	// A third is refused at once, once both are held.
	deadline := time.Now().Add(30 * time.Second)
	var a answer
	for {
		a = do(t, ts, "POST", "/v1/validate?path=manifests/articles/new-post.yaml", "", goodPost)
		if a.status != 200 || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if a.status != http.StatusServiceUnavailable || a.header.Get("Retry-After") == "" {
		t.Fatalf("a third request with a body while two are read: %d Retry-After %q %.300s, want 503", a.status, a.header.Get("Retry-After"), a.body)
	}
	// What holds no body is answered meanwhile.
	if a = do(t, ts, "GET", "/v1/kinds", "", ""); a.status != 200 {
		t.Errorf("GET /v1/kinds meanwhile: %d", a.status)
	}
	// The two finish and are answered; then others are taken again.
	for _, c := range conns {
		if _, err := c.Write([]byte(goodPost[10:])); err != nil {
			t.Fatal(err)
		}
		res, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		if res.StatusCode != 200 || !strings.Contains(string(b), `"valid": true`) {
			t.Errorf("a stalled request, finished: %d %.300s", res.StatusCode, b)
		}
	}
	deadline = time.Now().Add(30 * time.Second)
	for {
		if a = do(t, ts, "POST", "/v1/render?path=manifests/articles/new-post.yaml", "", goodPost); a.status == 200 || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if a.status != 200 {
		t.Errorf("after the stalled requests ended: %d %.300s", a.status, a.body)
	}
}

// TestSlowSchemasBounded: loading the schemas is an evaluation too,
// bounded by limits.evalSeconds and abandoned past it. Schemas that load
// too slowly must not start a load on every page view: GET /v1/kinds
// (which the playground asks first) started one each time, outside the
// evaluation slots, and each went on in the background.
func TestSlowSchemasBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("burns a core for seconds")
	}
	env(t)
	d := repoDir(t.TempDir())
	d.git(t, "init", "-q")
	if _, code := d.small(t, "", "init", "--example"); code != 0 {
		t.Fatal("small init failed")
	}
	d.write(t, "schemas/slow.cue", "package schemas\n\nimport \"list\"\n\n_slow: [for i in list.Range(0, 12000, 1) {i}] & list.UniqueItems()\n")
	cfg, err := os.ReadFile(filepath.Join(string(d), "small.cue"))
	if err != nil {
		t.Fatal(err)
	}
	d.write(t, "small.cue", strings.Replace(string(cfg), "evalSeconds:   5 ", "evalSeconds:   1 ", 1))
	d.git(t, "add", "-A")
	d.git(t, "commit", "-qm", "Slow schemas")
	ts, _ := serve(t, d, httpapi.Options{Evaluations: 1})

	a := do(t, ts, "GET", "/v1/kinds", "", "")
	if a.status != http.StatusConflict || !strings.Contains(a.body, string(diag.CodeSchemaTimeout)) {
		t.Fatalf("GET /v1/kinds with slow schemas: %d %.300s, want 409 %s", a.status, a.body, diag.CodeSchemaTimeout)
	}
	if content.Abandoned() == 0 {
		t.Skip("the slow schemas loaded within their time limit: this machine is too fast for the test")
	}
	for _, p := range []string{"/v1/kinds", "/v1/kinds/Article", "/v1/kinds/Article/schema"} {
		if a = do(t, ts, "GET", p, "", ""); a.status != http.StatusServiceUnavailable || a.header.Get("Retry-After") == "" {
			t.Errorf("GET %s while the schemas' load runs on: %d %.300s, want 503", p, a.status, a.body)
		}
	}
	if n := content.Abandoned(); n != 1 {
		t.Errorf("%d evaluations abandoned, want the one", n)
	}
	deadline := time.Now().Add(3 * time.Minute)
	for content.Abandoned() > 0 {
		if time.Now().After(deadline) {
			t.Fatal("the abandoned load still runs after 3 minutes")
		}
		time.Sleep(50 * time.Millisecond)
	}
}
