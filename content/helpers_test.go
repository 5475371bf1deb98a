package content

import (
	"fmt"
	"maps"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/smallhq/small/config"
	"github.com/smallhq/small/diag"
	"github.com/smallhq/small/repo"
)

// Fixtures: an in-memory repository on which each commit is written from a
// map of path to content, by a given actor, with dates that increase by a
// minute per commit (history is walked by committer date).

// actor is who makes a commit: an author identity and, for an agent that
// says so, the value of its Small-Agent trailer.
type actor struct {
	name, email string
	agent       string // the Small-Agent trailer, "" for none
}

var (
	human = actor{name: "Ann", email: "ann@example.com"}
	// agentTrailer is an agent known by its trailer; its e-mail is a human's.
	agentTrailer = actor{name: "Ann", email: "ann@example.com", agent: "writer-bot"}
	// agentGlob is an agent known only by its e-mail, which baseConfig's
	// agents glob matches.
	agentGlob = actor{name: "Robo", email: "robo@bots.example.com"}
)

// deleted, as the content of a path, removes the file.
const deleted = "\x00deleted"

const baseConfig = `agents: ["*@bots.example.com"]
`

// articleSchema is one kind with the default lifecycle.
const articleSchema = `package schemas

#Article: {
	title: string
	body?: string
}
`

// noteSchema is a kind with its own lifecycle: "orphan" cannot be reached
// from the initial state, "live" is human-only.
const noteSchema = `package schemas

#Note: {
	text: string
	#lifecycle: {
		states: ["draft", "live", "orphan"]
		initial: "draft"
		transitions: {draft: ["live"], live: ["draft"]}
		humanOnly: ["live"]
		deletable: ["draft"]
	}
}
`

// baseFiles is a repository with a configuration and the Article kind.
func baseFiles() map[string]string {
	return map[string]string{
		"small.cue":           baseConfig,
		"schemas/article.cue": articleSchema,
	}
}

// article is an Article manifest in state status ("" for none).
func article(title, status string) string {
	s := "kind: Article\ntitle: " + title + "\n"
	if status != "" {
		s += "status: " + status + "\n"
	}
	return s
}

type fixture struct {
	t     *testing.T
	r     *repo.Repository
	files map[string]string // the files of tip
	tip   repo.Hash         // the parent of the next commit
	trees map[repo.Hash]map[string]string
	n     int
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	return &fixture{t: t, r: repo.InMemory(), files: map[string]string{}, trees: map[repo.Hash]map[string]string{}}
}

// commit applies changes to the files of the tip (deleted removes one),
// writes a commit of them by who on refs/heads/main and returns it.
func (f *fixture) commit(who actor, msg string, changes map[string]string) *repo.Commit {
	f.t.Helper()
	return f.write(who, msg, changes)
}

// merge is commit with other as a second parent.
func (f *fixture) merge(who actor, msg string, other *repo.Commit, changes map[string]string) *repo.Commit {
	f.t.Helper()
	return f.write(who, msg, changes, other.ID)
}

// checkout makes c the tip: the next commit is its child.
func (f *fixture) checkout(c *repo.Commit) {
	f.tip = c.ID
	f.files = maps.Clone(f.trees[c.ID])
}

func (f *fixture) write(who actor, msg string, changes map[string]string, more ...repo.Hash) *repo.Commit {
	f.t.Helper()
	for p, c := range changes {
		if c == deleted {
			delete(f.files, p)
		} else {
			f.files[p] = c
		}
	}
	w := f.r.NewObjectWriter()
	blobs := map[string]repo.Hash{}
	for p, c := range f.files {
		h, err := w.Blob([]byte(c))
		if err != nil {
			f.t.Fatal(err)
		}
		blobs[p] = h
	}
	tree, err := w.FileTree(blobs)
	if err != nil {
		f.t.Fatal(err)
	}
	f.n++
	when := time.Unix(1700000000+int64(f.n)*60, 0).UTC()
	if who.agent != "" {
		msg += "\n\nSmall-Agent: " + who.agent
	}
	var parents []repo.Hash
	if !f.tip.IsZero() {
		parents = []repo.Hash{f.tip}
	}
	parents = append(parents, more...)
	sig := repo.Signature{Name: who.name, Email: who.email, When: when}
	h, err := w.Commit(repo.CommitSpec{Tree: tree, Parents: parents, Author: sig, Committer: sig, Message: msg + "\n"})
	if err != nil {
		f.t.Fatal(err)
	}
	if err := w.Flush(); err != nil {
		f.t.Fatal(err)
	}
	old, err := f.r.Ref("refs/heads/main")
	if err != nil {
		f.t.Fatal(err)
	}
	if err := f.r.UpdateRef("refs/heads/main", h, old); err != nil {
		f.t.Fatal(err)
	}
	f.tip = h
	f.trees[h] = maps.Clone(f.files)
	c, err := f.r.ReadCommit(h)
	if err != nil {
		f.t.Fatal(err)
	}
	return c
}

// validateAt loads the configuration of c and validates its manifests.
func (f *fixture) validateAt(c *repo.Commit, opts Options) (*Result, error) {
	f.t.Helper()
	snap := f.r.Snapshot(c)
	cfg, err := config.Load(snap)
	if err != nil {
		f.t.Fatalf("config at %s: %v", c.ID.Short(), err)
	}
	return Validate(snap, cfg, opts)
}

// gate judges a change as Check does: the head's validation (of at, with
// ch.Paths), the policy of ch.Base with the head's schemas, then Gate. at
// is the commit whose manifests are the head's; ch.Head may be nil (the
// working tree mode) while at names the commit whose files stand for the
// working tree.
func (f *fixture) gate(ch Change, at *repo.Commit) []diag.Diagnostic {
	f.t.Helper()
	res, err := f.validateAt(at, Options{Paths: ch.Paths})
	if err != nil {
		f.t.Fatal(err)
	}
	pol, err := LoadPolicy(f.r, ch.Base, res.Schema)
	if err != nil {
		f.t.Fatal(err)
	}
	ch.Result, ch.Policy = res, pol
	ds, err := Gate(f.r, ch)
	if err != nil {
		f.t.Fatal(err)
	}
	return ds
}

// named replaces {0} ... {9} in the phrases of wants with the short ids of
// commits[0] ... commits[9], for messages that name a commit.
func named(wants []want, commits ...*repo.Commit) []want {
	out := make([]want, len(wants))
	for i, w := range wants {
		for n, c := range commits {
			w.phrase = strings.ReplaceAll(w.phrase, fmt.Sprintf("{%d}", n), c.ID.Short())
		}
		out[i] = w
	}
	return out
}

// want is an expected diagnostic: its code and file, its line when not
// zero, and a phrase of its message.
type want struct {
	code, file string
	line       int
	phrase     string
}

// expect checks that ds are exactly the wanted diagnostics, in order.
func expect(t *testing.T, ds []diag.Diagnostic, wants ...want) {
	t.Helper()
	if len(ds) != len(wants) {
		t.Errorf("got %d diagnostics, want %d:\n%s", len(ds), len(wants), list(ds))
		return
	}
	for i, w := range wants {
		d := ds[i]
		if d.Code != w.code || d.File != w.file || (w.line != 0 && d.Line != w.line) || !strings.Contains(d.Message, w.phrase) {
			t.Errorf("diagnostic %d = %s [%s]\nwant code %s, file %s, line %d, message containing %q", i, d, d.Code, w.code, w.file, w.line, w.phrase)
		}
		if d.Severity != diag.Error {
			t.Errorf("diagnostic %d has severity %q, want error", i, d.Severity)
		}
	}
}

func list(ds []diag.Diagnostic) string {
	var b strings.Builder
	for _, d := range ds {
		b.WriteString("  " + d.String() + " [" + d.Code + "]\n")
	}
	return b.String()
}

// runGit runs git in dir with no system or global configuration and a fixed
// identity and date, so that nothing of the developer's setup leaks in.
func runGit(t *testing.T, dir string, env []string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL="+os.DevNull,
		"GIT_AUTHOR_NAME=Ann", "GIT_AUTHOR_EMAIL=ann@example.com", "GIT_COMMITTER_NAME=Ann", "GIT_COMMITTER_EMAIL=ann@example.com",
		"GIT_AUTHOR_DATE=2023-11-14T22:13:20Z", "GIT_COMMITTER_DATE=2023-11-14T22:13:20Z")
	cmd.Env = append(cmd.Env, env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}
