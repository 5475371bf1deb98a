// Package mcpcmd implements small mcp: a Model Context Protocol server on
// standard input and output. Through it an agent reads the kinds with their
// lifecycles, validates a draft, sees what a change would do and whether
// the lifecycle lets an agent make it, reads the lineage, status and
// history of artifacts, and proposes manifests on a branch
// small/proposals/<name>. Each tool is a domain call the CLI makes too.
package mcpcmd

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os/signal"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/google/jsonschema-go/jsonschema"
	"github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/spf13/cobra"

	"github.com/smallhq/small/cmd/internal/cmdutil"
	"github.com/smallhq/small/diag"
	"github.com/smallhq/small/propose"
	"github.com/smallhq/small/protocol"
	"github.com/smallhq/small/version"
)

// MaxRequestBytes bounds one request from the client: a longer line ends
// the session rather than fill memory. A proposal's manifests are bounded
// one by one by limits.manifestBytes.
const MaxRequestBytes = 16 << 20

// DefaultAgent is the agent's name when --agent does not give one.
const DefaultAgent = "mcp-agent"

// Options are the inputs of small mcp.
type Options struct {
	IO       *cmdutil.IOStreams
	Factory  *cmdutil.Factory
	ReadOnly bool
	Agent    string
}

// NewCmdMCP returns the mcp command.
func NewCmdMCP(f *cmdutil.Factory) *cobra.Command {
	opts := &Options{IO: f.IO, Factory: f}
	cmd := &cobra.Command{
		Use:   "mcp [--read-only] [--agent NAME]",
		Short: "Serve the repository to an AI agent over the Model Context Protocol (stdio)",
		Long: `Run a Model Context Protocol server on standard input and output, for an
AI agent's host (Claude Code, Cursor, VS Code, ...) to start.

The agent can list the kinds with their lifecycles and read each kind's
JSON Schema (as small schema export writes it), validate a manifest
given as text, see what a change would do (small check's verdict for an
agent, and the artifacts merging it would create, update and retract),
read the lineage, status and history of artifacts, and propose manifests:
one commit on a new branch small/proposals/<name> from the default branch,
with a Small-Agent trailer naming --agent, written only when small check
accepts it. A proposal never touches the working tree, the index, the
current branch, the artifact branch or an existing branch, and never
pushes: the agent or its host opens the pull request.

Answers come from the commit HEAD is at (read again at every request, so
a new commit is seen at once), never from the working tree; proposals
start at the default branch (origin/HEAD, or the branch HEAD is on
without a remote). --read-only leaves the propose tool out. The kinds and
the small/v1 contract are also resources (small://kinds, small://contract),
and so are the JSON Schemas of small's records (small://records).
See docs/agents.md for the client configuration.`,
		Example: `  $ small mcp --agent docs-bot
  $ small mcp --read-only
  # in a client's configuration: {"command": "small", "args": ["mcp", "--agent", "docs-bot"]}`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return run(cmd.Context(), opts)
		},
	}
	cmd.Flags().BoolVar(&opts.ReadOnly, "read-only", false, "offer no tool that writes: leave propose out")
	cmd.Flags().StringVar(&opts.Agent, "agent", DefaultAgent, "the agent's `name`: the Small-Agent trailer and author name of its proposals")
	return cmd
}

func run(ctx context.Context, opts *Options) error {
	if err := propose.CheckAgent(opts.Agent); err != nil {
		return cmdutil.Usagef("--agent %q: expected letters, digits, '.', '_' and '-', starting with a letter or digit, at most %d", opts.Agent, propose.MaxAgentName)
	}
	if _, err := opts.Factory.Repository(); err != nil {
		return err
	}
	if ctx == nil {
		ctx = context.Background()
	}
	ctx, stop := signal.NotifyContext(ctx, syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	s := NewServer(opts)
	busy := &inFlight{}
	s.AddReceivingMiddleware(busy.count)
	in := &drainReader{r: opts.IO.In, busy: busy}
	t := &mcp.IOTransport{Reader: io.NopCloser(in), Writer: nopWriteCloser{opts.IO.Out}, MaxLineLength: MaxRequestBytes}
	err := s.Run(ctx, t)
	if err == nil || errors.Is(err, context.Canceled) || errors.Is(err, io.EOF) {
		return nil
	}
	return &cmdutil.ExitError{Code: cmdutil.ExitUsage, Err: fmt.Errorf("the session ended: %w", err)}
}

// inFlight counts the requests being answered.
type inFlight struct{ n atomic.Int64 }

func (f *inFlight) count(next mcp.MethodHandler) mcp.MethodHandler {
	return func(ctx context.Context, method string, req mcp.Request) (mcp.Result, error) {
		f.n.Add(1)
		defer f.n.Add(-1)
		return next(ctx, method, req)
	}
}

// drainReader holds the end of standard input back until the requests
// read before it are answered: a client that writes its requests and
// closes its end (small mcp < requests.jsonl) gets every answer. Each
// answer is bounded in time (the evaluation limits), so this ends.
type drainReader struct {
	r    io.Reader
	busy *inFlight
}

func (d *drainReader) Read(p []byte) (int, error) {
	n, err := d.r.Read(p)
	if err == io.EOF {
		// The last requests read may not have reached a handler yet.
		for quiet := 0; quiet < 5; {
			time.Sleep(10 * time.Millisecond)
			if d.busy.n.Load() == 0 {
				quiet++
			} else {
				quiet = 0
			}
		}
	}
	return n, err
}

type nopWriteCloser struct{ io.Writer }

func (nopWriteCloser) Close() error { return nil }

// instructions tell the agent how to work here.
const instructions = `This server is small, the content repository tool: content entries are manifests (YAML or JSON) of kinds defined by CUE schemas; each kind has a lifecycle of states.
Work like this: list_kinds (kinds, lifecycles, where manifests live) -> kind_schema (the JSON Schema of the kind you write) -> validate_manifest on each draft until it is valid -> plan_change to see small check's verdict for an agent and the artifacts it would build -> propose to commit the manifests on a new branch small/proposals/<name>. A person reviews and merges the pull request; only the build writes artifacts.
An agent may not enter states only a human may enter, may not change content frozen in such states, and writes only manifest files under the manifests directory. Answers come from the commit HEAD is at, not the working tree. Findings carry a stable code and file:line:column.`

// NewServer returns the MCP server small mcp runs, its tools and resources
// bound to opts.Factory's repository.
func NewServer(opts *Options) *mcp.Server {
	s := &server{f: opts.Factory, agent: opts.Agent}
	srv := mcp.NewServer(&mcp.Implementation{Name: "small", Title: "small: Git-backed content repository", Version: version.Current()},
		&mcp.ServerOptions{Instructions: instructions})
	no := false
	readOnly := &mcp.ToolAnnotations{ReadOnlyHint: true, IdempotentHint: true, DestructiveHint: &no, OpenWorldHint: &no}
	annotated := func(title string) *mcp.ToolAnnotations {
		a := *readOnly
		a.Title = title
		return &a
	}
	addTool(srv, &mcp.Tool{Name: "list_kinds", Annotations: annotated("List kinds"),
		Description: "List the kinds of content this repository defines (each a CUE definition), with where each is defined and its lifecycle: the states, the initial state, the allowed transitions, the states only a human may enter (humanOnly), those a manifest may be deleted from, and those whose content only a human may change (frozen). Also says where manifests live (manifests) and which paths an agent may change (agentPaths). Read from the commit HEAD is at."},
		s.listKinds)
	addTool(srv, &mcp.Tool{Name: "kind_schema", Annotations: annotated("JSON Schema of a kind"),
		Description: "The JSON Schema (draft 2020-12) of one kind's manifests, generated from its CUE definition at the commit HEAD is at: every field with its type, default, allowed values and description, the required ones, and the reserved fields kind, id and status (status one of the lifecycle's states). Draft a manifest from it, then validate_manifest it: small validate is the judge where a $comment says CUE checks more than JSON Schema can say."},
		s.kindSchema)
	addTool(srv, &mcp.Tool{Name: "validate_manifest", Annotations: annotated("Validate a manifest"),
		Description: "Validate one manifest given as text, as if it were the file at path, against its kind's schema at the commit HEAD is at: every problem with file:line:column, a stable code and what was expected. Its id defaults to the file name without extension, and .json paths are read as JSON, .yaml/.yml as YAML. Nothing is written. Use it on every draft before plan_change or propose."},
		s.validate)
	addTool(srv, &mcp.Tool{Name: "plan_change", Annotations: annotated("Plan a change"),
		Description: "Judge a change (one or more manifests, each a path and its full text, created or replaced) as small check would judge a pull request of it made by this agent, from the default branch: validation, lifecycle transitions (an agent may not enter human-only states or change frozen content), the agent boundary. Returns accepted, the findings, and the artifacts merging it would create, update and retract. Nothing is written: it is propose without the branch."},
		s.plan)
	addTool(srv, &mcp.Tool{Name: "artifact_lineage", Annotations: annotated("Lineage of an artifact"),
		Description: "Where did an artifact come from? For an artifact path (article/hello.json), a Kind/id (Article/hello) or a manifest path: the build commit that wrote its current version (every version with all), the manifest version and the commit that introduced it, whether a human or an agent made it, the schema digest and the builder. Read from the artifact branch."},
		s.lineage)
	addTool(srv, &mcp.Tool{Name: "artifact_status", Annotations: annotated("Status of artifacts"),
		Description: "Where each artifact of the latest build stands in its lifecycle: its kind, id and state, since when and by whom, and the states it may move to next (marked when only a human may enter them). Narrow by kind and state. Read from the artifact branch."},
		s.status)
	addTool(srv, &mcp.Tool{Name: "artifact_history", Annotations: annotated("History of an artifact"),
		Description: "What happened to an artifact, oldest first: created, updated, transitioned (from and to states), rolled back, retracted, and observations, each with its time, actor (human or agent) and manifest commit. Target: an artifact path or Kind/id. Read from the artifact branch."},
		s.history)
	if !opts.ReadOnly {
		addTool(srv, &mcp.Tool{Name: "propose",
			Annotations: &mcp.ToolAnnotations{Title: "Propose manifests", ReadOnlyHint: false, DestructiveHint: &no, IdempotentHint: false, OpenWorldHint: &no},
			Description: "Propose a change: commit one or more manifests (each a path under the manifests directory and its full text, created or replaced) on a new branch small/proposals/<name> that starts at the default branch, as this agent (a Small-Agent trailer), and return the branch, the commit and small check's verdict for a pull request with the artifacts it would build. The change is judged first; a change with findings is refused and nothing is written. It never moves an existing branch, never writes the working tree, the index, the current or the artifact branch, and never pushes: open the pull request from the branch (git push origin small/proposals/<name>). Run plan_change first."},
			s.propose)
	}
	// A resource handler that panics answers with an error, as a tool
	// does: the session goes on.
	safe := func(h mcp.ResourceHandler) mcp.ResourceHandler {
		return func(ctx context.Context, req *mcp.ReadResourceRequest) (res *mcp.ReadResourceResult, err error) {
			defer func() {
				if p := recover(); p != nil {
					res, err = nil, fmt.Errorf("internal error reading %s: %v", req.Params.URI, p)
				}
			}()
			return h(ctx, req)
		}
	}
	srv.AddResource(&mcp.Resource{URI: "small://contract", Name: "contract", Title: "The small/v1 contract", MIMEType: "application/json",
		Description: "small/v1 as data: configuration and schema locations, manifest files and reserved fields, the artifact branch, trailers, notes refs, exit codes and every diagnostic code."},
		safe(s.contract))
	srv.AddResource(&mcp.Resource{URI: "small://kinds", Name: "kinds", Title: "Kinds and lifecycles", MIMEType: "application/json",
		Description: "The kinds this repository defines at the commit HEAD is at, with their lifecycles (what list_kinds returns)."},
		safe(s.kindsResource))
	srv.AddResource(&mcp.Resource{URI: "small://records", Name: "records", Title: "small's JSON records", MIMEType: "application/json",
		Description: "The JSON records small writes (notes lines, --format json outputs, the proposal), each with the URI of its JSON Schema."},
		safe(s.recordsResource))
	srv.AddResourceTemplate(&mcp.ResourceTemplate{URITemplate: "small://records/{name}", Name: "record", Title: "A record's JSON Schema", MIMEType: "application/schema+json",
		Description: "The JSON Schema (2020-12) of one of small's records, as small protocol --schema NAME prints it."},
		safe(s.recordResource))
	srv.AddResourceTemplate(&mcp.ResourceTemplate{URITemplate: "small://schemas/{kind}", Name: "kind-schema", Title: "A kind's JSON Schema", MIMEType: "application/schema+json",
		Description: "The JSON Schema (draft 2020-12) of one kind's manifests, at the commit HEAD is at (what kind_schema returns)."},
		safe(s.schemaResource))
	srv.AddResourceTemplate(&mcp.ResourceTemplate{URITemplate: "small://kinds/{kind}", Name: "kind", Title: "One kind", MIMEType: "application/json",
		Description: "One kind: where it is defined and its lifecycle."},
		safe(s.kindResource))
	return srv
}

// server answers the tools from the repository, one request at a time:
// a repository is not safe for concurrent use, and evaluations are bounded
// one by one.
type server struct {
	f     *cmdutil.Factory
	agent string
	mu    sync.Mutex
}

// committed opens the repository at the commit HEAD is at now: a commit
// made since the last request is seen.
func (s *server) committed() (*cmdutil.Committed, error) {
	return s.f.OpenCommitted()
}

// addTool adds a typed tool whose output schema is Out's and whose
// failures are tool errors carrying small's diagnostics, never protocol
// errors or a crash.
func addTool[In, Out any](srv *mcp.Server, t *mcp.Tool, run func(context.Context, In) (*Out, error)) {
	in, err := jsonschema.For[In](nil)
	if err != nil {
		panic(fmt.Sprintf("small mcp: the input schema of %s: %v", t.Name, err)) // a programming error
	}
	out, err := jsonschema.For[Out](nil)
	if err != nil {
		panic(fmt.Sprintf("small mcp: the output schema of %s: %v", t.Name, err))
	}
	t.InputSchema, t.OutputSchema = portable(in), portable(out)
	mcp.AddTool(srv, t, func(ctx context.Context, req *mcp.CallToolRequest, in In) (res *mcp.CallToolResult, o any, err error) {
		defer func() {
			if p := recover(); p != nil {
				res, o, err = failure(fmt.Errorf("internal error in %s: %v", t.Name, p)), nil, nil
			}
		}()
		v, err := run(ctx, in)
		var refused *refusedResult
		if err != nil && !errors.As(err, &refused) {
			return failure(err), nil, nil
		}
		data, merr := json.Marshal(v)
		if merr != nil {
			return failure(merr), nil, nil
		}
		data = noNulls(data, out)
		if refused != nil {
			// The answer stands, and is an error: a proposal refused
			// with its findings.
			return &mcp.CallToolResult{IsError: true, Content: []mcp.Content{&mcp.TextContent{Text: refused.text}}}, json.RawMessage(data), nil
		}
		return nil, json.RawMessage(data), nil
	})
}

// portable makes a schema every client can read: jsonschema.For gives a
// slice, a map or a pointer the type ["null", T], which clients that map
// tool schemas onto a single-type dialect reject. small never sends null
// where it says T (see noNulls), and a null argument is refused.
func portable(s *jsonschema.Schema) *jsonschema.Schema {
	if s == nil {
		return nil
	}
	if len(s.Types) == 2 && s.Types[0] == "null" {
		s.Type, s.Types = s.Types[1], nil
	}
	for _, p := range s.Properties {
		portable(p)
	}
	portable(s.Items)
	portable(s.AdditionalProperties)
	return s
}

// noNulls replaces, in a tool's JSON output, each null the schema types as
// an array or an object with an empty one: Go's nil slices and maps, as
// the portable schema says them.
func noNulls(data []byte, s *jsonschema.Schema) []byte {
	var v any
	if json.Unmarshal(data, &v) != nil {
		return data
	}
	out, err := json.Marshal(fill(v, s))
	if err != nil {
		return data
	}
	return out
}

func fill(v any, s *jsonschema.Schema) any {
	if s == nil {
		return v
	}
	switch x := v.(type) {
	case nil:
		switch s.Type {
		case "array":
			return []any{}
		case "object":
			return fill(map[string]any{}, s)
		}
	case []any:
		for i := range x {
			x[i] = fill(x[i], s.Items)
		}
	case map[string]any:
		for k, p := range s.Properties {
			e, ok := x[k]
			switch {
			case !ok:
			case e == nil && p != nil && p.Type == "object" && !slices.Contains(s.Required, k):
				delete(x, k) // an absent pointer: absent, not an empty object
			default:
				x[k] = fill(e, p)
			}
		}
		if s.AdditionalProperties != nil {
			for k := range x {
				if _, named := s.Properties[k]; !named {
					x[k] = fill(x[k], s.AdditionalProperties)
				}
			}
		}
	}
	return v
}

// refusedResult is a tool's answer that is also an error.
type refusedResult struct{ text string }

func (e *refusedResult) Error() string { return e.text }

// failure is a tool error: what failed, in a line an agent can act on,
// then small/v1's failure object (the exit code small would end with and
// the diagnostics) as JSON.
func failure(err error) *mcp.CallToolResult {
	code := cmdutil.ExitUsage
	var ee *cmdutil.ExitError
	if errors.As(cmdutil.Classify(err), &ee) {
		code = ee.Code
	}
	ds := diagnosticsOf(err)
	var b strings.Builder
	b.WriteString("small: ")
	if len(ds) > 0 {
		b.WriteString("refused:")
		for _, d := range ds {
			b.WriteString("\n" + finding(d))
		}
	} else {
		b.WriteString(err.Error())
	}
	f := diag.Failure{Protocol: protocol.Version, Error: diag.FailureError{ExitCode: code, Message: err.Error(), Diagnostics: ds}}
	data, _ := json.Marshal(f)
	return &mcp.CallToolResult{IsError: true, Content: []mcp.Content{&mcp.TextContent{Text: b.String()}, &mcp.TextContent{Text: string(data)}}}
}

// finding is a diagnostic in one line, with its code.
func finding(d diag.Diagnostic) string {
	if d.File == "" {
		return d.Message + " [" + d.Code + "]"
	}
	return d.String() + " [" + d.Code + "]"
}

// diagnosticsOf are the findings an error carries, if it carries any: a
// refused proposal's, or those every front end reads (cmdutil.Diagnostics).
func diagnosticsOf(err error) []diag.Diagnostic {
	var refused *propose.RefusedError
	if errors.As(err, &refused) {
		return []diag.Diagnostic{refused.Diagnostic}
	}
	return cmdutil.Diagnostics(err)
}

// resourceJSON is a resource's contents as one JSON document.
func resourceJSON(uri string, v any) (*mcp.ReadResourceResult, error) {
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return nil, err
	}
	return &mcp.ReadResourceResult{Contents: []*mcp.ResourceContents{{URI: uri, MIMEType: "application/json", Text: string(data)}}}, nil
}
