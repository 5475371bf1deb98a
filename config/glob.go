package config

import (
	"fmt"
	"strings"
	"unicode"
)

// MatchGlob reports whether an e-mail address matches an agent glob, case
// insensitively. Only two characters are wildcards: * matches any run of
// characters (none included) and ? any one; every other character stands
// for itself, so "*[bot]@users.noreply.github.com" matches GitHub's bot
// addresses (unlike path.Match, where [bot] is a character class).
func MatchGlob(glob, email string) bool {
	p, s := []rune(strings.ToLower(glob)), []rune(strings.ToLower(email))
	// Iterative matching with one backtrack point: linear in practice,
	// and never exponential however many stars a pattern has.
	pi, si, star, mark := 0, 0, -1, 0
	for si < len(s) {
		switch {
		case pi < len(p) && p[pi] == '*':
			star, mark = pi, si
			pi++
		case pi < len(p) && (p[pi] == '?' || p[pi] == s[si]):
			pi++
			si++
		case star >= 0:
			pi = star + 1
			mark++
			si = mark
		default:
			return false
		}
	}
	for pi < len(p) && p[pi] == '*' {
		pi++
	}
	return pi == len(p)
}

// CheckGlob refuses an agent glob that cannot be an e-mail pattern: it must
// be local@domain, each side non-empty, with one @ and no space, control
// character, < or >.
func CheckGlob(glob string) error {
	local, domain, ok := strings.Cut(glob, "@")
	switch {
	case !ok:
		return fmt.Errorf("%q is not an e-mail glob: expected local@domain, e.g. \"*@agents.example.com\" or \"*[bot]@users.noreply.github.com\"", glob)
	case local == "" || domain == "":
		return fmt.Errorf("%q: expected text on both sides of @, e.g. \"*@agents.example.com\"", glob)
	case strings.Contains(domain, "@"):
		return fmt.Errorf("%q: expected one @", glob)
	}
	for _, r := range glob {
		if unicode.IsSpace(r) || unicode.IsControl(r) || r == '<' || r == '>' {
			return fmt.Errorf("%q: expected no space, control character, < or >", glob)
		}
	}
	return nil
}
