package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/google/jsonschema-go/jsonschema"
	"github.com/rogpeppe/go-internal/testscript"
	"github.com/spf13/cobra"

	"github.com/smallhq/small/cmd/internal/cmdutil"
	"github.com/smallhq/small/cmd/internal/root"
	"github.com/smallhq/small/content"
	"github.com/smallhq/small/records"
)

// recordCmds are the commands testdata/script/records.txtar checks small's
// records with.
var recordCmds = map[string]func(ts *testscript.TestScript, neg bool, args []string){
	"schema-valid": schemaValid,
	"split-lines":  splitLines,
}

// schemaValid is `schema-valid [-lines] SCHEMA DATA`: DATA, one JSON value
// (with -lines: one per non-empty line, as in small's notes), validates
// against SCHEMA, a JSON Schema file, with jsonschema-go's validator.
// Negated, at least one value must fail.
func schemaValid(ts *testscript.TestScript, neg bool, args []string) {
	lines := len(args) > 0 && args[0] == "-lines"
	if lines {
		args = args[1:]
	}
	if len(args) != 2 {
		ts.Fatalf("usage: schema-valid [-lines] SCHEMA DATA")
	}
	var s jsonschema.Schema
	if err := json.Unmarshal([]byte(ts.ReadFile(args[0])), &s); err != nil {
		ts.Fatalf("%s: not a JSON Schema: %v", args[0], err)
	}
	rs, err := s.Resolve(nil)
	if err != nil {
		ts.Fatalf("%s: %v", args[0], err)
	}
	data := ts.ReadFile(args[1])
	values := []string{data}
	if lines {
		values = nonEmptyLines(data)
	}
	if len(values) == 0 || strings.TrimSpace(values[0]) == "" {
		ts.Fatalf("%s: nothing to validate", args[1])
	}
	failed := 0
	for i, v := range values {
		var inst any
		if err := json.Unmarshal([]byte(v), &inst); err != nil {
			ts.Fatalf("%s: value %d is not JSON: %v", args[1], i+1, err)
		}
		if err := rs.Validate(inst); err != nil {
			failed++
			if !neg {
				ts.Fatalf("%s: value %d does not validate against %s: %v\n%s", args[1], i+1, args[0], err, v)
			}
			ts.Logf("%s: value %d rejected: %v", args[1], i+1, err)
		}
	}
	if neg && failed == 0 {
		ts.Fatalf("%s: every value validates against %s", args[1], args[0])
	}
	ts.Logf("%s: %d value(s) checked against %s", args[1], len(values), args[0])
}

// splitLines is `split-lines FILE PREFIX`: each non-empty line of FILE
// becomes PREFIX-N.json, so that ajv validates notes line by line.
func splitLines(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: split-lines FILE PREFIX")
	}
	lines := nonEmptyLines(ts.ReadFile(args[0]))
	if len(lines) == 0 {
		ts.Fatalf("%s has no line", args[0])
	}
	if err := os.MkdirAll(filepath.Dir(ts.MkAbs(args[1])), 0o755); err != nil {
		ts.Fatalf("%v", err)
	}
	for i, l := range lines {
		if err := os.WriteFile(ts.MkAbs(fmt.Sprintf("%s-%d.json", args[1], i+1)), []byte(l+"\n"), 0o644); err != nil {
			ts.Fatalf("%v", err)
		}
	}
}

func nonEmptyLines(s string) []string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.TrimSpace(l) != "" {
			out = append(out, l)
		}
	}
	return out
}

// TestRecordsAjv says, as a skip with its reason, when records.txtar could
// not check the records with ajv as well as jsonschema-go.
func TestRecordsAjv(t *testing.T) {
	if _, err := exec.LookPath("ajv"); err != nil {
		t.Skip("ajv is not in PATH (make tools installs it in .tools/bin): records.txtar checked small's records with jsonschema-go only")
	}
}

// jsonFormat is what a --format flag's help says when json is one of its
// values (and not, say, jsonschema).
var jsonFormat = regexp.MustCompile(`(^|[^a-z])json([^a-z]|$)`)

// A command is one of small's commands, by its path ("small build",
// "small schema list"): whether its --format offers json, and whether
// json is the default.
type command struct{ json, jsonDefault bool }

// commandPaths lists every command of small, by its path.
func commandPaths() map[string]command {
	out := map[string]command{}
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		var cmd command
		if fl := c.Flags().Lookup("format"); fl != nil {
			cmd = command{json: jsonFormat.MatchString(fl.Usage), jsonDefault: fl.DefValue == "json"}
		}
		out[c.CommandPath()] = cmd
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root.NewCmdRoot(&cmdutil.Factory{IO: &cmdutil.IOStreams{}}))
	return out
}

// TestEveryJSONOutputIsARecord holds the registry to the command line:
// every command that offers --format json writes a record the registry
// names, and every command the registry, the primitives and the rules
// name exists. A new --format json output fails here until it has its
// record, and so its schema.
func TestEveryJSONOutputIsARecord(t *testing.T) {
	cmds := commandPaths()
	var invocations []string
	for _, r := range records.All() {
		invocations = append(invocations, r.Commands...)
	}
	offering := 0
	for path, c := range cmds {
		if !c.json {
			continue
		}
		offering++
		if !slices.Contains(invocations, path+" --format json") && !(c.jsonDefault && slices.Contains(invocations, path)) {
			t.Errorf("%s offers --format json, but no record in package records names %q", path, path+" --format json")
		}
	}
	if offering < 10 {
		t.Errorf("only %d commands offer --format json: is the flag still called --format?", offering)
	}
	named := map[string]string{}
	for _, r := range records.All() {
		for _, c := range r.Commands {
			named[c] = "record " + r.Name
		}
	}
	for _, p := range content.Primitives {
		for _, c := range p.Commands {
			named[c] = "primitive " + p.Name
		}
	}
	for _, r := range content.Rules {
		for _, c := range r.EnforcedBy {
			named[c] = "rule " + r.Name
		}
	}
	for c, who := range named {
		path := c
		if i := strings.Index(path, " --"); i >= 0 {
			path = path[:i]
		}
		if _, ok := cmds[path]; !ok {
			t.Errorf("%s names %q: small has no command %q", who, c, path)
		}
	}
}

// TestProtocolSchemaFlag checks small protocol --schema in process: every
// record's schema is printed as the registry generates it, and the output
// is one JSON document.
func TestProtocolSchemaFlag(t *testing.T) {
	for _, r := range records.All() {
		var out, errOut bytes.Buffer
		io := &cmdutil.IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut}
		if code := root.Main([]string{"protocol", "--schema", r.Name}, io); code != 0 {
			t.Fatalf("small protocol --schema %s: exit %d: %s", r.Name, code, errOut.String())
		}
		want, err := r.SchemaJSON()
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(out.Bytes(), want) {
			t.Errorf("small protocol --schema %s printed something else than the registry's schema", r.Name)
		}
		if !json.Valid(out.Bytes()) {
			t.Errorf("small protocol --schema %s: not one JSON document", r.Name)
		}
	}
}
