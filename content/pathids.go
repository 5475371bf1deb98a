package content

import (
	"fmt"
	"path"
	"slices"
	"strings"

	"github.com/smallhq/small/config"
	"github.com/smallhq/small/protocol"
)

// pathScopedHint is what a finding that manifests share an id adds when
// their ids are their file names (docs/v1/install.yaml and
// docs/v2/install.yaml are both install): the files rule that would give
// them path-scoped ids (v1/install, v2/install), tried on their paths
// before it is offered, or "" when no such rule tells them apart.
func pathScopedHint(cfg *config.Config, ms []Manifest, idx []int) string {
	if cfg == nil {
		return ""
	}
	rels := make([]string, len(idx))
	for i, j := range idx {
		m := ms[j]
		if !m.idFromName || !cfg.UnderManifests(m.Path) {
			return ""
		}
		rels[i] = m.Path
		if cfg.Manifests != "." {
			rels[i] = m.Path[len(cfg.Manifests)+1:]
		}
	}
	glob, id := suggestRule(rels)
	if glob == "" {
		return ""
	}
	// The rule, as small.cue would read it: each path's id from it, all
	// valid and all different, or no hint.
	try := &config.Config{Manifests: cfg.Manifests, Schemas: cfg.Schemas, Files: []config.FileRule{{Glob: glob, ID: id}}}
	var ids []string
	for _, j := range idx {
		m, ok := try.Manifest(ms[j].Path)
		if !ok || !protocol.ValidID(m.ID) || slices.Contains(ids, m.ID) {
			return ""
		}
		ids = append(ids, m.ID)
	}
	rule := fmt.Sprintf("{glob: %q, id: %q}", glob, id)
	more := ""
	if !cfg.HasFileRules() && strings.Contains(glob, "/**/") {
		more = `, with a rule for the other manifests after it such as {glob: "**/*.yaml"}: with files rules, only the files a rule matches are manifests`
	}
	return fmt.Sprintf("; or give them path-scoped ids (%s) with a files rule in %s such as %s%s", strings.Join(ids, ", "), protocol.ConfigFile, rule, more)
}

// suggestRule is a files rule's glob and id template that give files
// their paths as ids, below the directory they all share: for
// docs/v1/install.yaml and docs/v2/install.yaml, "docs/**/*.yaml" and
// "$1/$2". Index files (index.md) take their directory's path, as their
// default id is their directory's name. "" when the files do not share
// an extension.
func suggestRule(rels []string) (glob, id string) {
	ext := path.Ext(rels[0])
	index := false
	for _, p := range rels {
		if path.Ext(p) != ext || ext == "" || strings.ContainsAny(p, "*") {
			return "", ""
		}
		stem := strings.TrimSuffix(path.Base(p), ext)
		index = index || stem == "index" || stem == "_index"
	}
	// The directory every path is under.
	common := strings.Split(path.Dir(rels[0]), "/")
	for _, p := range rels[1:] {
		dir := strings.Split(path.Dir(p), "/")
		n := 0
		for n < len(common) && n < len(dir) && common[n] == dir[n] {
			n++
		}
		common = common[:n]
	}
	prefix := strings.Join(common, "/")
	if prefix == "." {
		prefix = ""
	}
	if prefix != "" {
		prefix += "/"
	}
	if index {
		base := path.Base(rels[0])
		for _, p := range rels {
			if path.Base(p) != base {
				return "", ""
			}
		}
		return prefix + "**/" + base, "$1"
	}
	return prefix + "**/*" + ext, "$1/$2"
}
