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
		{"limits: {depth: 0, bogus: 1}\nmanifests: 5\n", `small.cue:1:20: limits.bogus: field not allowed: expected one of manifestBytes, depth, aliasNodes, nodes, evalSeconds, evalMemory`},
		{"manifests: 5\n", `small.cue:1:12: manifests:`},
		{"schemas: \n", `small.cue:1:11: expected operand`},
		{"artifacts: branch: \"refs/heads/x\"\n", `small.cue:1:20: artifacts.branch:`},
		{"manifests: \"manifests/\"\n", `small.cue:1:12: manifests:`},
		{"schemas: \"a//b\"\n", `small.cue:1:10: schemas:`},
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

func TestMatchGlob(t *testing.T) {
	for _, tc := range []struct {
		glob, email string
		want        bool
	}{
		{"*[bot]@users.noreply.github.com", "copilot[bot]@users.noreply.github.com", true},
		{"*[bot]@users.noreply.github.com", "12345+copilot[bot]@users.noreply.github.com", true},
		{"*[bot]@users.noreply.github.com", "b@users.noreply.github.com", false},
		{"*[bot]@users.noreply.github.com", "ann@users.noreply.github.com", false},
		{"*@bots.example.com", "Claude@BOTS.example.com", true},
		{"*@bots.example.com", "ann@example.com", false},
		{"*@bots.example.com", "x@bots.example.com.evil.org", false},
		{"bot+*@example.com", "bot+docs@example.com", true},
		{"bot+*@example.com", "bot@example.com", false},
		{"a?c@x.io", "abc@x.io", true},
		{"a?c@x.io", "ac@x.io", false},
		{"**@x.io", "a@x.io", true},
		{"a*b*c*d*e*f*g*h@x.io", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa@x.io", false},
		{"ann@example.com", "ann@example.com", true},
		{"ann@example.com", "ann@example.co", false},
	} {
		if got := MatchGlob(tc.glob, tc.email); got != tc.want {
			t.Errorf("MatchGlob(%q, %q) = %v, want %v", tc.glob, tc.email, got, tc.want)
		}
	}
}

func TestMalformedAgentGlob(t *testing.T) {
	for _, tc := range []struct{ src, want string }{
		{"agents: [\n\t\"*@ok.example.com\",\n\t\"bots.example.com\",\n]\n", `small.cue:3:2: agents.1: "bots.example.com" is not an e-mail glob`},
		{"agents: [\"@example.com\"]\n", `small.cue:1:10: agents.0: "@example.com": expected text on both sides of @`},
		{"agents: [\"a@b@c\"]\n", `small.cue:1:10: agents.0: "a@b@c": expected one @`},
	} {
		_, err := Parse("small.cue", []byte(tc.src))
		var ce *Error
		if !errors.As(err, &ce) || !strings.HasPrefix(ce.Error(), tc.want) {
			t.Errorf("%q:\n got %v\nwant prefix %s", tc.src, err, tc.want)
		}
	}
}

func TestAgentPaths(t *testing.T) {
	c, err := Parse("small.cue", []byte("manifests: \"content\"\n"))
	if err != nil {
		t.Fatal(err)
	}
	if !c.AgentMayChange("content/a.yaml") || c.AgentMayChange("contents/a.yaml") || c.AgentMayChange("schemas/a.cue") || c.AgentMayChange("small.cue") {
		t.Errorf("default agentPaths %v: wrong verdicts", c.AgentPaths)
	}
	c, err = Parse("small.cue", []byte("agentPaths: [\"manifests\", \"assets/img\"]\n"))
	if err != nil {
		t.Fatal(err)
	}
	if !c.AgentMayChange("assets/img/x.png") || c.AgentMayChange("assets/x.png") {
		t.Errorf("agentPaths %v: wrong verdicts", c.AgentPaths)
	}
	if _, err := Parse("small.cue", []byte("agentPaths: [\"../x\"]\n")); err == nil {
		t.Error("agentPaths outside the repository accepted")
	}
}
