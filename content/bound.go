package content

import (
	"runtime/metrics"
	"sync"
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
	go func() { done <- f() }()
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
	select {
	case v := <-done:
		return v, finished
	case <-timer:
		return zero, timedOut
	case <-over:
		return zero, overMemory
	}
}
