package schema

import (
	"fmt"
	"strings"

	"cuelang.org/go/cue"

	"github.com/smallhq/small/diag"
	"github.com/smallhq/small/manifest"
)

// RefsField is the definition a kind declares to read the manifests its
// @ref fields name: small fills it, one field per @ref field, with the
// canonical document of each manifest referenced (a list of them for a
// list of references), so that #outputs may show them:
//
//	#Article: {
//		author: string @ref(Author)
//		#refs: author: {name: string, ...}
//		#outputs: "pages/\(id).html": "<p>by \(#refs.author.name)</p>"
//	}
//
// It is a definition: never part of the artifact's document.
const RefsField = "refs"

// readsRefs finds the kinds whose definition declares #refs.
func readsRefs(root cue.Value, kinds []string) map[string]bool {
	out := map[string]bool{}
	for _, k := range kinds {
		if root.LookupPath(cue.MakePath(cue.Def(k), cue.Def(RefsField))).Exists() {
			out[k] = true
		}
	}
	return out
}

// ReadsRefs reports whether kind declares #refs: then its #outputs may
// depend on the manifests it references, and it is rendered with them
// (ArtifactsWithRefs).
func (s *Schema) ReadsRefs(kind string) bool { return s.readsRefs[kind] }

// Document validates a manifest and renders its canonical JSON document
// only (no #outputs): what another manifest's #refs holds of it.
func (v *Validator) Document(doc *manifest.Document, id manifest.Identity) ([]byte, []diag.Diagnostic) {
	u, ds := v.evaluate(doc, id)
	if len(ds) > 0 {
		return nil, ds
	}
	data, err := CanonicalJSON(u, id)
	if err != nil {
		return nil, []diag.Diagnostic{{File: doc.Path, Line: 1, Column: 1, Code: diag.CodeOutputInvalid, Severity: diag.Error, Message: err.Error()}}
	}
	return data, nil
}

// ArtifactsWithRefs is Artifacts for a kind that reads #refs: refs is the
// JSON of the #refs struct (field to document, or list of documents),
// filled into the kind before #outputs is rendered. The canonical
// document does not change: #refs is a definition.
func (v *Validator) ArtifactsWithRefs(doc *manifest.Document, id manifest.Identity, refs []byte) ([]Artifact, []diag.Diagnostic) {
	u, ds := v.evaluate(doc, id)
	if len(ds) > 0 {
		return nil, ds
	}
	filled := v.ctx.CompileBytes(refs)
	if err := filled.Err(); err != nil {
		return nil, []diag.Diagnostic{{File: doc.Path, Line: 1, Column: 1, Code: diag.CodeOutputInvalid, Severity: diag.Error,
			Message: fmt.Sprintf("#%s: %v", RefsField, err)}}
	}
	f := u.FillPath(cue.MakePath(cue.Def(RefsField)), filled)
	if err := f.LookupPath(cue.MakePath(cue.Def(RefsField))).Validate(cue.Concrete(true)); err != nil {
		return nil, []diag.Diagnostic{{File: doc.Path, Line: 1, Column: 1, Code: diag.CodeOutputInvalid, Severity: diag.Error,
			Message: fmt.Sprintf("#%s: the manifests referenced do not fit the kind's #%s: %v", RefsField, RefsField, errorsOf(err))}}
	}
	return v.render(doc, id, u, f)
}

// errorsOf is a CUE error in one line.
func errorsOf(err error) string {
	return strings.ReplaceAll(err.Error(), "\n", "; ")
}
