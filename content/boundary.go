package content

import (
	"fmt"

	"github.com/smallhq/small/config"
	"github.com/smallhq/small/diag"
	"github.com/smallhq/small/lineage"
	"github.com/smallhq/small/protocol"
	"github.com/smallhq/small/repo"
)

// CheckBoundary refuses agents' commits, between base and head, that change
// anything but manifests: the schemas (which carry the lifecycle and its
// human-only states) and small.cue (which names the agents). Agents act
// only through manifests; a human must make those changes.
func CheckBoundary(r *repo.Repository, base, head *repo.Commit, cfg *config.Config) ([]diag.Diagnostic, error) {
	commits, err := r.CommitsBetween(base.ID, head.ID)
	if err != nil {
		return nil, err
	}
	var ds []diag.Diagnostic
	for _, c := range commits {
		a := lineage.ActorOf(c, cfg.IsAgent)
		if a.Type != "agent" {
			continue
		}
		parent := repo.ZeroHash
		if len(c.Parents) > 0 {
			p, err := r.ReadCommit(c.Parents[0])
			if err != nil {
				return nil, err
			}
			parent = p.Tree
		}
		for _, guarded := range []struct{ path, what string }{
			{cfg.Schemas, "the schemas (" + cfg.Schemas + "/)"},
			{protocol.ConfigFile, protocol.ConfigFile},
		} {
			now, _, _ := r.Lookup(c.Tree, guarded.path)
			before, _, _ := r.Lookup(parent, guarded.path)
			if now != before {
				ds = append(ds, diag.Diagnostic{File: guarded.path, Code: diag.CodeAgentBoundary, Severity: diag.Error,
					Message: fmt.Sprintf("commit %s by agent %s changes %s: agents act only through manifests; a human must make this change",
						c.ID.Short(), a.Name, guarded.what)})
			}
		}
	}
	return ds, nil
}
