package config

import (
	"testing"

	"github.com/smallhq/small/protocol"
)

// TestPlainBranch: where small.cue's syntax says which branch it names,
// it says what evaluating it says; where only an evaluation can tell, the
// syntax does not answer.
func TestPlainBranch(t *testing.T) {
	for _, tc := range []struct {
		name, src string
		plain     bool
	}{
		{"absent", `manifests: "content"` + "\n", true},
		{"empty", "", true},
		{"short form", `artifacts: branch: "build/out"` + "\n", true},
		{"struct", "artifacts: {\n\t// where\n\tbranch: \"small/built\"\n}\n", true},
		{"quoted label", `"artifacts": {"branch": "x"}` + "\n", true},
		{"no branch", "artifacts: {}\n", true},
		{"with comments", "// config\nprotocol: \"small/v1\"\nartifacts: branch: \"main-built\" // the branch\n", true},
		{"computed", `artifacts: branch: "small/" + "built"` + "\n", false},
		{"twice", "artifacts: branch: \"a\"\nartifacts: branch: \"a\"\n", false},
		{"reference", "_b: \"x\"\nartifacts: branch: _b\n", false},
		{"embedding", "{artifacts: branch: \"x\"}\n", false},
		{"let", "let b = \"x\"\nartifacts: branch: b\n", false},
		{"comprehension", "if true {artifacts: branch: \"x\"}\n", false},
		{"optional", "artifacts?: branch: \"x\"\n", false},
		{"interpolation", "_v: 1\nartifacts: branch: \"v\\(_v)\"\n", false},
		{"not a branch", `artifacts: branch: "refs/heads/x"` + "\n", false},
		{"dots", `artifacts: branch: "a..b"` + "\n", false},
		{"syntax error", "artifacts: branch: \"x\n", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b, ok := plainBranch([]byte(tc.src))
			if ok != tc.plain {
				t.Fatalf("plain %v (%q), want %v", ok, b, tc.plain)
			}
			if !ok {
				return
			}
			cfg, err := Parse(protocol.ConfigFile, []byte(tc.src))
			if err != nil {
				t.Fatalf("%q evaluates with an error: %v", tc.src, err)
			}
			if cfg.Artifacts.Branch != b {
				t.Fatalf("syntax says %q, evaluation %q", b, cfg.Artifacts.Branch)
			}
		})
	}
}
