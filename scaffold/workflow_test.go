package scaffold

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// TestWorkflowPassesActionlint checks the workflows init --ci writes with
// actionlint, the linter GitHub workflow authors use (make tools installs
// it), for a release, a commit and a development build of small, and
// default branches of every shape.
func TestWorkflowPassesActionlint(t *testing.T) {
	bin, err := exec.LookPath("actionlint")
	if err != nil {
		t.Skip("actionlint is not installed: run make tools (it installs it into .tools/bin)")
	}
	const sha = "0123456789abcdef0123456789abcdef01234567"
	for _, c := range []struct {
		s    WorkflowSettings
		uses string
	}{
		{WorkflowSettings{Branch: "main", Version: "v1.2.3", Ref: "v1.2.3"}, "uses: smallhq/small@v1.2.3\n"},
		{WorkflowSettings{Branch: "master", Version: "v0.0.0-20261127140515-0123456789ab", Ref: sha}, "uses: smallhq/small@" + sha + " # small v0.0.0-20261127140515-0123456789ab\n"},
		{WorkflowSettings{Branch: "!release/2026-q4+#1", Version: "0.1.0-dev"}, "uses: smallhq/small@main # NOT PINNED"},
	} {
		dir := t.TempDir()
		if _, err := WriteWorkflow(dir, c.s); err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(dir, WorkflowPath)
		cmd := exec.Command(bin, path)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("actionlint on the workflow for %+v: %v\n%s", c.s, err, out)
		}
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		var wf struct {
			On map[string]struct {
				Branches []string `yaml:"branches"`
			} `yaml:"on"`
		}
		if err := yaml.Unmarshal(data, &wf); err != nil {
			t.Fatal(err)
		}
		for _, ev := range []string{"pull_request_target", "push"} {
			if b := wf.On[ev].Branches; len(b) != 1 || b[0] != filterEscaper.Replace(c.s.Branch) {
				t.Errorf("%s runs on branches %q, want [%q]", ev, b, c.s.Branch)
			}
		}
		if n := strings.Count(string(data), c.uses); n != 2 {
			t.Errorf("the workflow has %q %d times, want in both jobs:\n%s", c.uses, n, data)
		}
	}
}

// TestDocExamplesPassActionlint checks the workflows docs/ci.md shows.
func TestDocExamplesPassActionlint(t *testing.T) {
	bin, err := exec.LookPath("actionlint")
	if err != nil {
		t.Skip("actionlint is not installed: run make tools (it installs it into .tools/bin)")
	}
	files, err := filepath.Glob(filepath.Join("..", "docs", "examples", "*.yml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no workflows in docs/examples: %v", err)
	}
	cmd := exec.Command(bin, files...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("actionlint: %v\n%s", err, out)
	}
}

// TestActionScripts checks the repository's composite action: it parses,
// it is composite, and every run script is valid bash (bash -n) once the
// ${{ }} expressions GitHub fills in are replaced.
func TestActionScripts(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "action.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var action struct {
		Inputs map[string]any `yaml:"inputs"`
		Runs   struct {
			Using string `yaml:"using"`
			Steps []struct {
				Name  string `yaml:"name"`
				Uses  string `yaml:"uses"`
				Run   string `yaml:"run"`
				Shell string `yaml:"shell"`
			} `yaml:"steps"`
		} `yaml:"runs"`
	}
	if err := yaml.Unmarshal(data, &action); err != nil {
		t.Fatal(err)
	}
	if action.Runs.Using != "composite" || len(action.Runs.Steps) == 0 {
		t.Fatalf("action.yml runs %q with %d steps, want a composite action", action.Runs.Using, len(action.Runs.Steps))
	}
	for _, in := range regexp.MustCompile(`inputs\.([a-z-]+)`).FindAllStringSubmatch(string(data), -1) {
		if _, ok := action.Inputs[in[1]]; !ok {
			t.Errorf("action.yml uses inputs.%s, which it does not declare", in[1])
		}
	}
	expr := regexp.MustCompile(`\$\{\{[^}]*\}\}`)
	for _, s := range action.Runs.Steps {
		if s.Run == "" {
			continue
		}
		if s.Shell != "bash" {
			t.Errorf("step %q: shell %q, want bash (a composite step must name its shell)", s.Name, s.Shell)
		}
		cmd := exec.Command("bash", "-n")
		cmd.Stdin = strings.NewReader(expr.ReplaceAllString(s.Run, "x"))
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("step %q: bash -n: %v\n%s", s.Name, err, out)
		}
	}
}
