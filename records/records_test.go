package records

import (
	"bufio"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/google/jsonschema-go/jsonschema"

	"github.com/smallhq/small/diag"
	"github.com/smallhq/small/protocol"
)

// Real records, as small writes them (from docs/protocol.md and a build).
const (
	lineageLine = `{"artifact":"article/hello-world.json","blob":"36ae4c3644e8724c879a470fd4b31076e1c463ab","sha256":"31d5220076251654c28d6652bea2dd7b2da7d6c65a844ce461bbb8e271a51ddf","action":"updated","kind":"Article","id":"hello-world","manifest":"manifests/articles/hello-world.yaml","manifestBlob":"5b70a8c278d7334f43a2d43cf86a606e9ae9cba8","manifestCommit":"76173007a5970efad58904ed557925a763be992e","actor":{"type":"human","name":"Ada Lovelace","email":"ada@example.com"},"schemaDigest":"sha256:42588df9d1d53aa124b6c55f4b47622800fd9b9e1f6b9fa886192ced29820f68","platform":{"name":"github","event":"push","actor":"ada"}}`
	eventLine   = `{"time":"2026-01-16T11:00:00Z","event":"transitioned","artifact":"article/hello-world.json","kind":"Article","id":"hello-world","from":"review","to":"draft","manifestCommit":"77e50fc98083a55649fb678d1fd1f8a7bb51352b","actor":{"type":"agent","name":"docs-agent","email":"agent@bots.example.com"},"seq":1,"collapsed":true}`
	buildOutput = `{"protocol":"small/v1","branch":"refs/heads/small/artifacts","commit":"7904a487e5d840b2e74de27bfce08dd073eba060","written":true,"manifestCommit":"060cf10defd1ca6067359a6e6977b2af37b5cf05","schemaDigest":"sha256:42588df9d1d53aa124b6c55f4b47622800fd9b9e1f6b9fa886192ced29820f68","evaluated":0,"manifests":4,"changes":[{"path":"author/grace.json","action":"retracted"}]}`
	reportJSON  = `{"protocol":"small/v1","command":"validate","valid":false,"manifests":5,"invalid":1,"diagnostics":[{"file":"manifests/articles/content-in-git.yaml","line":4,"column":9,"path":"layout","code":"schema.violation","message":"\"sideways\" is not one of \"standard\", \"feature\", \"brief\"","severity":"error"}]}`
	failureJSON = `{"protocol":"small/v1","error":{"exitCode":2,"message":"unknown revision \"nope\": reference not found"}}`
)

var samples = map[string]string{
	"lineage-record":  lineageLine,
	"lifecycle-event": eventLine,
	"build":           buildOutput,
	"report":          reportJSON,
	"failure":         failureJSON,
}

func mustLookup(t *testing.T, name string) Record {
	t.Helper()
	r, ok := Lookup(name)
	if !ok {
		t.Fatalf("no record %q", name)
	}
	return r
}

// TestSchemas checks every record's schema: generated, a 2020-12 schema
// with its $id, resolvable, strict objects, and the protocol field fixed
// to small/v1 wherever small/v1 promises it.
func TestSchemas(t *testing.T) {
	seen := map[string]bool{}
	for _, r := range All() {
		if seen[r.Name] {
			t.Errorf("two records called %s", r.Name)
		}
		seen[r.Name] = true
		s, err := r.Schema()
		if err != nil {
			t.Fatal(err)
		}
		if s.Schema != Draft || s.ID != IDPrefix+r.Name || s.ID != r.SchemaID || s.Title == "" || s.Description == "" {
			t.Errorf("%s: $schema %q, $id %q, title %q: want draft 2020-12, %s%s and a title", r.Name, s.Schema, s.ID, s.Title, IDPrefix, r.Name)
		}
		if _, err := s.Resolve(nil); err != nil {
			t.Errorf("%s: %v", r.Name, err)
		}
		if s.AdditionalProperties == nil || s.AdditionalProperties.Not == nil {
			t.Errorf("%s: allows fields the type does not have", r.Name)
		}
		_, hasProtocol := s.Properties["protocol"]
		wantProtocol := r.Notes == "" && r.Name != "provenance" // notes lines and an in-toto statement have none
		if hasProtocol != wantProtocol || hasProtocol && (!slices.Contains(s.Required, "protocol") || s.Properties["protocol"].Const == nil || *s.Properties["protocol"].Const != protocol.Version) {
			t.Errorf("%s: protocol field present %v, want %v, required and always %q", r.Name, hasProtocol, wantProtocol, protocol.Version)
		}
		b, err := r.SchemaJSON()
		if err != nil || !json.Valid(b) || !strings.HasPrefix(string(b), "{\n  \"$schema\": \""+Draft+"\",\n  \"$id\"") {
			t.Errorf("%s: SchemaJSON = %.80q, %v", r.Name, b, err)
		}
	}
	if _, ok := Lookup("nope"); ok {
		t.Error("Lookup found a record that does not exist")
	}
	if _, err := (Record{Name: "x"}).Schema(); err == nil {
		t.Error("a record outside the registry has a schema")
	}
}

// TestTighteningsNameRealFields fails on a tightening for a field its type
// does not have: a typo would otherwise leave the schema loose, silently.
func TestTighteningsNameRealFields(t *testing.T) {
	for typ, fs := range fields {
		names := map[string]bool{}
		for _, f := range reflect.VisibleFields(typ) {
			if n, ok := jsonName(f); ok {
				names[n] = true
			}
		}
		for name := range fs {
			if !names[name] {
				t.Errorf("tightening of %s.%s: %s has no JSON field %q", typ, name, typ, name)
			}
		}
	}
	// And each type tightened appears in some record.
	reach := map[reflect.Type]bool{}
	var walk func(reflect.Type)
	walk = func(t reflect.Type) {
		for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice || t.Kind() == reflect.Map || t.Kind() == reflect.Array {
			t = t.Elem()
		}
		if t.Kind() != reflect.Struct || reach[t] {
			return
		}
		reach[t] = true
		for _, f := range reflect.VisibleFields(t) {
			walk(f.Type)
		}
	}
	for _, r := range All() {
		walk(r.Type())
	}
	for typ := range fields {
		if !reach[typ] {
			t.Errorf("%s is tightened but in no record", typ)
		}
	}
}

// TestSamples validates real records, and the contract this build prints.
func TestSamples(t *testing.T) {
	for name, data := range samples {
		if err := mustLookup(t, name).Validate([]byte(data)); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	c, err := json.Marshal(DescribeContract())
	if err != nil {
		t.Fatal(err)
	}
	if err := mustLookup(t, "protocol").Validate(c); err != nil {
		t.Errorf("the contract does not validate against its own schema: %v", err)
	}
	if err := mustLookup(t, "report").Validate([]byte(reportJSON + reportJSON)); err == nil {
		t.Error("two JSON values validated as one record")
	}
	if err := mustLookup(t, "report").Validate([]byte(`{"protocol":`)); err == nil {
		t.Error("broken JSON validated")
	}
}

// TestStrict mutates real records: every required field taken away, every
// field given a value of another JSON type, and an unknown field added,
// each must be refused; the records themselves pass.
func TestStrict(t *testing.T) {
	for name, data := range samples {
		r := mustLookup(t, name)
		s, err := r.Schema()
		if err != nil {
			t.Fatal(err)
		}
		var obj map[string]any
		if err := json.Unmarshal([]byte(data), &obj); err != nil {
			t.Fatal(err)
		}
		try := func(what string, m map[string]any) {
			t.Helper()
			b, _ := json.Marshal(m)
			if err := r.Validate(b); err == nil {
				t.Errorf("%s: %s validated: %s", name, what, b)
			}
		}
		for _, req := range s.Required {
			m := clone(obj)
			delete(m, req)
			try("without "+req, m)
		}
		for k, v := range obj {
			m := clone(obj)
			m[k] = otherType(v)
			try("with "+k+" of another type", m)
		}
		m := clone(obj)
		m["unknownField"] = "x"
		try("with an unknown field", m)
	}
	// Enums and patterns the code has.
	for _, c := range []struct{ name, from, to string }{
		{"lineage-record", `"action":"updated"`, `"action":"published"`},
		{"lineage-record", `"type":"human"`, `"type":"robot"`},
		{"lineage-record", `"id":"hello-world"`, `"id":"Hello World"`},
		{"lineage-record", `"manifestCommit":"76173007a5970efad58904ed557925a763be992e"`, `"manifestCommit":"7617300"`},
		{"lineage-record", `"schemaDigest":"sha256:`, `"schemaDigest":"md5:`},
		{"lifecycle-event", `"time":"2026-01-16T11:00:00Z"`, `"time":"2026-01-16T12:00:00+01:00"`},
		{"lifecycle-event", `"event":"transitioned"`, `"event":"Transitioned!"`},
		{"lifecycle-event", `"seq":1`, `"seq":0`},
		{"report", `"severity":"error"`, `"severity":"fatal"`},
		{"report", `"code":"schema.violation"`, `"code":"schema.bogus"`},
		{"report", `"line":4`, `"line":-1`},
		{"report", `"protocol":"small/v1"`, `"protocol":"small/v2"`},
		{"failure", `"exitCode":2`, `"exitCode":7`},
		{"build", `"action":"retracted"`, `"action":"deleted"`},
		{"build", `"branch":"refs/heads/small/artifacts"`, `"branch":"small/artifacts"`},
	} {
		data := samples[c.name]
		if !strings.Contains(data, c.from) {
			t.Fatalf("%s sample has no %s", c.name, c.from)
		}
		bad := strings.Replace(data, c.from, c.to, 1)
		if err := mustLookup(t, c.name).Validate([]byte(bad)); err == nil {
			t.Errorf("%s with %s validated", c.name, c.to)
		}
	}
}

func clone(m map[string]any) map[string]any {
	b, _ := json.Marshal(m)
	var out map[string]any
	_ = json.Unmarshal(b, &out)
	return out
}

// otherType is a value of another JSON type than v.
func otherType(v any) any {
	switch v.(type) {
	case string:
		return 42
	default:
		return "x"
	}
}

// TestDocumentedLines validates the example note lines of docs/protocol.md
// (the JSON blocks under "Lineage record" and "Lifecycle event"): the
// contract's prose and its schemas say the same.
func TestDocumentedLines(t *testing.T) {
	f, err := os.Open(filepath.Join("..", "docs", "protocol.md"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	section, inBlock, checked := "", false, map[string]int{}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "### Lineage record"):
			section = "lineage-record"
		case strings.HasPrefix(line, "### Lifecycle event"):
			section = "lifecycle-event"
		case strings.HasPrefix(line, "#"):
			section = ""
		case line == "```json":
			inBlock = true
		case line == "```":
			inBlock = false
		case inBlock && section != "" && strings.HasPrefix(line, "{"):
			if err := mustLookup(t, section).Validate([]byte(line)); err != nil {
				t.Errorf("docs/protocol.md, %s: %v\n%s", section, err, line)
			}
			checked[section]++
		}
	}
	if checked["lineage-record"] < 2 || checked["lifecycle-event"] < 5 {
		t.Errorf("checked %v example lines in docs/protocol.md: the sections moved?", checked)
	}
}

// TestAjvAgrees runs the real ajv, where make tools installed it, on the
// samples and on records jsonschema-go refuses: both validators agree.
func TestAjvAgrees(t *testing.T) {
	ajv, err := exec.LookPath("ajv")
	if err != nil {
		t.Skip("ajv is not in PATH (make tools installs it in .tools/bin)")
	}
	dir := t.TempDir()
	run := func(name, data string) error {
		r := mustLookup(t, name)
		s, err := r.SchemaJSON()
		if err != nil {
			t.Fatal(err)
		}
		sf, df := filepath.Join(dir, name+".schema.json"), filepath.Join(dir, "data.json")
		if err := os.WriteFile(sf, s, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(df, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
		out, err := exec.Command(ajv, "validate", "--spec=draft2020", "-c", "ajv-formats", "-s", sf, "-d", df).CombinedOutput()
		if err != nil && !strings.Contains(string(out), "invalid") {
			t.Fatalf("ajv on %s: %v\n%s", name, err, out)
		}
		return err
	}
	for name, data := range samples {
		if err := run(name, data); err != nil {
			t.Errorf("ajv refuses the %s sample", name)
		}
		broken := strings.Replace(data, `"protocol":"small/v1"`, `"protocol":"small/v2"`, 1)
		broken = strings.Replace(broken, `"manifestCommit":"`, `"manifestCommit":"x`, 1)
		broken = strings.Replace(broken, `"exitCode":2`, `"exitCode":"2"`, 1)
		if err := run(name, broken); err == nil {
			t.Errorf("ajv accepts a broken %s: %s", name, broken)
		}
	}
	c, _ := json.Marshal(DescribeContract())
	if err := run("protocol", string(c)); err != nil {
		t.Error("ajv refuses the contract")
	}
}

// TestEnumsFollowTheCode: the diagnostic code enum is diag.Codes.
func TestEnumsFollowTheCode(t *testing.T) {
	s, err := mustLookup(t, "report").Schema()
	if err != nil {
		t.Fatal(err)
	}
	got := s.Properties["diagnostics"].Items.Properties["code"].Enum
	if len(got) != len(diag.Codes) {
		t.Fatalf("%d codes in the schema, %d in diag.Codes", len(got), len(diag.Codes))
	}
	for i, c := range diag.Codes {
		if got[i] != c.Code {
			t.Errorf("code %d: %v, want %s", i, got[i], c.Code)
		}
	}
	var _ *jsonschema.Schema = s
}
