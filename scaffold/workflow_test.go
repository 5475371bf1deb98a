package scaffold

import (
	"os/exec"
	"path/filepath"
	"testing"
)

// TestWorkflowPassesActionlint checks the workflow with actionlint, the
// linter GitHub workflow authors use (make tools installs it).
func TestWorkflowPassesActionlint(t *testing.T) {
	bin, err := exec.LookPath("actionlint")
	if err != nil {
		t.Skip("actionlint is not installed: run make tools (it installs it into .tools/bin)")
	}
	dir := t.TempDir()
	if _, err := WriteWorkflow(dir); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, filepath.Join(dir, WorkflowPath))
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("actionlint: %v\n%s", err, out)
	}
}

// TestDocExamplesPassActionlint checks the workflows docs/ci.md shows.
func TestDocExamplesPassActionlint(t *testing.T) {
	bin, err := exec.LookPath("actionlint")
	if err != nil {
		t.Skip("actionlint is not installed: run make tools (it installs it into .tools/bin)")
	}
	files, err := filepath.Glob(filepath.Join("..", "docs", "examples", "*.yml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no workflows in docs/examples: %v", err)
	}
	cmd := exec.Command(bin, files...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("actionlint: %v\n%s", err, out)
	}
}
