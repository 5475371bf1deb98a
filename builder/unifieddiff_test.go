package builder

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestUnifiedDiffAppliesWithGit checks our diffs against git itself: git
// apply must turn the old file into the new one.
func TestUnifiedDiffAppliesWithGit(t *testing.T) {
	var oldLines, newLines []string
	for i := range 40 {
		oldLines = append(oldLines, "line "+strings.Repeat("x", i%7))
		newLines = append(newLines, "line "+strings.Repeat("x", i%7))
	}
	newLines[2] = "changed near the top"
	newLines = append(newLines[:20], append([]string{"inserted"}, newLines[20:]...)...)
	newLines = newLines[:len(newLines)-1]
	cases := map[string][2]string{
		"edit":    {strings.Join(oldLines, "\n") + "\n", strings.Join(newLines, "\n") + "\n"},
		"created": {"", "a\nb\n"},
		"deleted": {"a\nb\n", ""},
	}
	for name, c := range cases {
		dir := t.TempDir()
		f := filepath.Join(dir, "doc.json")
		var old, new []byte
		if c[0] != "" {
			old = []byte(c[0])
			os.WriteFile(f, old, 0o644)
		}
		if c[1] != "" {
			new = []byte(c[1])
		}
		patch := UnifiedDiff("doc.json", old, new)
		cmd := exec.Command("git", "apply", "--unidiff-zero", "-")
		cmd.Dir = dir
		cmd.Stdin = strings.NewReader(patch)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("%s: git apply: %v\n%s\npatch:\n%s", name, err, out, patch)
		}
		got, _ := os.ReadFile(f)
		if string(got) != c[1] {
			t.Errorf("%s: after git apply got %q, want %q", name, got, c[1])
		}
	}
}
