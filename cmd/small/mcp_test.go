package main

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/jsonschema-go/jsonschema"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/smallhq/small/builder"
	"github.com/smallhq/small/diag"
	"github.com/smallhq/small/lineage"
	"github.com/smallhq/small/propose"
)

// The tests here drive the real small binary (this test binary, as
// testscript.Main puts it on $PATH under the name small) over stdio with
// the MCP Go SDK's own client, against real repositories and real git.

// testEnv is the environment of every git and small process: an identity
// of the test's own, never the developer's configuration.
func testEnv(t *testing.T) []string {
	t.Helper()
	home := t.TempDir()
	cfg := filepath.Join(home, ".gitconfig")
	if err := os.WriteFile(cfg, []byte("[init]\n\tdefaultBranch = main\n[commit]\n\tgpgsign = false\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return append(os.Environ(),
		"HOME="+home, "GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL="+cfg,
		"GIT_AUTHOR_NAME=Test Author", "GIT_AUTHOR_EMAIL=author@example.com",
		"GIT_COMMITTER_NAME=Test Committer", "GIT_COMMITTER_EMAIL=committer@example.com",
		"GIT_AUTHOR_DATE=2026-01-15T10:00:00Z", "GIT_COMMITTER_DATE=2026-01-15T10:00:00Z")
}

type fixture struct {
	t   *testing.T
	dir string
	env []string
}

// run runs a command in the repository and returns its standard output; a
// failure fails the test.
func (f *fixture) run(name string, args ...string) string {
	f.t.Helper()
	out, err := f.try(name, args...)
	if err != nil {
		f.t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return out
}

func (f *fixture) try(name string, args ...string) (string, error) {
	cmd := exec.Command(name, args...)
	cmd.Dir, cmd.Env = f.dir, f.env
	out, err := cmd.Output()
	if ee, ok := err.(*exec.ExitError); ok {
		return string(out) + string(ee.Stderr), err
	}
	return string(out), err
}

func (f *fixture) write(name, text string) {
	f.t.Helper()
	p := filepath.Join(f.dir, filepath.FromSlash(name))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		f.t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		f.t.Fatal(err)
	}
}

// newFixture is a repository set up with the example content, committed
// on main and built.
func newFixture(t *testing.T) *fixture {
	t.Helper()
	f := &fixture{t: t, dir: t.TempDir(), env: testEnv(t)}
	f.run("git", "init", "-q")
	f.run("small", "init", "--example")
	f.write("manifests/articles/in-review.yaml", "kind: Article\ntitle: In review\nauthor: ada\nstatus: review\nbody: Nearly there.\n")
	f.run("git", "add", "-A")
	f.run("git", "commit", "-qm", "Example content")
	f.run("small", "build")
	return f
}

// connect starts small mcp in the repository and connects the SDK's client.
func (f *fixture) connect(args ...string) *mcp.ClientSession {
	f.t.Helper()
	cmd := exec.Command("small", append([]string{"mcp"}, args...)...)
	cmd.Dir, cmd.Env = f.dir, f.env
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c := mcp.NewClient(&mcp.Implementation{Name: "small-test", Version: "v0"}, nil)
	cs, err := c.Connect(ctx, &mcp.CommandTransport{Command: cmd}, nil)
	if err != nil {
		f.t.Fatalf("connect to small mcp: %v", err)
	}
	f.t.Cleanup(func() { cs.Close() })
	return cs
}

func call(t *testing.T, cs *mcp.ClientSession, name string, args any) *mcp.CallToolResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: name, Arguments: args})
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return res
}

// decode reads a tool's structured output.
func decode[T any](t *testing.T, res *mcp.CallToolResult) T {
	t.Helper()
	var v T
	if res.StructuredContent == nil {
		t.Fatalf("no structured content: %s", text(res))
	}
	data, err := json.Marshal(res.StructuredContent)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &v); err != nil {
		t.Fatalf("%v: %s", err, data)
	}
	return v
}

func text(res *mcp.CallToolResult) string {
	var parts []string
	for _, c := range res.Content {
		if tc, ok := c.(*mcp.TextContent); ok {
			parts = append(parts, tc.Text)
		}
	}
	return strings.Join(parts, "\n")
}

// refusal is the failure a tool error carries: small/v1's failure object.
func refusal(t *testing.T, res *mcp.CallToolResult) diag.Failure {
	t.Helper()
	if !res.IsError {
		t.Fatalf("expected a tool error, got %s", text(res))
	}
	for _, c := range res.Content {
		tc, ok := c.(*mcp.TextContent)
		if !ok || !strings.HasPrefix(tc.Text, "{") {
			continue
		}
		var f diag.Failure
		if err := json.Unmarshal([]byte(tc.Text), &f); err == nil && f.Protocol == "small/v1" {
			return f
		}
	}
	t.Fatalf("the tool error carries no small/v1 failure: %s", text(res))
	return diag.Failure{}
}

func codes(ds []diag.Diagnostic) []string {
	var out []string
	for _, d := range ds {
		out = append(out, d.Code)
	}
	return out
}

// state is what a proposal must leave as it is: HEAD, the index, the
// working tree, and every ref but the proposal's.
func (f *fixture) state() string {
	f.t.Helper()
	return strings.Join([]string{
		f.run("git", "rev-parse", "HEAD"),
		f.run("git", "symbolic-ref", "-q", "HEAD"),
		f.run("git", "ls-files", "--stage"),
		f.run("git", "status", "--porcelain=v1", "--untracked-files=all"),
		f.run("git", "diff"),
		otherRefs(f.run("git", "for-each-ref", "--format=%(refname) %(objectname)")),
	}, "\n")
}

// otherRefs leaves the proposal branches out of a list of refs.
func otherRefs(refs string) string {
	var out []string
	for _, l := range strings.Split(refs, "\n") {
		if !strings.HasPrefix(l, "refs/heads/small/proposals/") {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// in is the fixture for a subtest, failing that subtest.
func (f *fixture) in(t *testing.T) *fixture {
	g := *f
	g.t = t
	return &g
}

const (
	goodPost   = "kind: Article\ntitle: A new post\nauthor: ada\nbody: Fresh content from an agent.\n"
	badPost    = "kind: Article\ntitle: X\nauthor: ada\nbody: Too short a title.\n"
	approvedIt = "kind: Article\ntitle: In review\nauthor: ada\nstatus: approved\nbody: Nearly there.\n"
)

func TestMCP(t *testing.T) {
	f := newFixture(t)
	// Work in progress the server must neither read nor touch: a staged
	// file and an unstaged edit of a schema that would make every
	// article invalid.
	f.write("manifests/authors/staged.yaml", "kind: Author\nname: Staged Person\n")
	f.run("git", "add", "manifests/authors/staged.yaml")
	f.write("schemas/entry.cue", "package schemas\n\n_#Entry: {\n\tkind: string\n\tid?: string\n\tstatus?: string\n\tmandatory: string\n}\n_#ID: string\n")
	cs := f.connect("--agent", "docs-bot")

	t.Run("initialize", func(t *testing.T) {
		init := cs.InitializeResult()
		if init.ServerInfo.Name != "small" || init.Capabilities.Tools == nil || init.Capabilities.Resources == nil {
			t.Fatalf("server %+v, capabilities %+v", init.ServerInfo, init.Capabilities)
		}
		if !strings.Contains(init.Instructions, "propose") {
			t.Errorf("instructions do not say how to work: %q", init.Instructions)
		}
	})

	t.Run("tools/list", func(t *testing.T) {
		res, err := cs.ListTools(context.Background(), nil)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, tool := range res.Tools {
			names = append(names, tool.Name)
			if tool.Description == "" || tool.InputSchema == nil || tool.OutputSchema == nil || tool.Annotations == nil {
				t.Errorf("%s: description, input and output schemas and annotations expected: %+v", tool.Name, tool)
				continue
			}
			a := tool.Annotations
			writes := tool.Name == "propose"
			if a.ReadOnlyHint == writes || a.DestructiveHint == nil || *a.DestructiveHint || a.IdempotentHint == writes {
				t.Errorf("%s: annotations %+v", tool.Name, a)
			}
			data, _ := json.Marshal(tool.OutputSchema)
			if strings.Contains(string(data), `"null"`) {
				t.Errorf("%s: output schema with a null type (not portable): %s", tool.Name, data)
			}
		}
		slices.Sort(names)
		want := []string{"artifact_history", "artifact_lineage", "artifact_status", "kind_schema", "list_kinds", "plan_change", "propose", "validate_manifest"}
		if !slices.Equal(names, want) {
			t.Errorf("tools %v, want %v", names, want)
		}
	})

	t.Run("list_kinds", func(t *testing.T) {
		f := f.in(t)
		out := decode[struct {
			Commit     string
			Manifests  string
			AgentPaths []string
			Kinds      []struct {
				Name      string
				Defined   string
				Lifecycle struct {
					Initial   string
					HumanOnly []string
				}
			}
		}](t, call(t, cs, "list_kinds", map[string]any{}))
		if out.Commit != strings.TrimSpace(f.run("git", "rev-parse", "HEAD")) || out.Manifests != "manifests" || !slices.Equal(out.AgentPaths, []string{"manifests"}) {
			t.Errorf("commit %s, manifests %s, agentPaths %v", out.Commit, out.Manifests, out.AgentPaths)
		}
		if len(out.Kinds) != 2 || out.Kinds[0].Name != "Article" || out.Kinds[0].Defined != "schemas/article.cue:12" ||
			out.Kinds[0].Lifecycle.Initial != "draft" || !slices.Equal(out.Kinds[0].Lifecycle.HumanOnly, []string{"approved", "published"}) {
			t.Errorf("kinds %+v", out.Kinds)
		}
	})

	t.Run("kind_schema", func(t *testing.T) {
		out := decode[struct {
			Kind   string
			Schema map[string]any
		}](t, call(t, cs, "kind_schema", map[string]any{"kind": "Article"}))
		data, err := json.Marshal(out.Schema)
		if err != nil || out.Kind != "Article" {
			t.Fatalf("kind_schema: %+v (%v)", out, err)
		}
		// The schema an agent drafts from judges as small validate does:
		// a valid article passes, one with too short a title does not.
		var s jsonschema.Schema
		if err := json.Unmarshal(data, &s); err != nil {
			t.Fatal(err)
		}
		rs, err := s.Resolve(nil)
		if err != nil {
			t.Fatalf("the schema does not resolve: %v\n%s", err, data)
		}
		good := map[string]any{"kind": "Article", "title": "A new post", "author": "ada", "body": "Fresh."}
		if err := rs.Validate(good); err != nil {
			t.Errorf("a valid article fails the exported schema: %v", err)
		}
		bad := map[string]any{"kind": "Article", "title": "X", "author": "ada", "body": "Fresh."}
		if err := rs.Validate(bad); err == nil {
			t.Errorf("a title of one rune passes the exported schema")
		}
		if props, _ := out.Schema["properties"].(map[string]any); props["status"] == nil || props["title"] == nil {
			t.Errorf("the schema lacks status or title: %s", data)
		}
		fail := refusal(t, call(t, cs, "kind_schema", map[string]any{"kind": "Artcle"}))
		if !strings.Contains(fail.Error.Message, `did you mean "Article"`) {
			t.Errorf("an unknown kind: %+v", fail)
		}
		res, err := cs.ReadResource(context.Background(), &mcp.ReadResourceParams{URI: "small://schemas/Author"})
		if err != nil || !strings.Contains(res.Contents[0].Text, `"$schema": "https://json-schema.org/draft/2020-12/schema"`) {
			t.Errorf("small://schemas/Author: %v", err)
		}
	})

	t.Run("validate_manifest", func(t *testing.T) {
		type result struct {
			Valid            bool
			Kind, ID, State  string
			Diagnostics      []diag.Diagnostic
			Commit, Protocol string
		}
		// Valid under HEAD's schemas, though the working tree's would
		// refuse it: the server reads the committed state.
		ok := decode[result](t, call(t, cs, "validate_manifest", map[string]any{"path": "manifests/articles/new-post.yaml", "text": goodPost}))
		if !ok.Valid || ok.Kind != "Article" || ok.ID != "new-post" || ok.State != "draft" || len(ok.Diagnostics) != 0 {
			t.Errorf("a valid draft: %+v", ok)
		}
		bad := decode[result](t, call(t, cs, "validate_manifest", map[string]any{"path": "manifests/articles/bad.yaml", "text": badPost}))
		if bad.Valid || len(bad.Diagnostics) != 1 || bad.Diagnostics[0].Code != diag.CodeViolation || bad.Diagnostics[0].Line != 2 || bad.Diagnostics[0].Path != "title" {
			t.Errorf("an invalid draft: %+v", bad)
		}
		// JSON by its extension.
		js := decode[result](t, call(t, cs, "validate_manifest", map[string]any{"path": "manifests/authors/z.json", "text": `{"kind": "Author", "name": "Zed"}`}))
		if !js.Valid || js.ID != "z" {
			t.Errorf("a JSON draft: %+v", js)
		}
		huge := decode[result](t, call(t, cs, "validate_manifest", map[string]any{"path": "manifests/articles/huge.yaml", "text": "kind: Article\nbody: " + strings.Repeat("x", 2<<20) + "\n"}))
		if huge.Valid || !slices.Contains(codes(huge.Diagnostics), diag.CodeTooLarge) {
			t.Errorf("a draft over limits.manifestBytes: %+v", huge.Diagnostics)
		}
		for _, p := range []string{"small.cue", "schemas/x.yaml", "../x.yaml", "manifests/articles/x.txt"} {
			fail := refusal(t, call(t, cs, "validate_manifest", map[string]any{"path": p, "text": goodPost}))
			if len(fail.Error.Diagnostics) != 1 || fail.Error.Diagnostics[0].Code != diag.CodeProposalPath || fail.Error.ExitCode != 2 {
				t.Errorf("path %q: %+v", p, fail)
			}
		}
	})

	t.Run("bad arguments", func(t *testing.T) {
		for _, args := range []map[string]any{{}, {"path": 3, "text": "x"}, {"path": "manifests/a.yaml", "text": "x", "extra": true}} {
			if res := call(t, cs, "validate_manifest", args); !res.IsError {
				t.Errorf("arguments %v: expected a tool error, got %s", args, text(res))
			}
		}
		if res := call(t, cs, "propose", map[string]any{"name": "x", "message": "m", "manifests": nil}); !res.IsError {
			t.Errorf("null manifests: expected a tool error, got %s", text(res))
		}
	})

	t.Run("plan_change", func(t *testing.T) {
		f := f.in(t)
		before := f.state()
		upd := strings.Replace(f.run("git", "show", "HEAD:manifests/articles/hello-world.yaml"), "Hello, world", "Hello, brave world", 1)
		ok := decode[propose.Result](t, call(t, cs, "plan_change", map[string]any{"manifests": []propose.File{
			{Path: "manifests/articles/new-post.yaml", Text: goodPost}, {Path: "manifests/articles/hello-world.yaml", Text: upd}}}))
		if !ok.Accepted || ok.Written || ok.Branch != "" || ok.Plan == nil ||
			!slices.Equal(ok.Plan.Created, []string{"article/new-post.json"}) || !slices.Equal(ok.Plan.Updated, []string{"article/hello-world.json"}) {
			t.Errorf("a change an agent may make: %+v (plan %+v)", ok, ok.Plan)
		}
		if ok.Base != "refs/heads/main" || ok.BaseCommit != strings.TrimSpace(f.run("git", "rev-parse", "main")) {
			t.Errorf("base %s at %s", ok.Base, ok.BaseCommit)
		}
		no := decode[propose.Result](t, call(t, cs, "plan_change", map[string]any{"manifests": []propose.File{
			{Path: "manifests/articles/in-review.yaml", Text: approvedIt}}}))
		if no.Accepted || no.Plan != nil || !slices.Equal(codes(no.Diagnostics), []string{diag.CodeHumanOnly}) ||
			!strings.Contains(no.Diagnostics[0].Message, "agent docs-bot") {
			t.Errorf("an agent approving: %+v", no)
		}
		if after := f.state(); after != before {
			t.Errorf("plan_change wrote something:\n%s\n---\n%s", before, after)
		}
		if out := f.run("git", "for-each-ref", "refs/heads/small/proposals/"); out != "" {
			t.Errorf("plan_change made branches: %s", out)
		}
	})

	t.Run("artifacts", func(t *testing.T) {
		lin := decode[lineage.LineageReport](t, call(t, cs, "artifact_lineage", map[string]any{"target": "Article/hello-world"}))
		if lin.Artifact != "article/hello-world.json" || len(lin.Versions) != 1 || lin.Versions[0].Manifest == nil ||
			lin.Versions[0].Manifest.Path != "manifests/articles/hello-world.yaml" || lin.Versions[0].Actor.Type != "human" {
			t.Errorf("lineage %+v", lin)
		}
		st := decode[builder.StatusReport](t, call(t, cs, "artifact_status", map[string]any{"kind": "Article", "state": "review"}))
		if len(st.Artifacts) != 1 || st.Artifacts[0].ID != "in-review" || !slices.Equal(st.Artifacts[0].Next, []string{"draft", "approved*"}) {
			t.Errorf("status %+v", st)
		}
		h := decode[lineage.HistoryReport](t, call(t, cs, "artifact_history", map[string]any{"target": "article/hello-world.json"}))
		if len(h.Events) != 1 || h.Events[0].Event != "created" {
			t.Errorf("history %+v", h)
		}
		for _, tool := range []string{"artifact_lineage", "artifact_history"} {
			fail := refusal(t, call(t, cs, tool, map[string]any{"target": "Article/nope"}))
			if !strings.Contains(fail.Error.Message, "nope") {
				t.Errorf("%s of nothing: %+v", tool, fail)
			}
		}
	})

	t.Run("propose", func(t *testing.T) {
		f := f.in(t)
		before := f.state()
		main := strings.TrimSpace(f.run("git", "rev-parse", "main"))
		res := call(t, cs, "propose", map[string]any{"name": "new-post", "message": "Add a new post\n\nAsked for by the editors.",
			"manifests": []propose.File{{Path: "manifests/articles/new-post.yaml", Text: goodPost}}})
		if res.IsError {
			t.Fatalf("propose: %s", text(res))
		}
		out := decode[propose.Result](t, res)
		if !out.Written || !out.Accepted || out.Branch != "small/proposals/new-post" || out.Plan == nil || !slices.Equal(out.Plan.Created, []string{"article/new-post.json"}) {
			t.Fatalf("propose: %+v", out)
		}
		if tip := strings.TrimSpace(f.run("git", "rev-parse", "small/proposals/new-post")); tip != out.Commit {
			t.Errorf("branch at %s, result says %s", tip, out.Commit)
		}
		if parent := strings.TrimSpace(f.run("git", "rev-parse", "small/proposals/new-post^")); parent != main {
			t.Errorf("the proposal starts at %s, not main (%s)", parent, main)
		}
		if log := f.run("git", "log", "--format=%an <%ae>|%cn|%s", "main..small/proposals/new-post"); log != "docs-bot <author@example.com>|Test Committer|Add a new post\n" {
			t.Errorf("git log: %q", log)
		}
		if files := f.run("git", "diff", "--name-status", "main", "small/proposals/new-post"); files != "A\tmanifests/articles/new-post.yaml\n" {
			t.Errorf("the proposal changes %q", files)
		}
		if show := f.run("git", "show", "small/proposals/new-post:manifests/articles/new-post.yaml"); show != goodPost {
			t.Errorf("the proposed manifest reads %q", show)
		}
		msg := f.run("git", "log", "-1", "--format=%B", "small/proposals/new-post")
		cmd := exec.Command("git", "interpret-trailers", "--parse")
		cmd.Dir, cmd.Env, cmd.Stdin = f.dir, f.env, strings.NewReader(msg)
		trailers, err := cmd.Output()
		if err != nil || string(trailers) != "Small-Agent: docs-bot\n" {
			t.Errorf("trailers %q (%v) of %q", trailers, err, msg)
		}
		f.run("git", "fsck", "--strict", "--no-dangling")
		// small check, the pull request's check, agrees, and sees an agent.
		f.run("small", "check", "--base", "main", "--rev", "small/proposals/new-post")
		if lin := f.run("small", "validate", "--rev", "small/proposals/new-post"); lin != "" {
			t.Errorf("small validate of the proposal: %s", lin)
		}
		if after := f.state(); after != before {
			t.Errorf("propose touched HEAD, the index, the working tree or another ref:\n%s\n---\n%s", before, after)
		}

		// The same name again: the branch exists, and stays where it is.
		fail := refusal(t, call(t, cs, "propose", map[string]any{"name": "new-post", "message": "Again",
			"manifests": []propose.File{{Path: "manifests/articles/other.yaml", Text: goodPost}}}))
		if !slices.Equal(codes(fail.Error.Diagnostics), []string{diag.CodeProposalExists}) {
			t.Errorf("an existing branch: %+v", fail)
		}
		if tip := strings.TrimSpace(f.run("git", "rev-parse", "small/proposals/new-post")); tip != out.Commit {
			t.Errorf("the existing branch moved to %s", tip)
		}
	})

	t.Run("refusals", func(t *testing.T) {
		f := f.in(t)
		before := f.state()
		good := []propose.File{{Path: "manifests/articles/refused.yaml", Text: goodPost}}
		for _, c := range []struct {
			what, name, message string
			files               []propose.File
			code                string
		}{
			{"a name that climbs out", "../x", "m", good, diag.CodeProposalName},
			{"a name that is a path", "small/proposals/a..b", "m", good, diag.CodeProposalName},
			{"a name with ..", "a..b", "m", good, diag.CodeProposalName},
			{"another branch's full name", "refs/heads/main", "m", good, diag.CodeProposalName},
			{"a lock file's name", "x.lock", "m", good, diag.CodeProposalName},
			{"an option", "-x", "m", good, diag.CodeProposalName},
			{"a line break", "x\ny", "m", good, diag.CodeProposalName},
			{"no name", "", "m", good, diag.CodeProposalName},
			{"small.cue", "cfg", "m", []propose.File{{Path: "small.cue", Text: "protocol: \"small/v1\"\n"}}, diag.CodeProposalPath},
			{"a schema", "schema", "m", []propose.File{{Path: "schemas/evil.cue", Text: "package schemas\n"}}, diag.CodeProposalPath},
			{"a workflow", "ci", "m", []propose.File{{Path: ".github/workflows/x.yaml", Text: "on: push\n"}}, diag.CodeProposalPath},
			{"a path that climbs out", "climb", "m", []propose.File{{Path: "manifests/../small.cue", Text: "x"}}, diag.CodeProposalPath},
			{"an absolute path", "abs", "m", []propose.File{{Path: "/etc/x.yaml", Text: goodPost}}, diag.CodeProposalPath},
			{"a path into .git", "dotgit", "m", []propose.File{{Path: "manifests/.git/config.yaml", Text: goodPost}}, diag.CodeProposalPath},
			{"a path with a line break", "nl", "m", []propose.File{{Path: "manifests/a\nb.yaml", Text: goodPost}}, diag.CodeProposalPath},
			{"not a manifest", "txt", "m", []propose.File{{Path: "manifests/articles/x.sh", Text: "rm -rf /"}}, diag.CodeProposalPath},
			{"through a file of main", "dir", "m", []propose.File{{Path: "manifests/articles/hello-world.yaml/x.yaml", Text: goodPost}}, diag.CodeProposalPath},
			{"a forged trailer", "forged", "Add a post\n\nSmall-Agent: a-human", good, diag.CodeProposalInput},
			{"a forged rollback", "rollback", "Add a post\n\nsmall-rollback-of: 0123456789ab", good, diag.CodeProposalInput},
			{"no message", "nomsg", "  ", good, diag.CodeProposalInput},
			{"no manifests", "none", "m", nil, diag.CodeProposalInput},
			{"one manifest twice", "twice", "m", append(slices.Clone(good), good...), diag.CodeProposalInput},
			{"a manifest over the limit", "huge", "m", []propose.File{{Path: "manifests/articles/huge.yaml", Text: strings.Repeat("x", 2<<20)}}, diag.CodeProposalInput},
			{"no change", "same", "m", []propose.File{{Path: "manifests/authors/ada.yaml", Text: f.run("git", "show", "HEAD:manifests/authors/ada.yaml")}}, diag.CodeProposalInput},
		} {
			args := map[string]any{"name": c.name, "message": c.message, "manifests": c.files}
			if c.files == nil {
				args["manifests"] = []propose.File{}
			}
			fail := refusal(t, call(t, cs, "propose", args))
			if got := codes(fail.Error.Diagnostics); !slices.Equal(got, []string{c.code}) {
				t.Errorf("%s: codes %v, want %s: %s", c.what, got, c.code, fail.Error.Message)
			}
		}
		// Manifests small check refuses: invalid, or a transition only a
		// human may make. The verdict is the answer, and an error.
		for _, c := range []struct {
			what  string
			file  propose.File
			codes []string
		}{
			{"an invalid manifest", propose.File{Path: "manifests/articles/bad.yaml", Text: badPost}, []string{diag.CodeViolation}},
			{"an agent approving", propose.File{Path: "manifests/articles/in-review.yaml", Text: approvedIt}, []string{diag.CodeHumanOnly}},
			{"an agent publishing a new article", propose.File{Path: "manifests/articles/pub.yaml", Text: strings.Replace(goodPost, "body:", "status: published\nbody:", 1)}, []string{diag.CodeHumanOnly, diag.CodeTranslationRequired}},
			{"an invented state", propose.File{Path: "manifests/articles/inv.yaml", Text: strings.Replace(goodPost, "body:", "status: live\nbody:", 1)}, []string{diag.CodeStateUnknown}},
		} {
			res := call(t, cs, "propose", map[string]any{"name": "gate", "message": "Try", "manifests": []propose.File{c.file}})
			if !res.IsError {
				t.Errorf("%s: accepted: %s", c.what, text(res))
				continue
			}
			out := decode[propose.Result](t, res)
			if out.Accepted || out.Written || out.Branch != "" || !slices.Equal(codes(out.Diagnostics), c.codes) {
				t.Errorf("%s: %+v", c.what, out)
			}
			if !strings.Contains(text(res), "nothing was written") {
				t.Errorf("%s: the error does not say nothing was written: %s", c.what, text(res))
			}
		}
		if out := f.run("git", "for-each-ref", "--format=%(refname)", "refs/heads/small/proposals/"); out != "refs/heads/small/proposals/new-post\n" {
			t.Errorf("refused proposals made branches: %q", out)
		}
		if after := f.state(); after != before {
			t.Errorf("a refusal wrote something:\n%s\n---\n%s", before, after)
		}
		f.run("git", "fsck", "--strict", "--no-dangling")
	})

	t.Run("HEAD moves", func(t *testing.T) {
		f := f.in(t)
		// A commit made while the server runs is seen at once; the
		// working tree's uncommitted schema is still not.
		f.run("git", "stash", "--quiet")
		f.write("schemas/page.cue", "package schemas\n\n#Page: {\n\t_#Entry\n\tkind: \"Page\"\n\ttitle: string\n}\n")
		f.run("git", "add", "schemas/page.cue")
		f.run("git", "commit", "-qm", "Add pages")
		f.run("git", "stash", "pop", "--quiet")
		out := decode[KindsList](t, call(t, cs, "list_kinds", map[string]any{}))
		if len(out.Kinds) != 3 || out.Kinds[2].Name != "Page" || out.Commit != strings.TrimSpace(f.run("git", "rev-parse", "HEAD")) {
			t.Errorf("after a commit: %+v", out)
		}
		v := decode[struct{ Valid bool }](t, call(t, cs, "validate_manifest", map[string]any{"path": "manifests/pages/about.yaml", "text": "kind: Page\ntitle: About\n"}))
		if !v.Valid {
			t.Errorf("a Page after the commit that adds it is not valid")
		}
	})

	t.Run("resources", func(t *testing.T) {
		ctx := context.Background()
		list, err := cs.ListResources(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		var uris []string
		for _, r := range list.Resources {
			uris = append(uris, r.URI)
		}
		slices.Sort(uris)
		if !slices.Equal(uris, []string{"small://contract", "small://kinds", "small://records"}) {
			t.Errorf("resources %v", uris)
		}
		read := func(uri string) string {
			res, err := cs.ReadResource(ctx, &mcp.ReadResourceParams{URI: uri})
			if err != nil {
				t.Fatalf("%s: %v", uri, err)
			}
			return res.Contents[0].Text
		}
		var contract struct{ Protocol, ArtifactBranch string }
		if err := json.Unmarshal([]byte(read("small://contract")), &contract); err != nil || contract.Protocol != "small/v1" || contract.ArtifactBranch != "refs/heads/small/artifacts" {
			t.Errorf("contract %+v (%v)", contract, err)
		}
		var kind struct {
			Name      string
			Lifecycle struct{ States []string }
		}
		if err := json.Unmarshal([]byte(read("small://kinds/Article")), &kind); err != nil || kind.Name != "Article" || len(kind.Lifecycle.States) != 6 {
			t.Errorf("small://kinds/Article: %+v (%v)", kind, err)
		}
		if !strings.Contains(read("small://kinds"), `"Author"`) {
			t.Errorf("small://kinds lists no Author")
		}
		var schema struct {
			ID string `json:"$id"`
		}
		if err := json.Unmarshal([]byte(read("small://records/proposal")), &schema); err != nil || schema.ID != "urn:small:v1:proposal" {
			t.Errorf("small://records/proposal: %+v (%v)", schema, err)
		}
		if !strings.Contains(read("small://records"), `"uri": "small://records/lineage-record"`) {
			t.Errorf("small://records does not link the schemas")
		}
		if _, err := cs.ReadResource(ctx, &mcp.ReadResourceParams{URI: "small://records/nope"}); err == nil {
			t.Errorf("small://records/nope: no error")
		}
		if _, err := cs.ReadResource(ctx, &mcp.ReadResourceParams{URI: "small://kinds/Nope"}); err == nil {
			t.Errorf("small://kinds/Nope: no error")
		}
	})
}

// KindsList is list_kinds's output as a client reads it.
type KindsList struct {
	Commit string
	Kinds  []struct{ Name string }
}

// TestMCPReadOnly: --read-only offers no tool that writes, and calling
// propose anyway writes nothing.
func TestMCPReadOnly(t *testing.T) {
	f := newFixture(t)
	cs := f.connect("--read-only")
	res, err := cs.ListTools(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, tool := range res.Tools {
		if !tool.Annotations.ReadOnlyHint {
			t.Errorf("--read-only offers %s, which is not read-only", tool.Name)
		}
	}
	if len(res.Tools) != 7 {
		t.Errorf("--read-only offers %d tools, want 7", len(res.Tools))
	}
	r, err := cs.CallTool(context.Background(), &mcp.CallToolParams{Name: "propose", Arguments: map[string]any{"name": "x", "message": "m",
		"manifests": []propose.File{{Path: "manifests/articles/x.yaml", Text: goodPost}}}})
	if err == nil && !r.IsError {
		t.Errorf("propose under --read-only: %s", text(r))
	}
	if out := f.run("git", "for-each-ref", "refs/heads/small/proposals/"); out != "" {
		t.Errorf("--read-only made a branch: %s", out)
	}
}

// TestMCPBranches: the branches a proposal never writes, whatever the name
// says: the current branch (unborn, checked out in a clone whose default
// branch is origin's), the artifact branch (as small.cue names it); and a
// path inside the manifests that agentPaths leaves out.
func TestMCPBranches(t *testing.T) {
	origin := newFixture(t)
	origin.write("small.cue", strings.Replace(origin.run("git", "show", "HEAD:small.cue"), `agentPaths: [manifests]`, `agentPaths: ["manifests/articles"]`, 1))
	origin.write("small.cue", strings.Replace(origin.run("cat", "small.cue"), `branch: "small/artifacts"`, `branch: "small/proposals/build"`, 1))
	origin.run("git", "commit", "-qam", "Artifacts on a proposal-like branch; agents only on articles")
	f := &fixture{t: t, dir: t.TempDir(), env: origin.env}
	f.run("git", "clone", "-q", origin.dir, ".")
	f.run("git", "switch", "-q", "--orphan", "small/proposals/mine")
	cs := f.connect("--agent", "docs-bot")
	files := []propose.File{{Path: "manifests/articles/x.yaml", Text: goodPost}}
	for _, c := range []struct {
		what, name, code string
		files            []propose.File
	}{
		{"the current branch, unborn", "mine", diag.CodeProposalBranch, files},
		{"the artifact branch", "build", diag.CodeProposalBranch, files},
		{"a path agentPaths leaves out", "author", diag.CodeProposalPath, []propose.File{{Path: "manifests/authors/x.yaml", Text: "kind: Author\nname: X Y\n"}}},
	} {
		fail := refusal(t, call(t, cs, "propose", map[string]any{"name": c.name, "message": "m", "manifests": c.files}))
		if got := codes(fail.Error.Diagnostics); !slices.Equal(got, []string{c.code}) {
			t.Errorf("%s: %v: %s", c.what, got, fail.Error.Message)
		}
	}
	// The legitimate flow from the same clone: from origin's main, whatever
	// HEAD is on.
	out := decode[propose.Result](t, call(t, cs, "propose", map[string]any{"name": "ok", "message": "Add x", "manifests": files}))
	if !out.Written || out.Base != "refs/remotes/origin/main" {
		t.Errorf("a proposal from origin/main: %+v", out)
	}
	if head := strings.TrimSpace(f.run("git", "symbolic-ref", "HEAD")); head != "refs/heads/small/proposals/mine" {
		t.Errorf("HEAD moved to %s", head)
	}
	if _, err := f.try("git", "rev-parse", "--verify", "-q", "small/proposals/mine"); err == nil {
		t.Errorf("the unborn current branch was created")
	}
}

// TestMCPInspector lists the tools with the official MCP Inspector, the
// peer every MCP client is checked against (make tools installs it).
func TestMCPInspector(t *testing.T) {
	inspector, err := filepath.Abs(filepath.Join("..", "..", ".tools", "bin", "mcp-inspector"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(inspector); err != nil {
		if inspector, err = exec.LookPath("mcp-inspector"); err != nil {
			t.Skip("the MCP Inspector is not installed (.tools/bin/mcp-inspector): run make tools")
		}
	}
	small, err := exec.LookPath("small")
	if err != nil {
		t.Fatal(err)
	}
	f := newFixture(t)
	for _, c := range []struct {
		args []string
		want int
	}{{nil, 8}, {[]string{"--read-only"}, 7}} {
		args := append([]string{"--cli", small, "mcp"}, c.args...)
		args = append(args, "--method", "tools/list", "--strict")
		out, err := f.try(inspector, args...)
		if err != nil {
			t.Fatalf("mcp-inspector %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		var list struct {
			Tools []struct {
				Name        string
				Annotations struct{ ReadOnlyHint bool }
			}
		}
		if err := json.Unmarshal([]byte(out), &list); err != nil {
			t.Fatalf("the inspector's answer: %v\n%s", err, out)
		}
		if len(list.Tools) != c.want {
			t.Errorf("%v: the inspector lists %d tools, want %d: %+v", c.args, len(list.Tools), c.want, list.Tools)
		}
	}
	// A call through the inspector, too.
	out, err := f.try(inspector, "--cli", small, "mcp", "--method", "tools/call", "--tool-name", "list_kinds")
	if err != nil || !strings.Contains(out, `"Article"`) {
		t.Errorf("list_kinds through the inspector: %v\n%s", err, out)
	}
}
