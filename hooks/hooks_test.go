package hooks

import (
	"errors"
	"os"
	"testing"
)

func TestInstallNeverTouchesAForeignHook(t *testing.T) {
	dir := t.TempDir()
	p, err := Install(dir, "/usr/local/bin/small")
	if err != nil {
		t.Fatal(err)
	}
	if st, _ := os.Stat(p); st.Mode()&0o111 == 0 {
		t.Error("hook is not executable")
	}
	if _, err := Install(dir, "/usr/local/bin/small"); err != nil {
		t.Errorf("replacing our own hook: %v", err)
	}
	os.WriteFile(p, []byte("#!/bin/sh\nmake lint\n"), 0o755)
	if _, err := Install(dir, "/usr/local/bin/small"); !errors.Is(err, ErrForeignHook) {
		t.Errorf("over a foreign hook: %v, want ErrForeignHook", err)
	}
	if _, err := Uninstall(dir); !errors.Is(err, ErrForeignHook) {
		t.Errorf("removing a foreign hook: %v, want ErrForeignHook", err)
	}
	if b, _ := os.ReadFile(p); string(b) != "#!/bin/sh\nmake lint\n" {
		t.Error("the foreign hook was changed")
	}
}
