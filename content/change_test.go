package content

import (
	"maps"
	"testing"

	"github.com/smallhq/small/diag"
)

// step is one commit on top of the base.
type step struct {
	by      actor
	changes map[string]string
}

// lifecycleCase is a base (baseFiles, the Note kind, and these manifests,
// committed by a human) and the commits on top of it.
type lifecycleCase struct {
	name  string
	base  map[string]string
	steps []step
	want  []want
}

// runLifecycle commits the case and applies CheckLifecycle from the base to
// the last commit, or to the working tree (Head nil) when worktree is set.
func runLifecycle(t *testing.T, tt lifecycleCase, worktree bool) []diag.Diagnostic {
	t.Helper()
	f := newFixture(t)
	files := baseFiles()
	files["schemas/note.cue"] = noteSchema
	maps.Copy(files, tt.base)
	base := f.commit(human, "base", files)
	head := base
	for _, s := range tt.steps {
		head = f.commit(s.by, "change", s.changes)
	}
	res, err := f.validateAt(head, Options{})
	if err != nil {
		t.Fatal(err)
	}
	ch := Change{Base: base, Head: head, Config: res.Config, Result: res}
	if worktree {
		ch.Head = nil
	}
	ds, err := CheckLifecycle(f.r, ch)
	if err != nil {
		t.Fatal(err)
	}
	return ds
}

// one is a single commit on top of the base.
func one(by actor, changes map[string]string) []step { return []step{{by, changes}} }

const (
	a = "manifests/a.yaml"
	b = "manifests/b.yaml"
	c = "manifests/c.yaml"
)

func TestCheckLifecycle(t *testing.T) {
	tests := []lifecycleCase{
		// Transitions of an existing manifest.
		{name: "draft to review, by an agent",
			base:  map[string]string{a: article("A", "draft")},
			steps: one(agentTrailer, map[string]string{a: article("A", "review")})},
		{name: "review back to draft, by an agent",
			base:  map[string]string{a: article("A", "review")},
			steps: one(agentGlob, map[string]string{a: article("A", "draft")})},
		{name: "no status at the base (draft) to review",
			base:  map[string]string{a: article("A", "")},
			steps: one(agentTrailer, map[string]string{a: article("A", "review")})},
		{name: "no status at the base to an explicit draft",
			base:  map[string]string{a: article("A", "")},
			steps: one(agentTrailer, map[string]string{a: article("A", "draft")})},
		{name: "review to approved, by a human",
			base:  map[string]string{a: article("A", "review")},
			steps: one(human, map[string]string{a: article("A", "approved")})},
		{name: "approved to published, by a human",
			base:  map[string]string{a: article("A", "approved")},
			steps: one(human, map[string]string{a: article("A", "published")})},
		{name: "an agent edits the content of a manifest without moving it",
			base:  map[string]string{a: article("A", "review")},
			steps: one(agentTrailer, map[string]string{a: article("A, better", "review")})},
		{name: "draft to published",
			base:  map[string]string{a: article("A", "draft")},
			steps: one(human, map[string]string{a: article("A", "published")}),
			want: []want{{diag.CodeTransition, a, 3,
				`"draft" -> "published" is not an allowed transition: from draft, allowed next: review`}}},
		{name: "published back to draft",
			base:  map[string]string{a: article("A", "published")},
			steps: one(human, map[string]string{a: article("A", "draft")}),
			want: []want{{diag.CodeTransition, a, 3,
				`"published" -> "draft" is not an allowed transition: from published, allowed next: deprecated`}}},
		{name: "anything from archived",
			base:  map[string]string{a: article("A", "archived")},
			steps: one(human, map[string]string{a: article("A", "deprecated")}),
			want:  []want{{diag.CodeTransition, a, 3, `from archived, no state may follow it`}}},
		{name: "a disallowed move into a human-only state is a transition finding only",
			base:  map[string]string{a: article("A", "draft")},
			steps: one(agentTrailer, map[string]string{a: article("A", "approved")}),
			want:  []want{{diag.CodeTransition, a, 3, `"draft" -> "approved" is not an allowed transition`}}},
		{name: "a status the lifecycle no longer knows may move anywhere",
			base:  map[string]string{a: article("A", "legacy")},
			steps: one(human, map[string]string{a: article("A", "published")})},
		{name: "an unknown status at the head is left to validation",
			base:  map[string]string{a: article("A", "draft")},
			steps: one(agentTrailer, map[string]string{a: article("A", "bogus")})},
		{name: "a renamed file keeps its state",
			base: map[string]string{a: "kind: Article\nid: kept\ntitle: A\nstatus: published\n"},
			steps: one(agentTrailer, map[string]string{a: deleted,
				"manifests/moved/kept.yml": "kind: Article\ntitle: A\nstatus: published\n"})},
		{name: "a renamed file is checked against its state before the move",
			base: map[string]string{a: "kind: Article\nid: kept\ntitle: A\nstatus: draft\n"},
			steps: one(human, map[string]string{a: deleted,
				"manifests/moved/kept.yml": "kind: Article\ntitle: A\nstatus: published\n"}),
			want: []want{{diag.CodeTransition, "manifests/moved/kept.yml", 3, `"draft" -> "published"`}}},

		// New manifests.
		{name: "new, in the initial state, by an agent",
			steps: one(agentTrailer, map[string]string{a: article("A", "")})},
		{name: "new, explicitly in the initial state, by an agent",
			steps: one(agentGlob, map[string]string{a: article("A", "draft")})},
		{name: "new, in a reachable state no human gates, by an agent",
			steps: one(agentTrailer, map[string]string{a: article("A", "review")})},
		{name: "new, in published, by a human",
			steps: one(human, map[string]string{a: article("A", "published")})},
		{name: "new, in approved, by an agent",
			steps: one(agentTrailer, map[string]string{b: article("B", "approved")}),
			want: []want{{diag.CodeHumanOnly, b, 3,
				`a new Article/b in "approved" passes through "approved", which only a human may enter, and this version is by agent writer-bot: a human must make this change`}}},
		{name: "new, in published, by an agent",
			steps: one(agentTrailer, map[string]string{b: article("B", "published")}),
			want:  []want{{diag.CodeHumanOnly, b, 3, `a new Article/b in "published" passes through "approved"`}}},
		{name: "new, in deprecated, by an agent known by e-mail",
			steps: one(agentGlob, map[string]string{b: article("B", "deprecated")}),
			want:  []want{{diag.CodeHumanOnly, b, 3, `passes through "approved", which only a human may enter, and this version is by agent Robo`}}},
		{name: "new, in a state its lifecycle cannot reach",
			steps: one(human, map[string]string{"manifests/n.yaml": "kind: Note\ntext: x\nstatus: orphan\n"}),
			want: []want{{diag.CodeTransition, "manifests/n.yaml", 3,
				`a new Note starts in "draft", and "orphan" cannot be reached from it: expected one of draft, live`}}},
		{name: "new, in a human-only state of its own lifecycle, by an agent",
			steps: one(agentTrailer, map[string]string{"manifests/n.yaml": "kind: Note\ntext: x\nstatus: live\n"}),
			want:  []want{{diag.CodeHumanOnly, "manifests/n.yaml", 3, `a new Note/n in "live" passes through "live"`}}},
		{name: "new, in a human-only state of its own lifecycle, by a human",
			steps: one(human, map[string]string{"manifests/n.yaml": "kind: Note\ntext: x\nstatus: live\n"})},
		{name: "the same id for another kind is new",
			base:  map[string]string{a: article("A", "published")},
			steps: one(agentTrailer, map[string]string{"manifests/notes/a.yaml": "kind: Note\ntext: x\n"})},

		// Entering a human-only state.
		{name: "review to approved, by an agent (trailer)",
			base:  map[string]string{a: article("A", "review")},
			steps: one(agentTrailer, map[string]string{a: article("A", "approved")}),
			want: []want{{diag.CodeHumanOnly, a, 3,
				`"review" -> "approved": only a human may move Article/a into "approved", and this version is by agent writer-bot: a human must make this change`}}},
		{name: "review to approved, by an agent known by its e-mail glob",
			base:  map[string]string{a: article("A", "review")},
			steps: one(agentGlob, map[string]string{a: article("A", "approved")}),
			want:  []want{{diag.CodeHumanOnly, a, 3, `and this version is by agent Robo`}}},
		{name: "the e-mail glob ignores case",
			base:  map[string]string{a: article("A", "review")},
			steps: one(actor{name: "Robo", email: "Robo@Bots.Example.COM"}, map[string]string{a: article("A", "approved")}),
			want:  []want{{diag.CodeHumanOnly, a, 3, `by agent Robo`}}},
		{name: "an e-mail the glob does not match is a human's",
			base:  map[string]string{a: article("A", "review")},
			steps: one(actor{name: "Robo", email: "robo@bots.example.com.evil"}, map[string]string{a: article("A", "approved")})},
		{name: "approved to published, by an agent",
			base:  map[string]string{a: article("A", "approved")},
			steps: one(agentTrailer, map[string]string{a: article("A", "published")}),
			want:  []want{{diag.CodeHumanOnly, a, 3, `"approved" -> "published": only a human may move Article/a into "published"`}}},
		{name: "draft to live of a kind's own lifecycle, by an agent",
			base:  map[string]string{"manifests/n.yaml": "kind: Note\ntext: x\n"},
			steps: one(agentTrailer, map[string]string{"manifests/n.yaml": "kind: Note\ntext: x\nstatus: live\n"}),
			want:  []want{{diag.CodeHumanOnly, "manifests/n.yaml", 3, `only a human may move Note/n into "live"`}}},
		{name: "an agent's approval stays an agent's after a human commits another file",
			base: map[string]string{a: article("A", "review")},
			steps: []step{
				{agentTrailer, map[string]string{a: article("A", "approved")}},
				{human, map[string]string{b: article("B", "")}},
			},
			want: []want{{diag.CodeHumanOnly, a, 3, `by agent writer-bot`}}},
		{name: "a human's approval stays a human's after an agent commits another file",
			base: map[string]string{a: article("A", "review")},
			steps: []step{
				{human, map[string]string{a: article("A", "approved")}},
				{agentTrailer, map[string]string{b: article("B", "")}},
			}},
		{name: "an agent's approval that a human takes back",
			base: map[string]string{a: article("A", "review")},
			steps: []step{
				{agentTrailer, map[string]string{a: article("A", "approved")}},
				{human, map[string]string{a: article("A", "review")}},
			}},

		// Deletions.
		{name: "deleted from draft, by an agent",
			base:  map[string]string{a: article("A", "draft")},
			steps: one(agentTrailer, map[string]string{a: deleted})},
		{name: "deleted with no status (draft)",
			base:  map[string]string{a: article("A", "")},
			steps: one(human, map[string]string{a: deleted})},
		{name: "deleted from archived",
			base:  map[string]string{a: article("A", "archived")},
			steps: one(human, map[string]string{a: deleted})},
		{name: "deleted in a state the lifecycle does not know",
			base:  map[string]string{a: article("A", "legacy")},
			steps: one(human, map[string]string{a: deleted})},
		{name: "deleted from review",
			base:  map[string]string{a: article("A", "review")},
			steps: one(human, map[string]string{a: deleted}),
			want: []want{{diag.CodeDelete, a, 0,
				`deleted in state "review": Article manifests may be deleted only from draft, archived (from review, allowed next: draft, approved)`}}},
		{name: "deleted from published",
			base:  map[string]string{a: article("A", "published")},
			steps: one(human, map[string]string{a: deleted}),
			want:  []want{{diag.CodeDelete, a, 0, `deleted in state "published": Article manifests may be deleted only from draft, archived (from published, allowed next: deprecated)`}}},
		{name: "deleted from a kind's own non-deletable state",
			base:  map[string]string{"manifests/n.yaml": "kind: Note\ntext: x\nstatus: live\n"},
			steps: one(human, map[string]string{"manifests/n.yaml": deleted}),
			want:  []want{{diag.CodeDelete, "manifests/n.yaml", 0, `Note manifests may be deleted only from draft (from live, allowed next: draft)`}}},

		// Several findings, in file order.
		{name: "several findings",
			base: map[string]string{a: article("A", "draft"), b: article("B", "review"), c: article("C", "review")},
			steps: []step{
				{agentTrailer, map[string]string{c: article("C", "approved")}},
				{human, map[string]string{a: article("A", "published"), b: deleted}},
			},
			want: []want{
				{diag.CodeTransition, a, 3, `"draft" -> "published"`},
				{diag.CodeDelete, b, 0, `deleted in state "review"`},
				{diag.CodeHumanOnly, c, 3, `"review" -> "approved"`},
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ds := runLifecycle(t, tt, false)
			expect(t, ds, tt.want...)
			for _, d := range ds {
				if d.Path != "status" {
					t.Errorf("%s: path %q, want status", d, d.Path)
				}
			}
		})
	}
}

// TestCheckLifecycleWorkingTree checks a head without a commit (Head nil):
// its versions have no author, so the actor gate does not apply, while
// the other rules do.
func TestCheckLifecycleWorkingTree(t *testing.T) {
	tests := []lifecycleCase{
		{name: "review to approved, committed by an agent",
			base:  map[string]string{a: article("A", "review")},
			steps: one(agentTrailer, map[string]string{a: article("A", "approved")})},
		{name: "new, in published, committed by an agent",
			steps: one(agentGlob, map[string]string{b: article("B", "published")})},
		{name: "draft to published",
			base:  map[string]string{a: article("A", "draft")},
			steps: one(agentTrailer, map[string]string{a: article("A", "published")}),
			want:  []want{{diag.CodeTransition, a, 3, `"draft" -> "published" is not an allowed transition`}}},
		{name: "new, in an unreachable state",
			steps: one(agentTrailer, map[string]string{"manifests/n.yaml": "kind: Note\ntext: x\nstatus: orphan\n"}),
			want:  []want{{diag.CodeTransition, "manifests/n.yaml", 3, `cannot be reached`}}},
		{name: "deleted from review",
			base:  map[string]string{a: article("A", "review")},
			steps: one(agentTrailer, map[string]string{a: deleted}),
			want:  []want{{diag.CodeDelete, a, 0, `deleted in state "review"`}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			expect(t, runLifecycle(t, tt, true), tt.want...)
		})
	}
}
