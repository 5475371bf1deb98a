package config

import (
	"fmt"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/smallhq/small/protocol"
)

// FileRule is one entry of small.cue's files: which files under the
// manifests root are manifests, and what their paths say they are.
type FileRule struct {
	// Glob is matched against the path relative to the manifests root
	// (see FileGlob).
	Glob string `json:"glob"`
	// Kind and ID, when set, are the kind and id of every file the glob
	// matches; $N stands for the text the N-th wildcard matched.
	Kind string `json:"kind,omitempty"`
	ID   string `json:"id,omitempty"`
	// Body names the field that a front-matter file's Markdown body is
	// (by default "body").
	Body string `json:"body,omitempty"`
}

// Match is what the configuration says of a manifest file: the files rule
// that made it one, and the kind, id and body field that rule gives it.
type Match struct {
	// Rule is the index of the files rule in small.cue, -1 when small.cue
	// has no files rules (the file is a manifest by its extension).
	Rule int
	Glob string
	// Kind and ID are what the rule gives, $N expanded; "" when the rule
	// leaves them to the manifest.
	Kind, ID string
	// Body is the field a front-matter body is read into; "" for the default.
	Body string
	// DefaultLocale is small.cue's default locale ("" without locales):
	// a manifest that states it is the default locale's version, as one
	// that states no locale.
	DefaultLocale string
}

// RuleName names the rule for people: `files rule 1 (topics/*/index.md)`,
// counting from 1 as small.cue's reader does.
func (m Match) RuleName() string {
	if m.Rule < 0 {
		return ""
	}
	return fmt.Sprintf("files rule %d (%s)", m.Rule+1, m.Glob)
}

// HasFileRules reports whether small.cue lists files rules: then a file
// under the manifests root is a manifest exactly when a rule matches it.
func (c *Config) HasFileRules() bool { return len(c.Files) > 0 }

// UnderManifests reports whether p (repository-relative, clean) is below
// the manifests root.
func (c *Config) UnderManifests(p string) bool {
	return c.Manifests == "." || strings.HasPrefix(p, c.Manifests+"/")
}

// Manifest says whether the file at p (repository-relative, clean) is a
// manifest under this configuration, and by which rule. Without files
// rules, a manifest is a *.yaml, *.yml or *.json file under the manifests
// root. With them, it is a file under the root that a rule matches (the
// first that does), whatever its extension; small.cue and the schemas
// package are never manifests. Every place small judges whether a path
// is a manifest asks here.
func (c *Config) Manifest(p string) (Match, bool) {
	m, ok := c.match(p)
	if ok && c.Locales != nil {
		m.DefaultLocale = c.Locales.Default
	}
	return m, ok
}

func (c *Config) match(p string) (Match, bool) {
	if p == "" || !c.UnderManifests(p) {
		return Match{}, false
	}
	if !c.HasFileRules() {
		return Match{Rule: -1}, protocol.IsManifestFile(p)
	}
	if p == protocol.ConfigFile || p == c.Schemas || strings.HasPrefix(p, c.Schemas+"/") {
		return Match{}, false
	}
	rel := p
	if c.Manifests != "." {
		rel = p[len(c.Manifests)+1:]
	}
	globs := c.globs
	if len(globs) != len(c.Files) {
		// A Config not made by Parse: compile its rules for this call
		// (never stored: a Config is read by many goroutines at once).
		globs = make([]*FileGlob, len(c.Files))
		for i, r := range c.Files {
			g, err := CompileFileGlob(r.Glob)
			if err != nil {
				return Match{}, false
			}
			globs[i] = g
		}
	}
	for i, g := range globs {
		caps, ok := g.Match(rel)
		if !ok {
			continue
		}
		r := c.Files[i]
		return Match{Rule: i, Glob: r.Glob, Kind: expand(r.Kind, caps), ID: expandID(r.ID, caps), Body: r.Body}, true
	}
	return Match{}, false
}

// IsManifest is Manifest without the match.
func (c *Config) IsManifest(p string) bool {
	_, ok := c.Manifest(p)
	return ok
}

func (c *Config) compileRules() error {
	c.globs = make([]*FileGlob, len(c.Files))
	for i, r := range c.Files {
		g, err := CompileFileGlob(r.Glob)
		if err != nil {
			c.globs = nil
			return err
		}
		c.globs[i] = g
	}
	return nil
}

// FileGlob is a compiled glob of a files rule. Globs are relative paths:
// * matches any run of characters within one path segment (no /), a
// segment that is exactly ** matches zero or more whole segments, and
// every other character stands for itself ([, ?, { and \ included). Each
// wildcard captures what it matched ($1, $2, ... in the order they
// appear); a ** captures the segments it matched joined by /, "" for
// none. When a path can match in more than one way, each wildcard takes
// as much as it can, from left to right.
//
// A glob is compiled to a regular expression of Go's regexp package,
// whose matching takes time linear in the path for a given glob: a
// hostile glob such as *a*a*a*a*b never backtracks exponentially.
type FileGlob struct {
	src  string
	re   *regexp.Regexp
	caps int
}

// Limits of a files glob: enough for any layout, small enough that
// compiling and matching stay cheap.
const (
	maxGlobBytes     = 512
	maxGlobWildcards = 32
)

// any segment's worth of characters, and one or more whole segments.
const (
	segRun  = `([^/]*)`
	segsRun = `([^/]+(?:/[^/]+)*)`
)

// CompileFileGlob checks a files glob and compiles it. The error says what
// is wrong and what was expected.
func CompileFileGlob(glob string) (*FileGlob, error) {
	const expect = `expected a path relative to the manifests root such as "topics/*/index.md" or "posts/**/*.md"`
	switch {
	case glob == "":
		return nil, fmt.Errorf("empty glob: %s", expect)
	case len(glob) > maxGlobBytes:
		return nil, fmt.Errorf("glob is %d bytes, more than %d: %s", len(glob), maxGlobBytes, expect)
	case !utf8.ValidString(glob) || strings.ContainsFunc(glob, unicode.IsControl):
		return nil, fmt.Errorf("%q holds a control character or invalid UTF-8: %s", glob, expect)
	case strings.HasPrefix(glob, "/"):
		return nil, fmt.Errorf("%q starts with /: %s", glob, expect)
	case strings.HasSuffix(glob, "/"):
		return nil, fmt.Errorf("%q ends with /: a glob names files, %s", glob, expect)
	case strings.Contains(glob, "//"):
		return nil, fmt.Errorf("%q has an empty segment (//): %s", glob, expect)
	case strings.Contains(glob, "\\"):
		return nil, fmt.Errorf("%q holds a backslash: paths are separated by /, and nothing is escaped: %s", glob, expect)
	}
	segs := strings.Split(glob, "/")
	var re strings.Builder
	re.WriteString(`^`)
	caps := 0
	sep := false // whether the next segment needs a / before it
	for i, s := range segs {
		last := i == len(segs)-1
		switch {
		case s == "." || s == "..":
			return nil, fmt.Errorf("%q has a %q segment: %s", glob, s, expect)
		case s == ".git":
			return nil, fmt.Errorf("%q names .git, which is never content: %s", glob, expect)
		case s == "**":
			caps++
			switch {
			case !last && sep:
				re.WriteString(`/(?:` + segsRun + `/)?`)
			case !last:
				re.WriteString(`(?:` + segsRun + `/)?`)
			case sep:
				re.WriteString(`(?:/` + segsRun + `)?`)
			default:
				re.WriteString(segsRun)
			}
			sep = false
			continue
		case strings.Contains(s, "**"):
			return nil, fmt.Errorf("%q: ** must be a whole path segment (as in \"posts/**/*.md\"); within a segment use *", glob)
		}
		if sep {
			re.WriteString(`/`)
		}
		for j, part := range strings.Split(s, "*") {
			if j > 0 {
				caps++
				re.WriteString(segRun)
			}
			re.WriteString(regexp.QuoteMeta(part))
		}
		sep = true
	}
	if caps > maxGlobWildcards {
		return nil, fmt.Errorf("%q has %d wildcards, more than %d", glob, caps, maxGlobWildcards)
	}
	re.WriteString(`$`)
	r, err := regexp.Compile(re.String())
	if err != nil {
		return nil, fmt.Errorf("%q: %v", glob, err) // not expected: every literal is quoted
	}
	return &FileGlob{src: glob, re: r, caps: caps}, nil
}

// Wildcards is how many wildcards (* and **) the glob has: the $N a rule
// may use.
func (g *FileGlob) Wildcards() int { return g.caps }

// String is the glob as written.
func (g *FileGlob) String() string { return g.src }

// Match reports whether the path p (relative to the manifests root)
// matches, and what each wildcard matched: caps[0] is $1. A path with an
// empty segment (empty, a leading or trailing /, //) matches nothing.
func (g *FileGlob) Match(p string) ([]string, bool) {
	if p == "" || p[0] == '/' || p[len(p)-1] == '/' || strings.Contains(p, "//") {
		return nil, false
	}
	m := g.re.FindStringSubmatchIndex(p)
	if m == nil {
		return nil, false
	}
	caps := make([]string, g.caps)
	for i := range caps {
		if a, b := m[2*i+2], m[2*i+3]; a >= 0 {
			caps[i] = p[a:b]
		}
	}
	return caps, true
}

// checkTemplate refuses a kind or id template with a $ that is not
// followed by the number of a wildcard of the glob (1 to n).
func checkTemplate(t string, n int) error {
	for i := 0; i < len(t); i++ {
		if t[i] != '$' {
			continue
		}
		j := i + 1
		for j < len(t) && t[j] >= '0' && t[j] <= '9' {
			j++
		}
		if j == i+1 {
			return fmt.Errorf("%q: a $ must be followed by the number of a wildcard of the glob ($1 for the first)", t)
		}
		k, err := strconv.Atoi(t[i+1 : j])
		switch {
		case err != nil || k == 0:
			return fmt.Errorf("%q: $%s: wildcards are numbered from $1", t, t[i+1:j])
		case k > n:
			if n == 0 {
				return fmt.Errorf("%q: $%d, but the glob has no wildcard", t, k)
			}
			if n == 1 {
				return fmt.Errorf("%q: $%d, but the glob has 1 wildcard: expected $1", t, k)
			}
			return fmt.Errorf("%q: $%d, but the glob has %d wildcards: expected $1 to $%d", t, k, n, n)
		}
		i = j - 1
	}
	return nil
}

// expand replaces each $N of t by caps[N-1]; checkTemplate vouched for t.
func expand(t string, caps []string) string {
	if !strings.Contains(t, "$") {
		return t
	}
	var b strings.Builder
	for i := 0; i < len(t); i++ {
		if t[i] != '$' {
			b.WriteByte(t[i])
			continue
		}
		j := i + 1
		for j < len(t) && t[j] >= '0' && t[j] <= '9' {
			j++
		}
		if k, err := strconv.Atoi(t[i+1 : j]); err == nil && k >= 1 && k <= len(caps) {
			b.WriteString(caps[k-1])
		}
		i = j - 1
	}
	return b.String()
}

// expandID is expand for an id template, whose '/' separate the segments
// of a path-scoped id: a segment left empty by what wildcards matched is
// dropped, so that "$1/$2" gives "install" for docs/install.yaml under
// "docs/**/*.yaml", where ** matched nothing, and "v1/install" for
// docs/v1/install.yaml. A ** capture is whole segments joined by '/'
// already; manifest.IdentityGiven judges the id it all gives.
func expandID(t string, caps []string) string {
	id := expand(t, caps)
	if !strings.Contains(t, "/") || !strings.Contains(id, "//") && !strings.HasPrefix(id, "/") && !strings.HasSuffix(id, "/") {
		return id
	}
	segs := strings.Split(id, "/")
	kept := segs[:0]
	for _, s := range segs {
		if s != "" {
			kept = append(kept, s)
		}
	}
	return strings.Join(kept, "/")
}

// kindPattern is what a kind looks like: the name of a CUE definition
// without its #.
var (
	kindPattern = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`) })
	kindChars   = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z0-9_]*$`) })
)

// ValidKind reports whether k can name a kind (#k is a CUE definition).
func ValidKind(k string) bool { return kindPattern().MatchString(k) }

// fieldPattern is what a body field name looks like.
var fieldPattern = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_-]{0,63}$`) })

// reservedFields may not be a body field: small reads them itself.
var reservedFields = protocol.ReservedFields

// checkRule checks one files rule: the error names the field at fault.
func checkRule(r FileRule) (field string, err error) {
	g, err := CompileFileGlob(r.Glob)
	if err != nil {
		return "glob", err
	}
	n := g.Wildcards()
	if r.Kind != "" {
		if err := checkTemplate(r.Kind, n); err != nil {
			return "kind", err
		}
		lit := expand(r.Kind, make([]string, n)) // the literal parts
		if !strings.Contains(r.Kind, "$") && !ValidKind(lit) || lit != "" && !kindChars().MatchString(lit) {
			return "kind", fmt.Errorf("%q is not a kind: expected the name of a definition of the schemas without its #, e.g. \"Topic\" for #Topic", r.Kind)
		}
	}
	if r.ID != "" {
		if err := checkTemplate(r.ID, n); err != nil {
			return "id", err
		}
		// The template's own text must be able to make an id: each $N
		// stands for one segment's worth of text here ("../$1" and
		// "$1//$2" are refused whatever the path).
		form := r.ID
		if strings.Contains(form, "$") {
			form = expand(r.ID, slices.Repeat([]string{"x"}, n))
		}
		if !protocol.ValidID(form) {
			what := "is not a valid id"
			if form != r.ID {
				what = "cannot give a valid id (with each $N standing for x: " + strconv.Quote(form) + ")"
			}
			return "id", fmt.Errorf("%q %s: %s; expected %s, or $N for what the N-th wildcard matched", r.ID, what, protocol.IDProblem(form), protocol.IDRule)
		}
	}
	if r.Body != "" {
		if !fieldPattern().MatchString(r.Body) {
			return "body", fmt.Errorf("%q is not a field name: expected letters, digits, '_' or '-', starting with a letter or '_', e.g. \"description\"", r.Body)
		}
		for _, f := range reservedFields {
			if r.Body == f {
				return "body", fmt.Errorf("%q is a field small reserves (%s): expected another name for the body, e.g. \"body\" or \"description\"", r.Body, strings.Join(reservedFields, ", "))
			}
		}
	}
	return "", nil
}

// AgentFilesDefault reports whether what agents may change is the files
// the rules match (small.cue has files rules and no agentPaths), their
// assets included (see content's policy).
func (c *Config) AgentFilesDefault() bool { return c.agentFiles }

// BesideRuleFiles reports whether the file at p lies where the files of a
// rule giving kind live, or below: p's directory, or one of its ancestors
// under the manifests root, matches the directory part of the rule's glob
// (topics/* for topics/*/index.md). A rule whose kind comes from the
// manifest or from the path ($N) may give any kind. This is where an
// @asset(root=".") field of such a file may point.
func (c *Config) BesideRuleFiles(p, kind string) bool {
	if p == "" || !c.UnderManifests(p) {
		return false
	}
	rel := p
	if c.Manifests != "." {
		rel = p[len(c.Manifests)+1:]
	}
	for _, r := range c.Files {
		if r.Kind != "" && r.Kind != kind && !strings.Contains(r.Kind, "$") {
			continue
		}
		i := strings.LastIndexByte(r.Glob, '/')
		if i < 0 {
			return true // the rule's files are at the top of the root
		}
		g, err := CompileFileGlob(r.Glob[:i])
		if err != nil {
			continue
		}
		for d := path.Dir(rel); d != "." && d != "/"; d = path.Dir(d) {
			if _, ok := g.Match(d); ok {
				return true
			}
		}
	}
	return false
}
