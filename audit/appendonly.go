package audit

import (
	"fmt"
	"strings"

	"github.com/smallhq/small/diag"
	"github.com/smallhq/small/protocol"
	"github.com/smallhq/small/repo"
)

// appendOnly checks that the history of a notes ref only ever added lines:
// small writes a build's note once and appends observations; merges are
// unions. A line that a later notes commit no longer has was taken away
// (git notes edit, then a push that fast-forwards), and the rebuild cannot
// see an observation that is gone. Each such line is a finding.
func appendOnly(r *repo.Repository, ref string) ([]Finding, error) {
	tip, err := r.Ref(ref)
	if err != nil || tip.IsZero() {
		return nil, err
	}
	code := diag.CodeVerifyLifecycle
	if ref == protocol.NotesLineage {
		code = diag.CodeVerifyLineage
	}
	var out []Finding
	seen := map[repo.Hash]bool{}
	queue := []repo.Hash{tip}
	for len(queue) > 0 {
		h := queue[0]
		queue = queue[1:]
		if seen[h] {
			continue
		}
		seen[h] = true
		c, err := r.ReadCommit(h)
		if err != nil {
			if r.Shallow() {
				continue
			}
			return nil, err
		}
		now, err := r.LookupNotesAt(h)
		if err != nil {
			return nil, err
		}
		for _, p := range c.Parents {
			queue = append(queue, p)
			targets, err := r.NotesChanged(p, h)
			if err != nil {
				if r.Shallow() {
					continue
				}
				return nil, err
			}
			before, err := r.LookupNotesAt(p)
			if err != nil {
				return nil, err
			}
			for _, t := range targets {
				old, had, err := before.Note(t)
				if err != nil || !had {
					continue
				}
				cur, _, err := now.Note(t)
				if err != nil {
					return nil, err
				}
				for _, l := range removed(old, cur) {
					out = append(out, Finding{Code: code, Build: t.String(), Recorded: l,
						Message: fmt.Sprintf("notes commit %s of %s took a line away from the note of %s: notes are append-only", h.Short(), ref, t.Short())})
				}
			}
		}
	}
	return out, nil
}

// removed lists the lines of before that after lacks, counting repeats.
func removed(before, after []byte) []string {
	have := map[string]int{}
	for _, l := range strings.Split(string(after), "\n") {
		have[l]++
	}
	var out []string
	for _, l := range strings.Split(string(before), "\n") {
		if strings.TrimSpace(l) == "" {
			continue
		}
		if have[l] > 0 {
			have[l]--
			continue
		}
		out = append(out, l)
	}
	return out
}
