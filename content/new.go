package content

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/smallhq/small/config"
	"github.com/smallhq/small/diag"
	"github.com/smallhq/small/manifest"
	"github.com/smallhq/small/protocol"
	"github.com/smallhq/small/repo"
	"github.com/smallhq/small/schema"
)

// NewOptions say what manifest small new writes.
type NewOptions struct {
	Kind string
	ID   string
	// Path is where, repository-relative: a file (.yaml or .yml) or a
	// directory under the manifests root; "" for the kind's directory,
	// <manifests>/<kind in lower case, plural>/<id>.yaml.
	Path string
}

// NewManifest is a manifest skeleton and where it goes.
type NewManifest struct {
	Path string // repository-relative
	Data []byte
	Root string // the manifests root
}

// NewError is a manifest small new will not write, and why.
type NewError struct {
	Path string
	Msg  string
}

func (e *NewError) Error() string {
	if e.Path == "" {
		return e.Msg
	}
	return e.Path + ": " + e.Msg
}

// PlanNew makes the skeleton of a new manifest for the working tree's
// schemas (schema.Schema.Skeleton) and says where it goes: under the
// manifests root, never through a symbolic link, never onto a file that
// exists. An unknown kind is a *schema.UnknownKindError; schemas that do
// not compile a *schema.Error; every refusal of the id or the path a
// *NewError.
func PlanNew(r *repo.Repository, opts NewOptions) (*NewManifest, error) {
	snap := r.WorkingTree()
	cfg, err := config.Load(snap)
	if err != nil {
		return nil, err
	}
	s, err := LoadSchema(snap, cfg)
	if err != nil {
		return nil, err
	}
	if !s.HasKind(opts.Kind) {
		return nil, &schema.UnknownKindError{Kind: opts.Kind, Near: diag.Nearest(opts.Kind, s.Kinds), Known: s.Kinds}
	}
	if !protocol.ValidID(opts.ID) {
		return nil, &NewError{Msg: fmt.Sprintf("%q is not a valid id: %s; expected %s", opts.ID, protocol.IDProblem(opts.ID), protocol.IDRule)}
	}
	root := path.Clean(cfg.Manifests)
	p, err := newPath(r.Root(), root, opts)
	if err != nil {
		return nil, err
	}
	if m, ok := cfg.Manifest(p); !ok {
		return nil, &NewError{Path: p, Msg: fmt.Sprintf("matched by none of small.cue's files rules (%s): expected a path a rule matches, given with --path", strings.Join(ruleGlobs(cfg), ", "))}
	} else if m.ID != "" && m.ID != opts.ID || m.Kind != "" && m.Kind != opts.Kind {
		return nil, &NewError{Path: p, Msg: fmt.Sprintf("%s gives it kind %q and id %q from its path: expected a path that gives %s %q", m.RuleName(), m.Kind, m.ID, opts.Kind, opts.ID)}
	}
	ref, err := filepath.Rel(filepath.FromSlash(path.Dir(p)), filepath.FromSlash(path.Join(EditorSchemaDir, opts.Kind+".schema.json")))
	if err != nil {
		return nil, err
	}
	data, err := s.Skeleton(schema.SkeletonOptions{Kind: opts.Kind, ID: opts.ID, WriteID: manifest.Stem(p) != opts.ID, SchemaRef: filepath.ToSlash(ref)})
	if err != nil {
		return nil, err
	}
	return &NewManifest{Path: p, Data: data, Root: root}, nil
}

// newPath decides and checks where a new manifest goes.
func newPath(top, root string, opts NewOptions) (string, error) {
	p := opts.Path
	switch {
	case p == "":
		p = path.Join(root, kindDir(top, root, opts.Kind), opts.ID+".yaml")
	case strings.HasSuffix(p, "/") || isDir(filepath.Join(top, filepath.FromSlash(p))):
		p = path.Join(p, opts.ID+".yaml")
	}
	p = path.Clean(p)
	if root != "." && !strings.HasPrefix(p, root+"/") {
		return "", &NewError{Path: p, Msg: fmt.Sprintf("outside the manifests root: expected a path under %s/ (small.cue's manifests)", root)}
	}
	if ext := path.Ext(p); ext != ".yaml" && ext != ".yml" {
		return "", &NewError{Path: p, Msg: "expected a .yaml or .yml file: small new writes YAML, with comments"}
	}
	if err := schema.CheckPath(p); err != nil {
		return "", &NewError{Path: p, Msg: err.Error()}
	}
	// No symbolic link on the way: the file would land elsewhere than
	// the path says, perhaps outside the repository.
	parts := strings.Split(p, "/")
	for i := range parts {
		sub := strings.Join(parts[:i+1], "/")
		fi, err := os.Lstat(filepath.Join(top, filepath.FromSlash(sub)))
		switch {
		case errors.Is(err, fs.ErrNotExist):
			return p, nil
		case err != nil:
			return "", &NewError{Path: sub, Msg: err.Error()}
		case fi.Mode()&fs.ModeSymlink != 0:
			return "", &NewError{Path: p, Msg: fmt.Sprintf("%s is a symbolic link: small new writes only where the path says", sub)}
		case i == len(parts)-1:
			return "", &NewError{Path: p, Msg: "already exists: small new never overwrites a file (choose another id or --path)"}
		case !fi.IsDir():
			return "", &NewError{Path: p, Msg: fmt.Sprintf("%s is a file, not a directory", sub)}
		}
	}
	return p, nil
}

// kindDir is the directory, under the manifests root, of a kind's
// manifests: its name in lower case and plural (Article → articles,
// Category → categories), as the example lays them out, or in the
// singular when that directory exists and the plural does not.
func kindDir(top, root, kind string) string {
	lower := strings.ToLower(kind)
	plural := pluralOf(lower)
	if !isDir(filepath.Join(top, filepath.FromSlash(root), plural)) && isDir(filepath.Join(top, filepath.FromSlash(root), lower)) {
		return lower
	}
	return plural
}

func pluralOf(w string) string {
	switch {
	case strings.HasSuffix(w, "y") && len(w) > 1 && !strings.ContainsRune("aeiou", rune(w[len(w)-2])):
		return w[:len(w)-1] + "ies"
	case strings.HasSuffix(w, "s"), strings.HasSuffix(w, "x"), strings.HasSuffix(w, "z"),
		strings.HasSuffix(w, "ch"), strings.HasSuffix(w, "sh"):
		return w + "es"
	}
	return w + "s"
}

func isDir(p string) bool {
	fi, err := os.Lstat(p)
	return err == nil && fi.IsDir()
}

// WriteNew writes a planned manifest into the working tree at top: its
// directories made as needed, the file created only if it does not exist
// (O_EXCL, so a file that appears meanwhile is not overwritten either).
// The path is checked again just before, against a link planted since.
func WriteNew(top string, m *NewManifest) error {
	if _, err := newPath(top, m.Root, NewOptions{Path: m.Path}); err != nil {
		return err
	}
	full := filepath.Join(top, filepath.FromSlash(m.Path))
	if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
		return fmt.Errorf("write %s: %w", m.Path, err)
	}
	f, err := os.OpenFile(full, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if errors.Is(err, fs.ErrExist) {
		return &NewError{Path: m.Path, Msg: "already exists: small new never overwrites a file (choose another id or --path)"}
	}
	if err != nil {
		return fmt.Errorf("write %s: %w", m.Path, err)
	}
	if _, err := f.Write(m.Data); err != nil {
		f.Close()
		os.Remove(full)
		return fmt.Errorf("write %s: %w", m.Path, err)
	}
	return f.Close()
}
