// Package adopt infers small's configuration from the content a repository
// already has: it walks a snapshot, finds the files that could be
// manifests (Markdown with YAML front matter, YAML and JSON files), groups
// them by the shape of their paths into small.cue `files` rules (kind and
// id from the path), and infers a starting CUE schema for each kind from
// the files themselves, for a person to tighten (small init --adopt).
//
// Everything it proposes is deterministic: the same snapshot gives the same
// rules, kinds, schemas and report, byte for byte.
package adopt

import (
	"errors"
	"fmt"
	"path"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"cuelang.org/go/cue/ast"

	"github.com/smallhq/small/manifest"
	"github.com/smallhq/small/protocol"
	"github.com/smallhq/small/repo"
	"github.com/smallhq/small/schema"
)

// Options bound and place an adoption.
type Options struct {
	// Limits are small.cue's manifest limits, applied to every file read
	// (zero: manifest.DefaultLimits).
	Limits manifest.Limits
	// MaxFiles is the most candidate files read (zero: DefaultMaxFiles);
	// past it the report says it stopped.
	MaxFiles int
	// MaxTotalBytes is the most bytes read over all files (zero:
	// DefaultMaxTotalBytes).
	MaxTotalBytes int64
	// Schemas is the directory of the schemas package to propose
	// (zero: "schemas").
	Schemas string
}

// Defaults of Options.
const (
	DefaultMaxFiles      = 100_000
	DefaultMaxTotalBytes = 512 << 20
	DefaultSchemas       = "schemas"
)

// MinGroup is how many files of one shape make a rule: a shape only one
// file has is no convention yet.
const MinGroup = 2

// Report is what an adoption proposes and found: small init --adopt
// --format json prints it.
type Report struct {
	Protocol string `json:"protocol" jsonschema:"always small/v1"`
	// Manifests is the manifests root proposed for small.cue: the deepest
	// directory holding every rule's files ("." for the whole repository).
	Manifests string `json:"manifests" jsonschema:"the manifests root proposed for small.cue: the deepest directory holding every rule's files, . for the whole repository"`
	Schemas   string `json:"schemas" jsonschema:"the directory of the schemas package proposed"`
	// Rules are the proposed files rules, in small.cue's order (first
	// match wins).
	Rules []Rule `json:"rules" jsonschema:"the proposed files rules, in small.cue's order (the first rule a file matches is its rule)"`
	// Unmatched are the candidate files no rule matches, with why.
	Unmatched []Unmatched `json:"unmatched" jsonschema:"the candidate files (Markdown, YAML, JSON) that no proposed rule matches, each with why"`
	// Candidates is how many candidate files were read.
	Candidates int `json:"candidates" jsonschema:"how many candidate files (Markdown, YAML, JSON outside build outputs, vendored and hidden directories) were read"`
	// Truncated says the walk stopped at a bound before reading every
	// candidate file.
	Truncated string `json:"truncated,omitempty" jsonschema:"why the walk stopped before reading every candidate file, when it did (a bound on files or bytes)"`
	// Files are the files proposed, with their content; Written says
	// whether small init --adopt wrote each (false with --dry-run).
	Files []File `json:"files" jsonschema:"the files proposed (small.cue and one schema per kind), with their content and whether they were written"`
	// Written is whether the files were written (false with --dry-run).
	Written bool `json:"written" jsonschema:"whether the files were written: false with --dry-run"`
}

// Rule is one proposed files rule with what it matched.
type Rule struct {
	Glob string `json:"glob" jsonschema:"the glob, relative to the manifests root: * matches within one directory"`
	Kind string `json:"kind" jsonschema:"the kind of the files the rule matches"`
	ID   string `json:"id" jsonschema:"the id of each file: $1 is the text the wildcard matched"`
	// Body is the field a Markdown body becomes, when not "body"; empty
	// for YAML and JSON rules.
	Body string `json:"body,omitempty" jsonschema:"the field a Markdown file's body becomes (Markdown rules only)"`
	// Schema is the file of the kind's schema.
	Schema string `json:"schema" jsonschema:"the file of the kind's proposed schema"`
	// Files are the files the rule matches and the schema was inferred
	// from, sorted.
	Files []string `json:"files" jsonschema:"the files the rule matches, sorted"`
	// Fields are the kind's top-level fields as inferred.
	Fields []Field `json:"fields" jsonschema:"the kind's top-level fields as inferred, sorted by name"`
	// Lifecycle is set when the files' status values are not all states of
	// the default lifecycle: the schema then declares these states.
	Lifecycle []string `json:"lifecycle,omitempty" jsonschema:"the lifecycle states the schema declares, when the files' status values are not all states of the default lifecycle"`
	// Problems are files the rule matches that small validate would
	// report as they stand.
	Problems []Unmatched `json:"problems" jsonschema:"files the rule matches that small validate would report as they stand, each with why"`
}

// Field is one inferred top-level field.
type Field struct {
	Name string `json:"name" jsonschema:"the field's name"`
	// Type is the CUE the schema gives it (nested structs written out).
	Type     string `json:"type" jsonschema:"the CUE type the schema gives the field"`
	Required bool   `json:"required" jsonschema:"whether every file has the field"`
	Files    int    `json:"files" jsonschema:"how many of the rule's files have the field"`
	Unique   bool   `json:"unique,omitempty" jsonschema:"whether the schema proposes @unique(): a name, title or slug whose values differ in every file"`
	Asset    bool   `json:"asset,omitempty" jsonschema:"whether the schema proposes @asset(): every value names an image beside the file"`
	Date     bool   `json:"date,omitempty" jsonschema:"whether every value looks like a date (YYYY-MM-DD...)"`
	EqualsID bool   `json:"equalsId,omitempty" jsonschema:"whether every file has the field equal to the id its path gives: the schema then says so (name: id)"`
	Body     bool   `json:"body,omitempty" jsonschema:"whether the field is the Markdown body"`
}

// Unmatched is a candidate file and why it is not (or not cleanly) a
// manifest of a rule.
type Unmatched struct {
	Path   string `json:"path" jsonschema:"the file, repository-relative"`
	Reason string `json:"reason" jsonschema:"why, in words"`
}

// File is one proposed file.
type File struct {
	Path    string `json:"path" jsonschema:"the file, repository-relative"`
	Content string `json:"content" jsonschema:"its content"`
}

// NoContentError is a repository with no file that could be a manifest.
type NoContentError struct {
	Candidates int
	Unmatched  []Unmatched
}

func (e *NoContentError) Error() string {
	if e.Candidates == 0 {
		return "no content to adopt: no Markdown, YAML or JSON file outside hidden directories, build outputs and vendored code"
	}
	return fmt.Sprintf("no content to adopt: none of the %d Markdown, YAML and JSON files shares its path's shape with another one that has front matter or is a mapping (see the unmatched files); run small init for a fresh start", e.Candidates)
}

// skipDirs are directories never walked: build outputs, vendored code.
// Hidden directories (.git, .github, .jekyll-cache, ...) are skipped too.
var skipDirs = []string{"_site", "public", "dist", "build", "out", "node_modules", "vendor", "bower_components", "__pycache__"}

// skippedBy returns the directory of p that keeps it out of the walk, "" if none.
func skippedBy(p string) string {
	segs := strings.Split(p, "/")
	for i, s := range segs[:len(segs)-1] {
		if strings.HasPrefix(s, ".") || slices.Contains(skipDirs, s) {
			return strings.Join(segs[:i+1], "/") + "/"
		}
	}
	if strings.HasPrefix(segs[len(segs)-1], ".") {
		return p
	}
	return ""
}

// candidate is a file read for inference.
type candidate struct {
	path   string
	doc    *decoded
	reason string // why it is not content, when doc is nil
	shapes []shape
}

// Infer walks snap and proposes rules and schemas.
func Infer(snap repo.Snapshot, opts Options) (*Report, error) {
	if opts.Limits == (manifest.Limits{}) {
		opts.Limits = manifest.DefaultLimits
	}
	if opts.MaxFiles <= 0 {
		opts.MaxFiles = DefaultMaxFiles
	}
	if opts.MaxTotalBytes <= 0 {
		opts.MaxTotalBytes = DefaultMaxTotalBytes
	}
	if opts.Schemas == "" {
		opts.Schemas = DefaultSchemas
	}
	entries, err := snap.Files("")
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", snap.Name(), err)
	}
	rep := &Report{Protocol: protocol.Version, Schemas: opts.Schemas, Rules: []Rule{}, Unmatched: []Unmatched{}, Files: []File{}}
	all := &fileSet{snap: snap, all: map[string]bool{}, types: map[string]string{}} // for assets
	for _, e := range entries {
		all.all[e.Path] = true
	}
	var cands []*candidate
	var total int64
	for _, e := range entries {
		if !isMarkdown(e.Path) && !isData(e.Path) || skippedBy(e.Path) != "" || e.Path == protocol.ConfigFile {
			continue
		}
		if len(cands) >= opts.MaxFiles {
			rep.Truncated = fmt.Sprintf("stopped after %d files: the rest were not read", opts.MaxFiles)
			break
		}
		c := &candidate{path: e.Path}
		cands = append(cands, c)
		if !utf8.ValidString(e.Path) || strings.ContainsFunc(e.Path, unicode.IsControl) {
			// small validate refuses such a name (manifest.path-invalid),
			// and it would end up in the proposed CUE (a comment a line
			// break ends): never a rule's file.
			c.reason = "its path holds a control character (a line break?) or invalid UTF-8, which small refuses in a manifest's name: rename it"
			continue
		}
		if isData(e.Path) && !strings.Contains(e.Path, "/") {
			c.reason = "a YAML or JSON file at the top of the repository: configuration, not content"
			continue
		}
		max := opts.Limits.MaxBytes
		if max <= 0 {
			max = 1 << 30
		}
		if total+min(e.Size, max) > opts.MaxTotalBytes {
			rep.Truncated = fmt.Sprintf("stopped after %d bytes: the rest were not read", total)
			cands = cands[:len(cands)-1]
			break
		}
		data, err := snap.Read(e.Path, max)
		var tl *repo.TooLargeError
		switch {
		case errors.As(err, &tl):
			c.reason = tl.Error()
			continue
		case err != nil:
			c.reason = "unreadable: " + err.Error()
			continue
		}
		total += int64(len(data))
		doc, err := decode(e.Path, data, opts.Limits)
		if err != nil {
			c.reason = err.Error()
			continue
		}
		c.doc = doc
	}
	rep.Candidates = len(cands)
	rules := groupFiles(cands)
	if len(rules) == 0 {
		for _, c := range cands {
			rep.Unmatched = append(rep.Unmatched, Unmatched{Path: c.path, Reason: unmatchedReason(c)})
		}
		return rep, &NoContentError{Candidates: len(cands), Unmatched: rep.Unmatched}
	}
	rep.Manifests = commonRoot(rules)
	names := kindNames(rules)
	for i, g := range rules {
		r := infer(g, names[i], all)
		r.Glob = relGlob(rep.Manifests, g.shape.glob)
		r.Schema = path.Join(opts.Schemas, strings.ToLower(r.Kind)+".cue")
		rep.Rules = append(rep.Rules, r)
	}
	// Every file the rules match, whatever it is: a file the walk could not
	// read, or skipped, still becomes a manifest under the rule.
	for _, e := range entries {
		i, ok := matchRule(rules, e.Path)
		if !ok || rules[i].members[e.Path] {
			continue
		}
		why := ""
		if d := skippedBy(e.Path); d != "" {
			why = "under " + d + ", which adoption skips (hidden, a build output or vendored): the rule would read it as a manifest; narrow the rule"
		} else if c := findCand(cands, e.Path); c != nil && c.reason != "" {
			why = c.reason
		} else if c != nil {
			why = "the rule matches it, but its name (a * in it, or nothing before the extension) gives no valid id"
		} else {
			continue // not read: past a bound
		}
		rep.Rules[i].Problems = append(rep.Rules[i].Problems, Unmatched{Path: e.Path, Reason: why})
	}
	for _, c := range cands {
		if _, ok := matchRule(rules, c.path); !ok {
			rep.Unmatched = append(rep.Unmatched, Unmatched{Path: c.path, Reason: unmatchedReason(c)})
		}
	}
	rep.Files = render(rep, rules)
	if err := selfCheck(rep, rules); err != nil {
		return nil, err
	}
	for i := range rep.Rules {
		slices.SortStableFunc(rep.Rules[i].Problems, func(a, b Unmatched) int { return strings.Compare(a.Path, b.Path) })
	}
	return rep, nil
}

// selfCheck loads the proposed schemas with small's own loader and
// validates every file a rule was inferred from against its kind: a file
// the proposal rejects is a problem of its rule (which a test holds to
// none), and schemas that do not load are an error (a bug).
func selfCheck(rep *Report, rules []*group) error {
	var files []schema.File
	for _, f := range rep.Files[1:] {
		files = append(files, schema.File{Path: f.Path, Data: []byte(f.Content)})
	}
	s, err := schema.Load(rep.Schemas, files)
	if err != nil {
		return fmt.Errorf("the proposed schemas do not load (a bug of small init --adopt): %w", err)
	}
	v, err := s.NewValidator()
	if err != nil {
		return fmt.Errorf("the proposed schemas do not load (a bug of small init --adopt): %w", err)
	}
	for i, g := range rules {
		r := &rep.Rules[i]
		for _, c := range g.files {
			doc := c.doc.doc
			if doc == nil {
				if doc, err = manifest.Decode(c.path+".json", []byte("{}"), manifest.Limits{}); err != nil {
					return err
				}
			}
			if c.doc.body {
				// The body is one more field, as small reads a Markdown file.
				fields := *doc.Fields
				fields.Elts = append(slices.Clip(fields.Elts), &ast.Field{Label: ast.NewString(bodyName(*r)), Value: ast.NewString(c.doc.bodyText)})
				d := *doc
				d.Fields = &fields
				doc = &d
			}
			for _, d := range v.Validate(doc, manifest.Identity{Kind: r.Kind, ID: g.shape.capture(c.path)}) {
				r.Problems = append(r.Problems, Unmatched{Path: c.path, Reason: fmt.Sprintf("the proposed schema rejects it (a bug of small init --adopt): %s", d.Message)})
			}
		}
	}
	return nil
}

func findCand(cands []*candidate, p string) *candidate {
	i, ok := slices.BinarySearchFunc(cands, p, func(c *candidate, p string) int { return strings.Compare(c.path, p) })
	if !ok {
		return nil
	}
	return cands[i]
}

func unmatchedReason(c *candidate) string {
	if c.reason != "" {
		return c.reason
	}
	if len(c.shapes) == 0 {
		return "its path cannot be written as a glob (a * in a name)"
	}
	globs := make([]string, len(c.shapes))
	for i, s := range c.shapes {
		globs[i] = s.glob
	}
	return "the only file of its shape (" + strings.Join(globs, ", ") + ")"
}

// commonRoot is the deepest directory holding every rule's files.
func commonRoot(rules []*group) string {
	var root []string
	for i, g := range rules {
		dir := strings.Split(g.shape.literal, "/")
		if g.shape.literal == "" {
			dir = nil
		}
		if i == 0 {
			root = dir
			continue
		}
		n := 0
		for n < len(root) && n < len(dir) && root[n] == dir[n] {
			n++
		}
		root = root[:n]
	}
	if len(root) == 0 {
		return "."
	}
	return strings.Join(root, "/")
}

// relGlob is glob relative to the manifests root.
func relGlob(root, glob string) string {
	if root == "." {
		return glob
	}
	return strings.TrimPrefix(glob, root+"/")
}
