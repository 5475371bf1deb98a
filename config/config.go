// Package config reads small.cue, a repository's small configuration, and
// checks it against the schema built into the binary.
package config

import (
	_ "embed"
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"sort"
	"strings"
	"time"

	"cuelang.org/go/cue"
	"cuelang.org/go/cue/cuecontext"
	cueerrors "cuelang.org/go/cue/errors"
	"cuelang.org/go/cue/parser"
	"cuelang.org/go/cue/token"

	"github.com/smallhq/small/diag"
	"github.com/smallhq/small/manifest"
	"github.com/smallhq/small/protocol"
	"github.com/smallhq/small/repo"
)

//go:embed schema.cue
var schemaSource []byte

// Schema is the CUE source of the schema small.cue must satisfy.
func Schema() []byte { return schemaSource }

// Config is a repository's small configuration, defaults applied.
type Config struct {
	Schemas   string `json:"schemas"`
	Manifests string `json:"manifests"`
	// Files are the files rules (see Manifest); none means every *.yaml,
	// *.yml and *.json file under Manifests is a manifest.
	Files     []FileRule `json:"files"`
	Artifacts struct {
		Branch string `json:"branch"`
	} `json:"artifacts"`
	Builder struct {
		Name  string `json:"name"`
		Email string `json:"email"`
	} `json:"builder"`
	Agents      []string `json:"agents"`
	AgentLogins []string `json:"agentLogins"`
	AgentPaths  []string `json:"agentPaths"`
	// HumanSigners is the allowed-signers file, "" when signatures are
	// not required.
	HumanSigners string `json:"humanSigners"`
	// Locales are the languages content is written in; nil when small.cue
	// declares none (then no manifest may state a locale).
	Locales *Locales `json:"locales,omitempty"`
	Limits  struct {
		ManifestBytes int64 `json:"manifestBytes"`
		Depth         int   `json:"depth"`
		AliasNodes    int   `json:"aliasNodes"`
		Nodes         int   `json:"nodes"`
		EvalSeconds   int   `json:"evalSeconds"`
		EvalMemory    int   `json:"evalMemory"` // MiB
	} `json:"limits"`

	globs []*FileGlob // Files' globs, compiled
	// agentFiles: small.cue has files rules and no agentPaths, so an
	// agent may change exactly the files the rules match.
	agentFiles bool
}

// Locales is small.cue's locales: the default locale, whose version of
// an entry is its source, and every locale an entry may be written in.
type Locales struct {
	Default   string   `json:"default"`
	Supported []string `json:"supported"`
}

// Supports reports whether tag is one of the supported locales.
func (l *Locales) Supports(tag string) bool {
	return l != nil && slices.Contains(l.Supported, tag)
}

// Translated lists the supported locales other than the default, in
// small.cue's order.
func (l *Locales) Translated() []string {
	if l == nil {
		return nil
	}
	var out []string
	for _, t := range l.Supported {
		if t != l.Default {
			out = append(out, t)
		}
	}
	return out
}

func (l *Locales) equal(o *Locales) bool {
	if l == nil || o == nil {
		return l == o
	}
	return l.Default == o.Default && slices.Equal(l.Supported, o.Supported)
}

// BuildsLike reports whether c and o build the same artifacts from the same
// manifests: the same schemas and manifests directories, artifact branch,
// builder identity and limits. Who is an agent, what agents may change and
// who must sign are policy for judging changes, not inputs of a build: a
// change to them alone rebuilds nothing.
func (c *Config) BuildsLike(o *Config) bool {
	return c.Schemas == o.Schemas && c.Manifests == o.Manifests && slices.Equal(c.Files, o.Files) &&
		c.Artifacts == o.Artifacts && c.Builder == o.Builder && c.Limits == o.Limits && c.Locales.equal(o.Locales)
}

// EvalTimeout is the longest evaluating the schemas or one manifest may take.
func (c *Config) EvalTimeout() time.Duration {
	return time.Duration(c.Limits.EvalSeconds) * time.Second
}

// EvalMemoryBytes is the most memory small may hold while evaluating.
func (c *Config) EvalMemoryBytes() uint64 { return uint64(c.Limits.EvalMemory) << 20 }

// ManifestLimits are the decoding limits the configuration sets.
func (c *Config) ManifestLimits() manifest.Limits {
	return manifest.Limits{MaxBytes: c.Limits.ManifestBytes, MaxDepth: c.Limits.Depth, MaxAliasNodes: c.Limits.AliasNodes, MaxNodes: c.Limits.Nodes}
}

// IsAgent reports whether an author e-mail matches one of the agent globs
// (see MatchGlob).
func (c *Config) IsAgent(email string) bool {
	for _, g := range c.Agents {
		if MatchGlob(g, email) {
			return true
		}
	}
	return false
}

// AgentMayChange reports whether an agent's commit may change the file at
// path: one of AgentPaths or below one; with files rules and no
// agentPaths, a file the rules make a manifest (never small.cue nor the
// schemas, never the whole root). The assets of those files are the
// agent's too, which the schemas say (content's policy asks both).
func (c *Config) AgentMayChange(path string) bool {
	if c.agentFiles {
		return c.IsManifest(path)
	}
	for _, p := range c.AgentPaths {
		if path == p || strings.HasPrefix(path, p+"/") || p == "." {
			return true
		}
	}
	return false
}

// AgentScope says in words what an agent may change, for findings.
func (c *Config) AgentScope() string {
	if c.agentFiles {
		globs := make([]string, len(c.Files))
		for i, r := range c.Files {
			globs[i] = r.Glob
		}
		return "the files small.cue's files rules match: " + strings.Join(globs, ", ")
	}
	return strings.Join(c.AgentPaths, ", ")
}

// Default is the configuration of a repository without small.cue.
func Default() *Config {
	c, err := Parse(protocol.ConfigFile, nil)
	if err != nil {
		panic(err) // the built-in schema's defaults are valid
	}
	return c
}

// Error is a configuration that cannot be used, with its diagnostics.
type Error struct{ Diagnostics []diag.Diagnostic }

func (e *Error) Error() string {
	var b strings.Builder
	for i, d := range e.Diagnostics {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(d.String())
	}
	return b.String()
}

// Load reads small.cue from a snapshot and checks it.
func Load(s repo.Snapshot) (*Config, error) {
	data, err := s.Read(protocol.ConfigFile, 1<<20)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, &Error{[]diag.Diagnostic{{File: protocol.ConfigFile, Code: diag.CodeConfigMissing, Severity: diag.Error,
			Message: fmt.Sprintf("not found in the %s: run small init to set up this repository", s.Name())}}}
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", protocol.ConfigFile, err)
	}
	return Parse(protocol.ConfigFile, data)
}

// Parse checks configuration source and applies the defaults.
func Parse(filename string, src []byte) (*Config, error) {
	ctx := cuecontext.New()
	schema := ctx.CompileBytes(schemaSource, cue.Filename("small:config/schema.cue")).LookupPath(cue.ParsePath("#Config"))
	if err := schema.Err(); err != nil {
		return nil, fmt.Errorf("built-in config schema: %w", err)
	}
	f, err := parser.ParseFile(filename, src)
	if err != nil {
		return nil, &Error{diagnostics(err, diag.CodeConfigSyntax, filename)}
	}
	user := ctx.BuildFile(f)
	if err := user.Err(); err != nil {
		return nil, &Error{diagnostics(err, diag.CodeConfigSyntax, filename)}
	}
	// CUE reports a field that is not allowed only while the struct has no
	// other error, so check closedness first, against the schema alone.
	if ds := notAllowed(schema, user, nil, filename); len(ds) > 0 {
		return nil, &Error{ds}
	}
	v := schema.Unify(user)
	if err := v.Validate(cue.Concrete(true)); err != nil {
		return nil, &Error{diagnostics(err, diag.CodeConfigInvalid, filename)}
	}
	var c Config
	if err := v.Decode(&c); err != nil {
		return nil, &Error{diagnostics(err, diag.CodeConfigInvalid, filename)}
	}
	var ds []diag.Diagnostic
	at := func(sel ...cue.Selector) (int, int) { return position(v.LookupPath(cue.MakePath(sel...)).Pos()) }
	for i, r := range c.Files {
		if field, err := checkRule(r); err != nil {
			line, col := at(cue.Str("files"), cue.Index(i), cue.Str(field))
			ds = append(ds, diag.Diagnostic{File: filename, Line: line, Column: col, Path: fmt.Sprintf("files.%d.%s", i, field),
				Code: diag.CodeConfigInvalid, Severity: diag.Error, Message: err.Error()})
		}
	}
	if c.Manifests == "." && len(c.Files) == 0 {
		line, col := at(cue.Str("manifests"))
		ds = append(ds, diag.Diagnostic{File: filename, Line: line, Column: col, Path: "manifests",
			Code: diag.CodeConfigInvalid, Severity: diag.Error,
			Message: `"." without files rules would make every *.yaml, *.yml and *.json file of the repository a manifest (.github/ workflows included): expected a directory, e.g. "manifests", or files rules naming which files are manifests, e.g. files: [{glob: "topics/*/index.md", kind: "Topic", id: "$1"}]`})
	}
	if len(c.Files) > 0 && !user.LookupPath(cue.ParsePath("agentPaths")).Exists() {
		c.AgentPaths, c.agentFiles = []string{}, true
	}
	for i, g := range c.Agents {
		if err := CheckGlob(g); err != nil {
			line, col := position(v.LookupPath(cue.MakePath(cue.Str("agents"), cue.Index(i))).Pos())
			ds = append(ds, diag.Diagnostic{File: filename, Line: line, Column: col, Path: fmt.Sprintf("agents.%d", i),
				Code: diag.CodeConfigInvalid, Severity: diag.Error, Message: err.Error()})
		}
	}
	ds = append(ds, checkLocales(c.Locales, filename, at)...)
	if len(ds) > 0 {
		return nil, &Error{ds}
	}
	if err := c.compileRules(); err != nil {
		return nil, err // not expected: checkRule compiled each glob
	}
	return &c, nil
}

// checkLocales checks small.cue's locales: tags that are locales, each
// once, the default among them.
func checkLocales(l *Locales, filename string, at func(...cue.Selector) (int, int)) []diag.Diagnostic {
	if l == nil {
		return nil
	}
	var ds []diag.Diagnostic
	fail := func(path string, sel []cue.Selector, msg string) {
		line, col := at(sel...)
		ds = append(ds, diag.Diagnostic{File: filename, Line: line, Column: col, Path: path,
			Code: diag.CodeConfigInvalid, Severity: diag.Error, Message: msg})
	}
	seen := map[string]bool{}
	for i, t := range l.Supported {
		sel := []cue.Selector{cue.Str("locales"), cue.Str("supported"), cue.Index(i)}
		switch {
		case !protocol.ValidLocale(t):
			fail(fmt.Sprintf("locales.supported.%d", i), sel, fmt.Sprintf("%q is not a locale tag: expected a BCP 47 language tag such as \"en\", \"fr\" or \"pt-BR\" (%s)", t, protocol.LocalePattern))
		case seen[t]:
			fail(fmt.Sprintf("locales.supported.%d", i), sel, fmt.Sprintf("%q is listed twice: expected each locale once", t))
		}
		seen[t] = true
	}
	sel := []cue.Selector{cue.Str("locales"), cue.Str("default")}
	switch {
	case !protocol.ValidLocale(l.Default):
		fail("locales.default", sel, fmt.Sprintf("%q is not a locale tag: expected a BCP 47 language tag such as \"en\" (%s)", l.Default, protocol.LocalePattern))
	case !seen[l.Default]:
		fail("locales.default", sel, fmt.Sprintf("%q is not one of supported (%s): expected the default locale among the supported ones", l.Default, strings.Join(l.Supported, ", ")))
	}
	return ds
}

func notAllowed(schema, user cue.Value, sel []string, filename string) []diag.Diagnostic {
	it, err := user.Fields()
	if err != nil {
		return nil
	}
	var ds []diag.Diagnostic
	for it.Next() {
		name := it.Selector().Unquoted()
		child := append(append([]string(nil), sel...), name)
		sub := schema.LookupPath(cue.MakePath(cue.Str(name)))
		if !schema.Allows(cue.Str(name)) {
			var allowed []string
			fit, _ := schema.Fields(cue.Optional(true))
			for fit != nil && fit.Next() {
				allowed = append(allowed, fit.Selector().Unquoted())
			}
			line, col := position(it.Value().Pos())
			msg := "field not allowed"
			if near := diag.Nearest(name, allowed); near != "" {
				msg += fmt.Sprintf(" (did you mean %q?)", near)
			}
			ds = append(ds, diag.Diagnostic{File: filename, Line: line, Column: col, Path: strings.Join(child, "."),
				Code: diag.CodeConfigInvalid, Severity: diag.Error,
				Message: msg + ": expected one of " + strings.Join(allowed, ", ")})
			continue
		}
		if it.Value().IncompleteKind() == cue.StructKind && sub.IncompleteKind()&cue.StructKind != 0 {
			ds = append(ds, notAllowed(sub, it.Value(), child, filename)...)
		}
	}
	return ds
}

// diagnostics places CUE errors at their position in the user's file,
// passing over positions in the built-in schema. Of the errors at one path
// it keeps the most telling: a failed constraint over a clash with a default,
// and never the "N errors in empty disjunction" header.
func diagnostics(err error, code, filename string) []diag.Diagnostic {
	best := map[string]int{}
	var ds []diag.Diagnostic
	var ranks []int
	for _, e := range cueerrors.Errors(err) {
		d := diag.Diagnostic{File: filename, Code: code, Severity: diag.Error}
		p := e.Path()
		if len(p) > 0 && p[0] == "#Config" {
			p = p[1:]
		}
		d.Path = strings.Join(p, ".")
		format, args := e.Msg()
		d.Message = fmt.Sprintf(format, args...)
		if h, ok := hints[hintKey(p)]; ok && strings.HasPrefix(format, "invalid value") && len(args) > 0 {
			d.Message = fmt.Sprintf("got %v, expected %s", args[0], h)
		} else if strings.HasPrefix(format, "invalid value") && len(args) == 2 {
			d.Message = fmt.Sprintf("got %v, expected %v", args[0], args[1])
		}
		for _, pos := range cueerrors.Positions(e) {
			if pos.Filename() == filename {
				d.Line, d.Column = position(pos)
				break
			}
		}
		rank := 2
		switch {
		case strings.Contains(format, "empty disjunction"):
			rank = 0
		case strings.HasPrefix(format, "conflicting values"):
			rank = 1
		}
		if i, ok := best[d.Path]; ok {
			if rank > ranks[i] {
				ds[i], ranks[i] = d, rank
			}
			continue
		}
		best[d.Path] = len(ds)
		ds = append(ds, d)
		ranks = append(ranks, rank)
	}
	sort.SliceStable(ds, func(i, j int) bool { return ds[i].Line < ds[j].Line })
	return ds
}

// hints say in words what the schema's patterns require.
var hints = map[string]string{
	"schemas":          `a directory inside the repository (relative, no "." or ".." segments, no .git, no trailing "/"), e.g. "schemas"`,
	"manifests":        `a directory inside the repository (relative, no "." or ".." segments, no .git, no trailing "/"), e.g. "manifests", or "." with files rules`,
	"artifacts.branch": `a branch name without refs/heads/, e.g. "small/artifacts"`,
	"builder.name":     "a name without <, > or line breaks",
	"builder.email":    "an e-mail address without <, >, spaces or line breaks",
	"agents.*":         `an e-mail glob without spaces, e.g. "*@bots.example.com"`,
}

func hintKey(p []string) string {
	if len(p) == 2 && p[0] == "agents" {
		return "agents.*"
	}
	return strings.Join(p, ".")
}

func position(p token.Pos) (int, int) {
	if !p.IsValid() {
		return 0, 0
	}
	return p.Line(), p.Column()
}
