// Package records names the JSON records small writes, the lines of its
// notes and the --format json output of its commands, and gives each its
// JSON Schema (draft 2020-12), generated from the Go type that writes it.
//
// It is the registry every front end shares: small protocol prints the
// index and one schema at a time, and small mcp publishes the same schemas
// as resources. A record's schema is generated with jsonschema-go's
// For from its Go type, then made as strict as the code that fills the
// type: the enums the code has a list for (actions, actor types,
// diagnostic codes, severities, exit codes), the patterns of ids, digests
// and dates, and a description where a field's type says too little.
package records

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"

	"github.com/google/jsonschema-go/jsonschema"

	"github.com/smallhq/small/adopt"
	"github.com/smallhq/small/audit"
	"github.com/smallhq/small/builder"
	"github.com/smallhq/small/content"
	"github.com/smallhq/small/diag"
	"github.com/smallhq/small/doctor"
	"github.com/smallhq/small/lineage"
	"github.com/smallhq/small/propose"
	"github.com/smallhq/small/protocol"
	"github.com/smallhq/small/remote"
	"github.com/smallhq/small/schema"
	"github.com/smallhq/small/translations"
)

// Draft is the JSON Schema dialect of every schema here.
const Draft = "https://json-schema.org/draft/2020-12/schema"

// IDPrefix starts the $id of every record's schema: urn:small:v1:NAME.
// A URN names the schema without promising a place to download it from;
// small protocol --schema NAME prints it.
const IDPrefix = "urn:small:v1:"

// Record is one kind of JSON object small writes.
type Record struct {
	Name        string `json:"name" jsonschema:"the record's name: small protocol --schema NAME prints its JSON Schema"`
	Title       string `json:"title" jsonschema:"the record in a few words"`
	Description string `json:"description" jsonschema:"what the record is and when it is written"`
	// Notes is the notes ref the record is a line of, for the records
	// kept in Git notes.
	Notes string `json:"notes,omitempty" jsonschema:"the notes ref whose lines are such records (one JSON object per line), for the records kept in Git notes"`
	// Commands are the command lines that write the record: to the notes,
	// or as their standard output.
	Commands []string `json:"commands" jsonschema:"the commands that write the record: to the notes, or as their standard output"`
	SchemaID string   `json:"schemaId" jsonschema:"the $id of the record's JSON Schema"`

	typ reflect.Type
}

// Contract is small/v1 as small protocol prints it: the contract, and the
// index of small's records.
type Contract struct {
	content.Contract
	Records []Record `json:"records" jsonschema:"the JSON records small writes; small protocol --schema NAME prints the JSON Schema of one"`
}

// DescribeContract returns the contract this build of small implements,
// with the index of its records.
func DescribeContract() Contract {
	return Contract{Contract: content.DescribeContract(), Records: All()}
}

func record[T any](name, title, description, notes string, commands ...string) Record {
	if commands == nil {
		commands = []string{}
	}
	return Record{Name: name, Title: title, Description: description, Notes: notes, Commands: commands,
		SchemaID: IDPrefix + name, typ: reflect.TypeFor[T]()}
}

// all is the registry, in documentation order: the notes, then the
// commands' output.
var all = []Record{
	record[lineage.Record]("lineage-record", "Lineage record",
		"One line of a lineage note: an artifact a build created, updated or retracted, and the manifest version, commit, actor and schemas it came from.",
		protocol.NotesLineage, "small build"),
	record[lineage.Event]("lifecycle-event", "Lifecycle event",
		"One line of a lifecycle note: what happened to an artifact (a build's created, updated, retracted, transitioned or rolledback, or an observation recorded with small event), when and by whom.",
		protocol.NotesLifecycle, "small build", "small event"),
	record[diag.JSONReport]("report", "Validation report",
		"The findings of checking manifests (and, for small check, the plan of the change): small validate and small check always; small build and small plan when there are findings; small hooks commit-msg.",
		"", "small validate --format json", "small check --format json", "small build --format json", "small plan --format json", "small hooks commit-msg --format json"),
	record[diag.Failure]("failure", "Failure",
		"What any command run with --format json writes to standard output when it fails before it has its own record to give (exit status 1, 2 or 3): the message of standard error, and small.cue's diagnostics when it is the cause.",
		""),
	record[builder.BuildReport]("build", "Build result",
		"What small build wrote: the build commit (or the tip when up to date), the manifest commit built and the artifacts it changed.",
		"", "small build --format json"),
	record[builder.PlanReport]("plan", "Plan",
		"What a build would create, update and retract, with unified diffs unless --stat.",
		"", "small plan --format json"),
	record[builder.StatusReport]("status", "Artifact status",
		"Every current artifact with its lifecycle state, since when, by whom, and the states it may move to next.",
		"", "small status --format json"),
	record[translations.Report]("translations", "Translation status",
		"Every entry (a manifest in the default locale) with each locale small.cue supports or its kind requires: missing, stale (naming the source's commits since the translation was made) or current.",
		"", "small status --translations --format json"),
	record[lineage.LineageReport]("lineage", "Lineage",
		"Where an artifact came from, version by version, newest first (or what a manifest built): build, manifest version and commit, actor, schemas, builder.",
		"", "small lineage --format json"),
	record[builder.UsesReport]("lineage-uses", "Uses",
		"What an artifact's manifest depends on: the manifests its @ref fields name in the latest build, with the version (blob) its #outputs were rendered with where its kind reads #refs, and whether HEAD still has that version.",
		"", "small lineage --uses --format json"),
	record[builder.UsedByReport]("lineage-used-by", "Used by",
		"What a change to a manifest touches: every manifest of the latest build whose @ref fields name it, and the artifacts of those that read it (#refs), which the next build renders again.",
		"", "small lineage --used-by --format json"),
	record[lineage.HistoryReport]("history", "History",
		"An artifact's lifecycle events, oldest first.",
		"", "small history --format json"),
	record[lineage.LogReport]("log", "Build log",
		"The builds of the artifact branch, newest first, each with the lifecycle events it recorded that the filters keep.",
		"", "small log --format json"),
	record[lineage.Statement]("provenance", "Provenance",
		"An in-toto Statement v1 with a SLSA provenance v1 predicate for an artifact's current version (the standard's shape, so no protocol field).",
		"", "small provenance"),
	record[audit.Report]("verify", "Compliance report",
		"small verify's verdict on the artifact branch, clause by clause of the SMALL compliance requirements, with the evidence of each finding.",
		"", "small verify --format json"),
	record[doctor.Report]("doctor", "Set-up checks",
		"How this clone is set up for small, one check per line, and what to fix.",
		"", "small doctor --format json"),
	record[remote.Result]("remote", "Pull or push result",
		"What small pull, push or sync did to the artifact branch and small's notes, here and on the remote.",
		"", "small pull --format json", "small push --format json", "small sync --format json"),
	record[propose.Result]("proposal", "Proposal",
		"An agent's proposal judged, and written when small check accepted it: the default branch it starts at, the branch small/proposals/<name> and commit, small check's verdict and findings, and what merging it would build. The propose and plan_change tools of small mcp answer with it too.",
		"", "small propose --format json"),
	record[content.Rendering]("render", "Rendering",
		"What one manifest, not yet committed, would build (small serve: POST /v1/render): its verdict and, when valid, every file a build would write for it (the canonical document and its #outputs), byte for byte.",
		"", "small serve"),
	record[adopt.Report]("adopt", "Adoption proposal",
		"What small init --adopt proposes for the content already in a repository: the manifests root, the files rules with the files each matched and the fields inferred for its kind, the files a rule matches that small validate would report, the candidate files no rule matched and why, and the files proposed (small.cue and one schema per kind) with whether they were written.",
		"", "small init --format json"),
	record[schema.Listing]("schema-list", "Kinds",
		"The kinds of the schemas package, where each is defined, and the schema digest.",
		"", "small schema list --format json"),
	record[schema.KindDescription]("schema-show", "Kind description",
		"What a manifest of one kind may say: its fields with their types, whether each is required or its default, the values it allows and its constraints in words, nested fields, whether other fields are allowed, and the kind's lifecycle.",
		"", "small schema show --format json"),
	record[Contract]("protocol", "The small/v1 contract",
		"The contract small implements: files, reserved fields, refs, trailers, exit codes, diagnostic codes, the five primitives, the rules, and this index of records.",
		"", "small protocol"),
}

// All returns every record, in documentation order.
func All() []Record {
	out := slices.Clone(all)
	for i := range out {
		out[i].Commands = slices.Clone(out[i].Commands)
	}
	return out
}

// Names returns the names of every record, in documentation order.
func Names() []string {
	names := make([]string, len(all))
	for i, r := range all {
		names[i] = r.Name
	}
	return names
}

// Lookup returns the record called name.
func Lookup(name string) (Record, bool) {
	for _, r := range All() {
		if r.Name == name {
			return r, true
		}
	}
	return Record{}, false
}

// Type is the Go type whose JSON encoding the record is.
func (r Record) Type() reflect.Type { return r.typ }

// Schema returns the record's JSON Schema, generated from its Go type.
func (r Record) Schema() (*jsonschema.Schema, error) {
	if r.typ == nil {
		return nil, fmt.Errorf("record %q is not in the registry", r.Name)
	}
	s, err := jsonschema.ForType(r.typ, &jsonschema.ForOptions{TypeSchemas: typeSchemas()})
	if err != nil {
		return nil, fmt.Errorf("schema of record %s: %w", r.Name, err)
	}
	refine(s, r.typ)
	if p := s.Properties["protocol"]; p != nil {
		p.Type, p.Types = "string", nil
		p.Const = jsonschema.Ptr[any](protocol.Version)
		p.Description = "the protocol: always " + protocol.Version
	}
	s.Schema, s.ID, s.Title, s.Description = Draft, r.SchemaID, r.Title, r.Description
	return s, nil
}

// SchemaJSON returns the record's JSON Schema as indented JSON, as small
// protocol --schema prints it: $schema, $id, title and description first,
// then the rest as jsonschema-go writes it.
func (r Record) SchemaJSON() ([]byte, error) {
	s, err := r.Schema()
	if err != nil {
		return nil, err
	}
	head := []struct {
		key   string
		value *string
	}{{"$schema", &s.Schema}, {"$id", &s.ID}, {"title", &s.Title}, {"description", &s.Description}}
	var b bytes.Buffer
	b.WriteByte('{')
	for _, h := range head {
		fmt.Fprintf(&b, "%q:", h.key)
		if err := encode(&b, *h.value); err != nil {
			return nil, err
		}
		b.WriteByte(',')
		*h.value = ""
	}
	var rest bytes.Buffer
	if err := encode(&rest, s); err != nil {
		return nil, err
	}
	b.Write(bytes.TrimPrefix(bytes.TrimSpace(rest.Bytes()), []byte("{")))
	var out bytes.Buffer
	if err := json.Indent(&out, b.Bytes(), "", "  "); err != nil {
		return nil, err
	}
	out.WriteByte('\n')
	return out.Bytes(), nil
}

// encode writes v as small writes JSON: without HTML escaping.
func encode(b *bytes.Buffer, v any) error {
	enc := json.NewEncoder(b)
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// Validate checks one JSON value, data, against the record's schema.
func (r Record) Validate(data []byte) error {
	s, err := r.Schema()
	if err != nil {
		return err
	}
	rs, err := s.Resolve(nil)
	if err != nil {
		return fmt.Errorf("schema of record %s: %w", r.Name, err)
	}
	var v any
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&v); err != nil {
		return fmt.Errorf("not JSON: %w", err)
	}
	if dec.More() {
		return fmt.Errorf("more than one JSON value")
	}
	return rs.Validate(v)
}
