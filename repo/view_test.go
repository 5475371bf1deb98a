package repo

import (
	"os"
	"path/filepath"
	"testing"
)

// TestEditTreeAsGitWouldWrite edits a tree with EditTree and has git make
// the same edit in its index: the tree ids must agree, every other entry
// (an executable, a symbolic link, a sibling directory) kept as it was.
func TestEditTreeAsGitWouldWrite(t *testing.T) {
	dir := t.TempDir()
	runGit(t, dir, "", "init", "-q", "-b", "main")
	write := func(name, data string, mode os.FileMode) {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), mode); err != nil {
			t.Fatal(err)
		}
	}
	write("manifests/articles/a.yaml", "a: 1\n", 0o644)
	write("manifests/articles/b.yaml", "b: 1\n", 0o644)
	write("manifests/authors/ada.yaml", "ada\n", 0o644)
	write("run.sh", "#!/bin/sh\n", 0o755)
	write("gone/only.yaml", "x\n", 0o644)
	if err := os.Symlink("manifests/articles/a.yaml", filepath.Join(dir, "link.yaml")); err != nil {
		t.Fatal(err)
	}
	runGit(t, dir, "", "add", "-A")
	runGit(t, dir, "", "commit", "-qm", "base")

	r, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	head, err := r.Resolve("HEAD")
	if err != nil {
		t.Fatal(err)
	}
	w := r.NewObjectWriter()
	blob, err := w.Blob([]byte("a: 2\n"))
	if err != nil {
		t.Fatal(err)
	}
	fresh, err := w.Blob([]byte("new\n"))
	if err != nil {
		t.Fatal(err)
	}
	tree, err := w.EditTree(head.Tree, map[string]Hash{
		"manifests/articles/a.yaml": blob,     // replaced
		"manifests/drafts/new.yaml": fresh,    // in a new directory
		"gone/only.yaml":            ZeroHash, // its directory disappears
	})
	if err != nil {
		t.Fatal(err)
	}

	// The view reads the staged objects; the repository has none of them.
	c, err := w.Commit(CommitSpec{Tree: tree, Parents: []Hash{head.ID}, Author: head.Author, Committer: head.Author, Message: "proposal\n"})
	if err != nil {
		t.Fatal(err)
	}
	v, err := w.View()
	if err != nil {
		t.Fatal(err)
	}
	got, err := v.Resolve(c.String())
	if err != nil || got.Tree != tree {
		t.Fatalf("view Resolve = %+v, %v", got, err)
	}
	if files, err := v.TreeFiles(got.Tree, "manifests/drafts"); err != nil || files["manifests/drafts/new.yaml"] != fresh {
		t.Errorf("view TreeFiles = %v, %v", files, err)
	}
	if r.HasCommit(c) {
		t.Error("the repository has the view's commit")
	}
	if _, err := r.ReadBlob(fresh); err == nil {
		t.Error("the repository has the view's blob")
	}
	write("manifests/articles/a.yaml", "a: 2\n", 0o644)
	write("manifests/drafts/new.yaml", "new\n", 0o644)
	runGit(t, dir, "", "rm", "-q", "gone/only.yaml")
	runGit(t, dir, "", "add", "-A")
	if want := runGit(t, dir, "", "write-tree"); tree.String() != want {
		t.Fatalf("EditTree = %s, git write-tree = %s", tree, want)
	}
	runGit(t, dir, "", "fsck", "--strict", "--no-progress")

	// Bad paths are errors, not trees.
	for _, p := range []string{"/abs", "a//b", "../x", "a/", "./a"} {
		if _, err := w.EditTree(head.Tree, map[string]Hash{p: blob}); err == nil {
			t.Errorf("EditTree(%q): no error", p)
		}
	}
}
