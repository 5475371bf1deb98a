package repo

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestEditTreeKeepsEveryOtherEntry edits a tree git wrote, with an
// executable, a symbolic link and nested directories, and has git compare
// the result: only the edited paths differ, every mode is kept, and fsck
// is clean. Paths through a file or onto a directory are refused.
func TestEditTreeKeepsEveryOtherEntry(t *testing.T) {
	dir := t.TempDir()
	runGit(t, dir, "", "init", "-q", "-b", "main")
	for name, data := range map[string]string{"a/b/c.yaml": "c\n", "a/d.yaml": "d\n", "run.sh": "#!/bin/sh\n", "z": "z\n"} {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Chmod(filepath.Join(dir, "run.sh"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("a/d.yaml", filepath.Join(dir, "link")); err != nil {
		t.Fatal(err)
	}
	runGit(t, dir, "", "add", "-A")
	runGit(t, dir, "", "commit", "-qm", "base")
	r, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	base, err := r.Resolve("HEAD")
	if err != nil {
		t.Fatal(err)
	}
	w := r.NewObjectWriter()
	blob, err := w.Blob([]byte("new\n"))
	if err != nil {
		t.Fatal(err)
	}
	tree, err := w.EditTree(base.Tree, map[string]Hash{"a/b/c.yaml": blob, "a/new/e.yaml": blob, "top.yaml": blob})
	if err != nil {
		t.Fatal(err)
	}
	// The view sees the staged tree before anything is written; the
	// repository does not.
	if v, err := w.View(); err != nil || v.FileAt(tree, "a/new/e.yaml") != blob {
		t.Errorf("the view does not see the staged tree (%v)", err)
	}
	if _, err := r.ReadBlob(blob); err == nil {
		t.Errorf("the repository has a staged blob before Flush")
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	diff := runGit(t, dir, "", "diff-tree", "-r", "--name-status", base.Tree.String(), tree.String())
	if want := "M\ta/b/c.yaml\nA\ta/new/e.yaml\nA\ttop.yaml"; diff != want {
		t.Errorf("git diff-tree:\n%s\nwant:\n%s", diff, want)
	}
	modes := runGit(t, dir, "", "ls-tree", tree.String(), "run.sh", "link")
	if !strings.Contains(modes, "100755 blob") || !strings.Contains(modes, "120000 blob") {
		t.Errorf("modes not kept:\n%s", modes)
	}
	runGit(t, dir, "", "fsck", "--strict", "--no-dangling")

	var tp *TreePathError
	for _, files := range []map[string]Hash{
		{"a/d.yaml/x.yaml": blob}, // through a file
		{"a/b": blob},             // onto a directory
		{"a/b": ZeroHash},         // a directory removed as a file
		{"a//x.yaml": blob},       // not clean
		{"a/../x.yaml": blob},
	} {
		if _, err := r.NewObjectWriter().EditTree(base.Tree, files); !errors.As(err, &tp) {
			t.Errorf("EditTree(%v) = %v, want a *TreePathError", files, err)
		}
	}
}

// TestViewMovesNoRef: a view refuses to move refs, and what its own
// writer flushes stays in memory.
func TestViewMovesNoRef(t *testing.T) {
	dir := t.TempDir()
	runGit(t, dir, "", "init", "-q", "-b", "main")
	runGit(t, dir, "", "commit", "-q", "--allow-empty", "-m", "base")
	r, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	head, err := r.Resolve("HEAD")
	if err != nil {
		t.Fatal(err)
	}
	v, err := r.NewObjectWriter().View()
	if err != nil {
		t.Fatal(err)
	}
	for _, old := range []Hash{head.ID} {
		if err := v.UpdateRef("refs/heads/main", head.ID, old); !errors.Is(err, ErrReadOnly) {
			t.Errorf("UpdateRef through a view = %v, want ErrReadOnly", err)
		}
	}
	if err := v.UpdateRef("refs/heads/x", head.ID, ZeroHash); !errors.Is(err, ErrReadOnly) {
		t.Errorf("UpdateRef through a view = %v, want ErrReadOnly", err)
	}
	vw := v.NewObjectWriter()
	blob, err := vw.Blob([]byte("x"))
	if err != nil {
		t.Fatal(err)
	}
	if err := vw.Flush(); err != nil {
		t.Fatal(err)
	}
	if _, err := r.ReadBlob(blob); err == nil {
		t.Errorf("a view's writer wrote to the repository")
	}
	if refs := runGit(t, dir, "", "for-each-ref", "--format=%(refname)"); refs != "refs/heads/main" {
		t.Errorf("refs: %s", refs)
	}
}
