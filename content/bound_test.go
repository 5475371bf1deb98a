package content

import (
	"testing"
	"time"
)

// TestAbandonedCounted: a run given up on is counted by Abandoned until it
// ends, so that a long-running process (small serve) can refuse to start
// more while too many still run.
func TestAbandonedCounted(t *testing.T) {
	base := Abandoned()
	release := make(chan struct{})
	ended := make(chan struct{})
	_, how := boundedRun(20*time.Millisecond, nil, func() int {
		<-release
		defer close(ended)
		return 1
	})
	if how != timedOut {
		t.Fatalf("outcome %v, want timedOut", how)
	}
	if n := Abandoned(); n != base+1 {
		t.Fatalf("Abandoned() = %d while the run goes on, want %d", n, base+1)
	}
	close(release)
	<-ended
	deadline := time.Now().Add(5 * time.Second)
	for Abandoned() != base {
		if time.Now().After(deadline) {
			t.Fatalf("Abandoned() = %d after the run ended, want %d", Abandoned(), base)
		}
		time.Sleep(time.Millisecond)
	}
	// A run that ends in time is never counted.
	if v, how := boundedRun(time.Minute, nil, func() int { return 2 }); how != finished || v != 2 || Abandoned() != base {
		t.Fatalf("got %d %v, Abandoned() = %d", v, how, Abandoned())
	}
}
