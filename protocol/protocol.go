// Package protocol names small/v1, the contract other tools and people rely
// on: the files small reads, the refs and trailers it writes, the reserved
// manifest fields, the id rule, where an artifact goes and the exit codes.
// It holds names and pure functions only, and imports nothing of small's,
// so that every layer can speak the contract's words.
package protocol

import (
	"fmt"
	"net/url"
	"path"
	"regexp"
	"strings"
	"sync"
	"unicode/utf8"
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
	// FieldLocale names the locale a manifest is written in: a manifest
	// of the same kind and id as another, with a locale other than the
	// default, is its translation. The default locale's version may
	// leave it out.
	FieldLocale = "locale"
)

// ReservedFields are the reserved top-level fields, in the order a
// canonical artifact writes them.
var ReservedFields = []string{FieldKind, FieldID, FieldStatus, FieldLocale}

// LocalePattern is what a locale tag looks like: a BCP 47 language tag
// of a language subtag and optional subtags (en, fr, pt-BR, zh-Hant,
// sr-Latn-RS), at most 35 bytes. Safe as part of a file name.
const LocalePattern = `^[a-z]{2,3}(-[A-Za-z0-9]{2,8}){0,3}$`

// The patterns are compiled on first use: IDPattern's counted repetitions
// make a large program (half a megabyte, a millisecond), which a command
// that never checks an id (small lineage, say) should not pay for.
var localePattern = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(LocalePattern) })

// ValidLocale reports whether tag may name a locale (LocalePattern).
func ValidLocale(tag string) bool { return localePattern().MatchString(tag) }

// EntryName is how small names a manifest's artifact for people and on
// the command line: Kind/id, and Kind/id@locale for a translation (locale
// is "" for the default locale's version).
func EntryName(kind, id, locale string) string {
	if locale == "" {
		return kind + "/" + id
	}
	return kind + "/" + id + "@" + locale
}

// ParseEntryName splits Kind/id or Kind/id@locale; ok is false when name
// is not of that form (the id is not checked here).
func ParseEntryName(name string) (kind, id, locale string, ok bool) {
	kind, rest, ok := strings.Cut(name, "/")
	if !ok || kind == "" || rest == "" {
		return "", "", "", false
	}
	if i := strings.LastIndexByte(rest, '@'); i >= 0 {
		id, locale = rest[:i], rest[i+1:]
		if !ValidLocale(locale) {
			return "", "", "", false
		}
		return kind, id, locale, true
	}
	return kind, rest, "", true
}

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

// Bounds of an id: at most MaxIDBytes in all, in at most MaxIDSegments
// segments.
const (
	MaxIDBytes    = 128
	MaxIDSegments = 8
)

// IDPattern is the pattern every manifest id matches: one or more
// segments separated by '/' (v1/install), each of lower case letters,
// digits, '.', '_' and '-', starting with a letter or digit. It is not all
// of the rule, which ValidID holds: at most MaxIDBytes in all, no "..",
// and no segment but the last ending in ".json". The pattern reads the
// same in RE2 and ECMAScript.
const IDPattern = `^[a-z0-9][a-z0-9._-]{0,127}(/[a-z0-9][a-z0-9._-]{0,127}){0,7}$`

// IDRule says in words what ValidID accepts, for messages that refuse an id.
const IDRule = "lower case letters, digits, '.', '_' or '-', starting with a letter or digit, in up to 8 segments separated by '/' (v1/install), at most 128 bytes, no '..'"

var idPattern = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(IDPattern) })

// ValidID reports whether id may name a manifest: one to MaxIDSegments
// segments separated by '/', each of lower case letters, digits, '.', '_'
// and '-' starting with a letter or digit, at most MaxIDBytes in all, no
// "..". That keeps it safe as a relative path: no empty, "." or ".."
// segment, no leading or trailing '/', no '\', no newline, ASCII only.
// A segment other than the last must not end in ".json": its directory
// would stand where another id's artifact file goes (v1.json/x beside v1,
// whose artifact is v1.json), so that no two ids' artifact paths collide,
// nor is one a directory of another's.
func ValidID(id string) bool {
	if len(id) > MaxIDBytes || !idPattern().MatchString(id) || strings.Contains(id, "..") {
		return false
	}
	return !strings.Contains(id, ".json/")
}

// IDProblem says what keeps id from being valid, "" when ValidID accepts
// it: the first thing wrong, naming the segment at fault, for a finding
// ("an empty segment (//)", "segment \"..\"").
func IDProblem(id string) string {
	if ValidID(id) {
		return ""
	}
	switch {
	case id == "":
		return "it is empty"
	case len(id) > MaxIDBytes:
		return fmt.Sprintf("it is %d bytes, more than %d", len(id), MaxIDBytes)
	case strings.HasPrefix(id, "/"):
		return "it starts with '/'"
	case strings.HasSuffix(id, "/"):
		return "it ends with '/'"
	}
	segs := strings.Split(id, "/")
	if len(segs) > MaxIDSegments {
		return fmt.Sprintf("it has %d segments, more than %d", len(segs), MaxIDSegments)
	}
	for i, seg := range segs {
		switch {
		case seg == "":
			return "an empty segment (//)"
		case seg == "." || seg == "..":
			return fmt.Sprintf("a %q segment", seg)
		case strings.Contains(seg, ".."):
			return fmt.Sprintf("\"..\" in %q", seg)
		case !isIDStart(seg[0]):
			r, _ := utf8.DecodeRuneInString(seg)
			return fmt.Sprintf("%+q starts with %+q, not a lower case letter or digit", seg, r)
		case i < len(segs)-1 && strings.HasSuffix(seg, ".json"):
			return fmt.Sprintf("%q ends in .json and has a segment after it: its directory would stand where the artifact of the id %q goes", seg, strings.TrimSuffix(strings.Join(segs[:i+1], "/"), ".json"))
		}
		for j, r := range seg {
			if !isIDStart(byte(r)) && r != '.' && r != '_' && r != '-' || r >= utf8.RuneSelf {
				if r == utf8.RuneError {
					return fmt.Sprintf("%+q holds invalid UTF-8 at byte %d", seg, j)
				}
				return fmt.Sprintf("%+q holds %+q", seg, r)
			}
		}
	}
	return "it does not match " + IDPattern
}

func isIDStart(c byte) bool { return c >= 'a' && c <= 'z' || c >= '0' && c <= '9' }

// ArtifactPath is where a manifest's canonical JSON document goes in the
// artifact tree: <kind in lower case>/<id>.json, and for a translation
// (locale not "", never the default locale) <kind>/<id>.<locale>.json; an
// id with segments nests (Doc, v1/install is doc/v1/install.json).
func ArtifactPath(kind, id, locale string) string {
	if locale != "" {
		return strings.ToLower(kind) + "/" + id + "." + locale + ".json"
	}
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

var proposalName = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(ProposalNamePattern) })

// ValidProposalName reports whether name may name a proposal branch: lower
// case letters, digits, '.', '_' and '-', starting with a letter or digit,
// at most 64 bytes, without "..", and not ending in '.' or ".lock" (which
// git refuses in a ref name).
func ValidProposalName(name string) bool {
	return proposalName().MatchString(name) && !strings.Contains(name, "..") &&
		!strings.HasSuffix(name, ".") && !strings.HasSuffix(name, ".lock")
}

// ProposalBranch is the short name of the proposal branch called name.
func ProposalBranch(name string) string { return ProposalPrefix + name }
