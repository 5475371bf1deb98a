package main

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
)

// serveCmds are the commands testdata/script/serve.txtar drives the real
// small serve with: one server per scenario, in the background.
var serveCmds = map[string]func(ts *testscript.TestScript, neg bool, args []string){
	"serve-start": serveStart,
	"serve-stop":  serveStop,
	"http":        httpCmd,
}

type served struct {
	cmd    *exec.Cmd
	stderr *bytes.Buffer
	url    string
}

var (
	servers   = map[*testscript.TestScript]*served{}
	serversMu sync.Mutex
)

// scriptEnv is the environment of a process the scenario starts itself:
// the test's, with the scenario's git identity (see TestScripts).
func scriptEnv(ts *testscript.TestScript) []string {
	env := os.Environ()
	for _, k := range []string{"HOME", "PATH", "GIT_CONFIG_NOSYSTEM", "GIT_CONFIG_GLOBAL", "GIT_AUTHOR_NAME", "GIT_AUTHOR_EMAIL",
		"GIT_COMMITTER_NAME", "GIT_COMMITTER_EMAIL", "GIT_AUTHOR_DATE", "GIT_COMMITTER_DATE"} {
		env = append(env, k+"="+ts.Getenv(k))
	}
	return env
}

var listening = regexp.MustCompile(`^small serve: listening on (http://\S+)/$`)

// serveStart is `serve-start [args...]`: it starts small serve in the
// background (on 127.0.0.1:0 unless args give --addr), waits for the
// line that says where it listens, prints it, and sets $SERVE to the URL.
// The server is killed when the scenario ends, if serve-stop has not
// stopped it.
func serveStart(ts *testscript.TestScript, neg bool, args []string) {
	if neg {
		ts.Fatalf("usage: serve-start [args...]")
	}
	serversMu.Lock()
	defer serversMu.Unlock()
	if servers[ts] != nil {
		ts.Fatalf("serve-start: a server is running already")
	}
	argv := []string{"serve"}
	if !strings.Contains(strings.Join(args, " "), "--addr") {
		argv = append(argv, "--addr", "127.0.0.1:0")
	}
	cmd := exec.Command("small", append(argv, args...)...)
	cmd.Dir = ts.MkAbs(".")
	cmd.Env = scriptEnv(ts)
	s := &served{cmd: cmd, stderr: &bytes.Buffer{}}
	cmd.Stderr = s.stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		ts.Fatalf("%v", err)
	}
	if err := cmd.Start(); err != nil {
		ts.Fatalf("start small serve: %v", err)
	}
	line := make(chan string, 1)
	go func() {
		l, _ := bufio.NewReader(out).ReadString('\n')
		line <- strings.TrimSuffix(l, "\n")
		io.Copy(io.Discard, out)
	}()
	select {
	case l := <-line:
		m := listening.FindStringSubmatch(l)
		if m == nil {
			cmd.Process.Kill()
			cmd.Wait()
			ts.Fatalf("small serve said %q, not where it listens\n%s", l, s.stderr)
		}
		s.url = m[1]
		fmt.Fprintln(ts.Stdout(), l)
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		ts.Fatalf("small serve did not say where it listens within 30 s\n%s", s.stderr)
	}
	servers[ts] = s
	ts.Setenv("SERVE", s.url)
	ts.Defer(func() {
		serversMu.Lock()
		defer serversMu.Unlock()
		if servers[ts] == s {
			s.cmd.Process.Kill()
			s.cmd.Wait()
			delete(servers, ts)
		}
	})
}

// serveStop is `serve-stop`: it sends SIGINT, waits for small serve to
// end (exit 0 wanted) and prints what it said on standard error.
func serveStop(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 0 {
		ts.Fatalf("usage: serve-stop")
	}
	serversMu.Lock()
	s := servers[ts]
	delete(servers, ts)
	serversMu.Unlock()
	if s == nil {
		ts.Fatalf("serve-stop: no server running")
	}
	s.cmd.Process.Signal(syscall.SIGINT)
	done := make(chan error, 1)
	go func() { done <- s.cmd.Wait() }()
	select {
	case err := <-done:
		fmt.Fprint(ts.Stdout(), s.stderr.String())
		if err != nil {
			ts.Fatalf("small serve ended with %v\n%s", err, s.stderr)
		}
	case <-time.After(30 * time.Second):
		s.cmd.Process.Kill()
		ts.Fatalf("small serve did not stop within 30 s of SIGINT")
	}
}

// httpCmd is `http [-H 'Name: value']... METHOD PATH [FILE]`: a request
// to the server serve-start started, with FILE as the body. The body of
// the answer goes to stdout; "HTTP <status>" and its Content-Type and
// Allow headers to stderr. It fails on a status of 400 or more, and
// negated, on one below.
func httpCmd(ts *testscript.TestScript, neg bool, args []string) {
	var headers []string
	for len(args) >= 2 && args[0] == "-H" {
		headers, args = append(headers, args[1]), args[2:]
	}
	if len(args) < 2 || len(args) > 3 {
		ts.Fatalf("usage: http [-H 'Name: value']... METHOD PATH [FILE]")
	}
	serversMu.Lock()
	s := servers[ts]
	serversMu.Unlock()
	if s == nil {
		ts.Fatalf("http: no server running (serve-start)")
	}
	var body io.Reader
	if len(args) == 3 {
		body = strings.NewReader(ts.ReadFile(args[2]))
	}
	req, err := http.NewRequest(args[0], s.url+args[1], body)
	if err != nil {
		ts.Fatalf("%v", err)
	}
	for _, h := range headers {
		k, v, ok := strings.Cut(h, ":")
		if !ok {
			ts.Fatalf("-H %q: expected Name: value", h)
		}
		if strings.EqualFold(k, "Host") {
			req.Host = strings.TrimSpace(v)
			continue
		}
		req.Header.Set(k, strings.TrimSpace(v))
	}
	client := &http.Client{Timeout: 60 * time.Second}
	res, err := client.Do(req)
	if err != nil {
		ts.Fatalf("%s %s: %v", args[0], args[1], err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		ts.Fatalf("%v", err)
	}
	ts.Stdout().Write(b)
	fmt.Fprintf(ts.Stderr(), "HTTP %d\nContent-Type: %s\n", res.StatusCode, res.Header.Get("Content-Type"))
	if a := res.Header.Get("Allow"); a != "" {
		fmt.Fprintf(ts.Stderr(), "Allow: %s\n", a)
	}
	for _, k := range []string{"Content-Security-Policy", "X-Content-Type-Options", "X-Frame-Options"} {
		if res.Header.Get(k) == "" {
			ts.Fatalf("%s %s: no %s header", args[0], args[1], k)
		}
	}
	switch {
	case res.StatusCode >= 400 && !neg:
		ts.Fatalf("%s %s: HTTP %d\n%s", args[0], args[1], res.StatusCode, b)
	case res.StatusCode < 400 && neg:
		ts.Fatalf("%s %s: HTTP %d, want an error", args[0], args[1], res.StatusCode)
	}
}
