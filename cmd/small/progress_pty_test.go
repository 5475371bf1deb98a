//go:build linux

package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"unsafe"
)

// openPty opens a pseudo-terminal with the kernel's own interface (no
// library: creack/pty is not in the module graph): the master, which the
// test reads, and the terminal, which small writes to.
func openPty(t *testing.T) (master, term *os.File) {
	t.Helper()
	m, err := os.OpenFile("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("no pseudo-terminal here: %v", err)
	}
	var unlock int32
	var n uint32
	ws := struct{ rows, cols, x, y uint16 }{24, 200, 0, 0}
	for _, c := range []struct {
		req uintptr
		arg unsafe.Pointer
	}{{syscall.TIOCSPTLCK, unsafe.Pointer(&unlock)}, {syscall.TIOCGPTN, unsafe.Pointer(&n)}, {syscall.TIOCSWINSZ, unsafe.Pointer(&ws)}} {
		if _, _, e := syscall.Syscall(syscall.SYS_IOCTL, m.Fd(), c.req, uintptr(c.arg)); e != 0 {
			m.Close()
			t.Skipf("pseudo-terminal ioctl %#x: %v", c.req, e)
		}
	}
	s, err := os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		m.Close()
		t.Skipf("open /dev/pts/%d: %v", n, err)
	}
	return m, s
}

// onTerminal runs small with stderr on a pseudo-terminal and stdout on a
// pipe, and returns both as written.
func (f *fixture) onTerminal(env []string, args ...string) (stdout, stderr string) {
	f.t.Helper()
	master, term := openPty(f.t)
	defer master.Close()
	var out bytes.Buffer
	cmd := exec.Command("small", args...)
	cmd.Dir = f.dir
	cmd.Env = append(append(f.env, "SMALL_PROGRESS_AFTER=0", "CI=", "GITHUB_ACTIONS=", "TERM=xterm-256color", "NO_COLOR="), env...)
	cmd.Stdout, cmd.Stderr = &out, term
	read := make(chan string)
	go func() {
		b, _ := io.ReadAll(master) // ends with EIO once the terminal is closed
		read <- string(b)
	}()
	err := cmd.Run()
	term.Close()
	got := <-read
	if _, ok := err.(*exec.ExitError); err != nil && !ok {
		f.t.Fatalf("small %s: %v", strings.Join(args, " "), err)
	}
	return out.String(), got
}

// TestProgressOnATerminal: on a terminal, small validate, build and verify
// draw one line in place (\r, the line, clear to its end), the command's
// name in bold unless NO_COLOR, and clear it before anything else is
// written; stdout, a pipe, never has it; --format json has none at all.
// SMALL_PROGRESS_AFTER=0 shows it from the start of these short runs.
func TestProgressOnATerminal(t *testing.T) {
	f := newFixture(t)
	line := func(name string) *regexp.Regexp {
		return regexp.MustCompile(`\r\x1b\[1m` + name + `\x1b\[0m: [^\r\n]+\x1b\[K`)
	}
	stdout, stderr := f.onTerminal(nil, "validate")
	if !line("validate").MatchString(stderr) {
		t.Fatalf("validate on a terminal: no progress line in %q", stderr)
	}
	if !strings.HasSuffix(stderr, "\r\x1b[K6 manifests, all valid\r\n") {
		t.Fatalf("validate: the line is not cleared before the outcome: %q", stderr)
	}
	if stdout != "" {
		t.Fatalf("validate: stdout %q", stdout)
	}

	_, stderr = f.onTerminal([]string{"NO_COLOR=1"}, "validate")
	if !regexp.MustCompile(`\rvalidate: [^\r\n]+\x1b\[K`).MatchString(stderr) || strings.Contains(stderr, "\x1b[1m") {
		t.Fatalf("validate with NO_COLOR: %q, want the line without style", stderr)
	}

	_, stderr = f.onTerminal([]string{"TERM=dumb"}, "validate")
	if strings.Contains(stderr, "\x1b") || !strings.Contains(stderr, "validate: 6 manifests in ") {
		t.Fatalf("validate on a dumb terminal: %q, want plain lines, no control sequence", stderr)
	}

	stdout, stderr = f.onTerminal(nil, "validate", "--format", "json")
	if stderr != "" || !strings.HasPrefix(stdout, "{") || strings.ContainsAny(stdout, "\r\x1b") {
		t.Fatalf("validate --format json on a terminal: stderr %q, stdout %q", stderr, stdout)
	}

	f.write("manifests/articles/hello-world.yaml", "kind: Article\ntitle: Hello again\nauthor: ada\nlayout: feature\ntags: [welcome, news]\npublishedAt: \"2026-01-15T09:00:00Z\"\nbody: Again.\n")
	f.run("git", "commit", "-qam", "Retitle")
	stdout, stderr = f.onTerminal(nil, "build")
	if !line("build").MatchString(stderr) || !strings.HasSuffix(stderr, "\r\x1b[K") {
		t.Fatalf("build on a terminal: %q, want a line, then cleared", stderr)
	}
	if !strings.HasPrefix(stdout, "Built ") || strings.ContainsAny(stdout, "\r\x1b") {
		t.Fatalf("build: stdout %q", stdout)
	}

	stdout, stderr = f.onTerminal(nil, "verify")
	if !line("verify").MatchString(stderr) || !strings.HasSuffix(stderr, "\r\x1b[K") {
		t.Fatalf("verify on a terminal: %q, want a line, then cleared", stderr)
	}
	if !strings.Contains(stdout, "Compliant: ") {
		t.Fatalf("verify: stdout %q", stdout)
	}
	stdout, stderr = f.onTerminal(nil, "verify", "--format", "json")
	if stderr != "" || !strings.HasPrefix(stdout, "{") {
		t.Fatalf("verify --format json on a terminal: stderr %q, stdout %q", stderr, stdout)
	}
}
