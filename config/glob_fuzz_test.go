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

// FuzzFileGlob holds the files glob matcher to a reference that tries
// every way of matching, segment by segment (exponential, so only on
// short input), and checks that the captures put back into the glob give
// the path.
func FuzzFileGlob(f *testing.F) {
	for _, s := range [][2]string{
		{"topics/*/index.md", "topics/git/index.md"}, {"**/*.md", "a/b/c.md"}, {"posts/**", "posts"},
		{"a/**/b/**/c", "a/x/b/y/z/c"}, {"*-*", "a-b-c"}, {"[x]/?", "[x]/?"}, {"**/**", "a/b"}, {"*a*a*b", "aaaa"},
	} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, glob, p string) {
		if len(glob) > 24 || len(p) > 48 {
			return
		}
		g, err := CompileFileGlob(glob)
		if err != nil {
			return
		}
		caps, got := g.Match(p)
		clean := p != "" && !strings.HasPrefix(p, "/") && !strings.HasSuffix(p, "/") && !strings.Contains(p, "//")
		want := clean && refMatch(strings.Split(glob, "/"), p)
		if got != want {
			t.Fatalf("CompileFileGlob(%q).Match(%q) = %v, the reference says %v", glob, p, got, want)
		}
		if !got {
			return
		}
		if len(caps) != g.Wildcards() {
			t.Fatalf("%d captures for %d wildcards", len(caps), g.Wildcards())
		}
		// Put the captures back: the glob with each wildcard replaced by
		// what it matched is the path.
		var b strings.Builder
		k := 0
		segs := strings.Split(glob, "/")
		var parts []string
		for _, s := range segs {
			if s == "**" {
				if caps[k] != "" {
					parts = append(parts, caps[k])
				}
				k++
				continue
			}
			b.Reset()
			for j, lit := range strings.Split(s, "*") {
				if j > 0 {
					if strings.Contains(caps[k], "/") {
						t.Fatalf("* captured %q, across segments", caps[k])
					}
					b.WriteString(caps[k])
					k++
				}
				b.WriteString(lit)
			}
			parts = append(parts, b.String())
		}
		if back := strings.Join(parts, "/"); back != p {
			t.Fatalf("CompileFileGlob(%q).Match(%q): captures %q put back give %q", glob, p, caps, back)
		}
	})
}

// refMatch matches glob segments against a path by trying every way; ""
// is a path of no segments.
func refMatch(segs []string, p string) bool {
	if p == "" {
		for _, s := range segs {
			if s != "**" {
				return false
			}
		}
		return true
	}
	if len(segs) == 0 {
		return false
	}
	seg, rest, _ := strings.Cut(p, "/")
	if seg == "" {
		return false
	}
	if segs[0] == "**" {
		// none, or this segment and maybe more
		return refMatch(segs[1:], p) || refMatch(segs, rest) || refMatch(segs[1:], rest)
	}
	return segMatch(segs[0], seg) && refMatch(segs[1:], rest)
}

// segMatch matches one segment with * wildcards, by trying every way.
func segMatch(g, s string) bool {
	if g == "" {
		return s == ""
	}
	if g[0] == '*' {
		for i := 0; i <= len(s); i++ {
			if segMatch(g[1:], s[i:]) {
				return true
			}
		}
		return false
	}
	return s != "" && s[0] == g[0] && segMatch(g[1:], s[1:])
}
