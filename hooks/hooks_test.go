package hooks

import (
	"errors"
	"os"
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

func TestInstallNeverTouchesAForeignHook(t *testing.T) {
	dir := t.TempDir()
	p, err := Install(dir)
	if err != nil {
		t.Fatal(err)
	}
	if st, _ := os.Stat(p); st.Mode()&0o111 == 0 {
		t.Error("hook is not executable")
	}
	if _, err := Install(dir); err != nil {
		t.Errorf("replacing our own hook: %v", err)
	}
	os.WriteFile(p, []byte("#!/bin/sh\nmake lint\n"), 0o755)
	if _, err := Install(dir); !errors.Is(err, ErrForeignHook) {
		t.Errorf("over a foreign hook: %v, want ErrForeignHook", err)
	}
	if _, err := Uninstall(dir); !errors.Is(err, ErrForeignHook) {
		t.Errorf("removing a foreign hook: %v, want ErrForeignHook", err)
	}
	if b, _ := os.ReadFile(p); string(b) != "#!/bin/sh\nmake lint\n" {
		t.Error("the foreign hook was changed")
	}
}
