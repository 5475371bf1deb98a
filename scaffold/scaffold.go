// Package scaffold writes the files that set a repository up for small: a
// commented small.cue, a schemas package and a manifests directory, or a
// complete example, and the GitHub Actions workflow. It never overwrites a file.
package scaffold

import (
	"bytes"
	"embed"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"text/template"
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
			data, err := readFile(set, name)
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
	set := "starter"
	if example {
		set = "example"
	}
	if err := write(set, "small.cue"); err != nil {
		return nil, err
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

// exampleLocales ends the example's small.cue: the example has a French
// translation (manifests/articles/fr/hello-world.yaml).
const exampleLocales = `
// The locales content is written in: the default one, whose version of an
// entry is the source, and the ones it may be translated into. A
// translation is a manifest of the same kind and id with locale: set
// (manifests/articles/fr/hello-world.yaml). See docs/schemas.md#translations.
locales: {
	default:   "en"
	supported: ["en", "fr"]
}
`

// readFile returns one file of a set. The example's small.cue is the
// starter's with the example's locales.
func readFile(set, name string) ([]byte, error) {
	if set == "example" && name == "small.cue" {
		data, err := files.ReadFile("files/starter/small.cue")
		return append(data, exampleLocales...), err
	}
	return files.ReadFile(path.Join("files", set, name))
}

// ExampleFile returns one file of the example content, e.g. "schemas/article.cue".
func ExampleFile(name string) ([]byte, error) {
	return readFile("example", name)
}

func writeFile(root, set, name string, dirs Dirs) (Action, error) {
	data, err := readFile(set, name)
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

// workflowTemplate is the GitHub Actions workflow small init --ci writes
// (see Workflow).
//
//go:embed workflow.yml
var workflowTemplate string

var workflow = template.Must(template.New("workflow").Parse(workflowTemplate))

// WorkflowPath is where the workflow goes in a repository.
const WorkflowPath = ".github/workflows/small.yml"

// ActionRepository is the repository of small's GitHub Action.
const ActionRepository = "smallhq/small"

// WorkflowSettings fill in the workflow small init --ci writes.
type WorkflowSettings struct {
	// Branch is the repository's default branch: pull requests into it are
	// checked, pushes to it are built.
	Branch string
	// Version is the version of small writing the workflow.
	Version string
	// Ref is the ref of ActionRepository the workflow pins (a release tag
	// or a commit id), "" when this small is a development build that no
	// ref names: then the workflow follows the action's main branch and
	// says so.
	Ref string
}

// Workflow renders the workflow: small's action, pinned to the version
// that wrote it, checking pull requests in the pull_request_target mode
// (the base's workflow, the change read as data) and building on pushes
// to the default branch.
func Workflow(s WorkflowSettings) []byte {
	// A branch filter is a glob: the characters it gives a meaning (git
	// allows ! and + in branch names) are escaped with a backslash; a JSON
	// string is a YAML flow scalar, quoted.
	branch, _ := json.Marshal(filterEscaper.Replace(s.Branch))
	data := struct {
		WorkflowSettings
		BranchYAML, Uses, UsesComment string
	}{WorkflowSettings: s, BranchYAML: string(branch), Uses: ActionRepository + "@" + s.Ref}
	switch {
	case s.Ref == "":
		data.Uses = ActionRepository + "@main"
		data.UsesComment = " # NOT PINNED: written by a development build of small; pin a release tag"
	case s.Ref != s.Version:
		data.UsesComment = " # small " + s.Version
	}
	var b bytes.Buffer
	if err := workflow.Execute(&b, data); err != nil {
		panic(err) // the template is part of the binary, its data plain strings
	}
	return b.Bytes()
}

var filterEscaper = strings.NewReplacer(`\`, `\\`, `*`, `\*`, `?`, `\?`, `+`, `\+`, `[`, `\[`, `]`, `\]`, `!`, `\!`)

// WriteWorkflow writes the workflow at root unless a file is already there.
func WriteWorkflow(root string, s WorkflowSettings) (bool, error) {
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
	if _, err := f.Write(Workflow(s)); err != nil {
		f.Close()
		return false, err
	}
	return true, f.Close()
}

// agentsTemplate is the AGENTS.md small init writes: how an AI agent works
// in a repository small keeps (see AgentsGuide).
//
//go:embed agents.md
var agentsTemplate string

var agentsGuide = template.Must(template.New("agents").Parse(agentsTemplate))

// AgentsPath is where the guide for AI agents goes: AGENTS.md, the file
// coding agents read first.
const AgentsPath = "AGENTS.md"

// GuideSettings fill in the guide for agents.
type GuideSettings struct {
	Dirs
	// Branch is the default branch pull requests go into.
	Branch string
}

// AgentsGuide renders AGENTS.md for a repository laid out as s says.
func AgentsGuide(s GuideSettings) []byte {
	var b bytes.Buffer
	if err := agentsGuide.Execute(&b, s); err != nil {
		panic(err) // the template is part of the binary, its data plain strings
	}
	return b.Bytes()
}

// WriteAgentsGuide writes AGENTS.md at root unless a file is already there.
func WriteAgentsGuide(root string, s GuideSettings) (Action, error) {
	full := filepath.Join(root, AgentsPath)
	f, err := os.OpenFile(full, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if errors.Is(err, fs.ErrExist) {
		return Action{Path: AgentsPath}, nil
	}
	if err != nil {
		return Action{}, err
	}
	if _, err := f.Write(AgentsGuide(s)); err != nil {
		f.Close()
		return Action{}, err
	}
	return Action{Path: AgentsPath, Created: true}, f.Close()
}
