// The few things small asks of the git CLI itself, where go-git falls short.

package repo

import (
	"bytes"
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
func (r *Repository) UserIdentity() (Signature, error) { return r.identity("GIT_AUTHOR_IDENT") }

// CommitterIdentity is who commits, to git, and when: git var
// GIT_COMMITTER_IDENT, as git commit reads it (GIT_COMMITTER_NAME,
// GIT_COMMITTER_DATE, user.name, user.email).
func (r *Repository) CommitterIdentity() (Signature, error) { return r.identity("GIT_COMMITTER_IDENT") }

func (r *Repository) identity(variable string) (Signature, error) {
	out, err := r.runGit("var", variable)
	if err != nil {
		return Signature{}, fmt.Errorf("who are you? git var %s failed: set user.name and user.email (git config)", variable)
	}
	line := strings.TrimSpace(out)
	lt, gt := strings.Index(line, "<"), strings.Index(line, ">")
	if lt < 0 || gt < lt {
		return Signature{}, fmt.Errorf("git var %s: unexpected %q", variable, line)
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
	_, err := r.runGit("add", "--", path)
	return err
}

// StagedTree writes the index as a tree, with git write-tree, and returns
// its id: what git commit would commit. git honours GIT_INDEX_FILE, which
// git commit -a and git commit PATH point at a temporary index while
// their hooks run.
func (r *Repository) StagedTree() (Hash, error) {
	out, err := r.runGit("write-tree")
	if err != nil {
		return ZeroHash, err
	}
	h, ok := ParseHash(strings.TrimSpace(out))
	if !ok {
		return ZeroHash, fmt.Errorf("git write-tree: unexpected %q", strings.TrimSpace(out))
	}
	return h, nil
}

// GitError is a git command that failed, with what it said.
type GitError struct {
	Args   []string
	Stderr string
}

func (e *GitError) Error() string {
	msg := strings.TrimSpace(e.Stderr)
	if i := strings.LastIndex(msg, "\n"); i >= 0 && strings.HasPrefix(msg[i+1:], "fatal:") {
		msg = msg[i+1:]
	}
	return fmt.Sprintf("git %s: %s", strings.Join(e.Args, " "), msg)
}

// runGit runs the git CLI in the repository and returns its standard
// output; a failure is a *GitError with what git said.
func (r *Repository) runGit(args ...string) (string, error) {
	cmd := exec.Command("git", args...)
	cmd.Dir = r.root
	if r.root == "" {
		cmd.Dir = r.commonDir
	}
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		if _, ok := err.(*exec.ExitError); !ok {
			return "", fmt.Errorf("git %s: %w", strings.Join(args, " "), err)
		}
		return out.String(), &GitError{Args: args, Stderr: errb.String()}
	}
	return out.String(), nil
}
