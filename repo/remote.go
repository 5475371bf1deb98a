// Talking to remotes goes through the git CLI: it alone knows the user's
// credential helpers, SSH configuration and the http.extraheader that CI
// checkouts set (go-git uses none of them).

package repo

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"time"
)

// Remotes lists the repository's remotes.
func (r *Repository) Remotes() ([]string, error) {
	out, err := r.runGit("remote")
	if err != nil {
		return nil, err
	}
	return strings.Fields(out), nil
}

// Fetch fetches refspecs from remote with git fetch, then makes the new
// packs visible to this process.
func (r *Repository) Fetch(remote string, refspecs ...string) error {
	_, err := r.runGit(append([]string{"fetch", "--quiet", "--no-write-fetch-head", remote}, refspecs...)...)
	if r.st != nil {
		r.st.Reindex()
	}
	return err
}

// PushResult is what git push said of one ref.
type PushResult struct {
	Ref      string // the remote ref
	Rejected bool   // not a fast-forward, or the remote moved meanwhile
	Reason   string
}

// Push pushes refspecs to remote, all or none (git push --atomic), never
// forcing. A push the remote rejects is not an error: the results say which
// refs it refused.
func (r *Repository) Push(remote string, refspecs ...string) ([]PushResult, error) {
	args := append([]string{"push", "--porcelain", "--atomic", remote}, refspecs...)
	out, err := r.runGit(args...)
	var res []PushResult
	// --porcelain: "<flag>\t<from>:<to>\t<summary> (<reason>)" per ref.
	for _, line := range strings.Split(out, "\n") {
		f := strings.SplitN(line, "\t", 3)
		if len(f) < 3 || len(f[0]) != 1 {
			continue
		}
		_, to, _ := strings.Cut(f[1], ":")
		res = append(res, PushResult{Ref: to, Rejected: f[0] == "!", Reason: f[2]})
	}
	for _, p := range res {
		if p.Rejected {
			return res, nil
		}
	}
	return res, err
}

// FetchRefspecs returns the fetch refspecs configured for remote.
func (r *Repository) FetchRefspecs(remote string) ([]string, error) {
	out, err := r.runGit("config", "--get-all", "remote."+remote+".fetch")
	if ge, ok := err.(*GitError); ok && strings.TrimSpace(ge.Stderr) == "" {
		return nil, nil // none set: git config exits 1
	}
	return strings.Fields(out), err
}

// AddFetchRefspec adds a fetch refspec to remote's configuration.
func (r *Repository) AddFetchRefspec(remote, spec string) error {
	_, err := r.runGit("config", "--add", "remote."+remote+".fetch", spec)
	return err
}

// RemoteRefs lists the refs a remote (a name or a URL) has that match
// pattern (as git ls-remote matches them), by name, with git ls-remote:
// the user's credentials and url.<base>.insteadOf apply. It never prompts
// and gives up after timeout.
func (r *Repository) RemoteRefs(remote, pattern string, timeout time.Duration) (map[string]Hash, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "git", "ls-remote", "--", remote, pattern)
	cmd.Dir = r.root
	if r.root == "" {
		cmd.Dir = r.commonDir
	}
	cmd.Env = append(os.Environ(), "GIT_TERMINAL_PROMPT=0")
	var errb strings.Builder
	cmd.Stderr = &errb
	out, err := cmd.Output()
	if ctx.Err() != nil {
		return nil, fmt.Errorf("git ls-remote %s: no answer within %s", remote, timeout)
	}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return nil, &GitError{Args: []string{"ls-remote", remote, pattern}, Stderr: errb.String()}
	}
	if err != nil {
		return nil, err
	}
	refs := map[string]Hash{}
	for _, line := range strings.Split(string(out), "\n") {
		id, name, ok := strings.Cut(line, "\t")
		if h, valid := ParseHash(id); ok && valid {
			refs[name] = h
		}
	}
	return refs, nil
}
