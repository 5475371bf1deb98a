package remote_test

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/cgi"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/smallhq/small/builder"
	"github.com/smallhq/small/lineage"
	"github.com/smallhq/small/protocol"
	"github.com/smallhq/small/remote"
	"github.com/smallhq/small/repo"
	"github.com/smallhq/small/scaffold"
)

// gitEnv keeps the tests off the developer's configuration.
var gitEnv = []string{"GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL=" + os.DevNull,
	"GIT_AUTHOR_NAME=Ann", "GIT_AUTHOR_EMAIL=ann@example.com", "GIT_COMMITTER_NAME=Ann", "GIT_COMMITTER_EMAIL=ann@example.com",
	"GIT_AUTHOR_DATE=2026-01-15T10:00:00Z", "GIT_COMMITTER_DATE=2026-01-15T10:00:00Z"}

func TestMain(m *testing.M) {
	for _, kv := range gitEnv {
		k, v, _ := strings.Cut(kv, "=")
		os.Setenv(k, v)
	}
	os.Exit(m.Run())
}

func git(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

// serveHTTP serves the bare repositories under root over git's smart HTTP
// transport (git http-backend, as a CGI) on 127.0.0.1, pushes allowed.
func serveHTTP(t *testing.T, root string) string {
	t.Helper()
	backend, err := exec.Command("git", "--exec-path").Output()
	if err != nil {
		t.Fatal(err)
	}
	h := &cgi.Handler{
		Path: filepath.Join(strings.TrimSpace(string(backend)), "git-http-backend"),
		Env: append([]string{"GIT_PROJECT_ROOT=" + root, "GIT_HTTP_EXPORT_ALL=1", "REMOTE_USER=tester"},
			gitEnv...),
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h.ServeHTTP(w, r) }))
	t.Cleanup(srv.Close)
	return srv.URL
}

// setUp makes an origin with one build, served over HTTP, and n clones of
// it that have pulled the build.
func setUp(t *testing.T, n int) (origin string, clones []*repo.Repository) {
	t.Helper()
	root := t.TempDir()
	bare := filepath.Join(root, "origin.git")
	git(t, root, "init", "-q", "--bare", "-b", "main", bare)
	git(t, bare, "config", "http.receivepack", "true")
	url := serveHTTP(t, root) + "/origin.git"

	seed := t.TempDir()
	git(t, seed, "clone", "-q", url, ".")
	if _, err := scaffold.Init(seed, true, scaffold.DefaultDirs); err != nil {
		t.Fatal(err)
	}
	git(t, seed, "add", "-A")
	git(t, seed, "commit", "-qm", "content")
	git(t, seed, "push", "-q", "origin", "HEAD:main")
	r, err := repo.Open(seed)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := builder.Build(r, "HEAD", builder.BuildOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := remote.Push(r, "origin", branch, remote.Options{Who: who()}); err != nil {
		t.Fatal(err)
	}
	for range n {
		dir := t.TempDir()
		git(t, dir, "clone", "-q", url, ".")
		c, err := repo.Open(dir)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := remote.EnsureFetchRefspec(c, "origin"); err != nil {
			t.Fatal(err)
		}
		if res, err := remote.Pull(c, "origin", branch, remote.Options{Who: who()}); err != nil || res.Artifacts != "created" {
			t.Fatalf("pull into a fresh clone: %+v, %v", res, err)
		}
		clones = append(clones, c)
	}
	return bare, clones
}

var branch = protocol.BranchRef("small/artifacts")

func who() repo.Signature {
	return repo.Signature{Name: "Ann", Email: "ann@example.com", When: time.Date(2026, 1, 15, 11, 0, 0, 0, time.UTC)}
}

// TestConcurrentEventsOverHTTP: two clones record events and push at the
// same time, over the smart HTTP transport, in bounded loops; afterwards
// every event is on origin and in both clones, and origin is fsck-clean.
func TestConcurrentEventsOverHTTP(t *testing.T) {
	const perClone = 10
	bare, clones := setUp(t, 3)
	var wg sync.WaitGroup
	errs := make(chan error, len(clones))
	for i, c := range clones {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range perClone {
				l, err := lineage.Open(c, branch)
				if err != nil {
					errs <- err
					return
				}
				// Identical in content and second across clones and
				// iterations: only the event ids tell them apart.
				if _, _, err := l.RecordEvent("Article/hello-world", lineage.Observation{Type: "deployed", Who: who()}); err != nil {
					errs <- fmt.Errorf("clone %d, event %d: %w", i, j, err)
					return
				}
				// As small push says when the remote kept refusing
				// (a loaded machine makes the race last): run it again.
				_, err = remote.Push(c, "origin", branch, remote.Options{Who: who()})
				var rej *remote.RejectedError
				for again := 0; errors.As(err, &rej) && again < 5; again++ {
					_, err = remote.Push(c, "origin", branch, remote.Options{Who: who()})
				}
				if err != nil {
					errs <- fmt.Errorf("clone %d, push %d: %w", i, j, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	git(t, bare, "fsck", "--strict", "--no-progress")
	for i, c := range clones {
		if _, err := remote.Pull(c, "origin", branch, remote.Options{Who: who()}); err != nil {
			t.Fatal(err)
		}
		l, err := lineage.Open(c, branch)
		if err != nil {
			t.Fatal(err)
		}
		hist, err := l.History("Article/hello-world")
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, e := range hist.Events {
			if e.Event == "deployed" {
				n++
			}
		}
		if n != perClone*len(clones) {
			t.Errorf("clone %d sees %d deployed events, want %d", i, n, perClone*len(clones))
		}
	}
	// origin has them all too.
	out := git(t, bare, "notes", "--ref=small/lifecycle", "show", "small/artifacts")
	if n := strings.Count(out, `"event":"deployed"`); n != perClone*len(clones) {
		t.Errorf("origin's lifecycle note has %d deployed events, want %d", n, perClone*len(clones))
	}
}

// TestRejectedNotesAreMergedNotForced: a clone whose notes fell behind
// pushes after merging, and never overwrites a line origin has.
func TestRejectedNotesAreMergedNotForced(t *testing.T) {
	bare, clones := setUp(t, 2)
	a, b := clones[0], clones[1]
	record := func(r *repo.Repository, typ string) {
		l, err := lineage.Open(r, branch)
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := l.RecordEvent("Article/hello-world", lineage.Observation{Type: typ, Who: who()}); err != nil {
			t.Fatal(err)
		}
	}
	record(a, "from-a")
	if _, err := remote.Push(a, "origin", branch, remote.Options{Who: who()}); err != nil {
		t.Fatal(err)
	}
	record(b, "from-b")
	res, err := remote.Push(b, "origin", branch, remote.Options{Who: who()})
	if err != nil {
		t.Fatal(err)
	}
	if res.Attempts != 2 || res.Notes[protocol.NotesLifecycle] != "merged" {
		t.Errorf("push after a rejection: %+v, want a merge and a second attempt", res)
	}
	out := git(t, bare, "notes", "--ref=small/lifecycle", "show", "small/artifacts")
	for _, typ := range []string{"from-a", "from-b"} {
		if !strings.Contains(out, `"event":"`+typ+`"`) {
			t.Errorf("origin lost the %s event:\n%s", typ, out)
		}
	}
	// The merge is a merge commit over origin's notes: git can read it.
	git(t, bare, "log", "--oneline", "refs/notes/small/lifecycle")
	if parents := git(t, bare, "log", "-1", "--format=%p", "refs/notes/small/lifecycle"); len(strings.Fields(parents)) != 2 {
		t.Errorf("the notes merge has parents %q, want two", parents)
	}
}
