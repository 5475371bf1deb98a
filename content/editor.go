package content

import (
	"bytes"
	"encoding/json"
	"fmt"
	"path"
	"strings"

	"github.com/smallhq/small/repo"
	"github.com/smallhq/small/schema"
)

// EditorSchemaDir is where small init (and small schema export --out)
// puts the kinds' JSON Schemas for editors, in the working tree; the
// manifests small new writes name theirs there. See docs/editors.md.
const EditorSchemaDir = ".small/jsonschema"

// Export formats and files.
const (
	FormatJSONSchema = "jsonschema"
	FormatOpenAPI    = "openapi"
	// ManifestSchemaFile is the schema of a manifest of any kind, which
	// picks the kind's schema by its kind field: what editors map onto
	// the manifests root. No kind's file can have its name: a kind never
	// starts with '_'.
	ManifestSchemaFile = "_manifest.schema.json"
	// OpenAPIFile is the file of --format openapi.
	OpenAPIFile = "openapi.json"
	// VSCodeSettings is the settings file small init writes when there is
	// none, mapping the schemas onto the manifests.
	VSCodeSettings = ".vscode/settings.json"
)

// KindSchemaFile is the name of a kind's exported JSON Schema.
func KindSchemaFile(kind string) string { return kind + ".schema.json" }

// ExportFiles exports kinds as files: for JSON Schema, <Kind>.schema.json
// for the kind asked (every kind when kind is "") and, for every kind, the
// any-kind schema last; for OpenAPI, one openapi.json. The last file is
// the one document small schema export prints without --out.
func ExportFiles(s *schema.Schema, kind, format string) ([]schema.File, error) {
	if format == FormatOpenAPI {
		var kinds []string
		if kind != "" {
			kinds = []string{kind}
		}
		b, err := s.OpenAPI(kinds...)
		if err != nil {
			return nil, err
		}
		return []schema.File{{Path: OpenAPIFile, Data: b}}, nil
	}
	if kind != "" {
		b, err := s.JSONSchema(kind)
		if err != nil {
			return nil, err
		}
		return []schema.File{{Path: KindSchemaFile(kind), Data: b}}, nil
	}
	all, err := s.JSONSchemas()
	if err != nil {
		return nil, err
	}
	var files []schema.File
	seen := map[string]string{}
	for _, k := range s.Kinds {
		// Two kinds whose names differ only in case would be one file on
		// macOS and Windows.
		if other, ok := seen[strings.ToLower(k)]; ok {
			return nil, &schema.ExportError{Kind: k, Err: fmt.Errorf("%s and %s are one file where case does not count: expected kinds whose names differ in more than case", KindSchemaFile(other), KindSchemaFile(k))}
		}
		seen[strings.ToLower(k)] = k
		files = append(files, schema.File{Path: KindSchemaFile(k), Data: all[k]})
	}
	m, err := s.ManifestJSONSchema()
	if err != nil {
		return nil, err
	}
	return append(files, schema.File{Path: ManifestSchemaFile, Data: m}), nil
}

// EditorSettings is the .vscode/settings.json small init writes: the YAML
// extension (yaml-language-server) and VS Code's JSON support check every
// manifest under the manifests root against the any-kind schema.
func EditorSettings(manifests string) []byte {
	root := path.Clean(manifests)
	schemaPath := "./" + path.Join(EditorSchemaDir, ManifestSchemaFile)
	v := map[string]any{
		"yaml.schemas": map[string][]string{
			schemaPath: {"/" + root + "/**/*.yaml", "/" + root + "/**/*.yml"},
		},
		"json.schemas": []map[string]any{
			{"fileMatch": []string{"/" + root + "/**/*.json"}, "url": schemaPath},
		},
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
	return b.Bytes()
}

// StaleEditorSchemas compares the editor schemas of a snapshot with the
// schemas: the files under EditorSchemaDir exported from other schemas
// (their $comment names another digest), and the kinds that have no
// file. present is false when there is no EditorSchemaDir at all.
func StaleEditorSchemas(snap repo.Snapshot, s *schema.Schema) (stale []string, present bool, err error) {
	entries, err := snap.Files(EditorSchemaDir)
	if err != nil || len(entries) == 0 {
		return nil, false, nil
	}
	have := map[string]bool{}
	mark := []byte("schema digest " + s.Digest)
	for _, e := range entries {
		name := path.Base(e.Path)
		if path.Dir(e.Path) != EditorSchemaDir || !strings.HasSuffix(name, ".schema.json") {
			continue
		}
		have[name] = true
		data, err := snap.Read(e.Path, 16<<20)
		if err != nil {
			return nil, true, err
		}
		if !bytes.Contains(data, mark) {
			stale = append(stale, e.Path)
		}
	}
	for _, k := range s.Kinds {
		if !have[KindSchemaFile(k)] {
			stale = append(stale, path.Join(EditorSchemaDir, KindSchemaFile(k))+" (missing)")
		}
	}
	if !have[ManifestSchemaFile] {
		stale = append(stale, path.Join(EditorSchemaDir, ManifestSchemaFile)+" (missing)")
	}
	return stale, true, nil
}
