package manifest

import (
	"errors"
	"strings"
	"testing"

	"github.com/smallhq/small/diag"
)

func TestIdentityGiven(t *testing.T) {
	rule := "files rule 1 (topics/*/index.md)"
	for _, tc := range []struct {
		src       string
		given     Given
		want      Identity
		code, msg string
		line, col int
	}{
		{src: "title: x\n", given: Given{Kind: "Topic", ID: "git", Rule: rule}, want: Identity{Kind: "Topic", ID: "git"}},
		{src: "kind: Topic\nid: git\nstatus: review\n", given: Given{Kind: "Topic", ID: "git", Rule: rule}, want: Identity{Kind: "Topic", ID: "git", Status: "review"}},
		{src: "kind: Post\n", given: Given{Kind: "Topic", ID: "git", Rule: rule}, code: diag.CodeRuleMismatch, line: 1, col: 7,
			msg: `kind: "Post" disagrees with files rule 1 (topics/*/index.md), which gives "Topic" from the path: expected kind: Topic, or no kind`},
		{src: "title: x\nid: golang\n", given: Given{Kind: "Topic", ID: "git", Rule: rule}, code: diag.CodeRuleMismatch, line: 2, col: 5,
			msg: `id: "golang" disagrees with files rule 1`},
		{src: "title: x\n", given: Given{Kind: "Topic", ID: "Bad Name", Rule: rule}, code: diag.CodeIDInvalid,
			msg: `id: "Bad Name" from files rule 1 (topics/*/index.md) is not a valid id`},
		{src: "title: x\nid: 5\n", given: Given{Kind: "Topic", ID: "git", Rule: rule}, code: diag.CodeIDInvalid, line: 2, col: 5, msg: "id: expected a string"},
		{src: "kind: Topic\n", given: Given{ID: "git", Rule: rule}, want: Identity{Kind: "Topic", ID: "git"}},
		{src: "title: x\n", given: Given{ID: "git", Rule: rule}, code: diag.CodeKindMissing, line: 1, col: 1, msg: "kind: required field is missing"},
		{src: "title: x\n", given: Given{Kind: "Topic", Rule: rule}, want: Identity{Kind: "Topic", ID: "index"}},
		{src: "title: x\nid: Nope\n", given: Given{Kind: "Topic", Rule: rule}, code: diag.CodeIDInvalid, line: 2, col: 5, msg: `id: "Nope" is not a valid id`},
		{src: "kind: Topic\nid: x\n", want: Identity{Kind: "Topic", ID: "x"}}, // nothing given: Identity
		// Path-scoped ids, given by a rule or stated.
		{src: "title: x\n", given: Given{Kind: "Doc", ID: "v1/install", Rule: rule}, want: Identity{Kind: "Doc", ID: "v1/install"}},
		{src: "title: x\nid: v1/install\n", given: Given{Kind: "Doc", ID: "v1/install", Rule: rule}, want: Identity{Kind: "Doc", ID: "v1/install"}},
		{src: "title: x\nid: v2/install\n", given: Given{Kind: "Doc", ID: "v1/install", Rule: rule}, code: diag.CodeRuleMismatch, line: 2, col: 5,
			msg: `id: "v2/install" disagrees with files rule 1 (topics/*/index.md), which gives "v1/install" from the path`},
		{src: "title: x\n", given: Given{Kind: "Doc", ID: "V1/install", Rule: rule}, code: diag.CodeIDInvalid,
			msg: `id: "V1/install" from files rule 1 (topics/*/index.md) is not a valid id: "V1" starts with 'V'`},
		{src: "title: x\nid: v1//install\n", given: Given{Kind: "Doc", Rule: rule}, code: diag.CodeIDInvalid, line: 2, col: 5, msg: `id: "v1//install" is not a valid id: an empty segment (//)`},
	} {
		doc, err := Decode("topics/git/index.yaml", []byte(tc.src), DefaultLimits)
		if err != nil {
			t.Fatal(err)
		}
		id, err := doc.IdentityGiven(tc.given)
		if tc.code == "" {
			if err != nil || id != tc.want {
				t.Errorf("%q %+v: got %+v, %v; want %+v", tc.src, tc.given, id, err, tc.want)
			}
			continue
		}
		var e *Error
		if !errors.As(err, &e) || e.Code != tc.code || e.Line != tc.line || e.Column != tc.col || !strings.HasPrefix(e.Msg, tc.msg) {
			t.Errorf("%q %+v: got %v (%+v), want %s at %d:%d %q", tc.src, tc.given, err, e, tc.code, tc.line, tc.col, tc.msg)
		}
	}
}
