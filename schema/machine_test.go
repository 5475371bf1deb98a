package schema

import (
	"slices"
	"testing"
)

func TestShortestPath(t *testing.T) {
	lc := DefaultLifecycle
	for _, tc := range []struct {
		from, to string
		want     []string
	}{
		{"draft", "draft", []string{"draft"}},
		{"draft", "review", []string{"draft", "review"}},
		{"draft", "approved", []string{"draft", "review", "approved"}},
		{"draft", "published", []string{"draft", "review", "approved", "published"}},
		{"published", "draft", nil}, // no way back
		{"archived", "draft", nil},  // final
	} {
		got, ok := lc.ShortestPath(tc.from, tc.to)
		if ok != (tc.want != nil) || !slices.Equal(got, tc.want) {
			t.Errorf("ShortestPath(%s, %s) = %v, %v; want %v", tc.from, tc.to, got, ok, tc.want)
		}
	}
	// Two shortest ways: which state was passed is unknown.
	diamond := Lifecycle{States: []string{"a", "b", "c", "d"}, Initial: "a",
		Transitions: map[string][]string{"a": {"b", "c"}, "b": {"d"}, "c": {"d"}}}
	if p, ok := diamond.ShortestPath("a", "d"); ok {
		t.Errorf("diamond: got the unique path %v, want none", p)
	}
}

func TestFrozenDefaultsToHumanOnly(t *testing.T) {
	lc := DefaultLifecycle
	if !lc.FrozenState("published") || lc.FrozenState("draft") {
		t.Error("default frozen states are not the human-only states")
	}
	lc.Frozen = []string{"draft"}
	if lc.FrozenState("published") || !lc.FrozenState("draft") {
		t.Error("an explicit frozen list is not used")
	}
}

func TestReaches(t *testing.T) {
	lc := DefaultLifecycle
	for _, tc := range []struct {
		from, to string
		want     bool
	}{
		{"draft", "published", true}, {"published", "draft", false}, {"archived", "draft", false},
		{"draft", "draft", true}, {"archived", "archived", false},
	} {
		if got := lc.Reaches(tc.from, tc.to); got != tc.want {
			t.Errorf("Reaches(%s, %s) = %v, want %v", tc.from, tc.to, got, tc.want)
		}
	}
}

func TestReachesSelfLoop(t *testing.T) {
	lc := Lifecycle{States: []string{"a"}, Initial: "a", Transitions: map[string][]string{"a": {"a"}}}
	if !lc.Reaches("a", "a") {
		t.Error("a self-loop does not reach its state")
	}
}
