package builder

import (
	"reflect"
	"strings"
	"testing"

	"github.com/smallhq/small/lineage"
)

func TestIndexEntryRoundTrip(t *testing.T) {
	for _, e := range []IndexEntry{
		{Path: "manifests/a.yaml", Blob: "b1", Kind: "Article", ID: "a", Status: "draft", Commit: "c1",
			Actor: lineage.Actor{Type: "human", Name: "Ann", Email: "ann@example.com"}, Artifacts: []string{"article/a.json"}},
		{Path: "manifests/b.yaml", Blob: "b2", Kind: "Article", ID: "b", Status: "review", Commit: "c2",
			Actor: lineage.Actor{Type: "agent", Name: "Copilot\twith a tab", Email: "c@bots.example.com",
				Human: lineage.Person{Name: "Ann+", Email: "ann@example.com"}},
			Artifacts: []string{"article/b.json", "article/b.html"}},
		{Path: "manifests/docs/v1/install guide.yaml", Blob: "b4", Kind: "Doc", ID: "v1/install", Status: "draft", Commit: "c4",
			Actor: lineage.Actor{Type: "human", Name: "Ann", Email: "ann@example.com"}, Artifacts: []string{"doc/v1/install.json"}},
		{Path: "manifests/c.yaml", Blob: "b3", Kind: "Article", ID: "c", Status: "draft", Commit: "c3",
			Actor: lineage.Actor{Type: "agent", Name: "x", Email: "x@y", Human: lineage.Person{Name: "Ann"}}},
	} {
		var b strings.Builder
		encodeEntry(&b, e)
		got, err := decodeEntry(strings.TrimSuffix(b.String(), "\n"))
		if err != nil {
			t.Fatal(err)
		}
		if len(got.Artifacts) == 0 {
			got.Artifacts = nil
		}
		if !reflect.DeepEqual(got, e) {
			t.Errorf("round trip:\n got %+v\nwant %+v", got, e)
		}
	}
	// An entry written before people were recorded reads as it always did.
	old := "manifests/a.yaml\tb1\tArticle\ta\tdraft\tc1\tagent\tbot\tbot@x\tarticle/a.json"
	if e, err := decodeEntry(old); err != nil || e.Actor.Human != (lineage.Person{}) || len(e.Artifacts) != 1 {
		t.Errorf("old entry: %+v, %v", e, err)
	}
	// A damaged one is an error, not a panic.
	if _, err := decodeEntry("manifests/a.yaml\tb1\tArticle\ta\tdraft\tc1\tagent+\tbot\tbot@x"); err == nil {
		t.Error("an actor with a person beside it but no person: no error")
	}
}
