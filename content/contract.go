package content

import (
	"github.com/smallhq/small/diag"
	"github.com/smallhq/small/protocol"
	"github.com/smallhq/small/version"
)

// Contract is small/v1 as data: what small protocol prints, and what every
// front end publishes as the contract.
type Contract struct {
	Protocol     string            `json:"protocol"`
	Version      string            `json:"version"`
	Config       string            `json:"config"`
	Schemas      string            `json:"schemas"`
	Manifests    ManifestContract  `json:"manifests"`
	Artifacts    string            `json:"artifactBranch"`
	Trailers     TrailerContract   `json:"trailers"`
	Notes        map[string]string `json:"notes"`
	ExitCodes    map[string]string `json:"exitCodes"`
	Diagnostics  []diag.Code       `json:"diagnosticCodes"`
	SchemaDigest string            `json:"schemaDigest"`
}

// ManifestContract describes manifest files.
type ManifestContract struct {
	Root       string            `json:"root"`
	Extensions []string          `json:"extensions"`
	Reserved   map[string]string `json:"reservedFields"`
	IDPattern  string            `json:"idPattern"`
}

// TrailerContract lists the trailer keys of build and manifest commits.
type TrailerContract struct {
	Build    []string `json:"build"`
	Manifest []string `json:"manifest"`
}

// DescribeContract returns the contract this build of small implements.
func DescribeContract() Contract {
	return Contract{
		Protocol: protocol.Version,
		Version:  version.Current(),
		Config:   protocol.ConfigFile,
		Schemas:  "a CUE package directory (default schemas/); each regular definition #Kind is a kind, hidden definitions _#Name are helpers",
		Manifests: ManifestContract{
			Root:       "manifests/ (configurable), one manifest per file",
			Extensions: protocol.ManifestExtensions,
			Reserved: map[string]string{
				protocol.FieldKind:   "required; the name of a kind",
				protocol.FieldID:     "optional; defaults to the file name without extension",
				protocol.FieldStatus: "optional; the lifecycle state, defaulting to the kind's initial state",
			},
			IDPattern: protocol.IDPattern,
		},
		Artifacts: protocol.BranchRef(protocol.DefaultArtifactBranch),
		Trailers:  TrailerContract{Build: protocol.BuildTrailers, Manifest: protocol.ManifestTrailers},
		Notes:     map[string]string{"lineage": protocol.NotesLineage, "lifecycle": protocol.NotesLifecycle},
		ExitCodes: map[string]string{
			"0": "ok", "1": "findings: invalid content, policy violation, non-compliance",
			"2": "usage or configuration error", "3": "repository state error (e.g. a ref moved underneath)",
		},
		Diagnostics:  diag.Codes,
		SchemaDigest: "sha256 over the schemas package's .cue files in path order, each as path NUL size NUL bytes",
	}
}
