package config

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestOneClassification keeps Config.Manifest the one judge of whether a
// path is a manifest: a call of protocol.IsManifestFile (by extension
// only, blind to small.cue's files rules) anywhere else in small's code
// would forget the rules. The lineage log may use it too: builds of the
// past recorded manifests by extension, and it only widens what a name a
// user types is looked up as.
func TestOneClassification(t *testing.T) {
	allowed := map[string]bool{"config/files.go": true, "lineage/log.go": true, "protocol/protocol.go": true}
	root := ".."
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if name := d.Name(); name == "testdata" || strings.HasPrefix(name, ".") && p != root {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(p, ".go") || strings.HasSuffix(p, "_test.go") {
			return nil
		}
		rel, _ := filepath.Rel(root, p)
		rel = filepath.ToSlash(rel)
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if strings.Contains(string(data), "IsManifestFile(") && !allowed[rel] {
			t.Errorf("%s calls protocol.IsManifestFile: ask the configuration instead (cfg.Manifest, cfg.IsManifest), which knows small.cue's files rules", rel)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
