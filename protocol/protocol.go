// Package protocol names small/v1, the contract other tools and people rely
// on: the files small reads, the refs and trailers it writes, the reserved
// manifest fields, the id rule, where an artifact goes and the exit codes.
// It holds names and pure functions only, and imports nothing of small's,
// so that every layer can speak the contract's words.
package protocol

import (
	"net/url"
	"path"
	"regexp"
	"strings"
)

// Version is the name of the contract, carried by build commits
// (Small-Protocol) and by all of small's JSON output ("protocol").
const Version = "small/v1"

// ConfigFile is the configuration file at the repository root.
const ConfigFile = "small.cue"

// Refs of small/v1.
const (
	// DefaultArtifactBranch is the artifact branch's short name unless
	// small.cue names another.
	DefaultArtifactBranch = "small/artifacts"
	NotesLineage          = "refs/notes/small/lineage"
	NotesLifecycle        = "refs/notes/small/lifecycle"
)

// BranchRef is the full ref name of a branch's short name.
func BranchRef(short string) string { return "refs/heads/" + short }

// BranchName is the short name of a branch's full ref name.
func BranchName(ref string) string { return strings.TrimPrefix(ref, "refs/heads/") }

// Trailer keys of build commits and of manifest commits.
const (
	TrailerManifestCommit = "Small-Manifest-Commit"
	TrailerSchemaDigest   = "Small-Schema-Digest"
	TrailerBuilder        = "Small-Builder"
	TrailerProtocol       = "Small-Protocol"
	TrailerAgent          = "Small-Agent"
	TrailerRollbackOf     = "Small-Rollback-Of"
	// TrailerCoAuthoredBy is git's and GitHub's co-author marker: a
	// manifest commit whose co-author the policy lists as an agent is
	// that agent's.
	TrailerCoAuthoredBy = "Co-authored-by"
)

// BuildTrailers are the trailers every build commit carries, in order.
var BuildTrailers = []string{TrailerManifestCommit, TrailerSchemaDigest, TrailerBuilder, TrailerProtocol}

// ManifestTrailers are the trailers small reads on manifest commits.
var ManifestTrailers = []string{TrailerAgent, TrailerRollbackOf, TrailerCoAuthoredBy}

// Reserved top-level fields of every manifest.
const (
	FieldKind   = "kind"
	FieldID     = "id"
	FieldStatus = "status"
)

// ManifestExtensions are the file extensions of manifests.
var ManifestExtensions = []string{".yaml", ".yml", ".json"}

// IsManifestFile reports whether a file name is a manifest by its extension.
func IsManifestFile(name string) bool {
	switch path.Ext(name) {
	case ".yaml", ".yml", ".json":
		return true
	}
	return false
}

// IDPattern is the pattern every manifest id matches.
const IDPattern = `^[a-z0-9][a-z0-9._-]{0,127}$`

var idPattern = regexp.MustCompile(IDPattern)

// ValidID reports whether id may name a manifest: lower case letters,
// digits, '.', '_' and '-', starting with a letter or digit, at most 128
// bytes. That keeps it safe as a path segment: no '/', no "..", no newline.
func ValidID(id string) bool {
	return idPattern.MatchString(id) && id != "." && !strings.Contains(id, "..")
}

// ArtifactPath is where a manifest's canonical JSON document goes in the
// artifact tree: <kind in lower case>/<id>.json.
func ArtifactPath(kind, id string) string {
	return strings.ToLower(kind) + "/" + id + ".json"
}

// AssetDir is where a build keeps the files @asset fields name, in the
// artifact tree: content-addressed, so that the same bytes are one file
// however many manifests name them, and new bytes are a new path.
const AssetDir = "assets/sha256"

// AssetPath is where the asset whose bytes have the SHA-256 sha256hex
// (lower-case hex) goes in the artifact tree, named in the repository as
// source: assets/sha256/<first two hex digits>/<sha256hex><ext>, ext
// being source's extension in lower case when it is one to 16 letters
// and digits (none otherwise).
func AssetPath(sha256hex, source string) string {
	return AssetDir + "/" + sha256hex[:2] + "/" + sha256hex + assetExt(source)
}

// assetExt is the extension an asset's artifact path keeps.
func assetExt(source string) string {
	ext := strings.ToLower(path.Ext(source))
	if len(ext) < 2 || len(ext) > 17 {
		return ""
	}
	for _, c := range ext[1:] {
		if (c < 'a' || c > 'z') && (c < '0' || c > '9') {
			return ""
		}
	}
	return ext
}

// IsAssetPath reports whether p is a path AssetPath makes.
func IsAssetPath(p string) bool {
	rest, ok := strings.CutPrefix(p, AssetDir+"/")
	if !ok || len(rest) < 3+64 || rest[2] != '/' {
		return false
	}
	name := rest[3:]
	sum := name[:64]
	for _, c := range sum {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return rest[:2] == sum[:2] && (len(name) == 64 || assetExt(name) == name[64:])
}

// IndexDir is where a build keeps its own bookkeeping in the artifact tree;
// it is not an artifact.
const IndexDir = ".small"

// Exit codes of small/v1.
const (
	ExitOK       = 0 // success
	ExitFindings = 1 // invalid content, policy violation, non-compliance
	ExitUsage    = 2 // usage or configuration error
	ExitRepo     = 3 // repository state error, e.g. a ref moved underneath
)

// BuilderURI is the SLSA builder id (a URI) of a Small-Builder trailer
// value: small/v1.2.3 is https://github.com/smallhq/small/cmd/small@v1.2.3,
// the program and the version that built.
func BuilderURI(builder string) string {
	version, ok := strings.CutPrefix(builder, "small/")
	if !ok || version == "" {
		return "https://github.com/smallhq/small/cmd/small"
	}
	return "https://github.com/smallhq/small/cmd/small@" + url.PathEscape(version)
}

// ProposalPrefix is the short-name prefix of the branches agents' proposals
// are committed on (small mcp, small propose): small/proposals/<name>.
const ProposalPrefix = "small/proposals/"

// ProposalNamePattern is what the <name> of a proposal branch looks like: a
// single ref component, safe in any shell and on any file system.
const ProposalNamePattern = `^[a-z0-9][a-z0-9._-]{0,63}$`

var proposalName = regexp.MustCompile(ProposalNamePattern)

// ValidProposalName reports whether name may name a proposal branch: lower
// case letters, digits, '.', '_' and '-', starting with a letter or digit,
// at most 64 bytes, without "..", and not ending in '.' or ".lock" (which
// git refuses in a ref name).
func ValidProposalName(name string) bool {
	return proposalName.MatchString(name) && !strings.Contains(name, "..") &&
		!strings.HasSuffix(name, ".") && !strings.HasSuffix(name, ".lock")
}

// ProposalBranch is the short name of the proposal branch called name.
func ProposalBranch(name string) string { return ProposalPrefix + name }
