package content

import (
	"fmt"
	"io"
	"path"
	"time"

	"github.com/smallhq/small/config"
	"github.com/smallhq/small/protocol"
	"github.com/smallhq/small/repo"
)

// ChangeProposal is a new version of one committed manifest, to be judged
// as the next commit on top of Rev would be.
type ChangeProposal struct {
	// Rev is the commit the change would follow; "" for HEAD.
	Rev string
	// Path is the manifest the change replaces; Rev must have it.
	Path string
	// Input holds the new version's bytes (at most limits.manifestBytes).
	Input io.Reader
	// Agent, when set, judges the change as that agent's (a commit with a
	// Small-Agent trailer); otherwise as the user's, whom git names.
	Agent string
}

// AgainstError is a proposal that names no manifest of its revision.
type AgainstError struct{ Path, Rev, Why string }

func (e *AgainstError) Error() string {
	return fmt.Sprintf("%s: %s at %s: expected a manifest file committed there (to check a new manifest, give --path instead)", e.Path, e.Why, e.Rev)
}

// JudgeChange validates a new version of a committed manifest and judges
// the change as small check would judge the commit that makes it: the
// lifecycle (the transition, who may enter the state, frozen content),
// deletion and the agent boundary, under the policy of Rev. The commit is
// made in memory only (repo.ObjectWriter.View): nothing is written to the
// repository, its refs, index or working tree.
func JudgeChange(r *repo.Repository, p ChangeProposal) (*Result, error) {
	rev := p.Rev
	if rev == "" {
		rev = "HEAD"
	}
	base, err := r.Resolve(rev)
	if err != nil {
		return nil, err
	}
	cfg, err := config.Load(r.Snapshot(base))
	if err != nil {
		return nil, err
	}
	if err := CheckManifestPath(cfg, p.Path); err != nil {
		return nil, err
	}
	files, err := r.RegularFiles(base.Tree, path.Dir(p.Path))
	if err != nil {
		return nil, err
	}
	if files[p.Path].IsZero() {
		why := "no such file"
		if !r.FileAt(base.Tree, p.Path).IsZero() {
			why = "a symbolic link or submodule, not a file"
		}
		return nil, &AgainstError{Path: p.Path, Rev: rev, Why: why}
	}
	data, err := io.ReadAll(io.LimitReader(p.Input, cfg.Limits.ManifestBytes+1))
	if err != nil {
		return nil, fmt.Errorf("read standard input: %w", err)
	}

	w := r.NewObjectWriter() // never flushed
	blob, err := w.Blob(data)
	if err != nil {
		return nil, err
	}
	tree, err := w.EditTree(base.Tree, map[string]repo.Hash{p.Path: blob})
	if err != nil {
		return nil, err
	}
	who, err := r.UserIdentity()
	if err != nil {
		who = repo.Signature{Name: "you", Email: ""}
	}
	who.When = time.Now()
	msg := "Proposed change to " + p.Path + "\n"
	if p.Agent != "" {
		msg += "\n" + protocol.TrailerAgent + ": " + p.Agent + "\n"
	}
	c, err := w.Commit(repo.CommitSpec{Tree: tree, Parents: []repo.Hash{base.ID}, Author: who, Committer: who, Message: msg})
	if err != nil {
		return nil, err
	}
	view, err := w.View()
	if err != nil {
		return nil, err
	}
	return Check(view, CheckOptions{Rev: c.String(), Base: base.ID.String(), Paths: []string{p.Path}, Command: "validate"})
}
