package main

import (
	"bytes"
	"os"
	"runtime"
	"runtime/pprof"
	"time"
)

// peakHeapProfile writes, to name, a heap profile taken when the live heap
// was at its largest during the run (sampled every 50 ms), for memory
// work: go tool pprof -sample_index=inuse_space small name. It returns the
// function that stops sampling and writes the file.
func peakHeapProfile(name string) (stop func()) {
	runtime.MemProfileRate = 64 << 10
	done := make(chan struct{})
	finished := make(chan struct{})
	var best []byte
	go func() {
		defer close(finished)
		var peak uint64
		t := time.NewTicker(50 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
			}
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			if ms.HeapInuse <= peak+peak/20 {
				continue
			}
			peak = ms.HeapInuse
			var b bytes.Buffer
			if pprof.Lookup("heap").WriteTo(&b, 0) == nil {
				best = b.Bytes()
			}
		}
	}()
	return func() {
		close(done)
		<-finished
		if best != nil {
			os.WriteFile(name, best, 0o644)
		}
	}
}
