package lineage

import (
	"strings"
	"time"

	"github.com/smallhq/small/protocol"
)

// Statement is an in-toto Statement v1.
type Statement struct {
	Type          string    `json:"_type"`
	Subject       []Subject `json:"subject"`
	PredicateType string    `json:"predicateType"`
	Predicate     Predicate `json:"predicate"`
}

// Subject is what the statement is about: the artifact.
type Subject struct {
	Name   string            `json:"name" jsonschema:"the artifact's path"`
	Digest map[string]string `json:"digest" jsonschema:"the artifact's digests: sha256 of its bytes, gitBlob its blob id"`
}

// Predicate is a SLSA provenance v1 predicate.
type Predicate struct {
	BuildDefinition BuildDefinition `json:"buildDefinition"`
	RunDetails      RunDetails      `json:"runDetails"`
}

// BuildDefinition says what was built from what.
type BuildDefinition struct {
	BuildType            string               `json:"buildType"`
	ExternalParameters   ExternalParameters   `json:"externalParameters"`
	ResolvedDependencies []ResourceDescriptor `json:"resolvedDependencies" jsonschema:"the manifest version, then the schemas"`
}

// ExternalParameters are the inputs of small's build type: the artifact
// and the manifest commit it was built from. (Fields in name order, as
// the statement has always written them.)
type ExternalParameters struct {
	Artifact       string `json:"artifact" jsonschema:"the artifact's path"`
	ManifestCommit string `json:"manifestCommit" jsonschema:"the build's Small-Manifest-Commit"`
}

// ResourceDescriptor names an input with its digests.
type ResourceDescriptor struct {
	Name        string               `json:"name" jsonschema:"the manifest's path, or schemas"`
	Digest      map[string]string    `json:"digest" jsonschema:"digests by algorithm: gitCommit and gitBlob for the manifest, sha256 for the schemas"`
	Annotations *ManifestAnnotations `json:"annotations,omitempty" jsonschema:"the manifest only: its kind, id and actor"`
}

// ManifestAnnotations say what the manifest a statement depends on is,
// and who made that version. (Fields in name order, as the statement has
// always written them.)
type ManifestAnnotations struct {
	Actor Actor  `json:"actor"`
	ID    string `json:"id"`
	Kind  string `json:"kind"`
}

// RunDetails says who built it, and when.
type RunDetails struct {
	Builder  Builder  `json:"builder"`
	Metadata Metadata `json:"metadata"`
}

// Builder is the builder identity.
type Builder struct {
	ID string `json:"id"`
}

// Metadata identifies the build.
type Metadata struct {
	InvocationID string `json:"invocationId"`
	StartedOn    string `json:"startedOn"`
	FinishedOn   string `json:"finishedOn"`
}

// BuildType names small's build in provenance.
const BuildType = "https://github.com/smallhq/small/blob/main/docs/protocol.md#build-commits"

// Provenance is an in-toto Statement v1 with a SLSA provenance v1 predicate
// for an artifact's current version: the subject is the artifact with its
// gitBlob and sha256 digests; the resolved dependencies are the manifest
// (the commit that introduced that version, its blob) and the schemas; the
// builder is small/<version>; the invocation is the build commit.
func (l *Log) Provenance(name string) (*Statement, error) {
	path, err := l.ResolveArtifact(name, "provenance")
	if err != nil {
		return nil, err
	}
	v, err := l.Current(path)
	if err != nil {
		return nil, err
	}
	rec := v.Record
	when := v.Build.Committer.When.UTC().Format(time.RFC3339)
	return &Statement{
		Type:          "https://in-toto.io/Statement/v1",
		Subject:       []Subject{{Name: rec.Artifact, Digest: map[string]string{"sha256": rec.SHA256, "gitBlob": rec.Blob}}},
		PredicateType: "https://slsa.dev/provenance/v1",
		Predicate: Predicate{
			BuildDefinition: BuildDefinition{
				BuildType: BuildType,
				ExternalParameters: ExternalParameters{
					ManifestCommit: v.Build.Trailer(protocol.TrailerManifestCommit),
					Artifact:       rec.Artifact,
				},
				ResolvedDependencies: []ResourceDescriptor{
					{Name: rec.Manifest, Digest: map[string]string{"gitCommit": rec.ManifestCommit, "gitBlob": rec.ManifestBlob},
						Annotations: &ManifestAnnotations{Kind: rec.Kind, ID: rec.ID, Actor: rec.Actor}},
					{Name: "schemas", Digest: map[string]string{"sha256": strings.TrimPrefix(rec.SchemaDigest, "sha256:")}},
				},
			},
			RunDetails: RunDetails{
				Builder:  Builder{ID: protocol.BuilderURI(v.Build.Trailer(protocol.TrailerBuilder))},
				Metadata: Metadata{InvocationID: v.Build.ID.String(), StartedOn: when, FinishedOn: when},
			},
		},
	}, nil
}
