package config

import (
	"errors"
	"strings"
	"testing"
)

func TestParseDefaults(t *testing.T) {
	c, err := Parse("small.cue", []byte("agents: [\"*@bots.example.com\"]\n"))
	if err != nil {
		t.Fatal(err)
	}
	if c.Schemas != "schemas" || c.Manifests != "manifests" || c.Artifacts.Branch != "small/artifacts" ||
		c.Limits.ManifestBytes != 1<<20 || c.Limits.Depth != 64 || c.Builder.Name != "small" {
		t.Errorf("defaults not applied: %+v", c)
	}
	if !c.IsAgent("Claude@BOTS.example.com") || c.IsAgent("ann@example.com") {
		t.Error("agent globs do not match as expected")
	}
}

func TestParseErrors(t *testing.T) {
	for _, tc := range []struct{ src, want string }{
		{"schemas: \"../up\"\n", `small.cue:1:10: schemas:`},
		{"limits: {depth: 0, bogus: 1}\nmanifests: 5\n", `small.cue:1:20: limits.bogus: field not allowed: expected one of manifestBytes, depth, aliasNodes, nodes`},
		{"manifests: 5\n", `small.cue:1:12: manifests:`},
		{"schemas: \n", `small.cue:1:11: expected operand`},
		{"artifacts: branch: \"refs/heads/x\"\n", `small.cue:1:20: artifacts.branch:`},
	} {
		_, err := Parse("small.cue", []byte(tc.src))
		var ce *Error
		if !errors.As(err, &ce) {
			t.Errorf("%q: got %v, want a config error", tc.src, err)
			continue
		}
		if !strings.HasPrefix(ce.Error(), tc.want) {
			t.Errorf("%q:\n got %s\nwant prefix %s", tc.src, ce.Error(), tc.want)
		}
	}
}
