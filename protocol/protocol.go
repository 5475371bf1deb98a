// Package protocol names the parts of small/v1 that other tools and people
// rely on: files, refs, trailers, exit codes and diagnostic codes.
package protocol

import (
	"github.com/smallhq/small/config"
	"github.com/smallhq/small/diag"
	"github.com/smallhq/small/manifest"
	"github.com/smallhq/small/version"
)

// Refs and trailers of small/v1.
const (
	DefaultArtifactBranch = "refs/heads/small/artifacts"
	NotesLineage          = "refs/notes/small/lineage"
	NotesLifecycle        = "refs/notes/small/lifecycle"

	TrailerManifestCommit = "Small-Manifest-Commit"
	TrailerSchemaDigest   = "Small-Schema-Digest"
	TrailerBuilder        = "Small-Builder"
	TrailerProtocol       = "Small-Protocol"
	TrailerAgent          = "Small-Agent"
	TrailerRollbackOf     = "Small-Rollback-Of"
)

// IDPattern is the pattern every manifest id matches.
const IDPattern = `^[a-z0-9][a-z0-9._-]{0,127}$`

// Contract is small/v1 as data; `small protocol` prints it as JSON.
type Contract struct {
	Protocol     string            `json:"protocol"`
	Version      string            `json:"version"`
	Config       string            `json:"config"`
	Schemas      string            `json:"schemas"`
	Manifests    Manifests         `json:"manifests"`
	Artifacts    string            `json:"artifactBranch"`
	Trailers     Trailers          `json:"trailers"`
	Notes        map[string]string `json:"notes"`
	ExitCodes    map[string]string `json:"exitCodes"`
	Diagnostics  []diag.Code       `json:"diagnosticCodes"`
	SchemaDigest string            `json:"schemaDigest"`
}

// Manifests describes manifest files.
type Manifests struct {
	Root       string            `json:"root"`
	Extensions []string          `json:"extensions"`
	Reserved   map[string]string `json:"reservedFields"`
	IDPattern  string            `json:"idPattern"`
}

// Trailers lists the trailer keys of build and manifest commits.
type Trailers struct {
	Build    []string `json:"build"`
	Manifest []string `json:"manifest"`
}

// Describe returns the contract.
func Describe() Contract {
	return Contract{
		Protocol: version.Protocol,
		Version:  version.Version,
		Config:   config.FileName,
		Schemas:  "a CUE package directory (default schemas/); each regular definition #Kind is a kind, hidden definitions _#Name are helpers",
		Manifests: Manifests{
			Root:       "manifests/ (configurable), one manifest per file",
			Extensions: []string{".yaml", ".yml", ".json"},
			Reserved: map[string]string{
				manifest.FieldKind:   "required; the name of a kind",
				manifest.FieldID:     "optional; defaults to the file name without extension",
				manifest.FieldStatus: "optional; the lifecycle state, defaulting to the kind's initial state",
			},
			IDPattern: IDPattern,
		},
		Artifacts: DefaultArtifactBranch,
		Trailers: Trailers{
			Build:    []string{TrailerManifestCommit, TrailerSchemaDigest, TrailerBuilder, TrailerProtocol},
			Manifest: []string{TrailerAgent, TrailerRollbackOf},
		},
		Notes: map[string]string{"lineage": NotesLineage, "lifecycle": NotesLifecycle},
		ExitCodes: map[string]string{
			"0": "ok", "1": "findings: invalid content, policy violation, non-compliance",
			"2": "usage or configuration error", "3": "repository state error (e.g. a ref moved underneath)",
		},
		Diagnostics:  diag.Codes,
		SchemaDigest: "sha256 over the schemas package's .cue files in path order, each as path NUL size NUL bytes",
	}
}
