package adopt

import (
	"errors"
	"strings"
	"testing"
)

// FuzzInfer feeds two files of one shape arbitrary front matter: inference
// never panics, and whatever it proposes loads and accepts the files it
// was inferred from (mustInfer fails on a problem its self-check reports).
func FuzzInfer(f *testing.F) {
	f.Add("title: a\ntags: [x]\n", "title: b\nn: 1\n")
	f.Add("a: {b: [1, {c: null}]}\n", "a: {b: []}\n")
	f.Add("string: 1\n_x: y\n\"#d\": [1, a]\n", "bool: true\nint: 1.5\n")
	f.Add("status: live\n", "status: draft\n")
	f.Add("a: &x [1]\nb: *x\n", "<<: {m: 1}\n")
	f.Add("body: text\ncontent: x\n", "kind: Post\nid: b\n")
	f.Fuzz(func(t *testing.T, a, b string) {
		snap := memSnap{"posts/a.md": "---\n" + a + "\n---\nA\n", "posts/b.md": "---\n" + b + "\n---\n"}
		rep, err := Infer(snap, Options{})
		var nc *NoContentError
		if errors.As(err, &nc) {
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rep.Rules {
			for _, p := range r.Problems {
				if strings.Contains(p.Reason, "a bug") {
					t.Fatalf("%s: %s\n%s", p.Path, p.Reason, rep.Files[1].Content)
				}
			}
		}
	})
}
