package cmdutil

import (
	"bytes"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"
	"github.com/muesli/termenv"

	"github.com/smallhq/small/progress"
)

var t0 = time.Date(2026, 1, 15, 10, 0, 0, 0, time.UTC)

// at is t0 plus s seconds.
func at(s float64) time.Time { return t0.Add(time.Duration(s * float64(time.Second))) }

// testRenderer is a renderer on a fake terminal (a buffer 80 columns
// wide) or a fake CI log, its clock started at t0.
func testRenderer(command string, live bool, profile termenv.Profile) (*renderer, *bytes.Buffer) {
	var buf bytes.Buffer
	r := newRenderer(&buf, command, live, progressAfter, profile)
	r.width = func() int { return 80 }
	r.begin(t0)
	return r, &buf
}

// draws splits what a live renderer wrote into the lines it drew.
func draws(out string) []string {
	var lines []string
	for _, d := range strings.Split(out, "\r") {
		if d = strings.TrimSuffix(d, ansi.EraseLineRight); d != "" {
			lines = append(lines, d)
		}
	}
	return lines
}

func TestNothingBeforeASecond(t *testing.T) {
	r, buf := testRenderer("validate", true, termenv.Ascii)
	for i := range 10 {
		r.tick(at(float64(i)/10), progress.Snapshot{Done: int64(i * 100), Total: 10000})
	}
	if buf.Len() != 0 {
		t.Fatalf("wrote %q before a second had passed", buf)
	}
	// A run that ends before then leaves nothing behind, not even a clear.
	r.finish(at(0.95), progress.Snapshot{Done: 10000, Total: 10000})
	if buf.Len() != 0 {
		t.Fatalf("a short run wrote %q", buf)
	}
}

func TestRateAndTimeLeft(t *testing.T) {
	r, buf := testRenderer("validate", true, termenv.Ascii)
	for i := 0; i <= 20; i++ {
		s := float64(i) / 10
		r.tick(at(s), progress.Snapshot{Done: int64(1000 * s), Total: 10000})
	}
	d := draws(buf.String())
	if got, want := d[len(d)-1], "validate: 2,000/10,000 manifests · 1,000/s · 8s left"; got != want {
		t.Fatalf("line %q, want %q", got, want)
	}
	if got, want := d[0], "validate: 1,000/10,000 manifests · 1,000/s · 9s left"; got != want {
		t.Fatalf("first line %q, want %q", got, want)
	}
	// Time left is rounded up: 8,500 to go at 1,000/s is 9s, never 0s
	// while work remains.
	if got, _ := r.left(at(2), progress.Snapshot{Done: 1500, Total: 10000}, 1000); remaining(got) != "9s" {
		t.Fatalf("8,500 at 1,000/s: %s left, want 9s", remaining(got))
	}
	if got, _ := r.left(at(2), progress.Snapshot{Done: 9999, Total: 10000}, 1000); remaining(got) != "1s" {
		t.Fatalf("1 at 1,000/s: %s left, want 1s", remaining(got))
	}
}

// The rate is the recent one: work that speeds up is told by its new pace.
func TestRateWindow(t *testing.T) {
	r, _ := testRenderer("validate", true, termenv.Ascii)
	done := 0.0
	for i := 0; i <= 110; i++ {
		s := float64(i) / 10
		if i > 0 {
			if s <= 5 {
				done += 100 // 1,000/s
			} else {
				done += 200 // 2,000/s
			}
		}
		r.tick(at(s), progress.Snapshot{Done: int64(done), Total: 100000})
	}
	if got := r.rate(at(11)); got < 1999 || got > 2001 {
		t.Fatalf("rate %.1f after six seconds at 2,000/s, want 2,000", got)
	}
	// Nothing done in the window: no rate, hence no time left.
	r2, _ := testRenderer("validate", true, termenv.Ascii)
	for i := 0; i <= 20; i++ {
		r2.tick(at(float64(i)/10), progress.Snapshot{Done: 10, Total: 100})
	}
	if got := r2.rate(at(2)); got != 0 {
		t.Fatalf("rate %.1f with nothing done, want 0", got)
	}
	if got := r2.line(at(2), progress.Snapshot{Done: 10, Total: 100}); got != "validate: 10/100 manifests · 2.0s" {
		t.Fatalf("stalled line %q", got)
	}
}

func TestThrottle(t *testing.T) {
	r, buf := testRenderer("build", true, termenv.Ascii)
	// Ticks far more often than ten a second: at most one draw per 100 ms.
	for i := 0; i <= 300; i++ {
		s := 1 + float64(i)/1000
		r.tick(at(s), progress.Snapshot{Done: int64(i), Total: 1000})
	}
	if n := strings.Count(buf.String(), "\r"); n != 4 { // at 1.0, 1.1, 1.2 and 1.3 s
		t.Fatalf("%d draws in 300 ms, want 4:\n%q", n, buf)
	}
	// The same line is not drawn again.
	buf.Reset()
	r.tick(at(20), progress.Snapshot{Done: 500, Total: 1000})
	r.tick(at(20.2), progress.Snapshot{Done: 500, Total: 1000})
	if n := strings.Count(buf.String(), "\r"); n != 1 {
		t.Fatalf("%d draws of one line, want 1: %q", n, buf)
	}
}

func TestClearedWhenDone(t *testing.T) {
	r, buf := testRenderer("validate", true, termenv.Ascii)
	r.tick(at(1), progress.Snapshot{Done: 1, Total: 2})
	if !strings.HasPrefix(buf.String(), "\rvalidate: 1/2 manifests") || !strings.HasSuffix(buf.String(), ansi.EraseLineRight) {
		t.Fatalf("drew %q, want \\r, the line, clear to its end", buf)
	}
	buf.Reset()
	r.finish(at(1.5), progress.Snapshot{Done: 2, Total: 2})
	if got := buf.String(); got != "\r"+ansi.EraseLineRight {
		t.Fatalf("finish wrote %q, want the line cleared", got)
	}
}

func TestFinishingAndPreparing(t *testing.T) {
	r, buf := testRenderer("build", true, termenv.Ascii)
	r.tick(at(1.2), progress.Snapshot{})
	r.tick(at(14), progress.Snapshot{Done: 10000, Total: 10000})
	d := draws(buf.String())
	want := []string{"build: preparing · 1.2s", "build: 10,000/10,000 manifests · finishing · 14s"}
	if strings.Join(d, "\n") != strings.Join(want, "\n") {
		t.Fatalf("drew %q, want %q", d, want)
	}
}

func TestNarrowTerminal(t *testing.T) {
	r, buf := testRenderer("validate", true, termenv.Ascii)
	r.width = func() int { return 30 }
	r.tick(at(1), progress.Snapshot{Done: 4210, Total: 10000})
	d := draws(buf.String())
	if len(d) != 1 || ansi.StringWidth(d[0]) > 29 || !strings.HasSuffix(d[0], "…") {
		t.Fatalf("drew %q on 30 columns: want one line of at most 29, cut with …", d)
	}
}

func TestStyle(t *testing.T) {
	r, buf := testRenderer("validate", true, termenv.ANSI)
	r.tick(at(1), progress.Snapshot{Done: 1, Total: 2})
	if !strings.HasPrefix(buf.String(), "\r\x1b[1mvalidate\x1b[0m: 1/2") {
		t.Fatalf("with colour: %q, want the command's name in bold", buf)
	}
	r, buf = testRenderer("validate", true, termenv.Ascii) // NO_COLOR
	r.tick(at(1), progress.Snapshot{Done: 1, Total: 2})
	if strings.Contains(strings.TrimSuffix(buf.String(), ansi.EraseLineRight), "\x1b") {
		t.Fatalf("without colour: %q, want no style", buf)
	}
}

// In a CI log: a line every ten seconds at most, and the outcome.
func TestCILines(t *testing.T) {
	r, buf := testRenderer("validate", false, termenv.Ascii)
	for i := 0; i <= 250; i++ {
		s := float64(i) / 10
		r.tick(at(s), progress.Snapshot{Done: int64(400 * s), Total: 10000})
	}
	r.finish(at(25), progress.Snapshot{Done: 10000, Total: 10000})
	want := "validate: 4,000/10,000 manifests · 400/s · 15s left\n" +
		"validate: 8,000/10,000 manifests · 400/s · 5s left\n" +
		"validate: 10,000 manifests in 25s (400/s)\n"
	if got := buf.String(); got != want {
		t.Fatalf("CI log:\n%s\nwant:\n%s", got, want)
	}

	// A run of a few seconds: its outcome only.
	r, buf = testRenderer("build", false, termenv.Ascii)
	for i := 0; i <= 50; i++ {
		r.tick(at(float64(i)/10), progress.Snapshot{Done: int64(i * 20), Total: 1000})
	}
	r.finish(at(5.04), progress.Snapshot{Done: 1000, Total: 1000})
	if got, want := buf.String(), "build: 1,000 manifests in 5.0s (198/s)\n"; got != want {
		t.Fatalf("CI log %q, want %q", got, want)
	}

	// A run under a second: nothing.
	r, buf = testRenderer("build", false, termenv.Ascii)
	r.tick(at(0), progress.Snapshot{})
	r.finish(at(0.7), progress.Snapshot{Done: 3, Total: 3})
	if buf.Len() != 0 {
		t.Fatalf("a short run in CI wrote %q", buf)
	}
}

func TestSummary(t *testing.T) {
	r, _ := testRenderer("validate", false, termenv.Ascii)
	for _, c := range []struct {
		s    progress.Snapshot
		el   float64
		want string
	}{
		{progress.Snapshot{Done: 4210, Total: 10000}, 3.14, "validate: stopped at 4,210/10,000 manifests after 3.1s"},
		{progress.Snapshot{}, 1.2, "validate: done in 1.2s"},
		{progress.Snapshot{Done: 10230, Total: 10230, Step: 12, Steps: 12}, 31, "validate: 12 builds, 10,230 manifests in 31s"},
		{progress.Snapshot{Done: 4, Total: 4, Step: 3, Steps: 12}, 75, "validate: stopped at build 3/12 after 1m15s"},
	} {
		if got := r.summary(at(c.el), c.s); got != c.want {
			t.Errorf("summary of %+v: %q, want %q", c.s, got, c.want)
		}
	}
}

// Work in steps (the builds verify rebuilds): the time left counts the
// steps after this one at the time a step has been taking, once two step
// boundaries have been seen; a first step's length (a full build) is not
// taken for the others'.
func TestSteps(t *testing.T) {
	r, buf := testRenderer("verify", true, termenv.Ascii)
	var c progress.Counter
	c.Steps(4)
	c.Step()
	c.Expect(1000)
	for i := 0; i <= 100; i++ {
		if i > 0 {
			c.Done(10)
		}
		r.tick(at(float64(i)/10), c.Load())
	}
	d := draws(buf.String())
	if got, want := d[len(d)-1], "verify: build 1/4 · 1,000/1,000 manifests · 10s"; got != want {
		t.Fatalf("end of the first step: %q, want %q", got, want)
	}
	for _, l := range d {
		if strings.Contains(l, "left") {
			t.Fatalf("%q: a time left before the time a step takes is known", l)
		}
	}
	c.Step() // the second build: ten manifests in two seconds
	c.Expect(10)
	for i := 100; i <= 120; i++ {
		if i > 100 && i%2 == 0 {
			c.Done(1)
		}
		r.tick(at(float64(i)/10), c.Load())
	}
	if got := r.line(at(12), c.Load()); strings.Contains(got, "left") {
		t.Fatalf("%q: one boundary seen, no time a step takes yet", got)
	}
	c.Step() // the third: one step took 2s, and one more comes after it
	c.Expect(10)
	r.tick(at(12.1), c.Load())
	got := r.line(at(12.1), c.Load())
	if !regexp.MustCompile(`^verify: build 3/4 · 0/10 manifests · \d+/s · 3s left$`).MatchString(got) {
		t.Fatalf("third step: %q, want build 3/4, 0/10 manifests, a rate and 3s left", got)
	}
}

func TestFormats(t *testing.T) {
	for _, c := range []struct{ got, want string }{
		{count(0), "0"}, {count(999), "999"}, {count(1000), "1,000"}, {count(1234567), "1,234,567"},
		{perSecond(2.46), "2.5/s"}, {perSecond(9.96), "10/s"}, {perSecond(1830.4), "1,830/s"},
		{remaining(100 * time.Millisecond), "1s"}, {remaining(59 * time.Second), "59s"},
		{remaining(125 * time.Second), "2m05s"}, {remaining(3599 * time.Second), "59m59s"},
		{remaining(3601 * time.Second), "1h01m"}, {remaining(7199 * time.Second), "2h00m"},
		{elapsed(420 * time.Millisecond), "0.4s"}, {elapsed(5200 * time.Millisecond), "5.2s"},
		{elapsed(31 * time.Second), "31s"}, {elapsed(125 * time.Second), "2m05s"},
		{plural(1, "build"), "1 build"}, {plural(1200, "build"), "1,200 builds"},
	} {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
}

// env is a fake environment.
type env map[string]string

func (e env) get(k string) string { return e[k] }

func TestStartProgressModes(t *testing.T) {
	for _, c := range []struct {
		name   string
		format string
		tty    bool
		env    env
		want   string // "", "live" or "lines"
	}{
		{"terminal", "text", true, env{}, "live"},
		{"terminal, github format", "github", true, env{}, "live"},
		{"json on a terminal", "json", true, env{}, ""},
		{"json in CI", "json", false, env{"CI": "true"}, ""},
		{"piped", "text", false, env{}, ""},
		{"piped, TERM=dumb", "text", false, env{"TERM": "dumb"}, ""},
		{"piped, CI=false", "text", false, env{"CI": "false"}, ""},
		{"CI=true", "text", false, env{"CI": "true"}, "lines"},
		{"CI=1", "text", false, env{"CI": "1"}, "lines"},
		{"GitHub Actions", "github", false, env{"GITHUB_ACTIONS": "true"}, "lines"},
		{"CI on a terminal", "text", true, env{"CI": "true"}, "lines"},
		{"dumb terminal", "text", true, env{"TERM": "dumb"}, "lines"},
	} {
		t.Run(c.name, func(t *testing.T) {
			s := &IOStreams{ErrOut: &bytes.Buffer{}, ErrTTY: c.tty, Getenv: c.env.get}
			m := s.StartProgress("validate", c.format)
			defer m.Stop()
			got := ""
			if m != nil {
				got = "lines"
				if m.r.live {
					got = "live"
				}
			}
			if got != c.want {
				t.Fatalf("mode %q, want %q", got, c.want)
			}
			if (m.Counter() == nil) != (c.want == "") {
				t.Fatalf("counter %v with mode %q", m.Counter(), got)
			}
		})
	}
	// Streams that read no environment (tests, small demo) show nothing.
	if m := (&IOStreams{ErrOut: &bytes.Buffer{}, ErrTTY: true}).StartProgress("validate", "text"); m != nil {
		t.Fatal("progress without an environment")
	}
}

// The meter itself: its own goroutine and clock, the test knob, Stop
// twice, and a nil meter.
func TestMeter(t *testing.T) {
	var buf bytes.Buffer
	s := &IOStreams{ErrOut: &buf, Getenv: env{"CI": "true", "SMALL_PROGRESS_AFTER": "0"}.get}
	m := s.StartProgress("validate", "text")
	m.Counter().Expect(3)
	m.Counter().Done(3)
	m.Stop()
	m.Stop()
	if !regexp.MustCompile(`^validate: 3 manifests in \d+\.\ds \(.*/s\)\n$`).MatchString(buf.String()) {
		t.Fatalf("meter wrote %q", buf.String())
	}
	if m := (&IOStreams{ErrOut: &buf, Getenv: env{"CI": "true", "SMALL_PROGRESS_AFTER": "soon"}.get}).StartProgress("x", "text"); m.r.after != progressAfter {
		t.Fatalf("a knob that is not a duration: after %s, want the default", m.r.after)
	} else {
		m.Stop()
	}
	var none *Meter
	if none.Counter() != nil {
		t.Fatal("a nil meter has a counter")
	}
	none.Stop()
}
