package builder

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/smallhq/small/diag"
	"github.com/smallhq/small/repo"
)

func buildHere(t *testing.T, dir string) {
	t.Helper()
	r, err := repo.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	p, err := Prepare(r, "HEAD")
	if err != nil {
		t.Fatal(err)
	}
	if p.Report.Failed() {
		t.Fatalf("findings: %v", p.Report.Diagnostics)
	}
	if _, err := Apply(r, p); err != nil {
		t.Fatal(err)
	}
}

func verifyTip(t *testing.T, dir string) *Verification {
	t.Helper()
	r, err := repo.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	tip, err := r.Resolve("small/artifacts")
	if err != nil {
		t.Fatal(err)
	}
	vf, err := NewVerifier(r)
	if err != nil {
		t.Fatal(err)
	}
	v, err := vf.Verify(tip)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// TestVerifyReproduces: a build small made is reproduced bit for bit,
// the first build and an incremental one.
func TestVerifyReproduces(t *testing.T) {
	dir := newRepo(t, 20)
	buildHere(t, dir)
	if v := verifyTip(t, dir); !v.Exact || !v.OK() {
		t.Fatalf("first build: exact %v, mismatches %+v", v.Exact, v.Mismatches)
	}
	os.WriteFile(filepath.Join(dir, "manifests", "authors", "a0003.yaml"), []byte("kind: Author\nname: Changed\n"), 0o644)
	git(t, dir, "commit", "-qam", "change one")
	buildHere(t, dir)
	if v := verifyTip(t, dir); !v.Exact || !v.OK() || v.Plan.Full {
		t.Fatalf("incremental build: exact %v, full %v, mismatches %+v", v.Exact, v.Plan.Full, v.Mismatches)
	}
}

// TestVerifyTamperedArtifact: a hand-made commit with copied trailers and
// an edited artifact is a mismatch naming the artifact and both blobs.
func TestVerifyTamperedArtifact(t *testing.T) {
	dir := newRepo(t, 5)
	buildHere(t, dir)
	wt := t.TempDir()
	git(t, dir, "worktree", "add", "-q", wt, "small/artifacts")
	os.WriteFile(filepath.Join(wt, "author", "a0001.json"), []byte("{\"name\":\"forged\"}\n"), 0o644)
	msg := git(t, dir, "log", "-1", "--format=%B", "small/artifacts")
	git(t, wt, "commit", "-qam", msg)
	v := verifyTip(t, dir)
	if v.OK() {
		t.Fatal("a forged artifact verified")
	}
	found := false
	for _, m := range v.Mismatches {
		if m.Code == diag.CodeVerifyArtifact && m.Path == "author/a0001.json" && m.Recorded != "" && m.Rebuilt != "" {
			found = true
		}
	}
	if !found {
		t.Fatalf("no artifact mismatch for author/a0001.json: %+v", v.Mismatches)
	}
}
