package progress

import (
	"sync"
	"testing"
)

func TestNilCounterCountsNothing(t *testing.T) {
	var c *Counter
	c.Expect(3)
	c.Done(1)
	c.Steps(2)
	c.Step()
	if got := c.Load(); got != (Snapshot{}) {
		t.Fatalf("nil counter: %+v, want zero", got)
	}
}

func TestCounterSteps(t *testing.T) {
	var c Counter
	c.Steps(3)
	c.Step()
	c.Expect(10)
	c.Done(10)
	c.Step()
	c.Expect(4)
	c.Done(1)
	want := Snapshot{Done: 11, Total: 14, Step: 2, Steps: 3, StepDone: 1, StepTotal: 4}
	if got := c.Load(); got != want {
		t.Fatalf("got %+v, want %+v", got, want)
	}
}

// A reader between the work's adds never sees more done than known.
func TestLoadClamps(t *testing.T) {
	var c Counter
	c.Done(2) // counted before its part said its size
	if got := c.Load(); got.Done != 0 || got.Total != 0 {
		t.Fatalf("got %+v, want done clamped to total 0", got)
	}
	c.Expect(5)
	if got := c.Load(); got.Done != 2 || got.Total != 5 {
		t.Fatalf("got %+v", got)
	}
}

func TestConcurrentDone(t *testing.T) {
	var c Counter
	c.Expect(8000)
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 1000 {
				c.Done(1)
			}
		}()
	}
	wg.Wait()
	if got := c.Load(); got.Done != 8000 {
		t.Fatalf("done %d, want 8000", got.Done)
	}
}

// BenchmarkDone is the price the work pays per manifest, on every core at
// once.
func BenchmarkDone(b *testing.B) {
	var c Counter
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			c.Done(1)
		}
	})
}
