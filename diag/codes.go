package diag

// Diagnostic codes of small/v1. They are stable: tools may match on them.
// docs/protocol.md lists them with the descriptions below, and a test keeps
// the two in step.
const (
	// Configuration (exit 2).
	CodeConfigMissing = "config.missing"
	CodeConfigSyntax  = "config.syntax"
	CodeConfigInvalid = "config.invalid"

	// The schemas package.
	CodeSchemaSyntax  = "schema.syntax"
	CodeSchemaInvalid = "schema.invalid"
	CodeSchemaEmpty   = "schema.empty"
	CodeSchemaTimeout = "schema.timeout"
	CodeSchemaMemory  = "schema.memory"

	// Reading and decoding a manifest file.
	CodeParse          = "manifest.parse"
	CodeEmpty          = "manifest.empty"
	CodeEncoding       = "manifest.encoding"
	CodeBinary         = "manifest.binary"
	CodeTooLarge       = "manifest.too-large"
	CodeTooDeep        = "manifest.too-deep"
	CodeTooManyValues  = "manifest.too-many-values"
	CodeAliases        = "manifest.aliases"
	CodeDuplicateKey   = "manifest.duplicate-key"
	CodeNotMapping     = "manifest.not-mapping"
	CodeMultiDocument  = "manifest.multi-document"
	CodeSymlinkOutside = "manifest.symlink-outside"
	CodeUnreadable     = "manifest.unreadable"
	CodePathInvalid    = "manifest.path-invalid"
	// Markdown manifests: YAML front matter and a body.
	CodeFrontMatterMissing  = "manifest.front-matter-missing"
	CodeFrontMatterUnclosed = "manifest.front-matter-unclosed"
	CodeFrontMatterFormat   = "manifest.front-matter-format"
	CodeBodyConflict        = "manifest.body-conflict"

	// The reserved fields and identity of a manifest.
	CodeKindMissing   = "manifest.kind-missing"
	CodeKindInvalid   = "manifest.kind-invalid"
	CodeKindUnknown   = "manifest.kind-unknown"
	CodeIDInvalid     = "manifest.id-invalid"
	CodeIDDuplicate   = "manifest.id-duplicate"
	CodeStatusInvalid = "manifest.status-invalid"
	CodeRuleMismatch  = "manifest.rule-mismatch"
	CodeLocaleInvalid = "manifest.locale-invalid"

	// Translations: manifests of one kind and id in several locales.
	CodeLocaleUnsupported   = "locale.unsupported"
	CodeTranslationOrphan   = "locale.no-source"
	CodeSharedMismatch      = "locale.shared-mismatch"
	CodeTranslationRequired = "locale.translation-required"

	// A manifest against its kind's definition.
	CodeViolation       = "schema.violation"
	CodeFieldNotAllowed = "schema.field-not-allowed"
	CodeMissingField    = "schema.missing-field"
	CodeMoreProblems    = "manifest.more-problems"

	// Constraints across manifests and files, from the kinds' field
	// attributes @unique() and @asset(...).
	CodeNotUnique     = "manifest.not-unique"
	CodeAssetPath     = "asset.path-invalid"
	CodeAssetMissing  = "asset.missing"
	CodeAssetNotFile  = "asset.not-file"
	CodeAssetTooLarge = "asset.too-large"
	CodeAssetType     = "asset.type"

	// References between manifests, from the kinds' @ref(Kind) fields.
	CodeRefDangling   = "ref.dangling"
	CodeRefWrongKind  = "ref.wrong-kind"
	CodeRefState      = "ref.state"
	CodeRefReferenced = "ref.still-referenced"

	// Lifecycle rules (small check, small validate --base).
	CodeStateUnknown = "lifecycle.state-unknown"
	CodeTransition   = "lifecycle.transition"
	CodeHumanOnly    = "lifecycle.human-only"
	CodeDelete       = "lifecycle.delete"
	CodeFrozen       = "lifecycle.frozen"
	// The agent boundary (small check).
	CodeAgentBoundary = "policy.agent-boundary"

	// Agents' proposals (small propose, small mcp), refused before they
	// are judged.
	CodeProposalName   = "proposal.name"
	CodeProposalBranch = "proposal.branch"
	CodeProposalExists = "proposal.exists"
	CodeProposalPath   = "proposal.path"
	CodeProposalInput  = "proposal.input"
	CodeProposalBase   = "proposal.base"

	// Building artifacts.
	CodeOutputInvalid = "artifact.output-invalid"
	CodeOutputPath    = "artifact.path-invalid"
	CodeOutputClash   = "artifact.path-conflict"

	// A commit message's Small-* trailers (the commit-msg hook).
	CodeTrailer = "commit.trailer"

	// Verifying the artifact branch (small verify, and small build of its
	// predecessor): a recorded build against its rebuild.
	CodeVerifyTrailer        = "verify.trailer"
	CodeVerifyCommit         = "verify.commit"
	CodeVerifyManifestCommit = "verify.manifest-commit"
	CodeVerifyInputs         = "verify.inputs"
	CodeVerifyInvalid        = "verify.invalid"
	CodeVerifyArtifact       = "verify.artifact"
	CodeVerifyIndex          = "verify.index"
	CodeVerifyMessage        = "verify.message"
	CodeVerifyLineage        = "verify.lineage"
	CodeVerifyLifecycle      = "verify.lifecycle"
	CodeVerifyObservation    = "verify.observation"
	CodeVerifyUnreachable    = "verify.unreachable"
	CodeVerifyRollback       = "verify.rollback"
)

// Code describes one diagnostic code.
type Code struct {
	Code        string `json:"code"`
	Description string `json:"description"`
}

// Codes lists every diagnostic code with what it means, in documentation order.
var Codes = []Code{
	{CodeConfigMissing, "there is no small.cue at the repository root (run small init)"},
	{CodeConfigSyntax, "small.cue is not valid CUE"},
	{CodeConfigInvalid, "small.cue breaks the configuration schema (an unknown field, a wrong type or value)"},
	{CodeSchemaSyntax, "a file of the schemas package is not valid CUE"},
	{CodeSchemaInvalid, "the schemas package does not evaluate (conflicting definitions, mixed package names, bad imports)"},
	{CodeSchemaEmpty, "the schemas package has no .cue file or no kind (regular definition)"},
	{CodeSchemaTimeout, "evaluating the schemas, or one manifest against them, took longer than limits.evalSeconds: the evaluation was abandoned"},
	{CodeSchemaMemory, "evaluating the schemas, or a manifest against them, made small hold more than limits.evalMemory MiB: the run was stopped"},
	{CodeParse, "a manifest (or its front matter) is not well-formed YAML or JSON, or holds a value CUE cannot represent"},
	{CodeEmpty, "a manifest file is empty or holds only comments"},
	{CodeEncoding, "a manifest is not valid UTF-8"},
	{CodeBinary, "a manifest holds binary data (a NUL byte)"},
	{CodeTooLarge, "a manifest file is larger than limits.manifestBytes"},
	{CodeTooDeep, "a manifest nests mappings and lists deeper than limits.depth"},
	{CodeTooManyValues, "a manifest holds more values (mappings, lists, scalars) than limits.nodes"},
	{CodeAliases, "a manifest's YAML aliases expand past limits.aliasNodes, or an anchor contains itself"},
	{CodeDuplicateKey, "a mapping in a manifest has the same key twice"},
	{CodeNotMapping, "a manifest's top level, or a Markdown manifest's front matter, is not a mapping"},
	{CodeMultiDocument, "a manifest file holds more than one YAML document or JSON value"},
	{CodeSymlinkOutside, "a manifest is a symbolic link that leads outside the repository"},
	{CodeUnreadable, "a manifest file cannot be read"},
	{CodePathInvalid, "a manifest's path holds a control character (a line break, a tab): tools that read paths line by line would misread it"},
	{CodeFrontMatterMissing, "a Markdown manifest (.md, .markdown, .mdx) does not start with a line --- opening YAML front matter"},
	{CodeFrontMatterUnclosed, "a Markdown manifest's front matter has no closing line --- (or ...)"},
	{CodeFrontMatterFormat, "a Markdown manifest has TOML (+++) or JSON front matter: small reads YAML front matter between --- lines"},
	{CodeBodyConflict, "a Markdown manifest's front matter has a field of the name its body fills (body, unless small.cue names another)"},
	{CodeKindMissing, "a manifest has no kind field"},
	{CodeKindInvalid, "a manifest's kind is not a non-empty string"},
	{CodeKindUnknown, "a manifest's kind is not a definition of the schemas package"},
	{CodeIDInvalid, "a manifest's id (or, without id, its file name) is not an id: up to 8 segments separated by / (v1/install), each ^[a-z0-9][a-z0-9._-]*$, at most 128 bytes in all, no .., no segment but the last ending in .json"},
	{CodeIDDuplicate, "two manifests have the same kind and id; each names the other"},
	{CodeStatusInvalid, "a manifest's status is not a string"},
	{CodeRuleMismatch, "a manifest states a kind or id other than the one small.cue's files rule gives it from its path"},
	{CodeLocaleInvalid, "a manifest's locale is not a string holding a BCP 47 language tag (en, fr, pt-BR)"},
	{CodeLocaleUnsupported, "a manifest states a locale that small.cue's locales.supported does not list, or small.cue declares no locales"},
	{CodeTranslationOrphan, "a translation (a manifest with a locale other than the default) has no manifest of its kind and id in the default locale: its source"},
	{CodeSharedMismatch, "a field the kind marks @shared() has another value in a translation than in its source, or is in one and not the other; it names the source's file:line"},
	{CodeTranslationRequired, "an entry enters (or is changed in) a state its kind's #locales.currentIn lists while a translation #locales.required names is missing, or was made from an older version of the source"},
	{CodeViolation, "a value breaks its kind's definition: wrong type, out of bounds, not one of the allowed values"},
	{CodeFieldNotAllowed, "a field that the kind's (closed) definition does not declare"},
	{CodeMissingField, "a required field, or one with no default, is missing"},
	{CodeMoreProblems, "a manifest has more problems than small lists for one file (50); fix those shown and run again"},
	{CodeNotUnique, "a value of a field marked @unique() is also used by another manifest of the kind, or earlier in the same list; each later one (in path order) names the first"},
	{CodeAssetPath, "a field marked @asset() holds no plain relative path: empty, absolute, with a .. element, a backslash, a control character or a URL"},
	{CodeAssetMissing, "the file a field marked @asset() names is not in the snapshot (the commit, the index or the working tree)"},
	{CodeAssetNotFile, "the file a field marked @asset() names is a symbolic link (or under one), a directory or no regular file"},
	{CodeAssetTooLarge, "the file a field marked @asset() names is larger than its maxBytes"},
	{CodeAssetType, "the file a field marked @asset() names is not of one of its types, by its extension and by its content"},
	{CodeRefDangling, "a field marked @ref(Kind) names an id no manifest of that kind has in the snapshot (the nearest ids are suggested); in a change, the message names the commit that deleted it or changed its id"},
	{CodeRefWrongKind, "a field marked @ref(Kind) names an id that only manifests of other kinds have"},
	{CodeRefState, "a field marked @ref(Kind) names a manifest in a state its kind's lifecycle does not list as referenceable"},
	{CodeRefReferenced, "a change deletes a manifest, changes its kind or id, or moves it to a state that is not referenceable while other manifests still reference it; the finding, at the manifest, lists each referrer (file:line)"},
	{CodeStateUnknown, "a manifest's status is not a state of its kind's lifecycle (agents must not invent states)"},
	{CodeTransition, "a status moved along no allowed transition from its state at the base, or a new manifest starts in a state its lifecycle cannot reach"},
	{CodeHumanOnly, "an agent's commit moved a status into a state only a human may enter"},
	{CodeDelete, "a manifest was deleted from a state its lifecycle does not allow deleting from"},
	{CodeFrozen, "an agent's commit changed the content of a manifest in a state whose content only a human may change"},
	{CodeAgentBoundary, "an agent's commit between the base and the head changes what agents may not change (anything outside small.cue's agentPaths, by default the manifests; any symbolic link or submodule): agents act only through manifests"},
	{CodeProposalName, "a proposal's name is not ^[a-z0-9][a-z0-9._-]{0,63}$ (without .., not ending in . or .lock): it names the branch small/proposals/<name>"},
	{CodeProposalBranch, "a proposal would commit on a branch checked out in a worktree of the repository or on the artifact branch, which it never does"},
	{CodeProposalExists, "a proposal's branch exists already, or a branch git cannot keep beside it: a proposal never moves an existing branch"},
	{CodeProposalPath, "a proposal writes a path that is not a manifest file under the manifests directory and small.cue's agentPaths, or not a plain relative path (.., hidden names, control characters), or where a directory or file of the default branch stands in the way"},
	{CodeProposalInput, "a proposal is malformed: no manifests or too many, one given twice or too large, no message or one carrying a Small-* trailer, a bad agent name, or no change at all"},
	{CodeProposalBase, "there is no default branch to propose from (HEAD detached without origin/HEAD, no commits, no small.cue), or it is the artifact branch or a proposal branch"},
	{CodeOutputInvalid, "a kind's #outputs entry is not a concrete string, or the document cannot be rendered as JSON"},
	{CodeOutputPath, "an artifact path is absolute, unclean, or has a .., .git or .small segment"},
	{CodeOutputClash, "two manifests build the same artifact path, or one a file where the other needs a directory; each names the other"},
	{CodeTrailer, "a commit message's Small-* trailer is unknown, misspelt, has a value of the wrong shape, is one only small build writes, or is where git will not read it"},
	{CodeVerifyTrailer, "a commit on the artifact branch (or the parent of one) has no valid Small-Manifest-Commit trailer: small build did not write it"},
	{CodeVerifyCommit, "a build commit is not the commit rebuilding it makes: other parents, author, committer or dates, or a build that changes nothing"},
	{CodeVerifyManifestCommit, "a build names a manifest commit this repository does not have (a forged trailer, or history not fetched)"},
	{CodeVerifyInputs, "the small.cue of a build's manifest commit cannot be read, so the build cannot be made again"},
	{CodeVerifyInvalid, "a build was made from manifests that its own schemas refuse"},
	{CodeVerifyArtifact, "an artifact of a build differs from what its manifest builds, or is there although no manifest builds it, or is missing"},
	{CodeVerifyIndex, "a file of a build's index (.small/) differs from the rebuild's"},
	{CodeVerifyMessage, "a build's commit message differs from the rebuild's (its trailers included)"},
	{CodeVerifyLineage, "a build's lineage note is missing, or has lines the rebuild does not record or lacks lines it records"},
	{CodeVerifyLifecycle, "a build's lifecycle note is missing, or its build events differ from those the rebuild records"},
	{CodeVerifyObservation, "a line small event added is malformed, names an artifact the build lacks, predates the build, or misstates its actor"},
	{CodeVerifyUnreachable, "a build's manifest commit is not reachable from the default branch"},
	{CodeVerifyRollback, "a rollback names (Small-Rollback-Of) no earlier build of the artifact branch"},
}
