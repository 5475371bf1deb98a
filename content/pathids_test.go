package content

import (
	"testing"

	"github.com/smallhq/small/config"
)

func TestSuggestRule(t *testing.T) {
	for _, tc := range []struct {
		rels     []string
		glob, id string
	}{
		{[]string{"docs/v1/install.yaml", "docs/v2/install.yaml"}, "docs/**/*.yaml", "$1/$2"},
		{[]string{"docs/v1/install.yaml", "docs/v1/old/install.yaml"}, "docs/v1/**/*.yaml", "$1/$2"},
		{[]string{"a/install.yaml", "b/c/install.yaml"}, "**/*.yaml", "$1/$2"},
		{[]string{"a/git/index.md", "b/git/index.md"}, "**/index.md", "$1"},
		{[]string{"a/x.yaml", "b/x.json"}, "", ""},
		{[]string{"a/git/index.md", "b/git/_index.md"}, "", ""},
	} {
		glob, id := suggestRule(tc.rels)
		if glob != tc.glob || id != tc.id {
			t.Errorf("suggestRule(%q) = %q, %q; want %q, %q", tc.rels, glob, id, tc.glob, tc.id)
		}
	}
}

func TestPathScopedHint(t *testing.T) {
	cfg := config.Default()
	ms := []Manifest{
		{Path: "manifests/docs/v1/install.yaml", idFromName: true},
		{Path: "manifests/docs/v2/install.yaml", idFromName: true},
		{Path: "manifests/install.yaml", idFromName: true},
		{Path: "manifests/docs/v3/install.yaml"}, // states its id
	}
	got := pathScopedHint(cfg, ms, []int{0, 1, 2})
	if want := `; or give them path-scoped ids (docs/v1/install, docs/v2/install, install) with a files rule in small.cue such as {glob: "**/*.yaml", id: "$1/$2"}`; got != want {
		t.Errorf("hint:\n got %s\nwant %s", got, want)
	}
	got = pathScopedHint(cfg, ms, []int{0, 1})
	if want := `; or give them path-scoped ids (v1/install, v2/install) with a files rule in small.cue such as {glob: "docs/**/*.yaml", id: "$1/$2"}, with a rule for the other manifests after it such as {glob: "**/*.yaml"}: with files rules, only the files a rule matches are manifests`; got != want {
		t.Errorf("hint:\n got %s\nwant %s", got, want)
	}
	// A stated id is not the file's name: no rule can make it agree.
	if h := pathScopedHint(cfg, ms, []int{0, 3}); h != "" {
		t.Errorf("hint for a stated id: %q", h)
	}
}
