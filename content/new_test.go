package content

import (
	"slices"
	"strings"
	"testing"

	"github.com/smallhq/small/config"
	"github.com/smallhq/small/schema"
)

func TestPluralOf(t *testing.T) {
	for in, want := range map[string]string{"article": "articles", "category": "categories", "day": "days", "class": "classes", "box": "boxes", "batch": "batches"} {
		if got := pluralOf(in); got != want {
			t.Errorf("pluralOf(%q) = %q, want %q", in, got, want)
		}
	}
}

// Every kind's skeleton is YAML small reads, and small validate refuses
// it, naming exactly the required fields (those of nested structs
// included) and nothing else.
func TestSkeletonFailsOnItsPlaceholders(t *testing.T) {
	for _, dir := range []string{"../scaffold/files/example/schemas", "../scaffold/files/starter/schemas", "testdata/agreement"} {
		s, err := schema.Load("schemas", readSchemas(t, dir))
		if err != nil {
			t.Fatal(err)
		}
		v, err := s.NewValidator()
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range s.Kinds {
			data, err := s.Skeleton(schema.SkeletonOptions{Kind: k, ID: "x", SchemaRef: "x.json"})
			if err != nil {
				t.Fatalf("%s: %v", k, err)
			}
			_, ds := check(v, "manifests/x.yaml", config.Match{Rule: -1}, data, nil, config.Default().ManifestLimits(), false, false)
			var paths []string
			for _, d := range ds {
				paths = append(paths, d.Path)
			}
			var want []string
			for _, line := range strings.Split(string(data), "\n") {
				// "name:  # TODO (required)" at any depth, not commented out.
				trimmed := strings.TrimLeft(line, " ")
				if strings.HasPrefix(trimmed, "#") || !strings.Contains(line, "# "+schema.Placeholder+" (required)") ||
					strings.HasSuffix(line, "(required) struct") { // its fields follow
					continue
				}
				want = append(want, strings.TrimSuffix(strings.Fields(trimmed)[0], ":"))
			}
			if len(want) == 0 && len(ds) > 0 || len(ds) == 0 && len(want) > 0 {
				t.Errorf("%s: the skeleton's placeholders %v, small's findings %v\n%s", k, want, ds, data)
				continue
			}
			for _, w := range want {
				if !slices.ContainsFunc(paths, func(p string) bool { return p == w || strings.HasSuffix(p, "."+w) }) {
					t.Errorf("%s: placeholder %s is not among small's findings %v\n%s", k, w, paths, data)
				}
			}
		}
	}
}
