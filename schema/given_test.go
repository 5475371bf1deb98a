package schema

import (
	"strings"
	"testing"

	"github.com/smallhq/small/manifest"
)

// TestIdentityFromPath: a kind and id that a files rule gives from the
// path reach the definition where it declares them, so the schema can
// refer to them (topic: id), and they land in the artifact.
func TestIdentityFromPath(t *testing.T) {
	s, err := Load("schemas", []File{{Path: "schemas/a.cue", Data: []byte(`package schemas
#Topic: {
	kind:  "Topic"
	id:    string
	topic: id
	name:  string
}
`)}})
	if err != nil {
		t.Fatal(err)
	}
	v, err := s.NewValidator()
	if err != nil {
		t.Fatal(err)
	}
	id := manifest.Identity{Kind: "Topic", ID: "go"}
	decode := func(src string) *manifest.Document {
		doc, err := manifest.Decode("topics/go/index.md", []byte(src), manifest.DefaultLimits)
		if err != nil {
			t.Fatal(err)
		}
		return doc
	}
	if ds := v.Validate(decode("topic: go\nname: Go\n"), id); len(ds) != 0 {
		t.Errorf("valid topic: %v", ds)
	}
	ds := v.Validate(decode("topic: golang\nname: Go\n"), id)
	if len(ds) != 1 || ds[0].String() != `topics/go/index.md:1:8: topic: got "golang", expected "go"` {
		t.Errorf("topic not the directory's name: %v", ds)
	}
	arts, ds := v.Artifacts(decode("topic: go\nname: Go\n"), id)
	if len(ds) != 0 || len(arts) != 1 || arts[0].Path != "topic/go.json" || !strings.Contains(string(arts[0].Data), `"id": "go"`) || !strings.Contains(string(arts[0].Data), `"kind": "Topic"`) {
		t.Errorf("artifact: %v %v", arts, ds)
	}
}
