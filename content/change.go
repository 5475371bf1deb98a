package content

import (
	"errors"
	"fmt"
	"strings"

	"github.com/smallhq/small/config"
	"github.com/smallhq/small/diag"
	"github.com/smallhq/small/lineage"
	"github.com/smallhq/small/manifest"
	"github.com/smallhq/small/protocol"
	"github.com/smallhq/small/repo"
	"github.com/smallhq/small/schema"
)

// Change is a change of content between two revisions, to be checked
// against the lifecycle rules.
type Change struct {
	Base *repo.Commit
	// Head is the commit of the new content, or nil for the working tree
	// (whose uncommitted versions have no actor: gates are checked on
	// commits, by small check).
	Head   *repo.Commit
	Config *config.Config
	Result *Result // the head's validation
}

type baseState struct {
	path, state string
}

// CheckLifecycle applies the lifecycle rules to a change: a status moves
// only along an allowed transition from its state at the base; a new
// manifest starts in its kind's initial state or one reachable from it; a
// state only a human may enter is not entered by an agent's commit; a
// manifest is deleted only from a state that allows it. Each refusal names
// the state and the allowed next states.
func CheckLifecycle(r *repo.Repository, ch Change) ([]diag.Diagnostic, error) {
	kinds := ch.Result.Schema
	if kinds == nil {
		return nil, nil // the schemas did not compile: already reported
	}
	base, err := baseStates(r, ch.Base, ch.Config, kinds)
	if err != nil {
		return nil, err
	}
	type pending struct {
		m   Manifest
		msg func(lineage.Actor) string
	}
	var ds []diag.Diagnostic
	var gated []pending
	at := func(m Manifest, code, msg string) diag.Diagnostic {
		return diag.Diagnostic{File: m.Path, Line: m.StatusLine, Column: m.StatusColumn, Path: protocol.FieldStatus,
			Code: code, Severity: diag.Error, Message: msg}
	}
	seen := map[[2]string]bool{}
	for _, m := range ch.Result.Manifests {
		if m.Kind == "" || !kinds.HasKind(m.Kind) {
			continue
		}
		key := [2]string{m.Kind, m.ID}
		seen[key] = true
		lc := kinds.Lifecycle(m.Kind)
		if !lc.Has(m.State) {
			continue // reported by validation
		}
		b, existed := base[key]
		switch {
		case existed && b.state == m.State, existed && !lc.Has(b.state):
		case existed && !lc.Allows(b.state, m.State):
			ds = append(ds, at(m, diag.CodeTransition, fmt.Sprintf("%q -> %q is not an allowed transition: from %s, %s",
				b.state, m.State, b.state, nextStates(lc, b.state))))
		case existed && lc.HumanOnlyState(m.State):
			from, to := b.state, m.State
			gated = append(gated, pending{m, func(a lineage.Actor) string {
				return fmt.Sprintf("%q -> %q: only a human may move %s/%s into %q, and this version is by agent %s: a human must make this change",
					from, to, m.Kind, m.ID, to, a.Name)
			}})
		case !existed && m.State != lc.Initial:
			path := lc.Path(m.State)
			if path == nil {
				ds = append(ds, at(m, diag.CodeTransition, fmt.Sprintf("a new %s starts in %q, and %q cannot be reached from it: expected one of %s",
					m.Kind, lc.Initial, m.State, strings.Join(reachable(lc), ", "))))
				continue
			}
			for _, s := range path[1:] {
				if lc.HumanOnlyState(s) {
					to, via := m.State, s
					gated = append(gated, pending{m, func(a lineage.Actor) string {
						return fmt.Sprintf("a new %s/%s in %q passes through %q, which only a human may enter, and this version is by agent %s: a human must make this change",
							m.Kind, m.ID, to, via, a.Name)
					}})
					break
				}
			}
		}
	}
	for key, b := range base {
		if seen[key] || !kinds.HasKind(key[0]) {
			continue
		}
		lc := kinds.Lifecycle(key[0])
		if lc.Has(b.state) && !lc.CanDelete(b.state) {
			ds = append(ds, diag.Diagnostic{File: b.path, Path: protocol.FieldStatus, Code: diag.CodeDelete, Severity: diag.Error,
				Message: fmt.Sprintf("deleted in state %q: %s manifests may be deleted only from %s (from %s, %s)",
					b.state, key[0], strings.Join(lc.Deletable, ", "), b.state, nextStates(lc, b.state))})
		}
	}
	if len(gated) > 0 && ch.Head != nil {
		actors, err := actorsOf(r, ch.Head, ch.Config, gated, func(p pending) Manifest { return p.m })
		if err != nil {
			return nil, err
		}
		for _, g := range gated {
			if a := actors[g.m.Path]; a.Type == "agent" {
				ds = append(ds, at(g.m, diag.CodeHumanOnly, g.msg(a)))
			}
		}
	}
	diag.Sort(ds)
	return ds, nil
}

func nextStates(lc schema.Lifecycle, state string) string {
	if next := lc.Next(state); len(next) > 0 {
		return "allowed next: " + strings.Join(next, ", ")
	}
	return "no state may follow it"
}

func reachable(lc schema.Lifecycle) []string {
	var out []string
	for _, s := range lc.States {
		if lc.Path(s) != nil {
			out = append(out, s)
		}
	}
	return out
}

// baseStates reads the kind, id and state of every manifest at base,
// decoding the files without evaluating them.
func baseStates(r *repo.Repository, base *repo.Commit, cfg *config.Config, kinds *schema.Schema) (map[[2]string]baseState, error) {
	snap := r.Snapshot(base)
	files, err := snap.Files(cfg.Manifests)
	if err != nil {
		return nil, err
	}
	out := map[[2]string]baseState{}
	for _, f := range files {
		if !protocol.IsManifestFile(f.Path) {
			continue
		}
		data, err := snap.Read(f.Path, cfg.Limits.ManifestBytes)
		if err != nil {
			continue // unreadable at the base: nothing to compare with
		}
		doc, err := manifest.Decode(f.Path, data, cfg.ManifestLimits())
		if err != nil {
			continue
		}
		id, err := doc.Identity()
		if err != nil {
			continue
		}
		state := id.Status
		if state == "" {
			state = kinds.Lifecycle(id.Kind).Initial
		}
		out[[2]string{id.Kind, id.ID}] = baseState{path: f.Path, state: state}
	}
	return out, nil
}

// actorsOf finds who made the head version of each manifest: the actor of
// the commit that introduced it.
func actorsOf[T any](r *repo.Repository, head *repo.Commit, cfg *config.Config, items []T, manifestOf func(T) Manifest) (map[string]lineage.Actor, error) {
	files, err := r.TreeFiles(head.Tree, cfg.Manifests)
	if err != nil {
		return nil, err
	}
	targets := map[string]repo.Hash{}
	for _, it := range items {
		p := manifestOf(it).Path
		if h, ok := files[p]; ok {
			targets[p] = h
		}
	}
	intro, err := r.Introductions(head.ID, cfg.Manifests, targets, nil)
	var shallow *repo.ShallowError
	if errors.As(err, &shallow) {
		return nil, fmt.Errorf("to tell who changed a status, %w", err)
	}
	if err != nil {
		return nil, err
	}
	out := map[string]lineage.Actor{}
	for p, h := range intro {
		c, err := r.ReadCommit(h)
		if err != nil {
			return nil, err
		}
		out[p] = lineage.ActorOf(c, cfg.IsAgent)
	}
	return out, nil
}
