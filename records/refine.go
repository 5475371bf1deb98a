package records

import (
	"reflect"
	"strings"

	"github.com/google/jsonschema-go/jsonschema"

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
)

// Patterns of the strings small writes. They are ECMA-262 and RE2 alike,
// so that ajv and jsonschema-go read them the same.
const (
	hexCommit = `^[0-9a-f]{40}$`        // a full Git object id (SHA-1 repositories)
	hexSHA256 = `^[0-9a-f]{64}$`        // a SHA-256, in hex
	digest    = `^sha256:[0-9a-f]{64}$` // a schema digest
	utcTime   = `^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$`
	branchRef = `^refs/heads/.+$`
	eventID   = `^[0-9a-f]{32}$`
	assetPath = `^assets/sha256/[0-9a-f]{2}/[0-9a-f]{64}(\.[a-z0-9]{1,16})?$` // protocol.AssetPath
)

// typeSchemas are the schemas of named types, wherever they appear.
func typeSchemas() map[reflect.Type]*jsonschema.Schema {
	return map[reflect.Type]*jsonschema.Schema{
		reflect.TypeFor[diag.Severity](): {Type: "string", Enum: anys(diag.Error, diag.Warning),
			Description: "error fails the run; warning is reserved"},
		reflect.TypeFor[doctor.Status](): {Type: "string", Enum: anys(doctor.OK, doctor.Warn, doctor.Fail, doctor.Info),
			Description: "ok is fine; warn works but is not what a team wants; fail is broken; info is something not set up, which may be meant"},
	}
}

// A tightening makes a field's generated schema as strict as the code that
// fills it.
type tightening func(*jsonschema.Schema)

// fields holds the tightenings of struct fields, by struct type and JSON
// name; they apply wherever the struct appears.
var fields = map[reflect.Type]map[string]tightening{
	reflect.TypeFor[propose.Result](): {
		"baseCommit": pattern(hexCommit),
		"commit":     pattern(hexCommit),
		"branch":     pattern(`^small/proposals/[a-z0-9][a-z0-9._-]{0,63}$`),
	},
	reflect.TypeFor[lineage.Actor](): {
		"type": enum(lineage.ActorTypes...),
	},
	reflect.TypeFor[lineage.Record](): {
		"blob":           pattern(hexCommit),
		"sha256":         pattern(hexSHA256),
		"action":         enum(lineage.Created, lineage.Updated, lineage.Retracted),
		"id":             idString,
		"manifestBlob":   pattern(hexCommit),
		"manifestCommit": pattern(hexCommit),
		"schemaDigest":   pattern(digest),
	},
	reflect.TypeFor[lineage.AssetRef](): {
		"blob":         pattern(hexCommit),
		"sha256":       pattern(hexSHA256),
		"artifactPath": pattern(assetPath),
	},
	reflect.TypeFor[lineage.UseRef](): {
		"id":   idString,
		"blob": pattern(hexCommit),
	},
	reflect.TypeFor[builder.UsesReport](): {
		"id":             idString,
		"build":          pattern(hexCommit),
		"manifestCommit": pattern(hexCommit),
		"compared":       pattern(hexCommit),
	},
	reflect.TypeFor[builder.UseInfo](): {
		"id":    idString,
		"blob":  pattern(hexCommit),
		"now":   pattern(hexCommit),
		"state": enum(builder.UseCurrent, builder.UseChanged, builder.UseGone, builder.UseUnread),
	},
	reflect.TypeFor[builder.UsedByReport](): {
		"id":    idString,
		"build": pattern(hexCommit),
	},
	reflect.TypeFor[builder.UsedByInfo](): {
		"id": idString,
	},
	reflect.TypeFor[lineage.AssetUsage](): {
		"blob":         pattern(hexCommit),
		"sha256":       pattern(hexSHA256),
		"artifactPath": pattern(assetPath),
	},
	reflect.TypeFor[lineage.AssetUser](): {
		"id": pattern(protocol.IDPattern),
	},
	reflect.TypeFor[lineage.Event](): {
		"time":           dateTime,
		"event":          pattern(lineage.EventNamePattern),
		"id":             idString,
		"manifestCommit": pattern(hexCommit),
		"rollbackOf":     pattern(hexCommit),
		"seq":            minimum(1),
		"eventId":        pattern(eventID),
	},
	reflect.TypeFor[lineage.CommitRef](): {
		"id":   pattern(hexCommit),
		"date": dateTime,
	},
	reflect.TypeFor[lineage.ManifestRef](): {
		"blob": pattern(hexCommit),
	},
	reflect.TypeFor[lineage.VersionInfo](): {
		"action":       enum(lineage.Created, lineage.Updated, lineage.Retracted),
		"blob":         pattern(hexCommit),
		"sha256":       pattern(hexSHA256),
		"schemaDigest": pattern(digest),
	},
	reflect.TypeFor[lineage.BuildEntry](): {
		"build":          pattern(hexCommit),
		"date":           dateTime,
		"manifestCommit": pattern(hexCommit),
	},
	reflect.TypeFor[lineage.Statement](): {
		"_type":         constant("https://in-toto.io/Statement/v1"),
		"predicateType": constant("https://slsa.dev/provenance/v1"),
	},
	reflect.TypeFor[lineage.Subject](): {
		"digest": digestSet(map[string]string{"sha256": hexSHA256, "gitBlob": hexCommit}, "sha256", "gitBlob"),
	},
	reflect.TypeFor[lineage.BuildDefinition](): {
		"buildType": constant(lineage.BuildType),
	},
	reflect.TypeFor[lineage.ExternalParameters](): {
		"manifestCommit": pattern(hexCommit),
	},
	reflect.TypeFor[lineage.ResourceDescriptor](): {
		"digest": digestSet(map[string]string{"sha256": hexSHA256, "gitBlob": hexCommit, "gitCommit": hexCommit}),
	},
	reflect.TypeFor[lineage.ManifestAnnotations](): {
		"id": idString,
	},
	reflect.TypeFor[lineage.Builder](): {
		"id": pattern(`^https://`),
	},
	reflect.TypeFor[lineage.Metadata](): {
		"invocationId": pattern(hexCommit),
		"startedOn":    dateTime,
		"finishedOn":   dateTime,
	},
	reflect.TypeFor[diag.Diagnostic](): {
		"line":   minimum(0),
		"column": minimum(0),
		"code":   enum(codes()...),
	},
	reflect.TypeFor[diag.Code](): {
		"code": enum(codes()...),
	},
	reflect.TypeFor[diag.JSONReport](): {
		"diagnostics": nonNull, // JSON() writes [] for none
		"manifests":   minimum(0),
		"invalid":     minimum(0),
	},
	reflect.TypeFor[diag.FailureError](): {
		"exitCode": enum(1, 2, 3),
	},
	reflect.TypeFor[builder.ChangeReport](): {
		"action": enum(lineage.Created, lineage.Updated, lineage.Retracted),
	},
	reflect.TypeFor[builder.AssetReport](): {
		"path":   pattern(assetPath),
		"action": enum(lineage.Created, lineage.Retracted),
	},
	reflect.TypeFor[builder.PlanReport](): {
		"manifestCommit": pattern(hexCommit),
	},
	reflect.TypeFor[builder.BuildReport](): {
		"branch":         pattern(branchRef),
		"commit":         pattern(hexCommit),
		"manifestCommit": pattern(hexCommit),
		"schemaDigest":   pattern(digest),
		"evaluated":      minimum(0),
		"manifests":      minimum(0),
	},
	reflect.TypeFor[builder.StatusEntry](): {
		"id":    idString,
		"since": dateTime,
		"next":  describe("the states it may move to next; a trailing * marks a state only a human may enter"),
	},
	reflect.TypeFor[builder.Mismatch](): {
		"code": enum(codes()...),
	},
	reflect.TypeFor[audit.Clause](): {
		"id": enum(audit.ClauseSchema, audit.ClauseImmutable, audit.ClauseLineage, audit.ClauseLifecycle, audit.ClauseBoundary, audit.ClauseRollback),
	},
	reflect.TypeFor[audit.Report](): {
		"branch": pattern(branchRef),
		"from":   pattern(hexCommit),
		"to":     pattern(hexCommit),
	},
	reflect.TypeFor[remote.Result](): {
		"branch":    pattern(branchRef),
		"artifacts": enum(remote.ArtifactsOutcomes...),
		"notes": func(s *jsonschema.Schema) {
			s.PropertyNames = &jsonschema.Schema{Enum: anys(protocol.NotesLineage, protocol.NotesLifecycle)}
			s.AdditionalProperties = &jsonschema.Schema{Type: "string", Enum: anys(remote.NotesOutcomes...)}
		},
		"attempts": minimum(1),
	},
	reflect.TypeFor[schema.Listing](): {
		"digest": pattern(digest),
	},
	reflect.TypeFor[schema.KindInfo](): {
		"defined": pattern(`^.+:[0-9]+$`),
	},
	reflect.TypeFor[schema.KindDescription](): {
		"digest":  pattern(digest),
		"defined": pattern(`^.+:[0-9]+$`),
	},
	reflect.TypeFor[schema.FieldDescription](): {
		"default": anyJSON("the field's default, as JSON"),
		"enum":    items(anyJSON("an allowed value, as JSON")),
	},
	reflect.TypeFor[content.Contract](): {
		"exitCodes": func(s *jsonschema.Schema) {
			s.PropertyNames = &jsonschema.Schema{Pattern: `^[0-9]+$`}
			s.Description = "what each exit status means, by exit status"
		},
		"notes": describe("small's notes refs, by what they hold"),
	},
	reflect.TypeFor[content.Rule](): {
		"codes": items(enum(codes()...)),
	},
	reflect.TypeFor[content.ManifestContract](): {
		"reservedFields": describe("the top-level manifest fields small owns, with their rule"),
	},
}

// refine walks s, the schema generated for t, beside t and applies the
// tightenings of every struct field it meets.
func refine(s *jsonschema.Schema, t reflect.Type) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if s == nil {
		return
	}
	switch t.Kind() {
	case reflect.Struct:
		for _, f := range reflect.VisibleFields(t) {
			name, ok := jsonName(f)
			if !ok || f.Anonymous {
				continue
			}
			p := s.Properties[name]
			if p == nil {
				continue
			}
			refine(p, f.Type)
			if omitted(f) {
				nonNull(p) // a nil pointer or slice is left out, never null
			}
			// A promoted field's tightenings are its own struct's.
			owner := t
			if len(f.Index) > 1 {
				owner = t.FieldByIndex(f.Index[:len(f.Index)-1]).Type
				for owner.Kind() == reflect.Pointer {
					owner = owner.Elem()
				}
			}
			if tight := fields[owner][name]; tight != nil {
				tight(p)
			}
		}
	case reflect.Slice, reflect.Array:
		refine(s.Items, t.Elem())
	case reflect.Map:
		refine(s.AdditionalProperties, t.Elem())
	}
}

// omitted reports whether encoding/json leaves f out when it is empty.
func omitted(f reflect.StructField) bool {
	_, opts, _ := strings.Cut(f.Tag.Get("json"), ",")
	for _, o := range strings.Split(opts, ",") {
		if o == "omitempty" || o == "omitzero" {
			return true
		}
	}
	return false
}

// nonNull takes null out of a schema's types: for a pointer or slice the
// code never leaves nil where it is written.
func nonNull(s *jsonschema.Schema) {
	if len(s.Types) == 0 {
		return
	}
	var ts []string
	for _, t := range s.Types {
		if t != "null" {
			ts = append(ts, t)
		}
	}
	if len(ts) == 1 {
		s.Type, s.Types = ts[0], nil
		return
	}
	s.Types = ts
}

// jsonName is the name encoding/json gives f, and whether it encodes f.
func jsonName(f reflect.StructField) (string, bool) {
	if !f.IsExported() {
		return "", false
	}
	tag := f.Tag.Get("json")
	if tag == "-" {
		return "", false
	}
	name, _, _ := strings.Cut(tag, ",")
	if name == "" {
		name = f.Name
	}
	return name, true
}

func codes() []string {
	out := make([]string, len(diag.Codes))
	for i, c := range diag.Codes {
		out[i] = c.Code
	}
	return out
}

func anys[T any](vs ...T) []any {
	out := make([]any, len(vs))
	for i, v := range vs {
		out[i] = v
	}
	return out
}

func enum[T any](vs ...T) tightening {
	return func(s *jsonschema.Schema) { s.Enum = anys(vs...) }
}

// idString is a manifest id as protocol.ValidID accepts it, as far as
// JSON Schema says it: the pattern and the length.
func idString(s *jsonschema.Schema) {
	n := protocol.MaxIDBytes
	s.Pattern, s.MaxLength = protocol.IDPattern, &n
}

func pattern(re string) tightening {
	return func(s *jsonschema.Schema) { s.Pattern = re }
}

func constant(v any) tightening {
	return func(s *jsonschema.Schema) { s.Const = &v }
}

func minimum(n float64) tightening {
	return func(s *jsonschema.Schema) { s.Minimum = &n }
}

func describe(d string) tightening {
	return func(s *jsonschema.Schema) {
		if s.Description == "" {
			s.Description = d
		}
	}
}

// anyJSON is a field that holds any JSON value (a json.RawMessage, which
// the generator takes for bytes).
func anyJSON(d string) tightening {
	return func(s *jsonschema.Schema) { *s = jsonschema.Schema{Description: d} }
}

// items applies a tightening to the items of an array.
func items(t tightening) tightening {
	return func(s *jsonschema.Schema) {
		if s.Items != nil {
			t(s.Items)
		}
	}
}

// dateTime is every date small writes: RFC 3339, in UTC, to the second.
func dateTime(s *jsonschema.Schema) {
	s.Format = "date-time"
	s.Pattern = utcTime
}

// digestSet tightens a map of digests by algorithm to the algorithms small
// writes there, each with its pattern; required are always there.
func digestSet(algorithms map[string]string, required ...string) tightening {
	return func(s *jsonschema.Schema) {
		s.Properties = map[string]*jsonschema.Schema{}
		for name, re := range algorithms {
			s.Properties[name] = &jsonschema.Schema{Type: "string", Pattern: re}
		}
		s.AdditionalProperties = &jsonschema.Schema{Not: &jsonschema.Schema{}}
		s.Required = required
		s.MinProperties = jsonschema.Ptr(1)
	}
}
