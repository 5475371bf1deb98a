package content

import (
	"testing"

	"github.com/smallhq/small/diag"
	"github.com/smallhq/small/repo"
)

// A merge answers for an entry a parent in the change has only inherited
// from a commit outside the change that the base does not agree with: an
// agent's branch grown on an old commit from before the base, or on a
// commit of its own with no parent, must not carry old versions (and
// absences) into the merge unjudged.
func TestMergeOfAnOldLine(t *testing.T) {
	t.Run("a branch grown on an old commit", func(t *testing.T) {
		f := newFixture(t)
		files := baseFiles()
		files[a] = article("A", "published")
		old := f.commit(human, "publish, long ago", files)
		base := f.commit(human, "deprecate", map[string]string{a: article("A", "deprecated"),
			"schemas/article.cue": articleSchema + "\n// wider\n", c: article("C", "published")})
		f.checkout(old)
		side := f.commit(agentTrailer, "unrelated", map[string]string{b: article("B", "")})
		f.checkout(base)
		head := f.merge(agentTrailer, "merge", side, map[string]string{a: article("A", "published"), b: article("B", ""),
			"schemas/article.cue": articleSchema, c: deleted})
		expect(t, f.gate(Change{Base: base, Head: head}, head), named([]want{
			{diag.CodeHumanOnly, a, 3, `"deprecated" -> "published": only a human may move Article/a into "published", and commit {0}`},
			{diag.CodeDelete, c, 0, `deleted in state "published" by commit {0}`},
			{diag.CodeAgentBoundary, "schemas/article.cue", 0, "commit {0} by agent writer-bot"},
		}, head)...)
	})
	t.Run("a branch grown on a commit with no parent", func(t *testing.T) {
		f := newFixture(t)
		files := baseFiles()
		files[a] = article("A", "published")
		base := f.commit(human, "base", files)
		f.tip, f.files = repo.ZeroHash, map[string]string{}
		side := f.commit(agentTrailer, "an orphan", map[string]string{b: article("B", "")})
		f.checkout(base)
		head := f.merge(agentTrailer, "merge", side, map[string]string{a: deleted, b: article("B", "")})
		expect(t, f.gate(Change{Base: base, Head: head}, head), named([]want{
			{diag.CodeDelete, a, 0, `deleted in state "published" by commit {0}`},
		}, head)...)
	})
}

// In the working tree mode with Paths, a manifest moved from a path asked
// about to one that is not is missing from the narrowed head, so it looks
// deleted; without Paths, or between commits, it is a rename.
func TestWorkingTreePathsRenameOut(t *testing.T) {
	f := newFixture(t)
	files := baseFiles()
	files["manifests/old/a.yaml"] = article("A", "published")
	files["manifests/old/b.yaml"] = article("B", "draft")
	base := f.commit(human, "base", files)
	head := f.commit(human, "move", map[string]string{"manifests/old/a.yaml": deleted, "manifests/new/a.yaml": article("A", "published")})
	expect(t, f.gate(Change{Base: base, Head: head, Paths: []string{"manifests/old"}}, head))
	expect(t, f.gate(Change{Base: base}, head))
	expect(t, f.gate(Change{Base: base, Paths: []string{"manifests/old"}, Tree: f.r.Snapshot(head)}, head))
}
