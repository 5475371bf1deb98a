package protocol

import (
	"path"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestValidID(t *testing.T) {
	for id, want := range map[string]bool{
		"a": true, "0": true, "hello-world": true, "a.b_c-1": true, "a.": true, strings.Repeat("x", 128): true,
		"": false, ".": false, "..": false, "a..b": false, ".a": false, "-a": false, "_a": false, "A": false,
		"a/b": true, "v1/install": true, "v1.2/install.fr": true, "a/b/c/d/e/f/g/h": true, "v1/a.json": true,
		"a\\b": false, "a\n": false, "a b": false, "é": false, strings.Repeat("x", 129): false,
		// Path-scoped ids: every segment is an id; no empty, dot or
		// dot-dot segment; no '/' at either end; bounded.
		"a//b": false, "/a": false, "a/": false, "/": false, "a/./b": false, "a/../b": false, "../x": false,
		"./a": false, "a/.": false, "a/..": false, "a/.b": false, "a/-b": false, "a/B": false, "a/b c": false,
		"a/b/c/d/e/f/g/h/i": false, "v1.json/x": false, "a/v1.json/x": false, "a\x00b": false,
		"a/\u0430": false, "а/b": false, "a\u2215b": false, "a\uff0fb": false, // Cyrillic a, division slash, fullwidth solidus
		strings.Repeat("x", 64) + "/" + strings.Repeat("y", 63): true,
		strings.Repeat("x", 64) + "/" + strings.Repeat("y", 64): false,
	} {
		if got := ValidID(id); got != want {
			t.Errorf("ValidID(%q) = %v, want %v", id, got, want)
		}
		if p := IDProblem(id); (p == "") != want || strings.Contains(p, "does not match") {
			t.Errorf("IDProblem(%q) = %q", id, p)
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
	if got := ArtifactPath("BlogPost", "hello-world", ""); got != "blogpost/hello-world.json" {
		t.Errorf("ArtifactPath = %q", got)
	}
	if got := ArtifactPath("BlogPost", "hello-world", "pt-BR"); got != "blogpost/hello-world.pt-BR.json" {
		t.Errorf("ArtifactPath of a translation = %q", got)
	}
	if got := ArtifactPath("Doc", "v1/install", ""); got != "doc/v1/install.json" {
		t.Errorf("ArtifactPath = %q", got)
	}
}

func TestLocales(t *testing.T) {
	for tag, want := range map[string]bool{"en": true, "fr": true, "pt-BR": true, "zh-Hant": true, "sr-Latn-RS": true, "fil": true,
		"": false, "EN": false, "e": false, "english": false, "en_US": false, "en-": false, "fr/../x": false, "en\n": false, "a-b-c-d-e": false} {
		if got := ValidLocale(tag); got != want {
			t.Errorf("ValidLocale(%q) = %v, want %v", tag, got, want)
		}
	}
	for name, want := range map[string][3]string{
		"Article/hello": {"Article", "hello", ""}, "Article/hello@fr": {"Article", "hello", "fr"},
		"Doc/v1/install@pt-BR": {"Doc", "v1/install", "pt-BR"},
	} {
		k, id, loc, ok := ParseEntryName(name)
		if !ok || [3]string{k, id, loc} != want {
			t.Errorf("ParseEntryName(%q) = %q %q %q %v, want %q", name, k, id, loc, ok, want)
		}
		if got := EntryName(k, id, loc); got != name {
			t.Errorf("EntryName(%q) = %q", want, got)
		}
	}
	for _, bad := range []string{"Article", "/hello", "Article/", "Article/hello@", "Article/hello@FR"} {
		if _, _, _, ok := ParseEntryName(bad); ok {
			t.Errorf("ParseEntryName(%q) ok", bad)
		}
	}
}

// TestArtifactPathsNeverCollide: among ids of one kind that stand side by
// side in a docs tree, no two artifact paths are equal, and none is a
// directory of another (doc/v1 the directory beside doc/v1.json the file).
func TestArtifactPathsNeverCollide(t *testing.T) {
	ids := []string{"v1", "v1/install", "v1.json", "v1/install/x", "v1/install.json", "install", "v1.j", "v1/v1", "v1.jsonx/a"}
	for _, a := range ids {
		for _, b := range ids {
			if a != b {
				checkApart(t, a, b)
			}
		}
	}
	if ValidID("v1.json/x") {
		t.Errorf("v1.json/x would be a directory doc/v1.json/ where v1's artifact doc/v1.json goes")
	}
}

func checkApart(t *testing.T, a, b string) {
	t.Helper()
	if !ValidID(a) || !ValidID(b) || a == b {
		return
	}
	pa, pb := ArtifactPath("Doc", a, ""), ArtifactPath("Doc", b, "")
	switch {
	case pa == pb:
		t.Errorf("ids %q and %q both build %s", a, b, pa)
	case strings.HasPrefix(pb, pa+"/"):
		t.Errorf("id %q's artifact %s is a directory of id %q's %s", a, pa, b, pb)
	case path.Clean(pa) != pa || !strings.HasPrefix(pa, "doc/"):
		t.Errorf("id %q's artifact %s is not a clean path under doc/", a, pa)
	}
}

// FuzzValidID: whatever ValidID accepts is a clean relative path under its
// kind's directory, at most MaxIDBytes and MaxIDSegments, and two accepted
// ids never give colliding artifact paths.
func FuzzValidID(f *testing.F) {
	for _, s := range []string{"a", "v1/install", "v1", "a//b", "../x", "a/./b", "v1.json/x", "a/b/c/d/e/f/g/h/i"} {
		f.Add(s, "v1/install")
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		if ValidID(a) {
			if len(a) > MaxIDBytes || strings.Count(a, "/")+1 > MaxIDSegments || !utf8.ValidString(a) {
				t.Fatalf("ValidID(%q) beyond the bounds", a)
			}
			for _, seg := range strings.Split(a, "/") {
				if seg == "" || seg == "." || seg == ".." {
					t.Fatalf("ValidID(%q) with segment %q", a, seg)
				}
			}
		}
		if p := IDProblem(a); (p == "") != ValidID(a) || strings.Contains(p, "does not match") {
			t.Fatalf("IDProblem(%q) = %q, ValidID = %v", a, p, ValidID(a))
		}
		checkApart(t, a, b)
		checkApart(t, b, a)
	})
}

func TestBranchRef(t *testing.T) {
	if got := BranchRef(DefaultArtifactBranch); got != "refs/heads/small/artifacts" || BranchName(got) != DefaultArtifactBranch {
		t.Errorf("BranchRef = %q, BranchName = %q", got, BranchName(got))
	}
}

// FuzzParseEntryName: what ParseEntryName accepts, EntryName writes back,
// and a locale it accepts is a valid one, safe in a file name.
func FuzzParseEntryName(f *testing.F) {
	for _, s := range []string{"Article/hello", "Article/hello@fr", "Doc/v1/install@pt-BR", "a/@", "/x@fr", "A/b@c@fr"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		k, id, loc, ok := ParseEntryName(name)
		if !ok {
			return
		}
		if loc != "" && (!ValidLocale(loc) || strings.ContainsAny(loc, "/.\\")) {
			t.Fatalf("%q: locale %q", name, loc)
		}
		if got := EntryName(k, id, loc); got != name {
			t.Fatalf("%q: EntryName gives %q", name, got)
		}
	})
}

func TestIDProblem(t *testing.T) {
	for id, want := range map[string]string{
		"a//b":                   "an empty segment (//)",
		"../x":                   `a ".." segment`,
		"a/./b":                  `a "." segment`,
		"/a":                     "it starts with '/'",
		"a/":                     "it ends with '/'",
		"a/b/c/d/e/f/g/h/i":      "it has 9 segments, more than 8",
		"v1/\u0430":              `"\u0430" starts with '\u0430', not a lower case letter or digit`,
		"a/b\xffc":               `"b\xffc" holds invalid UTF-8 at byte 1`,
		"docs/v1.json/x":         `"v1.json" ends in .json and has a segment after it: its directory would stand where the artifact of the id "docs/v1" goes`,
		"a/B":                    `"B" starts with 'B', not a lower case letter or digit`,
		"a/b c":                  `"b c" holds ' '`,
		strings.Repeat("x", 129): "it is 129 bytes, more than 128",
	} {
		if got := IDProblem(id); got != want {
			t.Errorf("IDProblem(%q) = %q, want %q", id, got, want)
		}
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
