package mcpcmd

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/smallhq/small/builder"
	"github.com/smallhq/small/cmd/internal/cmdutil"
	"github.com/smallhq/small/content"
	"github.com/smallhq/small/diag"
	"github.com/smallhq/small/lineage"
	"github.com/smallhq/small/propose"
	"github.com/smallhq/small/protocol"
	"github.com/smallhq/small/records"
	"github.com/smallhq/small/schema"
)

// NoInput is the input of a tool that takes none.
type NoInput struct{}

// KindsOutput is what list_kinds returns.
type KindsOutput struct {
	Protocol     string   `json:"protocol" jsonschema:"always small/v1"`
	Commit       string   `json:"commit" jsonschema:"the commit (HEAD) the answer was read from"`
	Schemas      string   `json:"schemas" jsonschema:"the directory of the CUE schemas package"`
	SchemaDigest string   `json:"schemaDigest" jsonschema:"sha256 over the schemas package, as build commits record it"`
	Manifests    string   `json:"manifests" jsonschema:"the directory manifests live under: a proposal writes only there"`
	AgentPaths   []string `json:"agentPaths" jsonschema:"the paths an agent's commit may change (small.cue agentPaths)"`
	Kinds        []Kind   `json:"kinds" jsonschema:"every kind, sorted by name"`
}

// Kind is one kind and its lifecycle.
type Kind struct {
	Name      string           `json:"name" jsonschema:"the kind: a manifest's kind field"`
	Defined   string           `json:"defined" jsonschema:"file:line of its CUE definition"`
	Lifecycle schema.Lifecycle `json:"lifecycle" jsonschema:"its states, the initial state, the allowed transitions (from state to next states), the states only a human may enter (humanOnly), the states a manifest may be deleted from, and those whose content only a human may change (frozen; the humanOnly states when absent)"`
}

func (s *server) kinds() (*KindsOutput, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, err := s.committed()
	if err != nil {
		return nil, err
	}
	cfg, err := c.Config()
	if err != nil {
		return nil, err
	}
	sc, err := content.SchemaAt(c.Repo, c.Rev)
	if err != nil {
		return nil, err
	}
	out := &KindsOutput{Protocol: protocol.Version, Commit: c.Rev, Schemas: sc.Dir, SchemaDigest: sc.Digest,
		Manifests: cfg.Manifests, AgentPaths: cfg.AgentPaths, Kinds: []Kind{}}
	for _, k := range sc.Kinds {
		out.Kinds = append(out.Kinds, Kind{Name: k, Defined: sc.Defined[k], Lifecycle: sc.Lifecycle(k)})
	}
	return out, nil
}

func (s *server) listKinds(_ context.Context, _ NoInput) (*KindsOutput, error) { return s.kinds() }

// ValidateInput is what validate_manifest takes.
type ValidateInput struct {
	Path string `json:"path" jsonschema:"where the manifest would live, relative to the top of the repository, e.g. manifests/articles/hello.yaml: its file name gives the id when the manifest has none, and .json is read as JSON"`
	Text string `json:"text" jsonschema:"the whole manifest: kind, optional id and status, and the kind's fields"`
}

// ValidateOutput is what validate_manifest returns.
type ValidateOutput struct {
	Protocol    string            `json:"protocol" jsonschema:"always small/v1"`
	Commit      string            `json:"commit" jsonschema:"the commit (HEAD) whose schemas judged the manifest"`
	Valid       bool              `json:"valid" jsonschema:"true when the manifest has no findings"`
	Kind        string            `json:"kind,omitempty" jsonschema:"the manifest's kind, when it could be read"`
	ID          string            `json:"id,omitempty" jsonschema:"the manifest's id (its id field, or its file name)"`
	State       string            `json:"state,omitempty" jsonschema:"its lifecycle state: its status, or the kind's initial state"`
	Diagnostics []diag.Diagnostic `json:"diagnostics" jsonschema:"every finding at file:line:column, with a stable code (schema.violation, schema.missing-field, manifest.parse, ...) and a message saying what was expected"`
}

func (s *server) validate(_ context.Context, in ValidateInput) (*ValidateOutput, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, err := s.committed()
	if err != nil {
		return nil, err
	}
	res, err := content.ValidateInput(c.Repo, content.InputOptions{Rev: c.Rev, Path: in.Path, Input: strings.NewReader(in.Text)})
	if err != nil {
		return nil, err
	}
	out := &ValidateOutput{Protocol: protocol.Version, Commit: c.Rev, Valid: !res.Report.Failed(), Diagnostics: res.Report.Diagnostics}
	if out.Diagnostics == nil {
		out.Diagnostics = []diag.Diagnostic{}
	}
	for _, m := range res.Manifests {
		if m.Path == in.Path {
			out.Kind, out.ID, out.State = m.Kind, m.ID, m.State
		}
	}
	return out, nil
}

// PlanInput is what plan_change takes.
type PlanInput struct {
	Manifests []propose.File `json:"manifests" jsonschema:"the manifests the change writes (created or replaced), each a path and its full text"`
	Message   string         `json:"message,omitempty" jsonschema:"what the change is for, as propose would commit it (optional here)"`
}

func (s *server) plan(_ context.Context, in PlanInput) (*propose.Result, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	// A proposal starts at the default branch, not HEAD, which may even
	// be unborn.
	r, err := s.f.Repository()
	if err != nil {
		return nil, err
	}
	msg := in.Message
	if strings.TrimSpace(msg) == "" {
		msg = "Proposed change (planned, not written)"
	}
	return propose.Judge(r, propose.Request{Agent: s.agent, Message: msg, Files: in.Manifests})
}

// ProposeInput is what propose takes.
type ProposeInput struct {
	Name      string         `json:"name" jsonschema:"the proposal's name: the branch is small/proposals/<name>; lower case letters, digits, '.', '_' and '-', starting with a letter or digit, at most 64; it must not exist yet"`
	Message   string         `json:"message" jsonschema:"the commit message: a subject line saying what the change is for, then a blank line and why; no Small-* lines (small adds the Small-Agent trailer)"`
	Manifests []propose.File `json:"manifests" jsonschema:"the manifests to write (created or replaced), each a path under the manifests directory and its full text"`
}

func (s *server) propose(_ context.Context, in ProposeInput) (*propose.Result, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, err := s.f.Repository()
	if err != nil {
		return nil, err
	}
	res, err := propose.Propose(r, propose.Request{Name: in.Name, Agent: s.agent, Message: in.Message, Files: in.Manifests})
	if err != nil {
		return nil, err
	}
	if !res.Written {
		var b strings.Builder
		fmt.Fprintf(&b, "small: the proposal was refused by small check, and nothing was written (%d findings):", len(res.Diagnostics))
		for _, d := range res.Diagnostics {
			b.WriteString("\n" + finding(d))
		}
		return res, &refusedResult{b.String()}
	}
	return res, nil
}

// LineageInput is what artifact_lineage takes.
type LineageInput struct {
	Target string `json:"target" jsonschema:"an artifact path (article/hello.json), a Kind/id (Article/hello) or a manifest path (manifests/articles/hello.yaml)"`
	All    bool   `json:"all,omitempty" jsonschema:"every version, newest first, instead of the current one"`
}

func (s *server) lineage(_ context.Context, in LineageInput) (*lineage.LineageReport, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, l, err := s.log()
	if err != nil {
		return nil, err
	}
	rep, _, err := builder.Lineage(c.Repo, l, in.Target, in.All)
	return rep, err
}

// StatusInput is what artifact_status takes.
type StatusInput struct {
	Kind  string `json:"kind,omitempty" jsonschema:"only artifacts of this kind (case-insensitive)"`
	State string `json:"state,omitempty" jsonschema:"only artifacts in this lifecycle state"`
}

func (s *server) status(_ context.Context, in StatusInput) (*builder.StatusReport, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, l, err := s.log()
	if err != nil {
		return nil, err
	}
	return builder.Status(c.Repo, l, builder.StatusFilter{Kind: in.Kind, State: in.State})
}

// HistoryInput is what artifact_history takes.
type HistoryInput struct {
	Target string `json:"target" jsonschema:"an artifact path (article/hello.json) or a Kind/id (Article/hello)"`
}

func (s *server) history(_ context.Context, in HistoryInput) (*lineage.HistoryReport, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, l, err := s.log()
	if err != nil {
		return nil, err
	}
	return l.History(in.Target)
}

// log opens the artifact branch that small.cue at HEAD names.
func (s *server) log() (*cmdutil.Committed, *lineage.Log, error) {
	c, err := s.committed()
	if err != nil {
		return nil, nil, err
	}
	l, err := c.Log()
	if err != nil {
		return nil, nil, err
	}
	return c, l, nil
}

func (s *server) contract(_ context.Context, req *mcp.ReadResourceRequest) (*mcp.ReadResourceResult, error) {
	return resourceJSON(req.Params.URI, content.DescribeContract())
}

func (s *server) kindsResource(_ context.Context, req *mcp.ReadResourceRequest) (*mcp.ReadResourceResult, error) {
	out, err := s.kinds()
	if err != nil {
		return nil, err
	}
	return resourceJSON(req.Params.URI, out)
}

func (s *server) kindResource(_ context.Context, req *mcp.ReadResourceRequest) (*mcp.ReadResourceResult, error) {
	name, ok := strings.CutPrefix(req.Params.URI, "small://kinds/")
	if !ok {
		return nil, mcp.ResourceNotFoundError(req.Params.URI)
	}
	out, err := s.kinds()
	if err != nil {
		return nil, err
	}
	for _, k := range out.Kinds {
		if k.Name == name {
			return resourceJSON(req.Params.URI, k)
		}
	}
	return nil, mcp.ResourceNotFoundError(req.Params.URI)
}

// RecordRef is one of small's records, as small://records lists it.
type RecordRef struct {
	records.Record
	URI string `json:"uri"`
}

func (s *server) recordsResource(_ context.Context, req *mcp.ReadResourceRequest) (*mcp.ReadResourceResult, error) {
	var out []RecordRef
	for _, r := range records.All() {
		out = append(out, RecordRef{Record: r, URI: "small://records/" + r.Name})
	}
	return resourceJSON(req.Params.URI, out)
}

func (s *server) recordResource(_ context.Context, req *mcp.ReadResourceRequest) (*mcp.ReadResourceResult, error) {
	name, _ := strings.CutPrefix(req.Params.URI, "small://records/")
	r, ok := records.Lookup(name)
	if !ok {
		return nil, mcp.ResourceNotFoundError(req.Params.URI)
	}
	data, err := r.SchemaJSON()
	if err != nil {
		return nil, err
	}
	return &mcp.ReadResourceResult{Contents: []*mcp.ResourceContents{{URI: req.Params.URI, MIMEType: "application/schema+json", Text: string(data)}}}, nil
}

// KindSchemaInput is what kind_schema takes.
type KindSchemaInput struct {
	Kind string `json:"kind" jsonschema:"the kind, as list_kinds names it (e.g. Article)"`
}

// KindSchemaOutput is what kind_schema returns.
type KindSchemaOutput struct {
	Protocol string         `json:"protocol" jsonschema:"always small/v1"`
	Commit   string         `json:"commit" jsonschema:"the commit (HEAD) whose schemas were exported"`
	Kind     string         `json:"kind" jsonschema:"the kind"`
	Schema   map[string]any `json:"schema" jsonschema:"the JSON Schema (draft 2020-12) of a manifest of the kind as written in its file: every field with its type, default, allowed values and description, which are required, the reserved fields kind, id and status (one of the lifecycle's states); a $comment marks where small validate checks more than JSON Schema can say"`
}

func (s *server) kindSchema(_ context.Context, in KindSchemaInput) (*KindSchemaOutput, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, err := s.committed()
	if err != nil {
		return nil, err
	}
	sc, err := content.SchemaAt(c.Repo, c.Rev)
	if err != nil {
		return nil, err
	}
	data, err := sc.JSONSchema(in.Kind)
	if err != nil {
		return nil, err
	}
	out := &KindSchemaOutput{Protocol: protocol.Version, Commit: c.Rev, Kind: in.Kind}
	if err := json.Unmarshal(data, &out.Schema); err != nil {
		return nil, fmt.Errorf("the JSON Schema of %s: %w", in.Kind, err)
	}
	return out, nil
}

func (s *server) schemaResource(_ context.Context, req *mcp.ReadResourceRequest) (*mcp.ReadResourceResult, error) {
	kind, _ := strings.CutPrefix(req.Params.URI, "small://schemas/")
	s.mu.Lock()
	defer s.mu.Unlock()
	c, err := s.committed()
	if err != nil {
		return nil, err
	}
	sc, err := content.SchemaAt(c.Repo, c.Rev)
	if err != nil {
		return nil, err
	}
	if !sc.HasKind(kind) {
		return nil, mcp.ResourceNotFoundError(req.Params.URI)
	}
	data, err := sc.JSONSchema(kind)
	if err != nil {
		return nil, err
	}
	return &mcp.ReadResourceResult{Contents: []*mcp.ResourceContents{{URI: req.Params.URI, MIMEType: "application/schema+json", Text: string(data)}}}, nil
}
