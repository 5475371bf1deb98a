// Package scaffold writes the files that set a repository up for small: a
// commented small.cue, a schemas package and a manifests directory, or a
// complete example, and the GitHub Actions workflow. It never overwrites a file.
package scaffold

import (
	"embed"
	"errors"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
)

//go:embed all:files
var files embed.FS

// Action is what Init did with one file.
type Action struct {
	Path    string // repository-relative
	Created bool   // false: the file existed and was left as it was
	Skipped string // why a file was not written though absent ("" otherwise)
}

// Skip says why an example file, named as in the example set (e.g.
// "manifests/authors/ada.yaml"), should not be written; "" to write it.
type Skip func(name string, data []byte) string

// Dirs are where the schemas package and the manifests go.
type Dirs struct{ Schemas, Manifests string }

// DefaultDirs are small.cue's defaults.
var DefaultDirs = Dirs{Schemas: "schemas", Manifests: "manifests"}

// Init writes the starter files (or, with example, the example content)
// into the working tree at root, leaving every existing file as it is. The
// starter kind is only added to a schemas package that has no .cue file yet,
// and the manifests placeholder only to an empty manifests directory.
func Init(root string, example bool, dirs Dirs) ([]Action, error) {
	return InitExcept(root, example, dirs, nil)
}

// InitExcept is Init that leaves out the example files skip names.
func InitExcept(root string, example bool, dirs Dirs, skip Skip) ([]Action, error) {
	var acts []Action
	write := func(set, name string) error {
		if skip != nil {
			data, err := files.ReadFile(path.Join("files", set, name))
			if err != nil {
				return err
			}
			if why := skip(name, data); why != "" {
				acts = append(acts, Action{Path: name, Skipped: why})
				return nil
			}
		}
		a, err := writeFile(root, set, name, dirs)
		if err == nil {
			acts = append(acts, a)
		}
		return err
	}
	if err := write("starter", "small.cue"); err != nil {
		return nil, err
	}
	set := "starter"
	if example {
		set = "example"
	}
	hasCUE := dirHas(filepath.Join(root, filepath.FromSlash(dirs.Schemas)), func(n string) bool { return strings.HasSuffix(n, ".cue") })
	hasManifests := dirHas(filepath.Join(root, filepath.FromSlash(dirs.Manifests)), func(string) bool { return true })
	err := fs.WalkDir(files, "files/"+set, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		name := strings.TrimPrefix(p, "files/"+set+"/")
		switch {
		case name == "small.cue":
			return nil
		case set == "starter" && strings.HasPrefix(name, "schemas/") && hasCUE:
			return nil
		case set == "starter" && strings.HasPrefix(name, "manifests/") && hasManifests:
			return nil
		}
		return write(set, name)
	})
	return acts, err
}

// ExampleFile returns one file of the example content, e.g. "schemas/article.cue".
func ExampleFile(name string) ([]byte, error) {
	return files.ReadFile(path.Join("files/example", name))
}

func writeFile(root, set, name string, dirs Dirs) (Action, error) {
	data, err := files.ReadFile(path.Join("files", set, name))
	if err != nil {
		return Action{}, err
	}
	if rest, ok := strings.CutPrefix(name, "schemas/"); ok {
		name = path.Join(dirs.Schemas, rest)
	} else if rest, ok := strings.CutPrefix(name, "manifests/"); ok {
		name = path.Join(dirs.Manifests, rest)
	}
	full := filepath.Join(root, filepath.FromSlash(name))
	if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
		return Action{}, err
	}
	// O_EXCL: a file that appears meanwhile is still not overwritten.
	f, err := os.OpenFile(full, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if errors.Is(err, fs.ErrExist) {
		return Action{Path: name}, nil
	}
	if err != nil {
		return Action{}, err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return Action{}, err
	}
	return Action{Path: name, Created: true}, f.Close()
}

func dirHas(dir string, match func(string) bool) bool {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return false
	}
	for _, e := range entries {
		if match(e.Name()) {
			return true
		}
	}
	return false
}

// Workflow is the GitHub Actions workflow small init --ci writes: changes
// checked on pull requests with small check (validity and lifecycle rules,
// as annotations; the artifact plan in the job summary), and built on main,
// with the artifact branch and notes pushed back.
//
//go:embed workflow.yml
var Workflow []byte

// WorkflowPath is where the workflow goes in a repository.
const WorkflowPath = ".github/workflows/small.yml"

// WriteWorkflow writes the workflow at root unless a file is already there.
func WriteWorkflow(root string) (bool, error) {
	path := filepath.Join(root, filepath.FromSlash(WorkflowPath))
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return false, err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if errors.Is(err, os.ErrExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if _, err := f.Write(Workflow); err != nil {
		f.Close()
		return false, err
	}
	return true, f.Close()
}
