package builder

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/smallhq/small/progress"
	"github.com/smallhq/small/repo"
)

// TestBuildCounts: a build counts the manifests it evaluates, a full one
// all of them, an incremental one what changed; a verifier counts each
// rebuild's.
func TestBuildCounts(t *testing.T) {
	dir := newRepo(t, 30)
	r, err := repo.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	var pg progress.Counter
	p, _, err := Build(r, "HEAD", BuildOptions{Progress: &pg})
	if err != nil || p.Report.Failed() {
		t.Fatalf("build: %v %v", err, p.Report.Diagnostics)
	}
	if got := pg.Load(); got.Done != int64(p.Evaluated) || got.Total != got.Done || p.Evaluated < 30 {
		t.Fatalf("full build of %d: counted %+v", p.Evaluated, got)
	}
	os.WriteFile(filepath.Join(dir, "manifests", "authors", "a0003.yaml"), []byte("kind: Author\nname: Changed\n"), 0o644)
	git(t, dir, "commit", "-qam", "change one")
	pg = progress.Counter{}
	if r, err = repo.Open(dir); err != nil {
		t.Fatal(err)
	}
	if p, _, err = Build(r, "HEAD", BuildOptions{Progress: &pg}); err != nil {
		t.Fatal(err)
	}
	if got := pg.Load(); got.Done != 1 || got.Total != 1 || p.Evaluated != 1 {
		t.Fatalf("one change: counted %+v, evaluated %d", got, p.Evaluated)
	}

	vf, err := NewVerifier(r)
	if err != nil {
		t.Fatal(err)
	}
	pg = progress.Counter{}
	vf.Progress = &pg
	tip, err := r.Resolve("small/artifacts")
	if err != nil {
		t.Fatal(err)
	}
	if v, err := vf.Verify(tip); err != nil || !v.OK() {
		t.Fatalf("verify: %v %+v", err, v)
	}
	if got := pg.Load(); got.Done != 1 || got.Total != 1 {
		t.Fatalf("verifying the incremental build: counted %+v, want 1 of 1", got)
	}
}
