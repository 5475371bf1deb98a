// The few things small asks of the git CLI itself, where go-git falls short.

package repo

import (
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"time"
)

// UserIdentity is who the user is to git, and when: git var
// GIT_AUTHOR_IDENT, which honours GIT_AUTHOR_NAME, GIT_AUTHOR_DATE and the
// user.name and user.email settings at every scope exactly as git commit
// does (go-git reads only some of them).
func (r *Repository) UserIdentity() (Signature, error) {
	cmd := exec.Command("git", "var", "GIT_AUTHOR_IDENT")
	cmd.Dir = r.root
	out, err := cmd.Output()
	if err != nil {
		return Signature{}, fmt.Errorf("who are you? git var GIT_AUTHOR_IDENT failed: set user.name and user.email (git config)")
	}
	line := strings.TrimSpace(string(out))
	lt, gt := strings.Index(line, "<"), strings.Index(line, ">")
	if lt < 0 || gt < lt {
		return Signature{}, fmt.Errorf("git var GIT_AUTHOR_IDENT: unexpected %q", line)
	}
	sig := Signature{Name: strings.TrimSpace(line[:lt]), Email: line[lt+1 : gt], When: time.Now()}
	// "<unix seconds> <+hhmm>" follows the e-mail.
	if f := strings.Fields(line[gt+1:]); len(f) == 2 {
		if secs, err := strconv.ParseInt(f[0], 10, 64); err == nil {
			if tz, err := time.Parse("-0700", f[1]); err == nil {
				sig.When = time.Unix(secs, 0).In(tz.Location())
			}
		}
	}
	return sig, nil
}

// Stage adds a working-tree file to the index with git add: git keeps the
// index's extensions (split index, untracked cache) that go-git may drop.
func (r *Repository) Stage(path string) error {
	cmd := exec.Command("git", "add", "--", path)
	cmd.Dir = r.root
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("git add %s: %v: %s", path, err, strings.TrimSpace(string(out)))
	}
	return nil
}

// StagedTree writes the index as a tree, with git write-tree, and returns
// its id: what git commit would commit. git honours GIT_INDEX_FILE, which
// git commit -a and git commit PATH point at a temporary index while
// their hooks run.
func (r *Repository) StagedTree() (Hash, error) {
	cmd := exec.Command("git", "write-tree")
	cmd.Dir = r.root
	out, err := cmd.Output()
	if err != nil {
		msg := err.Error()
		if ee, ok := err.(*exec.ExitError); ok && len(ee.Stderr) > 0 {
			msg = strings.TrimSpace(string(ee.Stderr))
		}
		return ZeroHash, fmt.Errorf("git write-tree: %s", msg)
	}
	h, ok := ParseHash(strings.TrimSpace(string(out)))
	if !ok {
		return ZeroHash, fmt.Errorf("git write-tree: unexpected %q", strings.TrimSpace(string(out)))
	}
	return h, nil
}
