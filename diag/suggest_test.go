package diag

import "testing"

func TestNearest(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   []string
		want string
	}{
		{"Artcle", []string{"Article", "Author"}, "Article"},
		{"agent", []string{"protocol", "agents", "agentPaths"}, "agents"},
		{"bsae", []string{"base", "rev", "format"}, "base"},
		{"zzzzzz", []string{"base"}, ""},
		{"pages", []string{"Page", "Post"}, "Page"},
	} {
		if got := Nearest(tc.name, tc.in); got != tc.want {
			t.Errorf("Nearest(%q) = %q, want %q", tc.name, got, tc.want)
		}
	}
}
