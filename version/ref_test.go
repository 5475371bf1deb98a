package version

import "testing"

func TestRefOf(t *testing.T) {
	const sha = "0123456789abcdef0123456789abcdef01234567"
	for _, c := range []struct {
		v, rev string
		want   string
		ok     bool
	}{
		{"v1.2.3", "", "v1.2.3", true},
		{"v1.2.3-rc.1", "", "v1.2.3-rc.1", true},
		{"v0.0.0-20261127140515-1a2b3c4d5e6f", "", "", false},
		{"v0.0.0-20261127140515-1a2b3c4d5e6f", sha, sha, true},
		{"v1.2.4-0.20261127140515-1a2b3c4d5e6f+dirty", "", "", false},
		{"0.1.0-dev", "", "", false},
		{sha, "", sha, true},
		{"main", "", "", false},
		{"v1.2", "", "", false},
	} {
		got, ok := refOf(c.v, c.rev)
		if got != c.want || ok != c.ok {
			t.Errorf("refOf(%q, %q) = %q, %v; want %q, %v", c.v, c.rev, got, ok, c.want, c.ok)
		}
	}
}
