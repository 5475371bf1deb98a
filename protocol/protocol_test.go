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
	if got := ArtifactPath("BlogPost", "hello-world", ""); got != "blogpost/hello-world.json" {
		t.Errorf("ArtifactPath = %q", got)
	}
	if got := ArtifactPath("BlogPost", "hello-world", "pt-BR"); got != "blogpost/hello-world.pt-BR.json" {
		t.Errorf("ArtifactPath of a translation = %q", got)
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
