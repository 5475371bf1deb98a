package builder

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/smallhq/small/lineage"
	"github.com/smallhq/small/protocol"
	"github.com/smallhq/small/repo"
)

// TestPathScopedIDs builds manifests whose ids have segments, given by a
// files rule: artifacts nest (doc/v1/install.json), a file and a
// directory of the same stem stand side by side (doc/v1.json beside
// doc/v1/), git fsck --strict accepts every tree, the index and the notes
// keep the ids whole, Kind/id finds them, an incremental build touches
// only what changed, retracting the last file of a directory drops the
// directory, and every build is reproduced.
func TestPathScopedIDs(t *testing.T) {
	dir := newRepo(t, 1)
	cfg, err := os.ReadFile(filepath.Join(dir, protocol.ConfigFile))
	if err != nil {
		t.Fatal(err)
	}
	rules := "\nfiles: [\n\t{glob: \"docs/**/*.yaml\", kind: \"Doc\", id: \"$1/$2\"},\n\t{glob: \"**/*.yaml\"},\n]\n"
	write(t, dir, protocol.ConfigFile, string(cfg)+rules)
	write(t, dir, "schemas/doc.cue", "package schemas\n\n#Doc: name: string\n")
	for _, p := range []string{"docs/v1", "docs/v2/cli", "docs/v1.json.d"} {
		if err := os.MkdirAll(filepath.Join(dir, "manifests", p), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for p, name := range map[string]string{
		"docs/v1/install.yaml": "One", "docs/v2/install.yaml": "Two", "docs/v1.yaml": "V1",
		"docs/v2/cli/run.yaml": "Run", "docs/install.yaml": "Top", "docs/v1.json.d/x.yaml": "X",
	} {
		write(t, dir, "manifests/"+p, "name: "+name+"\n")
	}
	git(t, dir, "add", "-A")
	git(t, dir, "commit", "-qm", "docs")
	buildHere(t, dir)
	git(t, dir, "fsck", "--strict", "--no-progress")

	tree := strings.Fields(git(t, dir, "ls-tree", "-r", "--name-only", "small/artifacts", "doc/"))
	want := []string{"doc/install.json", "doc/v1.json", "doc/v1.json.d/x.json",
		"doc/v1/install.json", "doc/v2/cli/run.json", "doc/v2/install.json"}
	if !slices.Equal(tree, want) {
		t.Fatalf("artifacts:\n got %q\nwant %q", tree, want)
	}
	if got := git(t, dir, "show", "small/artifacts:doc/v2/cli/run.json"); !strings.Contains(got, `"id": "v2/cli/run"`) {
		t.Errorf("doc/v2/cli/run.json: %s", got)
	}

	r, err := repo.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	entries, _, err := Current(r, protocol.BranchRef(protocol.DefaultArtifactBranch))
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, e := range entries {
		if strings.HasPrefix(e.Path, "manifests/docs/") {
			ids = append(ids, e.ID)
			if len(e.Artifacts) != 1 || e.Artifacts[0] != protocol.ArtifactPath(e.Kind, e.ID, e.Locale) {
				t.Errorf("index entry %s: artifacts %q", e.Path, e.Artifacts)
			}
		}
	}
	slices.Sort(ids)
	if want := []string{"install", "v1", "v1.json.d/x", "v1/install", "v2/cli/run", "v2/install"}; !slices.Equal(ids, want) {
		t.Errorf("index ids %q, want %q", ids, want)
	}
	l, err := lineage.Open(r, protocol.BranchRef(protocol.DefaultArtifactBranch))
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]string{
		"Doc/v1/install": "doc/v1/install.json", "doc/v1/install.json": "doc/v1/install.json",
		"Doc/v1": "doc/v1.json", "Doc/v2/cli/run": "doc/v2/cli/run.json",
	} {
		rep, _, err := Lineage(r, l, name, false)
		if err != nil || rep.Artifact != want || len(rep.Versions) != 1 {
			t.Errorf("Lineage(%q): %+v, %v; want %s", name, rep, err, want)
			continue
		}
		if v := rep.Versions[0]; v.Artifact != want || v.Missing != "" || v.Manifest == nil || !strings.HasPrefix(v.Manifest.Path, "manifests/docs/") {
			t.Errorf("Lineage(%q): the note says %+v", name, v)
		}
	}
	if _, _, err := Lineage(r, l, "Doc/v1//install", false); err == nil {
		t.Error("Doc/v1//install resolved")
	}

	// One nested manifest changes: one artifact is rebuilt.
	write(t, dir, "manifests/docs/v2/cli/run.yaml", "name: Run, again\n")
	git(t, dir, "commit", "-qam", "edit run")
	p, err := Prepare(r, "HEAD")
	if err != nil {
		t.Fatal(err)
	}
	if p.Evaluated != 1 || len(p.Changes) != 1 || p.Changes[0].Path != "doc/v2/cli/run.json" || p.Changes[0].Action != lineage.Updated {
		t.Fatalf("incremental plan: %d evaluated, changes %+v", p.Evaluated, p.Changes)
	}
	if _, err := Apply(r, p); err != nil {
		t.Fatal(err)
	}

	// The last file under v2/cli goes, and so does the directory; v1.json
	// stays beside nothing.
	git(t, dir, "rm", "-q", "manifests/docs/v2/cli/run.yaml", "manifests/docs/v1/install.yaml")
	git(t, dir, "commit", "-qm", "retract two")
	buildHere(t, dir)
	git(t, dir, "fsck", "--strict", "--no-progress")
	tree = strings.Fields(git(t, dir, "ls-tree", "-r", "-t", "--name-only", "small/artifacts", "doc/"))
	for _, gone := range []string{"doc/v2/cli", "doc/v1", "doc/v1/install.json"} {
		if slices.Contains(tree, gone) {
			t.Errorf("%s still in the tree: %q", gone, tree)
		}
	}
	if !slices.Contains(tree, "doc/v1.json") || !slices.Contains(tree, "doc/v2/install.json") {
		t.Errorf("tree: %q", tree)
	}
	if v := verifyTip(t, dir); !v.Exact || !v.OK() {
		t.Fatalf("verify: exact %v, mismatches %+v", v.Exact, v.Mismatches)
	}
}

// TestArtifactFileAndDirectory: a tree holds a name once, as a file or a
// directory. Ids cannot make their documents clash so (no segment but the
// last ends in .json), but #outputs can (pages/v1.md and pages/v1.md/x.md):
// a finding at both manifests, in a first build and in an incremental one
// either way round, and nothing written; never a tree git fsck refuses.
func TestArtifactFileAndDirectory(t *testing.T) {
	dir := newRepo(t, 1)
	write(t, dir, "schemas/page.cue", "package schemas\n\n#Page: {\n\tid: string\n\ttitle: string\n\t#outputs: \"pages/\\(id).md\": \"# \\(title)\\n\"\n}\n")
	write(t, dir, "manifests/a.yaml", "kind: Page\nid: v1\ntitle: A\n")
	write(t, dir, "manifests/b.yaml", "kind: Page\nid: v1.md/x\ntitle: B\n")
	git(t, dir, "add", "-A")
	git(t, dir, "commit", "-qm", "pages")
	r, err := repo.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	wantClash := func(what string) {
		t.Helper()
		p, err := Prepare(r, "HEAD")
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, d := range p.Report.Diagnostics {
			got = append(got, d.String())
		}
		want := []string{
			"manifests/a.yaml: artifact pages/v1.md is a file where manifests/b.yaml needs a directory for pages/v1.md/x.md: expected no artifact path inside another",
			"manifests/b.yaml: artifact pages/v1.md/x.md needs a directory pages/v1.md, where manifests/a.yaml builds a file: expected no artifact path inside another",
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s: findings\n%s\nwant\n%s", what, strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
	}
	wantClash("first build")

	// b alone builds; a, added, needs a file where b's directory is.
	git(t, dir, "rm", "-q", "manifests/a.yaml")
	git(t, dir, "commit", "-qm", "b alone")
	buildHere(t, dir)
	write(t, dir, "manifests/a.yaml", "kind: Page\nid: v1\ntitle: A\n")
	git(t, dir, "add", "-A")
	git(t, dir, "commit", "-qm", "a again")
	wantClash("a added beside b")

	// a alone builds; b, added, needs a directory where a's file is.
	git(t, dir, "rm", "-q", "manifests/b.yaml")
	git(t, dir, "commit", "-qm", "a alone")
	buildHere(t, dir)
	write(t, dir, "manifests/b.yaml", "kind: Page\nid: v1.md/x\ntitle: B\n")
	git(t, dir, "add", "-A")
	git(t, dir, "commit", "-qm", "b again")
	wantClash("b added beside a")
	git(t, dir, "fsck", "--strict", "--no-progress")
}
