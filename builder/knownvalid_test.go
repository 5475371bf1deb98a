package builder

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/smallhq/small/content"
	"github.com/smallhq/small/repo"
)

// The corpus of the known-valid tests: kinds with every rule across
// manifests (@unique, @asset, @ref, @shared, translations, lifecycles).
var knownCorpus = map[string]string{
	"small.cue": "locales: {default: \"en\", supported: [\"en\", \"fr\"]}\n",
	"schemas/topic.cue": `package schemas

#Topic: {
	kind:    "Topic"
	id?:     string
	status?: string
	locale?: string
	title:   string @unique()
	owner?:  string @ref(Person)
	logo?:   string @asset(root="assets", types="image/png")
	since?:  int & >=2000 @shared()
	#lifecycle: {
		states: ["draft", "published"]
		initial: "draft"
		transitions: {draft: ["published"]}
		referenceable: ["published"]
	}
}

#Person: {
	kind:    "Person"
	id?:     string
	status?: string
	name:    string & =~"^[A-Z]"
}
`,
	"assets/a.png":                "\x89PNG\r\n\x1a\nxxxx",
	"assets/b.png":                "\x89PNG\r\n\x1a\nyyyy",
	"manifests/people/ada.yaml":   "kind: Person\nname: Ada\n",
	"manifests/people/grace.yaml": "kind: Person\nname: Grace\n",
	"manifests/people/alan.yaml":  "kind: Person\nname: Alan\n",
	"manifests/topics/git.yaml":   "kind: Topic\ntitle: Git\nowner: ada\nlogo: a.png\nsince: 2005\n",
	"manifests/topics/go.yaml":    "kind: Topic\ntitle: Go\nowner: grace\nlogo: b.png\nsince: 2009\n",
	"manifests/topics/cue.yaml":   "kind: Topic\ntitle: CUE\nowner: alan\n",
	"manifests/topics/fr/git.yaml": "kind: Topic\nid: git\nlocale: fr\ntitle: Git en français\nowner: ada\n" +
		"since: 2005\n",
	"manifests/topics/fr/cue.yaml": "kind: Topic\nid: cue\nlocale: fr\ntitle: CUE en français\n",
}

// knownRepo makes a repository of knownCorpus on main, builds it, and
// returns its directory.
func knownRepo(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	git(t, dir, "init", "-q", "-b", "main")
	for p, data := range knownCorpus {
		put(t, dir, p, data)
	}
	git(t, dir, "add", "-A")
	git(t, dir, "commit", "-qm", "content")
	build(t, dir)
	return dir
}

// put writes a file, making its directory.
func put(t *testing.T, dir, name, data string) {
	t.Helper()
	full := filepath.Join(dir, filepath.FromSlash(name))
	if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(full, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

// commitAll commits every change of the working tree.
func commitAll(t *testing.T, dir, msg string) {
	t.Helper()
	git(t, dir, "add", "-A")
	git(t, dir, "commit", "-qm", msg)
}

// knownChanges are changes to knownCorpus, each breaking (or not) a rule
// across manifests.
var knownChanges = []struct {
	name     string
	findings bool
	change   func(t *testing.T, dir string)
}{
	{"a valid edit", false, func(t *testing.T, dir string) {
		put(t, dir, "manifests/people/ada.yaml", "kind: Person\nname: Ada Lovelace\n")
	}},
	{"an invalid new manifest", true, func(t *testing.T, dir string) {
		put(t, dir, "manifests/people/bob.yaml", "kind: Person\nname: bob\n")
	}},
	{"an unknown state", true, func(t *testing.T, dir string) {
		put(t, dir, "manifests/topics/rust.yaml", "kind: Topic\ntitle: Rust\nstatus: bogus\n")
	}},
	// The new file comes first in path order: the unchanged one holds
	// the finding.
	{"a @unique value an unchanged manifest has", true, func(t *testing.T, dir string) {
		put(t, dir, "manifests/topics/aaa.yaml", "kind: Topic\ntitle: Go\n")
	}},
	{"an id an unchanged manifest has", true, func(t *testing.T, dir string) {
		put(t, dir, "manifests/people/again.yaml", "kind: Person\nid: grace\nname: Grace again\n")
	}},
	{"a referenced manifest deleted", true, func(t *testing.T, dir string) {
		git(t, dir, "rm", "-q", "manifests/people/grace.yaml")
	}},
	{"a referenced manifest renamed to another id", true, func(t *testing.T, dir string) {
		git(t, dir, "mv", "manifests/people/alan.yaml", "manifests/people/turing.yaml")
	}},
	{"a dangling reference added", true, func(t *testing.T, dir string) {
		put(t, dir, "manifests/topics/rust.yaml", "kind: Topic\ntitle: Rust\nowner: graydon\n")
	}},
	{"an asset deleted", true, func(t *testing.T, dir string) {
		git(t, dir, "rm", "-q", "assets/b.png")
	}},
	{"an asset replaced by another type", true, func(t *testing.T, dir string) {
		put(t, dir, "assets/a.png", "GIF89a")
	}},
	{"a translation's source deleted", true, func(t *testing.T, dir string) {
		git(t, dir, "rm", "-q", "manifests/topics/cue.yaml")
	}},
	{"a @shared field changed in the source", true, func(t *testing.T, dir string) {
		put(t, dir, "manifests/topics/git.yaml", "kind: Topic\ntitle: Git\nowner: ada\nlogo: a.png\nsince: 2006\n")
	}},
	{"a @shared field dropped from the source", true, func(t *testing.T, dir string) {
		put(t, dir, "manifests/topics/git.yaml", "kind: Topic\ntitle: Git\nowner: ada\nlogo: a.png\n")
	}},
	{"a translation in a locale small.cue drops", true, func(t *testing.T, dir string) {
		put(t, dir, "small.cue", "locales: {default: \"en\", supported: [\"en\"]}\n")
	}},
	// Its id was its file's name: the translation and references lose it.
	{"a file renamed, its bytes kept", true, func(t *testing.T, dir string) {
		git(t, dir, "mv", "manifests/topics/cue.yaml", "manifests/topics/cue-lang.yaml")
	}},
	{"a symbolic link to a manifest", false, func(t *testing.T, dir string) {
		link(t, dir, "ada.yaml", "manifests/people/link.yaml")
	}},
	{"a schema change", true, func(t *testing.T, dir string) {
		s := readFile(t, dir, "schemas/topic.cue")
		put(t, dir, "schemas/topic.cue", strings.Replace(s, "name:    string & =~\"^[A-Z]\"", "name:    string & =~\"^[A-Z]\"\n\temail!:  string", 1))
	}},
}

// TestKnownValidAgreesWithFullEvaluation asserts that small validate
// --rev and small check, taking from the last build that the manifests
// it built pass their kinds, report exactly what a full evaluation
// reports, byte for byte in small/v1 JSON, across every rule that relates
// one manifest to others; and that the findings land on unchanged
// manifests too, at their lines.
func TestKnownValidAgreesWithFullEvaluation(t *testing.T) {
	for _, tc := range knownChanges {
		t.Run(tc.name, func(t *testing.T) {
			dir := knownRepo(t)
			git(t, dir, "checkout", "-q", "-b", "pr")
			tc.change(t, dir)
			commitAll(t, dir, tc.name)
			r, err := repo.Open(dir)
			if err != nil {
				t.Fatal(err)
			}
			for _, opts := range []content.CheckOptions{
				{Rev: "HEAD", Command: "validate"},
				{Rev: "HEAD", Base: "main", Command: "check"},
			} {
				full, err := content.Check(r, opts)
				if err != nil {
					t.Fatal(err)
				}
				var fast *content.Result
				if opts.Base == "" {
					fast, err = Validate(r, opts)
				} else {
					fast, _, err = Check(r, opts)
				}
				if err != nil {
					t.Fatal(err)
				}
				fast.Report.Plan = nil
				if a, b := reportJSON(t, &full.Report), reportJSON(t, &fast.Report); a != b {
					t.Errorf("%s: known-valid differs from a full evaluation:\nfull: %s\nfast: %s", opts.Command, a, b)
				}
				if got := full.Report.Failed(); got != tc.findings {
					t.Errorf("%s: failed %v, want %v: %s", opts.Command, got, tc.findings, reportJSON(t, &full.Report))
				}
				// Everything under the same key is known: small.cue and
				// schema changes, none.
				keyed := !strings.Contains(tc.name, "small.cue") && !strings.Contains(tc.name, "schema")
				if got := fast.Reused > 0; got != keyed {
					t.Errorf("%s: %d verdicts known valid, want some: %v", opts.Command, fast.Reused, keyed)
				}
			}
		})
	}
}

// TestKnownValidAfterTheTargetMoved: the change starts from a commit no
// build has (main moved on without a build): small check takes the
// verdicts from the artifact branch's tip, an ancestor of the target, for
// the files the change did not touch, with the findings of a full
// evaluation.
func TestKnownValidAfterTheTargetMoved(t *testing.T) {
	dir := knownRepo(t)
	put(t, dir, "manifests/people/ada.yaml", "kind: Person\nname: Ada King\n")
	commitAll(t, dir, "main moves, unbuilt")
	git(t, dir, "checkout", "-q", "-b", "pr")
	put(t, dir, "manifests/topics/aaa.yaml", "kind: Topic\ntitle: Git\nowner: nobody\n")
	commitAll(t, dir, "clash")
	r, err := repo.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	opts := content.CheckOptions{Rev: "HEAD", Base: "main", Command: "check"}
	full, err := content.Check(r, opts)
	if err != nil {
		t.Fatal(err)
	}
	fast, _, err := Check(r, opts)
	if err != nil {
		t.Fatal(err)
	}
	fast.Report.Plan = nil
	if a, b := reportJSON(t, &full.Report), reportJSON(t, &fast.Report); a != b {
		t.Errorf("known-valid differs from a full evaluation:\nfull: %s\nfast: %s", a, b)
	}
	// ada.yaml changed since the build: evaluated; the others known.
	if want := len(fast.Manifests) - 2; fast.Reused != want {
		t.Errorf("%d verdicts known valid, want %d", fast.Reused, want)
	}
	if !full.Report.Failed() {
		t.Errorf("no findings: %s", reportJSON(t, &full.Report))
	}
}

// forgeTip rewrites the tip of the artifact branch as someone who can push
// there could: the index shard that holds manifest path becomes what
// editShard makes of it, and the message (its trailers) what editMsg
// makes of it; the tree is otherwise the build's.
func forgeTip(t *testing.T, dir, path string, editShard, editMsg func(string) string) {
	t.Helper()
	forge(t, dir, path, editShard)
	msg := editMsg(git(t, dir, "log", "-1", "--format=%B", "small/artifacts"))
	tree := git(t, dir, "rev-parse", "small/artifacts^{tree}")
	args := []string{"commit-tree", tree}
	if parent, err := exec.Command("git", "-C", dir, "rev-parse", "-q", "--verify", "small/artifacts^").Output(); err == nil {
		args = append(args, "-p", strings.TrimSpace(string(parent)))
	}
	c := gitEnv(t, dir, nil, msg, args...)
	git(t, dir, "update-ref", "refs/heads/small/artifacts", c)
}

// TestKnownValidForgedBranch: someone who can push to the artifact branch
// (and not to main) forges a build whose index says an invalid manifest
// is valid. small check and small validate --rev still report it, and
// small build refuses to build on the forgery.
func TestKnownValidForgedBranch(t *testing.T) {
	const invalid = "kind: Person\nname: mallory\n" // the name must start with a capital
	const path = "manifests/people/ada.yaml"
	blobOf := func(t *testing.T, dir, rev string) string { return git(t, dir, "rev-parse", rev+":"+path) }
	claim := func(t *testing.T, dir, from, to string) func(string) string {
		return func(shard string) string {
			if !strings.Contains(shard, "\t"+from+"\t") {
				t.Fatalf("the shard does not hold %s", from)
			}
			return strings.Replace(shard, "\t"+from+"\t", "\t"+to+"\t", 1)
		}
	}
	naming := func(commit string) func(string) string {
		return func(msg string) string {
			i := strings.Index(msg, "Small-Manifest-Commit: ")
			return msg[:i] + "Small-Manifest-Commit: " + commit + msg[i+len("Small-Manifest-Commit: ")+40:]
		}
	}
	same := func(msg string) string { return msg }
	agree := func(t *testing.T, r *repo.Repository, opts content.CheckOptions) {
		t.Helper()
		full, err := content.Check(r, opts)
		if err != nil {
			t.Fatal(err)
		}
		var fast *content.Result
		if opts.Base == "" {
			fast, err = Validate(r, opts)
		} else {
			fast, _, err = Check(r, opts)
		}
		if err != nil {
			t.Fatal(err)
		}
		fast.Report.Plan = nil
		if a, b := reportJSON(t, &full.Report), reportJSON(t, &fast.Report); a != b {
			t.Errorf("%s: the forged build changed the verdict:\nfull: %s\nfast: %s", opts.Command, a, b)
		}
		if !fast.Report.Failed() || !strings.Contains(reportJSON(t, &fast.Report), `"file": "`+path+`"`) {
			t.Errorf("%s: the invalid manifest passed: %s", opts.Command, reportJSON(t, &fast.Report))
		}
	}

	// The forged build names the attacker's own commit, whose invalid
	// file its index lists with the valid file's kind and id.
	t.Run("a build of the change itself", func(t *testing.T) {
		dir := knownRepo(t)
		git(t, dir, "checkout", "-q", "-b", "evil")
		put(t, dir, path, invalid)
		commitAll(t, dir, "evil")
		forgeTip(t, dir, path, claim(t, dir, blobOf(t, dir, "main"), blobOf(t, dir, "evil")), naming(git(t, dir, "rev-parse", "evil")))
		r, err := repo.Open(dir)
		if err != nil {
			t.Fatal(err)
		}
		agree(t, r, content.CheckOptions{Rev: "evil", Base: "main", Command: "check"})
		agree(t, r, content.CheckOptions{Rev: "evil", Command: "validate"})
	})
	// The forged build names the real build's commit, and claims the
	// change's blob for a path it has.
	t.Run("a blob the built commit does not have", func(t *testing.T) {
		dir := knownRepo(t)
		git(t, dir, "checkout", "-q", "-b", "evil")
		put(t, dir, path, invalid)
		commitAll(t, dir, "evil")
		forgeTip(t, dir, path, claim(t, dir, blobOf(t, dir, "main"), blobOf(t, dir, "evil")), same)
		r, err := repo.Open(dir)
		if err != nil {
			t.Fatal(err)
		}
		agree(t, r, content.CheckOptions{Rev: "evil", Base: "main", Command: "check"})
		agree(t, r, content.CheckOptions{Rev: "evil", Command: "validate"})
	})
	// The forged build claims a version the change brings back from the
	// history of main (an earlier version of the file, reverted since),
	// naming the commit that had it.
	t.Run("a version main had once", func(t *testing.T) {
		dir := t.TempDir()
		git(t, dir, "init", "-q", "-b", "main")
		for p, data := range knownCorpus {
			put(t, dir, p, data)
		}
		put(t, dir, path, invalid)
		commitAll(t, dir, "an invalid version, pushed past the gate")
		old := git(t, dir, "rev-parse", "HEAD")
		put(t, dir, path, knownCorpus[path])
		commitAll(t, dir, "fixed")
		build(t, dir)
		git(t, dir, "checkout", "-q", "-b", "evil")
		put(t, dir, path, invalid)
		commitAll(t, dir, "bring it back")
		forgeTip(t, dir, path, claim(t, dir, blobOf(t, dir, "main"), blobOf(t, dir, "evil")), naming(old))
		r, err := repo.Open(dir)
		if err != nil {
			t.Fatal(err)
		}
		agree(t, r, content.CheckOptions{Rev: "evil", Base: "main", Command: "check"})
	})
	// The forged build names a commit of main whose schemas were looser
	// (the file was valid there), with the digest of today's: validate
	// --rev of a branch that brings the file back evaluates it.
	t.Run("a version valid under other schemas", func(t *testing.T) {
		dir := t.TempDir()
		git(t, dir, "init", "-q", "-b", "main")
		for p, data := range knownCorpus {
			put(t, dir, p, data)
		}
		strict := knownCorpus["schemas/topic.cue"]
		put(t, dir, "schemas/topic.cue", strings.Replace(strict, `name:    string & =~"^[A-Z]"`, "name:    string", 1))
		put(t, dir, path, invalid)
		commitAll(t, dir, "looser schemas")
		old := git(t, dir, "rev-parse", "HEAD")
		put(t, dir, "schemas/topic.cue", strict)
		put(t, dir, path, knownCorpus[path])
		commitAll(t, dir, "stricter schemas")
		build(t, dir)
		git(t, dir, "checkout", "-q", "-b", "evil")
		put(t, dir, path, invalid)
		commitAll(t, dir, "bring it back")
		forgeTip(t, dir, path, claim(t, dir, blobOf(t, dir, "main"), blobOf(t, dir, "evil")), naming(old))
		r, err := repo.Open(dir)
		if err != nil {
			t.Fatal(err)
		}
		agree(t, r, content.CheckOptions{Rev: "evil", Command: "validate"})
		agree(t, r, content.CheckOptions{Rev: "evil", Base: "main", Command: "check"})
	})
	// A build by another version of small: nothing is taken from it.
	t.Run("another version of small", func(t *testing.T) {
		dir := knownRepo(t)
		forgeTip(t, dir, path, func(s string) string { return s }, func(msg string) string {
			i := strings.Index(msg, "Small-Builder: ")
			j := strings.Index(msg[i:], "\n")
			return msg[:i] + "Small-Builder: small/v0.0.1-other" + msg[i+j:]
		})
		r, err := repo.Open(dir)
		if err != nil {
			t.Fatal(err)
		}
		res, err := Validate(r, content.CheckOptions{Rev: "HEAD", Command: "validate"})
		if err != nil {
			t.Fatal(err)
		}
		if res.Reused != 0 {
			t.Errorf("%d verdicts taken from a build by another small", res.Reused)
		}
	})
	// Pushed past the gate onto main, with a forged build of it: the
	// next build verifies the build it stands on, and refuses.
	t.Run("small build on a forged build", func(t *testing.T) {
		dir := knownRepo(t)
		put(t, dir, path, invalid)
		commitAll(t, dir, "pushed past the gate")
		bad := git(t, dir, "rev-parse", "HEAD")
		forgeTip(t, dir, path, claim(t, dir, blobOf(t, dir, "main~1"), blobOf(t, dir, "main")), naming(bad))
		put(t, dir, "manifests/people/alan.yaml", "kind: Person\nname: Alan Turing\n")
		commitAll(t, dir, "another change")
		before := git(t, dir, "rev-parse", "small/artifacts")
		r, err := repo.Open(dir)
		if err != nil {
			t.Fatal(err)
		}
		var nr *NotReproducedError
		if _, _, err := Build(r, "HEAD", BuildOptions{}); !errors.As(err, &nr) {
			t.Errorf("small build on a forged build: %v, want a build that rebuilding does not reproduce", err)
		}
		if after := git(t, dir, "rev-parse", "small/artifacts"); after != before {
			t.Errorf("the artifact branch moved: %s -> %s", before, after)
		}
	})
}

// TestIncrementalBuildChecksAcrossManifests: an incremental build
// evaluates the changed manifests only, and still applies every rule
// across manifests to all of them, unchanged ones included (the others
// are known valid from the build it stands on): it refuses what small
// validate --rev refuses, with the same findings, and builds what it
// accepts.
func TestIncrementalBuildChecksAcrossManifests(t *testing.T) {
	for _, tc := range knownChanges {
		t.Run(tc.name, func(t *testing.T) {
			dir := knownRepo(t)
			tc.change(t, dir)
			commitAll(t, dir, tc.name)
			r, err := repo.Open(dir)
			if err != nil {
				t.Fatal(err)
			}
			full, err := content.Check(r, content.CheckOptions{Rev: "HEAD"})
			if err != nil {
				t.Fatal(err)
			}
			p, err := Prepare(r, "HEAD")
			if err != nil {
				t.Fatal(err)
			}
			if p.Report.Failed() != full.Report.Failed() {
				t.Fatalf("the build failed %v, small validate --rev %v:\nbuild: %s\nvalidate: %s", p.Report.Failed(), full.Report.Failed(),
					reportJSON(t, &p.Report), reportJSON(t, &full.Report))
			}
			if !full.Report.Failed() {
				return
			}
			// The same findings, as the build reports them.
			want := full.Report
			want.Command = "build"
			if a, b := reportJSON(t, &want), reportJSON(t, &p.Report); a != b {
				t.Errorf("the build's findings differ from small validate --rev's:\nvalidate: %s\nbuild: %s", a, b)
			}
		})
	}
}

// TestKnownValidOnABranchBehind: small validate --rev of a branch that
// does not contain the last build's commit (main moved on and was built
// since it started) takes the verdicts for the bytes both hold: the
// build's commit is on the default branch.
func TestKnownValidOnABranchBehind(t *testing.T) {
	dir := knownRepo(t)
	git(t, dir, "checkout", "-q", "-b", "behind")
	put(t, dir, "manifests/topics/aaa.yaml", "kind: Topic\ntitle: Git\nowner: nobody\n")
	commitAll(t, dir, "clash")
	git(t, dir, "checkout", "-q", "main")
	put(t, dir, "manifests/people/ada.yaml", "kind: Person\nname: Ada King\n")
	commitAll(t, dir, "main moves")
	build(t, dir)
	r, err := repo.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	opts := content.CheckOptions{Rev: "behind", Command: "validate"}
	full, err := content.Check(r, opts)
	if err != nil {
		t.Fatal(err)
	}
	fast, err := Validate(r, opts)
	if err != nil {
		t.Fatal(err)
	}
	if a, b := reportJSON(t, &full.Report), reportJSON(t, &fast.Report); a != b {
		t.Errorf("known-valid differs from a full evaluation:\nfull: %s\nfast: %s", a, b)
	}
	// ada.yaml differs from the build's, aaa.yaml is new: the others known.
	if want := len(fast.Manifests) - 2; fast.Reused != want {
		t.Errorf("%d verdicts known valid, want %d", fast.Reused, want)
	}
}
