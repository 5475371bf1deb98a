package config

import (
	"regexp"
	"strings"
	"testing"
)

// FuzzMatchGlob holds MatchGlob to a reference built on regexp: * is .*, ?
// is one character, everything else is quoted.
func FuzzMatchGlob(f *testing.F) {
	for _, s := range [][2]string{
		{"*[bot]@users.noreply.github.com", "copilot[bot]@users.noreply.github.com"},
		{"a?c*@x", "abcdef@x"}, {"*", ""}, {"?", "é"}, {"[a-z]@x", "b@x"}, {"a*b*a", "abababa"},
	} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, glob, email string) {
		if len(glob) > 64 || len(email) > 256 {
			return
		}
		var re strings.Builder
		re.WriteString("(?s)^")
		for _, r := range strings.ToLower(glob) {
			switch r {
			case '*':
				re.WriteString(".*")
			case '?':
				re.WriteString(".")
			default:
				re.WriteString(regexp.QuoteMeta(string(r)))
			}
		}
		re.WriteString("$")
		want := regexp.MustCompile(re.String()).MatchString(strings.ToLower(email))
		if got := MatchGlob(glob, email); got != want {
			t.Errorf("MatchGlob(%q, %q) = %v, the reference says %v", glob, email, got, want)
		}
	})
}
