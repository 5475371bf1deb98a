package content

import (
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/smallhq/small/config"
	"github.com/smallhq/small/repo"
)

// BenchmarkValidateConstraints validates 2,000 manifests, each with a
// ~20 KB PNG beside it, in the working tree and at the commit, with and
// without a @unique field and an @asset field (docs/schemas.md): the
// constraints should cost at most a fifth more.
func BenchmarkValidateConstraints(b *testing.B) {
	const n = 2000
	img := append([]byte("\x89PNG\r\n\x1a\n"), make([]byte, 20000)...)
	for _, tc := range []struct{ name, schema string }{
		{"plain", "package schemas\n\n#Topic: {\n\ttitle: string\n\tlogo: string\n\tbody: string\n}\n"},
		{"constraints", "package schemas\n\n#Topic: {\n\ttitle: string @unique()\n\tlogo: string @asset(root=\".\", types=\"image/png,image/jpeg\", maxBytes=75000)\n\tbody: string\n}\n"},
	} {
		dir := b.TempDir()
		write := func(p string, data []byte) {
			full := filepath.Join(dir, filepath.FromSlash(p))
			if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
				b.Fatal(err)
			}
			if err := os.WriteFile(full, data, 0o644); err != nil {
				b.Fatal(err)
			}
		}
		write("small.cue", []byte("manifests: \"topics\"\n"))
		write("schemas/t.cue", []byte(tc.schema))
		for i := range n {
			write(fmt.Sprintf("topics/t%d/t%d.yaml", i, i), fmt.Appendf(nil, "kind: Topic\ntitle: Topic number %d\nlogo: t%d.png\nbody: some text about topic %d\n", i, i, i))
			write(fmt.Sprintf("topics/t%d/t%d.png", i, i), img)
		}
		t := &testing.T{}
		runGit(t, dir, nil, "init", "-q")
		runGit(t, dir, nil, "add", "-A")
		runGit(t, dir, nil, "commit", "-qm", "topics")
		r, err := repo.Open(dir)
		if err != nil {
			b.Fatal(err)
		}
		head, err := r.Resolve("HEAD")
		if err != nil {
			b.Fatal(err)
		}
		for _, where := range []string{"worktree", "commit"} {
			b.Run(tc.name+"/"+where, func(b *testing.B) {
				// CPU time, which a busy machine disturbs less than wall time.
				var before, after syscall.Rusage
				_ = syscall.Getrusage(syscall.RUSAGE_SELF, &before)
				defer func() {
					_ = syscall.Getrusage(syscall.RUSAGE_SELF, &after)
					cpu := time.Duration(after.Utime.Nano() + after.Stime.Nano() - before.Utime.Nano() - before.Stime.Nano())
					b.ReportMetric(float64(cpu.Milliseconds())/float64(b.N), "cpu-ms/op")
				}()
				for b.Loop() {
					snap := r.WorkingTree()
					if where == "commit" {
						snap = r.Snapshot(head)
					}
					cfg, err := config.Load(snap)
					if err != nil {
						b.Fatal(err)
					}
					res, err := Validate(snap, cfg, Options{})
					if err != nil || len(res.Report.Diagnostics) > 0 || len(res.Manifests) != n {
						b.Fatalf("%v %d manifests %s", err, len(res.Manifests), list(res.Report.Diagnostics))
					}
				}
			})
		}
	}
}
