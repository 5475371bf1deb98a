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
	Primitives   []Primitive       `json:"primitives"`
	Rules        []Rule            `json:"rules"`
}

// Primitive is one of the five primitives of the SMALL execution model:
// the question it answers, where small keeps it, and the commands that
// answer the question.
type Primitive struct {
	Name     string   `json:"name" jsonschema:"the primitive: schema, manifest, artifact, lineage or lifecycle"`
	Question string   `json:"question" jsonschema:"the question the primitive answers"`
	InSmall  string   `json:"inSmall" jsonschema:"where small keeps it"`
	Commands []string `json:"commands" jsonschema:"the commands that answer the question"`
}

// Rule is one of the rules that make a repository safe for agents, as
// small enforces it: the rule in one sentence, the commands that enforce
// or check it, and the diagnostic codes of its breaches.
type Rule struct {
	Name       string   `json:"name" jsonschema:"the rule's stable name"`
	Rule       string   `json:"rule" jsonschema:"the rule, as small enforces it, in one sentence"`
	EnforcedBy []string `json:"enforcedBy" jsonschema:"the commands that enforce or check it"`
	Codes      []string `json:"codes" jsonschema:"the diagnostic codes that report a breach"`
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
				protocol.FieldID:     "optional; defaults to the file name without extension; may have /-separated segments (v1/install), and its artifact nests (doc/v1/install.json)",
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
		Primitives:   Primitives,
		Rules:        Rules,
	}
}

// Primitives are the five primitives of the SMALL execution model, in the
// order of the model.
var Primitives = []Primitive{
	{"schema", "What is allowed?",
		"CUE definitions in the schemas package (schemas/), one #Kind per kind, with its lifecycle",
		[]string{"small schema list", "small validate"}},
	{"manifest", "What is intended?",
		"committed YAML or JSON files under the manifests root (manifests/), one content entry each, changed only by commits",
		[]string{"small validate", "small check", "small plan"}},
	{"artifact", "What exists?",
		"files built deterministically from the manifests of a commit onto the artifact branch (" + protocol.BranchRef(protocol.DefaultArtifactBranch) + ")",
		[]string{"small status", "small show", "small build", "small verify"}},
	{"lineage", "Where did it come from?",
		"Small-* trailers on build commits and JSON-lines notes (" + protocol.NotesLineage + ") tying each artifact version to its manifest commit, blob, actor and schema digest",
		[]string{"small lineage", "small provenance", "small log"}},
	{"lifecycle", "What happened to it, and what may happen next?",
		"states and transitions defined with each kind; events as JSON-lines notes (" + protocol.NotesLifecycle + ")",
		[]string{"small history", "small status", "small log", "small check", "small event"}},
}

// Rules are the rules small enforces, each in one sentence true to the code
// that enforces it.
var Rules = []Rule{
	{"validation-before-materialization",
		"small build validates every manifest changed since the last build (every manifest when the schemas, small.cue or small changed) against the schemas of the commit it builds, and writes nothing, no artifact, note or ref, when one is invalid.",
		[]string{"small build", "small plan", "small validate", "small check", "small verify"},
		[]string{diag.CodeViolation, diag.CodeFieldNotAllowed, diag.CodeMissingField, diag.CodeKindUnknown, diag.CodeVerifyInvalid}},
	{"immutable-artifacts",
		"Only small build writes the artifact branch, each time as one new commit on top of the previous build, moved by compare-and-swap, so a change or a rollback is a new artifact version and no build is ever rewritten; small verify rebuilds every build from its parent and manifest commit and reports any difference.",
		[]string{"small build", "small pull", "small verify"},
		[]string{diag.CodeVerifyCommit, diag.CodeVerifyArtifact, diag.CodeVerifyRollback}},
	{"append-only-lineage",
		"Each build writes its lineage and lifecycle lines once, as notes on its build commit; small event only adds lines, small pull and small push merge notes as the union of their lines, and small verify reports any line a later notes commit took away.",
		[]string{"small build", "small event", "small pull", "small push", "small verify"},
		[]string{diag.CodeVerifyLineage, diag.CodeVerifyLifecycle, diag.CodeVerifyObservation}},
	{"event-based-lifecycle",
		"A state changes only by a commit that changes a manifest's status: small check refuses a move along no transition of the kind's lifecycle, small build records each step as a transitioned event at the commit that made it (marked illegal, and failed by small verify, when it had no transition), and observations recorded with small event never change a state.",
		[]string{"small check", "small validate --base", "small build", "small event", "small verify"},
		[]string{diag.CodeStateUnknown, diag.CodeTransition, diag.CodeDelete, diag.CodeVerifyLifecycle}},
	{"agent-boundary",
		"A commit with a Small-Agent trailer or an author e-mail listed in the base's agents is an agent's, and small check refuses one that changes a path outside agentPaths (default: the manifests root), a symbolic link or submodule, moves a manifest into or through a human-only state, or changes content frozen in its state: agents act only through manifests, and the artifact branch is small build's alone.",
		[]string{"small check", "small verify"},
		[]string{diag.CodeAgentBoundary, diag.CodeHumanOnly, diag.CodeFrozen, diag.CodeStateUnknown}},
}
