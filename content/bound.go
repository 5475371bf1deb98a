package content

import (
	"runtime/metrics"
	"sync"
	"sync/atomic"
	"time"
)

// outcome says how a bounded evaluation ended.
type outcome int

const (
	finished   outcome = iota
	timedOut           // past limits.evalSeconds: abandoned, still running
	overMemory         // past limits.evalMemory: the run stops
)

// guard watches the memory small holds while it evaluates, and closes over
// once it passes the limit: CUE cannot be stopped, so the run is.
type guard struct {
	over chan struct{}
	stop chan struct{}
	once sync.Once
}

// heapSample is the metric the guard reads: bytes in heap objects, live or
// not yet swept. Reading it does not stop the world.
const heapSample = "/memory/classes/heap/objects:bytes"

// watch starts a guard for limit bytes (none when limit is not positive).
func watch(limit uint64) *guard {
	g := &guard{over: make(chan struct{}), stop: make(chan struct{})}
	if limit == 0 {
		return g
	}
	go func() {
		s := []metrics.Sample{{Name: heapSample}}
		// Every 100 ms: reading the metric is not free (every 20 ms
		// slowed validating 10,000 manifests by a tenth), and an
		// evaluation allocates far less than the limit in that time.
		t := time.NewTicker(100 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-g.stop:
				return
			case <-t.C:
				metrics.Read(s)
				if s[0].Value.Kind() == metrics.KindUint64 && s[0].Value.Uint64() > limit {
					close(g.over)
					return
				}
			}
		}
	}()
	return g
}

// done stops the guard.
func (g *guard) done() { g.once.Do(func() { close(g.stop) }) }

// boundedRun runs f and waits for it at most d (no bound when d is not
// positive), and only while the guard holds. CUE has no cancellation: an
// evaluation that runs over goes on in the background, its result dropped,
// until the process ends; the caller reports it instead of hanging.
func boundedRun[T any](d time.Duration, g *guard, f func() T) (T, outcome) {
	done := make(chan T, 1)
	// state is running until either f finishes or the caller gives up on
	// it, whichever comes first; an evaluation given up on is counted in
	// abandoned until it does finish.
	var state atomic.Int32
	go func() {
		v := f()
		if !state.CompareAndSwap(running, finishedRun) {
			abandoned.Add(-1)
		}
		done <- v
	}()
	var timer <-chan time.Time
	if d > 0 {
		t := time.NewTimer(d)
		defer t.Stop()
		timer = t.C
	}
	var over <-chan struct{}
	if g != nil {
		over = g.over
	}
	var zero T
	how := finished
	select {
	case v := <-done:
		return v, finished
	case <-timer:
		how = timedOut
	case <-over:
		how = overMemory
	}
	abandoned.Add(1)
	if !state.CompareAndSwap(running, givenUp) {
		// f finished just now: its answer is there after all.
		abandoned.Add(-1)
		return <-done, finished
	}
	return zero, how
}

// The states of a bounded run.
const (
	running int32 = iota
	finishedRun
	givenUp
)

// abandoned counts the evaluations given up on (past limits.evalSeconds
// or limits.evalMemory) that are still running.
var abandoned atomic.Int64

// Abandoned is how many evaluations small gave up on, past
// limits.evalSeconds or limits.evalMemory, are still running in the
// background: CUE cannot be stopped, so each goes on until it ends. A
// command ends with its process; a long-running process (small serve)
// must stop starting evaluations while too many are, or they pile up
// without bound.
func Abandoned() int { return int(abandoned.Load()) }
