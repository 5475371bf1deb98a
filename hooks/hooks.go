// Package hooks installs and removes the git pre-commit hook that runs
// small validate in a clone.
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

// PreCommit is the pre-commit hook: it refuses a commit while any manifest
// in the working tree is invalid.
var PreCommit = `#!/bin/sh
` + marker + ` Remove with: small hooks uninstall
# Refuses the commit while a manifest is invalid; git commit --no-verify skips it.
exec small validate
`

// ErrForeignHook is a hook at the same path that small did not write.
var ErrForeignHook = errors.New("a pre-commit hook that small did not write exists")

// Install writes the pre-commit hook into hooksDir (the repository's
// core.hooksPath, or .git/hooks). It replaces a hook small wrote, never
// another one. It returns the hook's path.
func Install(hooksDir string) (string, error) {
	path := filepath.Join(hooksDir, "pre-commit")
	if b, err := os.ReadFile(path); err == nil && !strings.Contains(string(b), marker) {
		return path, fmt.Errorf("%s: %w; add `small validate` to it yourself", path, ErrForeignHook)
	}
	if err := os.MkdirAll(hooksDir, 0o755); err != nil {
		return path, err
	}
	tmp := path + ".small-tmp"
	if err := os.WriteFile(tmp, []byte(PreCommit), 0o755); err != nil {
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
