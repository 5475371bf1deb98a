package content

import (
	"crypto/sha256"
	"encoding/hex"

	"github.com/smallhq/small/diag"
	"github.com/smallhq/small/protocol"
	"github.com/smallhq/small/repo"
)

// Rendering is what one manifest, not yet committed, would build: its
// verdict, and when it is valid the files a build would write for it (the
// canonical JSON document and every #outputs file), byte for byte. small
// serve answers POST /v1/render with it.
type Rendering struct {
	Protocol string `json:"protocol"`
	// Commit is the commit whose schemas and small.cue judged it; absent
	// for the working tree.
	Commit   string `json:"commit,omitempty" jsonschema:"the commit whose schemas and small.cue judged and rendered the manifest"`
	Manifest string `json:"manifest" jsonschema:"where the manifest would live: the findings' file, and its id when it has none"`
	Valid    bool   `json:"valid" jsonschema:"true when the manifest has no finding: then artifacts lists what a build would write"`
	Kind     string `json:"kind,omitempty" jsonschema:"the manifest's kind, when it could be read"`
	ID       string `json:"id,omitempty" jsonschema:"the manifest's id (its id field, or its file name)"`
	State    string `json:"state,omitempty" jsonschema:"its lifecycle state: its status, or the kind's initial state"`
	// Stopped says why the manifest could not be judged at all (the
	// schemas do not compile), as small validate's report does.
	Stopped     string             `json:"stopped,omitempty" jsonschema:"present only when the manifest could not be checked: why"`
	Diagnostics []diag.Diagnostic  `json:"diagnostics" jsonschema:"the findings, sorted, as small validate reports them for this manifest; empty when valid"`
	Artifacts   []RenderedArtifact `json:"artifacts" jsonschema:"the files a build would write for the manifest, the canonical document first; empty when it is not valid"`
}

// RenderedArtifact is one file a manifest would build.
type RenderedArtifact struct {
	Path    string `json:"path" jsonschema:"the file's path in the artifact tree"`
	Size    int    `json:"size" jsonschema:"its length in bytes"`
	SHA256  string `json:"sha256" jsonschema:"the hex sha256 of its bytes, as lineage records give it"`
	Content string `json:"content" jsonschema:"its bytes, as text"`
}

// RenderInput validates a manifest read from opts.Input as ValidateInput
// does, and renders what a build would write for it. Nothing is written.
func RenderInput(r *repo.Repository, opts InputOptions) (*Rendering, error) {
	res, err := validateInput(r, opts, true)
	if err != nil {
		return nil, err
	}
	out := &Rendering{Protocol: protocol.Version, Manifest: opts.Path, Valid: !res.Report.Failed(), Stopped: res.Report.Stopped,
		Diagnostics: res.Report.Diagnostics, Artifacts: []RenderedArtifact{}}
	if opts.Rev != "" {
		c, err := r.Resolve(opts.Rev)
		if err != nil {
			return nil, err
		}
		out.Commit = c.ID.String()
	}
	if out.Diagnostics == nil {
		out.Diagnostics = []diag.Diagnostic{}
	}
	for _, m := range res.Manifests {
		if m.Path != opts.Path {
			continue
		}
		out.Kind, out.ID, out.State = m.Kind, m.ID, m.State
		if !out.Valid {
			continue
		}
		for _, a := range m.Artifacts {
			sum := sha256.Sum256(a.Data)
			out.Artifacts = append(out.Artifacts, RenderedArtifact{Path: a.Path, Size: len(a.Data), SHA256: hex.EncodeToString(sum[:]), Content: string(a.Data)})
		}
	}
	return out, nil
}
