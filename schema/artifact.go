package schema

import (
	"bytes"
	"encoding/json"
	"fmt"
	"path"
	"strings"

	"cuelang.org/go/cue"

	"github.com/smallhq/small/diag"
	"github.com/smallhq/small/manifest"
	"github.com/smallhq/small/protocol"
)

// Artifact is one file a manifest builds into.
type Artifact struct {
	Path string // slash-separated, relative to the artifact tree's root
	Data []byte
	// Spilled is the id of the Git blob that holds Data when a caller
	// took the bytes out of memory as they were rendered (content's
	// Options.Spill); Data is then nil.
	Spilled [20]byte
}

// OutputsField is the definition inside a kind that declares further
// outputs: a struct from artifact path to file content, e.g.
//
//	#Article: {
//		id:    string
//		title: string
//		#outputs: "pages/\(id).md": "# \(title)\n"
//	}
const OutputsField = "outputs"

// Artifacts validates a manifest and renders what it builds into: its
// canonical JSON document at <kind in lower case>/<id>.json, and every
// output its kind declares under #outputs. Both are pure functions of the
// manifest and the schemas.
func (v *Validator) Artifacts(doc *manifest.Document, id manifest.Identity) ([]Artifact, []diag.Diagnostic) {
	u, ds := v.evaluate(doc, id)
	if len(ds) > 0 {
		return nil, ds
	}
	return v.render(doc, id, u, u)
}

// render renders the artifacts of a manifest's evaluated value u: its
// document from u, its #outputs from withOutputs (u, or u with #refs
// filled in: filling reorders the fields CUE exports, and the document
// must not depend on #refs, not even by its order).
func (v *Validator) render(doc *manifest.Document, id manifest.Identity, u, withOutputs cue.Value) ([]Artifact, []diag.Diagnostic) {
	fail := func(code, msg string) ([]Artifact, []diag.Diagnostic) {
		return nil, []diag.Diagnostic{{File: doc.Path, Line: 1, Column: 1, Code: code, Severity: diag.Error, Message: msg}}
	}
	main, err := CanonicalJSON(u, id)
	if err != nil {
		return fail(diag.CodeOutputInvalid, err.Error())
	}
	doc0 := protocol.ArtifactPath(id.Kind, id.ID, id.Locale)
	if strings.HasPrefix(doc0, protocol.AssetDir+"/") {
		// A kind named Assets with an id sha256/...: its document would
		// stand among the files @asset fields name.
		return fail(diag.CodeOutputPath, fmt.Sprintf("%s/%s builds %s: expected an artifact outside %s/, where small build keeps the files @asset fields name", id.Kind, id.ID, doc0, protocol.AssetDir))
	}
	arts := []Artifact{{Path: doc0, Data: main}}
	outs := withOutputs.LookupPath(cue.MakePath(cue.Def(OutputsField)))
	if !outs.Exists() {
		return arts, nil
	}
	it, err := outs.Fields()
	if err != nil {
		return fail(diag.CodeOutputInvalid, fmt.Sprintf("#%s: %v", OutputsField, err))
	}
	for it.Next() {
		p := it.Selector().Unquoted()
		if err := CheckPath(p); err != nil {
			return fail(diag.CodeOutputPath, fmt.Sprintf("#%s: %q: %v", OutputsField, p, err))
		}
		s, err := it.Value().String()
		if err != nil {
			return fail(diag.CodeOutputInvalid, fmt.Sprintf("#%s: %q: expected the file's content as a string: %v", OutputsField, p, err))
		}
		arts = append(arts, Artifact{Path: p, Data: []byte(s)})
	}
	return arts, nil
}

// CheckPath refuses artifact paths that could escape or confuse the tree:
// absolute, empty or dot segments, .git, backslashes, control characters.
func CheckPath(p string) error {
	switch {
	case p == "":
		return fmt.Errorf("empty path")
	case strings.HasPrefix(p, "/"):
		return fmt.Errorf("expected a relative path")
	case strings.ContainsAny(p, "\\\x00\n\r"):
		return fmt.Errorf("expected no backslash, NUL or line break")
	case path.Clean(p) != p:
		return fmt.Errorf("expected a clean path (no empty, . or .. segments)")
	case strings.HasPrefix(p, protocol.AssetDir+"/"):
		return fmt.Errorf("expected a path outside %s/, where small build keeps the files @asset fields name", protocol.AssetDir)
	}
	for _, seg := range strings.Split(p, "/") {
		if seg == ".." || strings.EqualFold(seg, ".git") || seg == ".small" {
			return fmt.Errorf("expected no %q segment", seg)
		}
	}
	return nil
}

// CanonicalJSON renders a validated manifest as small/v1 canonical JSON:
// kind, id, status (its lifecycle state, when id.Status is set) and
// locale (a translation's, when id.Locale is set) first, then the fields in the order CUE exports them, UTF-8,
// two-space indent, trailing newline: the same bytes on every machine.
func CanonicalJSON(u cue.Value, id manifest.Identity) ([]byte, error) {
	var raw bytes.Buffer
	raw.WriteByte('{')
	writeField := func(name string, value []byte) {
		if raw.Len() > 1 {
			raw.WriteByte(',')
		}
		k, _ := json.Marshal(name)
		raw.Write(k)
		raw.WriteByte(':')
		raw.Write(value)
	}
	k, _ := json.Marshal(id.Kind)
	writeField(protocol.FieldKind, k)
	i, _ := json.Marshal(id.ID)
	writeField(protocol.FieldID, i)
	if id.Status != "" {
		st, _ := json.Marshal(id.Status)
		writeField(protocol.FieldStatus, st)
	}
	if id.Locale != "" {
		l, _ := json.Marshal(id.Locale)
		writeField(protocol.FieldLocale, l)
	}
	it, err := u.Fields()
	if err != nil {
		return nil, err
	}
	for it.Next() {
		name := it.Selector().Unquoted()
		if name == protocol.FieldKind || name == protocol.FieldID || name == protocol.FieldStatus && id.Status != "" || name == protocol.FieldLocale && id.Locale != "" {
			continue
		}
		b, err := it.Value().MarshalJSON()
		if err != nil {
			return nil, fmt.Errorf("%s: %v", name, err)
		}
		writeField(name, b)
	}
	raw.WriteByte('}')
	var out bytes.Buffer
	if err := json.Indent(&out, raw.Bytes(), "", "  "); err != nil {
		return nil, err
	}
	out.WriteByte('\n')
	return out.Bytes(), nil
}
