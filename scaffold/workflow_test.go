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
