package builder

import (
	"strings"
	"testing"

	"github.com/smallhq/small/lineage"
)

// A translation's entry keeps its locale in the id field as id@locale: an
// id never holds '@', so indexes written before translations read alike.
func TestIndexEntryLocale(t *testing.T) {
	for _, e := range []IndexEntry{
		{Path: "manifests/fr/hello.yaml", Blob: "b", Kind: "Article", ID: "hello", Locale: "fr", Status: "draft", Commit: "c",
			Actor: lineage.Actor{Type: "human", Name: "Ann", Email: "ann@example.com"}, Artifacts: []string{"article/hello.fr.json"}},
		{Path: "manifests/hello.yaml", Blob: "b", Kind: "Article", ID: "hello.v2", Status: "draft", Commit: "c",
			Actor: lineage.Actor{Type: "human", Name: "Ann", Email: "ann@example.com"}, Artifacts: []string{"article/hello.v2.json"}},
	} {
		var b strings.Builder
		encodeEntry(&b, e)
		got, err := decodeEntry(strings.TrimSuffix(b.String(), "\n"))
		if err != nil {
			t.Fatal(err)
		}
		if got.ID != e.ID || got.Locale != e.Locale || got.Name() != e.Name() || strings.Join(got.Artifacts, ",") != strings.Join(e.Artifacts, ",") {
			t.Errorf("round trip of %+v gave %+v", e, got)
		}
	}
	if n := (IndexEntry{Kind: "Article", ID: "hello", Locale: "fr"}).Name(); n != "Article/hello@fr" {
		t.Errorf("Name = %s", n)
	}
}
