package archtest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// A layer is a rank in docs/architecture.md: a package imports only from
// lower ranks (and, where the map says so, from a sibling in its own).
type layer int

const (
	contract    layer = iota // protocol, version, diag, progress
	storage                  // repo, manifest, and the setup helpers hooks and scaffold
	domain                   // config, schema, lineage
	rules                    // content
	build                    // builder
	audit                    // audit, doctor
	catalogue                // records: the schemas of small's own records
	frontShared              // cmd/internal/cmdutil
	frontHTTP                // cmd/internal/httpapi and its ui
	command                  // cmd/internal/<name>cmd
	frontRoot                // cmd/internal/root
	binary                   // cmd/small
	tool                     // internal/bench, internal/archtest: stand alone
)

var layerNames = map[layer]string{
	contract:    "contract",
	storage:     "storage and decoding",
	domain:      "domain",
	rules:       "rules",
	build:       "build",
	audit:       "audit",
	catalogue:   "records",
	frontShared: "front end (shared)",
	frontHTTP:   "front end (HTTP)",
	command:     "front end (command)",
	frontRoot:   "front end (root)",
	binary:      "front end (binary)",
	tool:        "standalone tool",
}

func (l layer) String() string { return layerNames[l] }

// A rule places one package: its layer and the packages of small (paths
// relative to the module) it may import. Anything else of small's is a
// wrong edge.
type rule struct {
	layer layer
	may   []string
}

// The domain packages a front end may call. repo is not among them for
// commands and root: they open repositories through cmdutil.
var frontEndDomain = []string{"audit", "builder", "config", "content", "diag", "lineage", "protocol", "records", "schema", "translations", "version"}

// commandRule is what every command package may import (cmdutil and the
// domain), plus the setup helper a command exists to drive.
func commandRule(extra ...string) rule {
	return rule{command, slices.Concat([]string{"cmd/internal/cmdutil"}, frontEndDomain, extra)}
}

// The command packages, which root assembles.
var commands = []string{
	"cmd/internal/buildcmd",
	"cmd/internal/checkcmd",
	"cmd/internal/democmd",
	"cmd/internal/doctorcmd",
	"cmd/internal/eventcmd",
	"cmd/internal/historycmd",
	"cmd/internal/hookscmd",
	"cmd/internal/initcmd",
	"cmd/internal/lineagecmd",
	"cmd/internal/logcmd",
	"cmd/internal/mancmd",
	"cmd/internal/mcpcmd",
	"cmd/internal/newcmd",
	"cmd/internal/plancmd",
	"cmd/internal/proposecmd",
	"cmd/internal/protocolcmd",
	"cmd/internal/provenancecmd",
	"cmd/internal/rollbackcmd",
	"cmd/internal/schemacmd",
	"cmd/internal/servecmd",
	"cmd/internal/showcmd",
	"cmd/internal/statuscmd",
	"cmd/internal/remotecmd",
	"cmd/internal/validatecmd",
	"cmd/internal/verifycmd",
}

// allowed mirrors the table "Who may import whom" in docs/architecture.md:
// change the two together. Every package of the module must be here, so a
// new package has to be placed in a layer before its tests pass.
var allowed = map[string]rule{
	// contract
	"protocol": {contract, nil},
	"version":  {contract, nil},
	"diag":     {contract, []string{"protocol"}},
	"progress": {contract, nil},

	// storage and decoding; setup helpers
	"repo":     {storage, nil},
	"manifest": {storage, []string{"diag", "protocol"}},
	"hooks":    {storage, nil},
	"scaffold": {storage, nil},

	// domain
	"config":       {domain, []string{"diag", "manifest", "protocol", "repo"}},
	"schema":       {domain, []string{"diag", "manifest", "protocol"}},
	"lineage":      {domain, []string{"diag", "protocol", "repo"}},
	"signers":      {domain, nil},
	"translations": {domain, []string{"protocol", "repo"}},
	"remote":       {domain, []string{"lineage", "protocol", "repo"}},
	"adopt":        {domain, []string{"diag", "manifest", "protocol", "repo", "schema"}},

	// rules
	"content": {rules, []string{"config", "diag", "lineage", "manifest", "progress", "protocol", "repo", "schema", "signers", "translations", "version"}},

	// build
	"builder": {build, []string{"config", "content", "diag", "lineage", "manifest", "progress", "protocol", "repo", "schema", "version"}},

	// audit
	"audit":   {audit, []string{"builder", "diag", "lineage", "progress", "protocol", "repo", "version"}},
	"doctor":  {audit, []string{"config", "content", "hooks", "protocol", "remote", "repo", "scaffold", "schema", "version"}},
	"propose": {audit, []string{"builder", "config", "content", "diag", "protocol", "repo"}},

	// the records small writes and their schemas
	"records": {catalogue, []string{"adopt", "audit", "builder", "content", "diag", "doctor", "lineage", "propose", "protocol", "remote", "schema", "translations"}},

	// front ends
	"cmd/internal/cmdutil":       {frontShared, []string{"builder", "config", "content", "diag", "lineage", "progress", "protocol", "remote", "repo", "schema"}},
	"cmd/internal/buildcmd":      commandRule(),
	"cmd/internal/checkcmd":      commandRule(),
	"cmd/internal/democmd":       commandRule(),
	"cmd/internal/doctorcmd":     commandRule("doctor"),
	"cmd/internal/eventcmd":      commandRule(),
	"cmd/internal/historycmd":    commandRule(),
	"cmd/internal/hookscmd":      commandRule("hooks"),
	"cmd/internal/initcmd":       commandRule("scaffold", "remote", "adopt"),
	"cmd/internal/lineagecmd":    commandRule(),
	"cmd/internal/logcmd":        commandRule(),
	"cmd/internal/mancmd":        commandRule(),
	"cmd/internal/mcpcmd":        commandRule("propose"),
	"cmd/internal/newcmd":        commandRule(),
	"cmd/internal/plancmd":       commandRule(),
	"cmd/internal/proposecmd":    commandRule("propose"),
	"cmd/internal/protocolcmd":   commandRule(),
	"cmd/internal/provenancecmd": commandRule(),
	"cmd/internal/rollbackcmd":   commandRule(),
	"cmd/internal/schemacmd":     commandRule(),
	"cmd/internal/servecmd":      commandRule("cmd/internal/httpapi"),
	"cmd/internal/showcmd":       commandRule(),
	"cmd/internal/statuscmd":     commandRule(),
	"cmd/internal/remotecmd":     commandRule("remote"),
	"cmd/internal/validatecmd":   commandRule(),
	"cmd/internal/verifycmd":     commandRule(),
	"cmd/internal/httpapi":       {frontHTTP, slices.Concat([]string{"cmd/internal/cmdutil", "cmd/internal/httpapi/ui"}, frontEndDomain)},
	"cmd/internal/httpapi/ui":    {frontHTTP, nil},
	"cmd/internal/root":          {frontRoot, slices.Concat(commands, []string{"cmd/internal/cmdutil"}, frontEndDomain)},
	"cmd/small":                  {binary, []string{"cmd/internal/root", "cmd/internal/cmdutil"}},

	// standalone
	"internal/bench":    {tool, nil},
	"internal/archtest": {tool, nil},
}

// gitOwner is the package, relative to the module, that alone may import
// go-git, and goGit the import path prefix it alone may use.
const (
	gitOwner = "repo"
	goGit    = "github.com/go-git/"
)

// listed is the part of `go list -json` the test reads. Imports are the
// package's own, not its tests'.
type listed struct {
	ImportPath string
	Imports    []string
	Module     *struct {
		Path string
		Main bool
	}
	Error *struct{ Err string }
}

// TestLayers checks the module's real import graph against allowed: every
// edge between small's packages must be on the map, and only repo may
// import go-git.
func TestLayers(t *testing.T) {
	module, pkgs := goList(t)
	for _, v := range violations(module, pkgs, allowed) {
		t.Error(v)
	}
}

// TestViolations makes sure the check fails when it should: on the graph
// the map allows it finds nothing, and each wrong edge added to it is
// reported once, with the rule it breaks.
func TestViolations(t *testing.T) {
	const module = "example.com/small"
	base := func() []listed {
		var pkgs []listed
		for name, r := range allowed {
			p := listed{ImportPath: module + "/" + name, Imports: []string{"fmt"}}
			for _, m := range r.may {
				p.Imports = append(p.Imports, module+"/"+m)
			}
			pkgs = append(pkgs, p)
		}
		return pkgs
	}
	if v := violations(module, base(), allowed); len(v) != 0 {
		t.Fatalf("the graph the map allows has violations:\n%s", strings.Join(v, "\n"))
	}
	for _, c := range []struct {
		from, to string // to is a full import path
		want     string
	}{
		{"protocol", module + "/diag", "not listed for it"},
		{"diag", module + "/repo", "imports point down only"},
		{"repo", module + "/lineage", "imports point down only"},
		{"lineage", module + "/builder", "imports point down only"},
		{"builder", module + "/cmd/internal/cmdutil", "imports point down only"},
		{"audit", module + "/records", "imports point down only"},
		{"records", module + "/cmd/internal/cmdutil", "imports point down only"},
		{"records", module + "/repo", "not listed for it"},
		{"schema", module + "/config", "not listed for it"},
		{"cmd/internal/statuscmd", module + "/cmd/internal/lineagecmd", "commands never import each other"},
		{"cmd/internal/showcmd", module + "/repo", "commands never import repo"},
		{"cmd/internal/showcmd", module + "/manifest", "not listed for it"},
		{"internal/bench", module + "/content", "stands alone"},
		{"config", "github.com/go-git/go-git/v5", "only repo may import go-git"},
		{"cmd/internal/cmdutil", "github.com/go-git/go-git/v5/plumbing", "only repo may import go-git"},
	} {
		pkgs := base()
		for i := range pkgs {
			if pkgs[i].ImportPath == module+"/"+c.from {
				pkgs[i].Imports = append(pkgs[i].Imports, c.to)
			}
		}
		v := violations(module, pkgs, allowed)
		if len(v) != 1 || !strings.Contains(v[0], c.want) || !strings.Contains(v[0], c.from+" imports ") {
			t.Errorf("edge %s -> %s: got %q, want one violation saying %q", c.from, c.to, v, c.want)
		}
	}

	unplaced := append(base(), listed{ImportPath: module + "/newpkg"})
	if v := violations(module, unplaced, allowed); len(v) != 1 || !strings.Contains(v[0], "newpkg is not on the map") {
		t.Errorf("new package: got %q, want one violation saying it is not on the map", v)
	}
	gone := slices.DeleteFunc(base(), func(p listed) bool { return p.ImportPath == module+"/hooks" })
	if v := violations(module, gone, allowed); len(v) != 1 || !strings.Contains(v[0], "hooks, which the module no longer has") {
		t.Errorf("removed package: got %q, want one violation saying the map names it", v)
	}
}

// violations returns, sorted, one message per broken rule in pkgs, the
// packages of module as go list reports them.
func violations(module string, pkgs []listed, allowed map[string]rule) []string {
	var out []string
	seen := map[string]bool{}
	for _, p := range pkgs {
		from, ok := relative(module, p.ImportPath)
		if !ok {
			continue
		}
		seen[from] = true
		if p.Error != nil {
			out = append(out, fmt.Sprintf("%s: go list: %s", from, p.Error.Err))
		}
		r, placed := allowed[from]
		if !placed {
			out = append(out, fmt.Sprintf("%s is not on the map: give it a layer and the packages it may import in docs/architecture.md and in allowed (internal/archtest)", from))
		}
		for _, imp := range p.Imports {
			if strings.HasPrefix(imp, goGit) && from != gitOwner {
				out = append(out, fmt.Sprintf("%s imports %s: only repo may import go-git; ask repo for what you need, in small's words", from, imp))
				continue
			}
			to, ours := relative(module, imp)
			if !ours || !placed || slices.Contains(r.may, to) {
				continue
			}
			out = append(out, fmt.Sprintf("%s imports %s: %s; %s", from, to, why(allowed, from, to, r), mayList(from, r)))
		}
	}
	for name := range allowed {
		if !seen[name] {
			out = append(out, fmt.Sprintf("the map in internal/archtest names %s, which the module no longer has: remove it there and in docs/architecture.md", name))
		}
	}
	slices.Sort(out)
	return out
}

// why names the rule the edge from -> to breaks.
func why(allowed map[string]rule, from, to string, r rule) string {
	t, placed := allowed[to]
	switch {
	case !placed:
		return to + " is not on the map"
	case r.layer == tool:
		return from + " stands alone and imports nothing of small's"
	case r.layer == command && t.layer == command:
		return "commands never import each other: share code through cmdutil or a domain package"
	case r.layer == command && to == gitOwner:
		return "commands never import repo: open the repository through cmdutil.Factory"
	case t.layer > r.layer:
		return fmt.Sprintf("imports point down only, and %s (%s) sits above %s (%s)", to, t.layer, from, r.layer)
	default:
		return fmt.Sprintf("%s (%s) is not listed for it", to, t.layer)
	}
}

func mayList(from string, r rule) string {
	if len(r.may) == 0 {
		return from + " may import nothing of small's"
	}
	return from + " may import only " + strings.Join(r.may, ", ") + " (docs/architecture.md)"
}

// relative gives path relative to module ("." for the module's root
// package), and whether path is in module at all.
func relative(module, path string) (string, bool) {
	if path == module {
		return ".", true
	}
	rest, ok := strings.CutPrefix(path, module+"/")
	return rest, ok
}

// goList runs one `go list -json ./...` at the module root and returns the
// main module's path and its packages.
// moduleRoot is the directory of the module's go.mod.
func moduleRoot(t *testing.T) string {
	t.Helper()
	gomod, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		t.Fatalf("go env GOMOD: %v", err)
	}
	root := filepath.Dir(strings.TrimSpace(string(gomod)))
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("no module root found from %q: %v", gomod, err)
	}
	return root
}

func goList(t *testing.T) (string, []listed) {
	t.Helper()
	root := moduleRoot(t)
	cmd := exec.Command("go", "list", "-e", "-json=ImportPath,Imports,Module,Error", "./...")
	cmd.Dir = root
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	data, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, stderr.Bytes())
	}
	var (
		module string
		pkgs   []listed
	)
	dec := json.NewDecoder(bytes.NewReader(data))
	for {
		var p listed
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatalf("decode go list output: %v", err)
		}
		if p.Module == nil || !p.Module.Main {
			continue
		}
		module = p.Module.Path
		pkgs = append(pkgs, p)
	}
	if module == "" {
		t.Fatalf("go list ./... in %s found no package of the main module", root)
	}
	return module, pkgs
}
