package protocol

import (
	"strings"
	"testing"
)

func TestValidID(t *testing.T) {
	for id, want := range map[string]bool{
		"a": true, "0": true, "hello-world": true, "a.b_c-1": true, "a.": true, strings.Repeat("x", 128): true,
		"": false, ".": false, "..": false, "a..b": false, ".a": false, "-a": false, "_a": false, "A": false,
		"a/b": false, "a\\b": false, "a\n": false, "a b": false, "é": false, strings.Repeat("x", 129): false,
	} {
		if got := ValidID(id); got != want {
			t.Errorf("ValidID(%q) = %v, want %v", id, got, want)
		}
	}
}

func TestIsManifestFile(t *testing.T) {
	for name, want := range map[string]bool{
		"a.yaml": true, "a.yml": true, "a.json": true, "dir/a.yaml": true,
		"a.YAML": false, "a.cue": false, "a.yaml.bak": false, "yaml": false, "a.jsonl": false,
	} {
		if got := IsManifestFile(name); got != want {
			t.Errorf("IsManifestFile(%q) = %v, want %v", name, got, want)
		}
	}
}

func TestArtifactPath(t *testing.T) {
	if got := ArtifactPath("BlogPost", "hello-world"); got != "blogpost/hello-world.json" {
		t.Errorf("ArtifactPath = %q", got)
	}
}

func TestBranchRef(t *testing.T) {
	if got := BranchRef(DefaultArtifactBranch); got != "refs/heads/small/artifacts" || BranchName(got) != DefaultArtifactBranch {
		t.Errorf("BranchRef = %q, BranchName = %q", got, BranchName(got))
	}
}

func TestAssetPath(t *testing.T) {
	sum := "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
	for source, want := range map[string]string{
		"topics/git/git.png":    "assets/sha256/9f/" + sum + ".png",
		"a/B.JPEG":              "assets/sha256/9f/" + sum + ".jpeg",
		"noext":                 "assets/sha256/9f/" + sum,
		"a/b.tar.gz":            "assets/sha256/9f/" + sum + ".gz",
		"a/b.we ird":            "assets/sha256/9f/" + sum,
		"a/b.":                  "assets/sha256/9f/" + sum,
		"a/b.abcdefghijklmnopq": "assets/sha256/9f/" + sum,
	} {
		got := AssetPath(sum, source)
		if got != want {
			t.Errorf("AssetPath(%q) = %q, want %q", source, got, want)
		}
		if !IsAssetPath(got) {
			t.Errorf("IsAssetPath(%q) = false", got)
		}
	}
	for _, p := range []string{"assets/sha256/9f", "assets/sha256/00/" + sum + ".png", "assets/sha256/9f/" + sum + ".PNG",
		"assets/sha256/9f/" + strings.ToUpper(sum), "article/x.json", "assets/sha256/9f/" + sum + "/x"} {
		if IsAssetPath(p) {
			t.Errorf("IsAssetPath(%q) = true", p)
		}
	}
}
