package content

import (
	"errors"
	"testing"

	"github.com/smallhq/small/config"
)

func TestValidateProposal(t *testing.T) {
	f := newFixture(t)
	base := f.commit(human, "base", baseFiles())
	snap := f.r.Snapshot(base)
	cfg, err := config.Load(snap)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"", "/manifests/a.yaml", "manifests/../a.yaml", "../manifests/a.yaml", "manifests//a.yaml",
		"manifests/a.txt", "schemas/a.yaml", "manifests", "manifestsx/a.yaml"} {
		var pe *ProposalPathError
		if _, err := ValidateProposal(snap, cfg, p, []byte("kind: Article\n")); !errors.As(err, &pe) {
			t.Errorf("ValidateProposal at %q: %v, want a *ProposalPathError", p, err)
		}
	}
	// A proposal replaces the file at its path, and is the only one judged.
	res, err := ValidateProposal(snap, cfg, "manifests/new.yaml", []byte(article("Fresh words", "")))
	if err != nil {
		t.Fatal(err)
	}
	if res.Report.Manifests != 1 || res.Report.Failed() {
		t.Errorf("a valid proposal: %d manifests, %v", res.Report.Manifests, res.Report.Diagnostics)
	}
	res, err = ValidateProposal(snap, cfg, "manifests/new.yaml", []byte("kind: Article\ntitle: [\n"))
	if err != nil {
		t.Fatal(err)
	}
	if ds := res.Report.Diagnostics; len(ds) != 1 || ds[0].File != "manifests/new.yaml" || ds[0].Line == 0 {
		t.Errorf("a broken proposal: %v, want one finding at a line of manifests/new.yaml", ds)
	}
}
