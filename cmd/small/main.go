// Command small is a Git-backed content repository tool.
package main

import (
	"os"
	"runtime/debug"
	"runtime/pprof"

	"github.com/smallhq/small/cmd/internal/cmdutil"
	"github.com/smallhq/small/cmd/internal/root"
)

// softMemoryLimit is the heap size past which the collector works harder
// (see docs/scale.md).
const softMemoryLimit = 384 << 20

func main() {
	// Validation allocates many short-lived syntax trees; collecting half as
	// often is ~20% faster for a few tens of MB more (measured on 10,000
	// manifests). GOGC, when set, wins.
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(200)
	}
	// A soft ceiling on the heap: past it the collector runs as often as
	// it must (within half the CPU), so that the slack GOGC allows never
	// takes a big build's memory far past what it holds live. GOMEMLIMIT,
	// when set, wins.
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(softMemoryLimit)
	}
	// SMALL_MEMPROFILE=file writes a heap profile taken at the run's
	// largest live heap.
	if name := os.Getenv("SMALL_MEMPROFILE"); name != "" {
		stop := peakHeapProfile(name)
		code := root.Main(os.Args[1:], cmdutil.System())
		stop()
		os.Exit(code)
	}
	// SMALL_CPUPROFILE=file writes a CPU profile of the run, for
	// performance work (go tool pprof small file).
	if name := os.Getenv("SMALL_CPUPROFILE"); name != "" {
		if f, err := os.Create(name); err == nil {
			pprof.StartCPUProfile(f)
			code := root.Main(os.Args[1:], cmdutil.System())
			pprof.StopCPUProfile()
			f.Close()
			os.Exit(code)
		}
	}
	os.Exit(root.Main(os.Args[1:], cmdutil.System()))
}
