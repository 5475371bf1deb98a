package main

import (
	"os"
	"testing"

	"github.com/smallhq/small/config"
	"github.com/smallhq/small/content"
	"github.com/smallhq/small/repo"
)

// BenchmarkValidate runs what small validate does, in process, on a corpus
// kept by the benchmark, so that it can be profiled:
//
//	go run ./internal/bench -small bin/small -cue .tools/bin/cue -dir /tmp/corpus
//	SMALL_BENCH_DIR=/tmp/corpus go test ./internal/bench -run '^$' -bench Validate \
//	    -benchtime 3x -cpuprofile cpu.out -memprofile mem.out
//	go tool pprof -top internal/bench/bench.test cpu.out
//
// SMALL_BENCH_REV=HEAD validates that commit instead of the working tree.
func BenchmarkValidate(b *testing.B) {
	dir := os.Getenv("SMALL_BENCH_DIR")
	if dir == "" {
		b.Skip("set SMALL_BENCH_DIR to a corpus directory (go run ./internal/bench -dir DIR)")
	}
	r, err := repo.Open(dir)
	if err != nil {
		b.Fatal(err)
	}
	snap := r.WorkingTree()
	if rev := os.Getenv("SMALL_BENCH_REV"); rev != "" {
		c, err := r.Resolve(rev)
		if err != nil {
			b.Fatal(err)
		}
		snap = r.Snapshot(c)
	}
	cfg, err := config.Load(snap)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		res, err := content.Validate(snap, cfg, content.Options{})
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(res.Report.Invalid()), "invalid")
	}
}
