package cmdutil

import (
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/term"
	"github.com/muesli/termenv"

	"github.com/smallhq/small/diag"
	"github.com/smallhq/small/progress"
)

// How progress is shown (docs/commands.md, "Progress"):
const (
	// progressAfter is how long work runs before its progress shows:
	// shorter runs print nothing. SMALL_PROGRESS_AFTER (a Go duration,
	// "0" included) changes it; it is a knob for tests, not for users.
	progressAfter = time.Second
	// progressTick is how often the counter is read, and on a terminal
	// the most often the line is redrawn.
	progressTick = 100 * time.Millisecond
	// progressEvery is the least time between two lines in a CI log.
	progressEvery = 10 * time.Second
	// rateWindow is how far back the rate is measured; stepWindow, how far
	// back the time a step takes.
	rateWindow = 5 * time.Second
	stepWindow = 15 * time.Second
)

// Meter shows how far long work has come on standard error while it runs,
// from the progress.Counter the work advances: on a terminal, one line
// redrawn in place at most ten times a second, once the work has run for a
// second, and cleared when it ends; in a CI log (CI or GITHUB_ACTIONS set,
// or TERM=dumb) a line every ten seconds at most and one when it ends;
// elsewhere (standard error piped or redirected) and with --format json,
// nothing: StartProgress then returns nil, whose Counter is nil and whose
// Stop does nothing.
type Meter struct {
	counter progress.Counter
	r       *renderer
	now     func() time.Time
	stop    chan struct{}
	stopped chan struct{}
	once    sync.Once
}

// StartProgress starts showing the progress of command's work (the name
// the line starts with) when standard error is a terminal or a CI log and
// format is not json. Give the work m.Counter() and call m.Stop before
// anything else is written, and whatever happens (defer m.Stop()).
func (s *IOStreams) StartProgress(command, format string) *Meter {
	if format == diag.FormatJSON || s.Getenv == nil {
		return nil
	}
	var live bool
	switch {
	case ciEnv(s.Getenv), s.ErrTTY && s.Getenv("TERM") == "dumb":
		// A CI log is read afterwards, and a dumb terminal cannot go back
		// along a line: lines, a few.
	case s.ErrTTY:
		live = true
	default:
		return nil // piped: nobody watches
	}
	after := progressAfter
	if v := s.Getenv("SMALL_PROGRESS_AFTER"); v != "" {
		if d, err := time.ParseDuration(v); err == nil && d >= 0 {
			after = d
		}
	}
	profile := termenv.ANSI
	if s.Getenv("NO_COLOR") != "" || !live {
		profile = termenv.Ascii // no-color.org: no styling at all
	}
	m := &Meter{
		r:       newRenderer(s.ErrOut, command, live, after, profile),
		now:     time.Now,
		stop:    make(chan struct{}),
		stopped: make(chan struct{}),
	}
	m.r.begin(m.now())
	go m.run()
	return m
}

// ciEnv reports whether small runs in CI, as CI services say: CI set (to
// anything but false or 0), or GITHUB_ACTIONS=true.
func ciEnv(getenv func(string) string) bool {
	if getenv("GITHUB_ACTIONS") == "true" {
		return true
	}
	v := strings.ToLower(getenv("CI"))
	return v != "" && v != "false" && v != "0"
}

// Counter is what the work counts on; nil when nothing is shown.
func (m *Meter) Counter() *progress.Counter {
	if m == nil {
		return nil
	}
	return &m.counter
}

// Stop ends the showing: the line on a terminal is cleared; a CI log gets
// its last line, when the work ran long enough to show. It may be called
// more than once.
func (m *Meter) Stop() {
	if m == nil {
		return
	}
	m.once.Do(func() {
		close(m.stop)
		<-m.stopped
		m.r.finish(m.now(), m.counter.Load())
	})
}

func (m *Meter) run() {
	defer close(m.stopped)
	t := time.NewTicker(progressTick)
	defer t.Stop()
	m.r.tick(m.now(), m.counter.Load())
	for {
		select {
		case <-m.stop:
			return
		case <-t.C:
			m.r.tick(m.now(), m.counter.Load())
		}
	}
}

// renderer turns the counter's snapshots, taken at the times it is given,
// into what the meter writes. The recent past it keeps is in fixed rings:
// a run of hours holds what a run of seconds does.
type renderer struct {
	w       io.Writer
	command string
	live    bool // one line redrawn in place; else lines appended
	after   time.Duration
	every   time.Duration  // the least time between two lines written
	width   func() int     // the terminal's columns; 0 if unknown
	name    lipgloss.Style // the command's name
	start   time.Time
	last    time.Time // when a line was last written
	shown   bool      // live: a line is on the terminal
	prev    string    // live: that line
	samples [64]sample
	ns      int // samples taken
	bounds  [16]sample
	nb      int   // step boundaries seen
	steps   int64 // steps completed when last seen
}

// sample is a snapshot's count at a time: units done, or, as a step
// boundary, steps completed.
type sample struct {
	t time.Time
	n int64
}

func newRenderer(w io.Writer, command string, live bool, after time.Duration, profile termenv.Profile) *renderer {
	r := &renderer{w: w, command: command, live: live, after: after, every: progressEvery}
	if live {
		r.every = progressTick
	}
	lr := lipgloss.NewRenderer(w, termenv.WithProfile(profile))
	lr.SetColorProfile(profile) // never asked of the terminal: see Logger
	r.name = lr.NewStyle().Bold(true)
	r.width = func() int {
		if f, ok := w.(interface{ Fd() uintptr }); ok {
			if cols, _, err := term.GetSize(f.Fd()); err == nil {
				return cols
			}
		}
		return 0
	}
	return r
}

// begin starts the clock: the work starts at t.
func (r *renderer) begin(t time.Time) { r.start, r.last = t, t }

// tick takes the snapshot s at now and writes a line when one is due.
func (r *renderer) tick(now time.Time, s progress.Snapshot) {
	r.record(now, s)
	if now.Sub(r.start) < r.after {
		return
	}
	if r.live && r.shown && now.Sub(r.last) < r.every {
		return
	}
	if !r.live && now.Sub(r.last) < r.every {
		return
	}
	line := r.line(now, s)
	if !r.live {
		fmt.Fprintln(r.w, line)
		r.last = now
		return
	}
	if w := r.width(); w > 1 {
		line = ansi.Truncate(line, w-1, "…") // never wrap: \r returns to the start of one row
	}
	if r.shown && line == r.prev {
		return
	}
	name, rest, _ := strings.Cut(line, ":")
	io.WriteString(r.w, "\r"+r.name.Render(name)+":"+rest+ansi.EraseLineRight)
	r.shown, r.prev, r.last = true, line, now
}

// finish ends the showing at now: the terminal's line is cleared; a CI
// log gets the outcome, if the work ran long enough to show.
func (r *renderer) finish(now time.Time, s progress.Snapshot) {
	if r.live {
		if r.shown {
			io.WriteString(r.w, "\r"+ansi.EraseLineRight)
			r.shown = false
		}
		return
	}
	if now.Sub(r.start) < r.after {
		return
	}
	fmt.Fprintln(r.w, r.summary(now, s))
}

// record keeps the snapshot's count and, when a step has ended since the
// last, the boundary.
func (r *renderer) record(now time.Time, s progress.Snapshot) {
	r.samples[r.ns%len(r.samples)] = sample{now, s.Done}
	r.ns++
	if done := s.Step - 1; s.Steps > 1 && done > r.steps {
		r.bounds[r.nb%len(r.bounds)] = sample{now, done}
		r.nb++
		r.steps = done
	}
}

// rate is units done per second over the last rateWindow; 0 when nothing
// was done in it or it is too short to say.
func (r *renderer) rate(now time.Time) float64 {
	if r.ns < 2 {
		return 0
	}
	newest := r.samples[(r.ns-1)%len(r.samples)]
	oldest := newest
	for i := r.ns - 2; i >= 0 && i >= r.ns-len(r.samples); i-- {
		s := r.samples[i%len(r.samples)]
		if now.Sub(s.t) > rateWindow {
			break
		}
		oldest = s
	}
	dt := newest.t.Sub(oldest.t).Seconds()
	if dt < 0.2 {
		return 0
	}
	return float64(newest.n-oldest.n) / dt
}

// perStep is the time a step takes, from the boundaries between steps
// seen in the last stepWindow (or the last two seen): never from the
// start, whose first step (a full build) is rarely like the others.
func (r *renderer) perStep(now time.Time) (time.Duration, bool) {
	if r.nb < 2 {
		return 0, false
	}
	last := r.bounds[(r.nb-1)%len(r.bounds)]
	ref := r.bounds[(r.nb-2)%len(r.bounds)]
	for i := r.nb - 3; i >= 0 && i >= r.nb-len(r.bounds); i-- {
		b := r.bounds[i%len(r.bounds)]
		if now.Sub(b.t) > stepWindow {
			break
		}
		ref = b
	}
	return last.t.Sub(ref.t) / time.Duration(last.n-ref.n), true
}

// current is the snapshot's units done and known, of the step under way
// when the work has steps.
func current(s progress.Snapshot) (done, total int64) {
	if s.Steps > 1 {
		return s.StepDone, s.StepTotal
	}
	return s.Done, s.Total
}

// left is the time the work still needs, when it can be told: the units
// of the current step at the current rate, and the steps after it at the
// time a step takes.
func (r *renderer) left(now time.Time, s progress.Snapshot, rate float64) (time.Duration, bool) {
	done, total := current(s)
	var d time.Duration
	if remaining := total - done; remaining > 0 {
		if rate <= 0 {
			return 0, false
		}
		d = time.Duration(float64(remaining) / rate * float64(time.Second))
	}
	more := int64(0)
	if s.Steps > 1 {
		more = s.Steps - max(s.Step, 1)
	}
	if more > 0 {
		per, ok := r.perStep(now)
		if !ok {
			return 0, false
		}
		d += time.Duration(more) * per
	}
	if d <= 0 {
		return 0, false
	}
	return d, true
}

// line is the progress at now: "validate: 4,210/10,000 manifests ·
// 1,830/s · 3s left", with "build 3/12 · " first for work in steps; where
// no time left can be told, the time so far: "build: preparing · 1.2s",
// "build: 10,000/10,000 manifests · finishing · 14s".
func (r *renderer) line(now time.Time, s progress.Snapshot) string {
	var parts []string
	if s.Steps > 1 {
		parts = append(parts, fmt.Sprintf("build %d/%d", min(max(s.Step, 1), s.Steps), s.Steps))
	}
	done, total := current(s)
	if total > 0 {
		parts = append(parts, count(done)+"/"+count(total)+" manifests")
	}
	rate := r.rate(now)
	if done < total && rate > 0 {
		parts = append(parts, perSecond(rate))
	}
	if d, ok := r.left(now, s, rate); ok {
		parts = append(parts, remaining(d)+" left")
	} else {
		// Without a time left, the time so far: the line moves while the
		// work does what it does not count.
		switch {
		case total > 0 && done == total && (s.Steps <= 1 || s.Step >= s.Steps):
			parts = append(parts, "finishing")
		case len(parts) == 0:
			parts = append(parts, "preparing")
		}
		parts = append(parts, elapsed(now.Sub(r.start)))
	}
	return r.command + ": " + strings.Join(parts, " · ")
}

// summary is the outcome at the end, for a CI log: "validate: 10,000
// manifests in 5.2s (1,923/s)", or how far the work got when it stopped.
func (r *renderer) summary(now time.Time, s progress.Snapshot) string {
	el := now.Sub(r.start)
	complete := s.Done == s.Total && (s.Steps <= 1 || s.Step >= s.Steps)
	switch {
	case !complete && s.Steps > 1:
		return fmt.Sprintf("%s: stopped at build %d/%d after %s", r.command, s.Step, s.Steps, elapsed(el))
	case !complete:
		return fmt.Sprintf("%s: stopped at %s/%s manifests after %s", r.command, count(s.Done), count(s.Total), elapsed(el))
	case s.Steps > 1:
		return fmt.Sprintf("%s: %s, %s in %s", r.command, plural(s.Steps, "build"), plural(s.Total, "manifest"), elapsed(el))
	case s.Total == 0:
		return fmt.Sprintf("%s: done in %s", r.command, elapsed(el))
	}
	out := fmt.Sprintf("%s: %s in %s", r.command, plural(s.Total, "manifest"), elapsed(el))
	if el > 0 {
		out += " (" + perSecond(float64(s.Total)/el.Seconds()) + ")"
	}
	return out
}

// count writes n with a comma between thousands: 10,000.
func count(n int64) string {
	s := strconv.FormatInt(n, 10)
	if n < 0 {
		return s
	}
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// plural writes n things: 1 build, 12 builds.
func plural(n int64, thing string) string {
	if n == 1 {
		return "1 " + thing
	}
	return count(n) + " " + thing + "s"
}

// perSecond writes a rate: 1,830/s, or 2.5/s below ten.
func perSecond(rate float64) string {
	if rate < 9.95 {
		return strconv.FormatFloat(rate, 'f', 1, 64) + "/s"
	}
	return count(int64(math.Round(rate))) + "/s"
}

// remaining writes a time left, rounded up to the second: 3s, 2m05s, 1h02m.
func remaining(d time.Duration) string {
	s := int64(math.Ceil(d.Seconds()))
	switch {
	case s < 60:
		return fmt.Sprintf("%ds", s)
	case s < 3600:
		return fmt.Sprintf("%dm%02ds", s/60, s%60)
	}
	m := (s + 59) / 60
	return fmt.Sprintf("%dh%02dm", m/60, m%60)
}

// elapsed writes a time taken: 0.4s, 5.2s, 31s, 2m05s.
func elapsed(d time.Duration) string {
	switch {
	case d < 10*time.Second:
		return strconv.FormatFloat(d.Seconds(), 'f', 1, 64) + "s"
	case d < time.Minute:
		return fmt.Sprintf("%ds", int64(d.Round(time.Second).Seconds()))
	}
	s := int64(d.Round(time.Second).Seconds())
	return fmt.Sprintf("%dm%02ds", s/60, s%60)
}
