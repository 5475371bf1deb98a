// Package hooks installs and removes the git pre-commit hook that runs
// small validate on what is staged, in a clone.
package hooks

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// marker identifies a hook small wrote, so that small may replace or remove
// it, and never touches anyone else's.
const marker = "# Installed by small hooks install."

// PreCommit is the pre-commit hook for the small at path: it refuses a
// commit while a manifest, as staged, is invalid. What is committed is what
// the index holds (git write-tree in the hook honours GIT_INDEX_FILE, which
// git commit -a and git commit PATH set), so a file fixed only in the
// working tree, or an untracked draft, decides nothing. It runs the small
// it was installed with, which GUI git clients find without PATH, and the
// one on PATH if that has moved.
func PreCommit(path string) string {
	return `#!/bin/sh
` + marker + ` Remove with: small hooks uninstall
# Refuses the commit while a staged manifest is invalid; git commit --no-verify skips it.
small=` + shellQuote(path) + `
if [ ! -x "$small" ]; then
	small=$(command -v small) || {
		echo "small: not found at $small (moved?) nor on PATH: install it, then run small hooks install again" >&2
		exit 1
	}
fi
exec "$small" validate --staged
`
}

// shellQuote quotes s for sh.
func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

// ErrForeignHook is a hook at the same path that small did not write.
var ErrForeignHook = errors.New("a pre-commit hook that small did not write exists")

// Install writes the pre-commit hook for the small at smallPath into
// hooksDir (the repository's core.hooksPath, or .git/hooks). It replaces a
// hook small wrote, never another one. It returns the hook's path.
func Install(hooksDir, smallPath string) (string, error) {
	path := filepath.Join(hooksDir, "pre-commit")
	if b, err := os.ReadFile(path); err == nil && !strings.Contains(string(b), marker) {
		return path, fmt.Errorf("%s: %w; add `small validate` to it yourself", path, ErrForeignHook)
	}
	if err := os.MkdirAll(hooksDir, 0o755); err != nil {
		return path, err
	}
	tmp := path + ".small-tmp"
	if err := os.WriteFile(tmp, []byte(PreCommit(smallPath)), 0o755); err != nil {
		return path, err
	}
	return path, os.Rename(tmp, path)
}

// Uninstall removes the pre-commit hook if small wrote it; it reports
// whether there was one to remove.
func Uninstall(hooksDir string) (bool, error) {
	path := filepath.Join(hooksDir, "pre-commit")
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if !strings.Contains(string(b), marker) {
		return false, fmt.Errorf("%s: %w; leaving it", path, ErrForeignHook)
	}
	return true, os.Remove(path)
}
