package hooks

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestInstallNeverTouchesAForeignHook(t *testing.T) {
	dir := t.TempDir()
	paths, err := Install(dir, "/usr/local/bin/small")
	if err != nil {
		t.Fatal(err)
	}
	if len(paths) != len(All) {
		t.Fatalf("installed %v, want every hook", paths)
	}
	for _, p := range paths {
		if st, _ := os.Stat(p); st.Mode()&0o111 == 0 {
			t.Errorf("%s is not executable", p)
		}
	}
	if _, err := Install(dir, "/usr/local/bin/small"); err != nil {
		t.Errorf("replacing our own hooks: %v", err)
	}
	p := filepath.Join(dir, "commit-msg")
	os.WriteFile(p, []byte("#!/bin/sh\nmake lint\n"), 0o755)
	if _, err := Install(dir, "/usr/local/bin/small"); !errors.Is(err, ErrForeignHook) {
		t.Errorf("over a foreign hook: %v, want ErrForeignHook", err)
	}
	removed, err := Uninstall(dir)
	if !errors.Is(err, ErrForeignHook) || len(removed) != len(All)-1 {
		t.Errorf("uninstall beside a foreign hook: removed %v, %v; want ours removed and ErrForeignHook", removed, err)
	}
	if b, _ := os.ReadFile(p); string(b) != "#!/bin/sh\nmake lint\n" {
		t.Error("the foreign hook was changed")
	}
}

func TestInspectReadsBackTheInstalledPath(t *testing.T) {
	dir := t.TempDir()
	const small = "/opt/it's here/small"
	if _, err := Install(dir, small); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "pre-push"), []byte("#!/bin/sh\nexit 0\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	got, err := Inspect(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, in := range got {
		switch {
		case in.Name == "pre-push" && (!in.Exists || in.Ours || in.Small != ""):
			t.Errorf("pre-push: %+v, want someone else's hook", in)
		case in.Name != "pre-push" && (!in.Ours || in.Small != small):
			t.Errorf("%s: %+v, want small's, running %q", in.Name, in, small)
		}
	}
}
