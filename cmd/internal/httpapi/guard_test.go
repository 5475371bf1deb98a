package httpapi

import (
	"net/url"
	"path"
	"strings"
	"testing"
)

// FuzzBadPath: a URL path the guard lets through is clean: cleaning it
// changes nothing (but a final slash), and it holds no encoded slash,
// backslash or NUL, no control character.
func FuzzBadPath(f *testing.F) {
	for _, s := range []string{"/v1/artifacts/article/a.json", "/v1/artifacts/../x", "/v1/artifacts/%2e%2e/x", "/a%2fb", "//x", "/x/", "/a\\b", "/%00", "/%ff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		u, err := url.ParseRequestURI(raw)
		if err != nil {
			return
		}
		if badPath(u) != "" {
			return
		}
		p := u.Path
		clean := path.Clean(p)
		if clean != strings.TrimSuffix(p, "/") && !(p == "/" && clean == "/") {
			t.Fatalf("%q passed, but cleans to %q", raw, clean)
		}
		low := strings.ToLower(u.EscapedPath())
		if strings.Contains(low, "%2f") || strings.Contains(low, "%5c") || strings.Contains(low, "%00") || strings.ContainsAny(p, "\\\x00") {
			t.Fatalf("%q passed", raw)
		}
	})
}

// TestHostAllowed covers the served addresses the scenario cannot bind:
// every address, IPv6, a name.
func TestHostAllowed(t *testing.T) {
	for _, c := range []struct {
		addr  string
		hosts []string
		host  string
		ok    bool
	}{
		{"0.0.0.0:7474", nil, "192.168.1.5:7474", true},
		{"0.0.0.0:7474", nil, "localhost:7474", true},
		{"0.0.0.0:7474", nil, "attacker.example:7474", false},
		{"0.0.0.0:7474", []string{"docs.internal"}, "docs.internal:7474", true},
		{"[::1]:7474", nil, "[::1]:7474", true},
		{"[::1]:7474", nil, "localhost:7474", true},
		{"[::1]:7474", nil, "127.0.0.1:7474", false},
		{"192.168.1.5:80", nil, "192.168.1.5", true},
		{"192.168.1.5:80", nil, "localhost", false},
		{"127.0.0.1:7474", nil, "127.0.0.1:07474", false},
		{"127.0.0.1:7474", nil, "127.0.0.1:7474:1", false},
	} {
		s := &Server{opts: Options{Addr: c.addr, Hosts: c.hosts}}
		if got := s.hostAllowed(c.host); got != c.ok {
			t.Errorf("serving %s (hosts %v), Host %q: %t, want %t", c.addr, c.hosts, c.host, got, c.ok)
		}
	}
}
