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

// BenchmarkValidateReferences validates 10,000 manifests (9,000 posts
// naming one of 1,000 authors), at the commit, with the author field a
// plain string and with it marked @ref(Author), and a narrowed validation
// of one post (whose reference is resolved against the identities of the
// whole snapshot): resolving the references should cost at most 15% more
// (issue 13). Compare cpu-ms/op of plain and refs.
func BenchmarkValidateReferences(b *testing.B) {
	const authors, posts = 1000, 9000
	for _, tc := range []struct{ name, schema string }{
		{"plain", "package schemas\n\n#Author: {name: string}\n#Post: {\n\ttitle: string\n\tauthor: string\n\tbody: string\n}\n"},
		{"refs", "package schemas\n\n#Author: {name: string}\n#Post: {\n\ttitle: string\n\tauthor: string @ref(Author)\n\tbody: string\n}\n"},
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
		write("small.cue", []byte(""))
		write("schemas/s.cue", []byte(tc.schema))
		for i := range authors {
			write(fmt.Sprintf("manifests/authors/a%04d.yaml", i), fmt.Appendf(nil, "kind: Author\nname: Author number %d\n", i))
		}
		for i := range posts {
			write(fmt.Sprintf("manifests/posts/p%d/p%05d.yaml", i%100, i), fmt.Appendf(nil, "kind: Post\ntitle: Post number %d\nauthor: a%04d\nbody: some text about post %d\n", i, (i*7)%authors, i))
		}
		t := &testing.T{}
		runGit(t, dir, nil, "init", "-q")
		runGit(t, dir, nil, "add", "-A")
		runGit(t, dir, nil, "commit", "-qm", "content")
		r, err := repo.Open(dir)
		if err != nil {
			b.Fatal(err)
		}
		head, err := r.Resolve("HEAD")
		if err != nil {
			b.Fatal(err)
		}
		for _, mode := range []string{"all", "one"} {
			b.Run(tc.name+"/"+mode, func(b *testing.B) {
				var before, after syscall.Rusage
				_ = syscall.Getrusage(syscall.RUSAGE_SELF, &before)
				defer func() {
					_ = syscall.Getrusage(syscall.RUSAGE_SELF, &after)
					cpu := time.Duration(after.Utime.Nano() + after.Stime.Nano() - before.Utime.Nano() - before.Stime.Nano())
					b.ReportMetric(float64(cpu.Milliseconds())/float64(b.N), "cpu-ms/op")
				}()
				opts, want := Options{}, authors+posts
				if mode == "one" {
					opts.Paths, want = []string{"manifests/posts/p7/p00007.yaml"}, 1
				}
				for b.Loop() {
					snap := r.Snapshot(head)
					cfg, err := config.Load(snap)
					if err != nil {
						b.Fatal(err)
					}
					res, err := Validate(snap, cfg, opts)
					if err != nil || len(res.Report.Diagnostics) > 0 || len(res.Manifests) != want {
						b.Fatalf("%v %d manifests %s", err, len(res.Manifests), list(res.Report.Diagnostics))
					}
					if tc.name == "refs" && len(res.References) != min(want, posts) && mode == "all" {
						b.Fatalf("%d references", len(res.References))
					}
				}
			})
		}
	}
}
