package propose

import (
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/smallhq/small/config"
	"github.com/smallhq/small/diag"
	"github.com/smallhq/small/repo"
)

const (
	schema  = "package schemas\n\n#Note: {\n\tkind: \"Note\"\n\tid?: string\n\tstatus?: string\n\ttext: string\n}\n"
	note    = "kind: Note\ntext: hello\n"
	badNote = "kind: Note\ntext: 3\n"
)

// git runs git in dir with the test's own identity.
func git(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL="+os.DevNull,
		"GIT_AUTHOR_NAME=Ann", "GIT_AUTHOR_EMAIL=ann@example.com", "GIT_COMMITTER_NAME=Ann", "GIT_COMMITTER_EMAIL=ann@example.com",
		"GIT_AUTHOR_DATE=2026-01-15T10:00:00Z", "GIT_COMMITTER_DATE=2026-01-15T10:00:00Z")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

func write(t *testing.T, dir, name, data string) {
	t.Helper()
	p := filepath.Join(dir, filepath.FromSlash(name))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

// newRepo is a repository with one kind and one manifest on main.
func newRepo(t *testing.T) string {
	t.Helper()
	// Who proposes, to the git small runs.
	for k, v := range map[string]string{"GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": os.DevNull,
		"GIT_AUTHOR_NAME": "Ann", "GIT_AUTHOR_EMAIL": "ann@example.com", "GIT_COMMITTER_NAME": "Ann", "GIT_COMMITTER_EMAIL": "ann@example.com"} {
		t.Setenv(k, v)
	}
	dir := t.TempDir()
	git(t, dir, "init", "-q", "-b", "main")
	write(t, dir, "small.cue", "protocol: \"small/v1\"\n")
	write(t, dir, "schemas/note.cue", schema)
	write(t, dir, "manifests/notes/first.yaml", note)
	git(t, dir, "add", "-A")
	git(t, dir, "commit", "-qm", "Notes")
	return dir
}

func open(t *testing.T, dir string) *repo.Repository {
	t.Helper()
	r, err := repo.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// objects lists the files of the object store.
func objects(t *testing.T, dir string) string {
	t.Helper()
	var names []string
	err := filepath.WalkDir(filepath.Join(dir, ".git", "objects"), func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			names = append(names, p)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(names)
	return strings.Join(names, "\n")
}

// TestJudgeWritesNothing: a verdict, accepted or not, leaves the object
// store and the refs as they were.
func TestJudgeWritesNothing(t *testing.T) {
	dir := newRepo(t)
	r := open(t, dir)
	before, refs := objects(t, dir), git(t, dir, "for-each-ref")
	for _, c := range []struct {
		text     string
		accepted bool
	}{{note + "# more\n", true}, {badNote, false}} {
		res, err := Judge(r, Request{Agent: "bot", Message: "Try", Files: []File{{Path: "manifests/notes/first.yaml", Text: c.text}}})
		if err != nil {
			t.Fatal(err)
		}
		if res.Accepted != c.accepted || res.Written || res.Commit == "" || res.Base != "refs/heads/main" {
			t.Errorf("Judge(%q) = %+v", c.text, res)
		}
	}
	if after := objects(t, dir); after != before {
		t.Errorf("Judge wrote objects:\n%s\n---\n%s", before, after)
	}
	if after := git(t, dir, "for-each-ref"); after != refs {
		t.Errorf("Judge moved refs:\n%s\n---\n%s", refs, after)
	}
}

// TestProposeFromTheRemotesHEAD: with a remote, a proposal starts at the
// branch origin/HEAD names, not at the local branch checked out, which may
// be anywhere; its commit is the one Judge judged.
func TestProposeFromTheRemotesHEAD(t *testing.T) {
	// Judge and Propose each commit as of now: the same second for both,
	// so that the commit judged is the one written.
	t.Setenv("GIT_AUTHOR_DATE", "2026-01-15T10:00:00Z")
	t.Setenv("GIT_COMMITTER_DATE", "2026-01-15T10:00:00Z")
	origin := newRepo(t)
	dir := t.TempDir()
	git(t, dir, "clone", "-q", origin, ".")
	git(t, dir, "switch", "-q", "-c", "work")
	write(t, dir, "manifests/notes/local.yaml", note)
	git(t, dir, "add", "-A")
	git(t, dir, "commit", "-qm", "Local work")
	r := open(t, dir)
	req := Request{Name: "second", Agent: "bot[bot]", Message: "Add a second note", Files: []File{{Path: "manifests/notes/second.yaml", Text: note}}}
	judged, err := Judge(r, req)
	if err != nil {
		t.Fatal(err)
	}
	res, err := Propose(r, req)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Written || res.Base != "refs/remotes/origin/main" || res.Commit != judged.Commit || res.Branch != "small/proposals/second" {
		t.Errorf("Propose = %+v (judged %s)", res, judged.Commit)
	}
	if got := git(t, dir, "rev-parse", "small/proposals/second^"); got != git(t, dir, "rev-parse", "origin/main") {
		t.Errorf("the proposal starts at %s, not origin/main", got)
	}
	if files := git(t, dir, "ls-tree", "-r", "--name-only", "small/proposals/second"); strings.Contains(files, "local.yaml") {
		t.Errorf("the proposal carries the local branch's work:\n%s", files)
	}
	if head := git(t, dir, "symbolic-ref", "HEAD"); head != "refs/heads/work" {
		t.Errorf("HEAD is %s", head)
	}
	if author := git(t, dir, "log", "-1", "--format=%an <%ae> %cn", "small/proposals/second"); author != "bot[bot] <ann@example.com> Ann" {
		t.Errorf("author and committer: %s", author)
	}
	// The branch exists now: a second proposal of the name is refused.
	var refused *RefusedError
	if _, err := Propose(r, req); !errors.As(err, &refused) || refused.Diagnostic.Code != diag.CodeProposalExists {
		t.Errorf("Propose onto an existing branch = %v", err)
	}
}

// TestRefusals: what a proposal may not be, refused before it is judged.
func TestRefusals(t *testing.T) {
	dir := newRepo(t)
	r := open(t, dir)
	ok := []File{{Path: "manifests/notes/x.yaml", Text: note}}
	for _, c := range []struct {
		what string
		req  Request
		code string
	}{
		{"a name with a slash", Request{Name: "a/b", Agent: "bot", Message: "m", Files: ok}, diag.CodeProposalName},
		{"an upper-case name", Request{Name: "Main", Agent: "bot", Message: "m", Files: ok}, diag.CodeProposalName},
		{"a long name", Request{Name: strings.Repeat("a", 65), Agent: "bot", Message: "m", Files: ok}, diag.CodeProposalName},
		{"an agent with a space", Request{Name: "x", Agent: "a bot", Message: "m", Files: ok}, diag.CodeProposalInput},
		{"an agent with an e-mail", Request{Name: "x", Agent: "bot <a@b>", Message: "m", Files: ok}, diag.CodeProposalInput},
		{"an agent with a line break", Request{Name: "x", Agent: "bot\nSmall-Agent: other", Message: "m", Files: ok}, diag.CodeProposalInput},
		{"a control character in the message", Request{Name: "x", Agent: "bot", Message: "m\x1b[2J", Files: ok}, diag.CodeProposalInput},
		{"an indented trailer", Request{Name: "x", Agent: "bot", Message: "m\n\n  Small-Agent: other", Files: ok}, diag.CodeProposalInput},
		{"too many manifests", Request{Name: "x", Agent: "bot", Message: "m", Files: make([]File, MaxFiles+1)}, diag.CodeProposalInput},
	} {
		_, err := Propose(r, c.req)
		var refused *RefusedError
		if !errors.As(err, &refused) || refused.Diagnostic.Code != c.code {
			t.Errorf("%s: %v, want %s", c.what, err, c.code)
		}
	}
	if out := git(t, dir, "for-each-ref", "refs/heads/small/"); out != "" {
		t.Errorf("refusals made branches: %s", out)
	}
}

// TestCheckPathFilesRules: with files rules, an agent's manifest is a
// path a rule matches, whatever its extension, and nothing else.
func TestCheckPathFilesRules(t *testing.T) {
	cfg, err := config.Parse("small.cue", []byte(`manifests: "."
files: [{glob: "topics/*/index.md", kind: "Topic", id: "$1"}, {glob: "data/*.yaml"}]
`))
	if err != nil {
		t.Fatal(err)
	}
	for p, ok := range map[string]bool{
		"topics/git/index.md":       true,
		"data/a.yaml":               true,
		"topics/git/logo.png":       false,
		"topics/git/index.yaml":     false,
		"README.md":                 false,
		"small.cue":                 false,
		".github/workflows/ci.yaml": false,
		"data/sub/a.yaml":           false,
	} {
		err := CheckPath(cfg, p)
		if (err == nil) != ok {
			t.Errorf("CheckPath(%q) = %v, want ok=%v", p, err, ok)
		}
	}
}

// TestCheckPath: the paths an agent's manifest may have.
func TestCheckPath(t *testing.T) {
	cfg := config.Default()
	cfg.AgentPaths = []string{"manifests/notes"}
	for p, ok := range map[string]bool{
		"manifests/notes/a.yaml":      true,
		"manifests/notes/sub/b.json":  true,
		"manifests/notes/café.yml":    true,
		"manifests/other/a.yaml":      false, // outside agentPaths
		"manifests/notes/a.md":        false,
		"manifests/notes/.hidden.yml": false,
		"manifests/notes/GIT~1/a.yml": false,
		"manifests/notes/ a.yaml":     false,
		"manifests/notes//a.yaml":     false,
		"manifests/notes/./a.yaml":    false,
		"manifests\\notes\\a.yaml":    false,
		"manifests/notes/a\tb.yaml":   false,
		"./manifests/notes/a.yaml":    false,
		"small.cue":                   false,
		"":                            false,
	} {
		err := CheckPath(cfg, p)
		if (err == nil) != ok {
			t.Errorf("CheckPath(%q) = %v, want ok=%v", p, err, ok)
		}
	}
}
