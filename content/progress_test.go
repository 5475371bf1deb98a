package content

import (
	"fmt"
	"maps"
	"testing"

	"github.com/smallhq/small/progress"
)

// TestValidateCounts: the evaluation counts each manifest it evaluates,
// valid or not, on every worker, and what it reuses not at all; the
// renderings #refs waits for count too.
func TestValidateCounts(t *testing.T) {
	f := newFixture(t)
	files := baseFiles()
	for i := range 40 {
		files[fmt.Sprintf("manifests/a%02d.yaml", i)] = article(fmt.Sprintf("A%d", i), "")
	}
	files["manifests/bad.yaml"] = "kind: Article\ntitle: 42\n"
	c := f.commit(human, "content", files)

	var pg progress.Counter
	res, err := f.validateAt(c, Options{Workers: 2, Progress: &pg})
	if err != nil {
		t.Fatal(err)
	}
	if got := pg.Load(); got.Done != 41 || got.Total != 41 || len(res.Report.Diagnostics) != 1 {
		t.Fatalf("counted %+v with %d findings, want 41 of 41 and 1 finding", got, len(res.Report.Diagnostics))
	}

	known := map[string]Known{}
	for i := range 30 {
		p := fmt.Sprintf("manifests/a%02d.yaml", i)
		known[p] = Known{Path: p, Kind: "Article", ID: fmt.Sprintf("a%02d", i), State: "draft"}
	}
	pg = progress.Counter{}
	if _, err := f.validateAt(c, Options{Known: known, Progress: &pg}); err != nil {
		t.Fatal(err)
	}
	if got := pg.Load(); got.Done != 11 || got.Total != 11 {
		t.Fatalf("with 30 known: counted %+v, want 11 of 11", got)
	}

	f = newFixture(t)
	refs := map[string]string{"small.cue": baseConfig, "schemas/s.cue": readSchema, "manifests/au/ada.yaml": "kind: Author\nname: Ada\n"}
	for i := range 5 {
		refs[fmt.Sprintf("manifests/po/p%d.yaml", i)] = "kind: Post\ntitle: P\nauthor: ada\n"
	}
	c = f.commit(human, "content", maps.Clone(refs))
	pg = progress.Counter{}
	if _, err := f.validateAt(c, Options{Artifacts: true, Progress: &pg}); err != nil {
		t.Fatal(err)
	}
	if got := pg.Load(); got.Done != 11 || got.Total != 11 { // 6 evaluated, 5 rendered with their references
		t.Fatalf("with #refs: counted %+v, want 11 of 11", got)
	}
}
