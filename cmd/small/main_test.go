package main

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/smallhq/small/cmd/internal/cmdutil"
	"github.com/smallhq/small/cmd/internal/root"
)

func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"small": func() { os.Exit(root.Main(os.Args[1:], cmdutil.System())) },
	})
}

// TestScripts runs the scenarios in testdata/script: real git, real files,
// the real small command, exact output. UPDATE_SCRIPTS=1 rewrites the
// expected output when a change in behaviour is intended.
func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir:                 filepath.Join("..", "..", "testdata", "script"),
		UpdateScripts:       os.Getenv("UPDATE_SCRIPTS") == "1",
		RequireExplicitExec: true,
		Cmds:                scriptCmds(),
		Setup: func(env *testscript.Env) error {
			// Tests set their own git identity and never read the
			// developer's configuration.
			env.Setenv("GIT_CONFIG_NOSYSTEM", "1")
			env.Setenv("GIT_CONFIG_GLOBAL", filepath.Join(env.WorkDir, ".gitconfig-test"))
			env.Setenv("GIT_AUTHOR_NAME", "Test Author")
			env.Setenv("GIT_AUTHOR_EMAIL", "author@example.com")
			env.Setenv("GIT_COMMITTER_NAME", "Test Committer")
			env.Setenv("GIT_COMMITTER_EMAIL", "committer@example.com")
			env.Setenv("GIT_AUTHOR_DATE", "2026-01-15T10:00:00Z")
			env.Setenv("GIT_COMMITTER_DATE", "2026-01-15T10:00:00Z")
			return os.WriteFile(filepath.Join(env.WorkDir, ".gitconfig-test"),
				[]byte("[init]\n\tdefaultBranch = main\n[commit]\n\tgpgsign = false\n"), 0o644)
		},
		Condition: func(cond string) (bool, error) {
			// [cue] holds where the cue CLI, the oracle for validity, is installed
			// (make tools puts it in .tools/bin).
			if cond == "cue" {
				_, err := exec.LookPath("cue")
				return err == nil, nil
			}
			return false, nil
		},
	})
}

// scriptCmds are the commands the scenarios may use beyond testscript's
// own: the records' (records_test.go), small serve's (serve_test.go) and
// exits.
func scriptCmds() map[string]func(ts *testscript.TestScript, neg bool, args []string) {
	cmds := map[string]func(ts *testscript.TestScript, neg bool, args []string){"exits": exits}
	for name, f := range recordCmds {
		cmds[name] = f
	}
	for name, f := range serveCmds {
		cmds[name] = f
	}
	return cmds
}

// exits is `exits N CMD ARGS...`: it runs a command as exec does and wants
// it to end with exit status N, the codes of small/v1.
func exits(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: exits N command [args...]")
	}
	want, err := strconv.Atoi(args[0])
	if err != nil {
		ts.Fatalf("exits %s: expected a number", args[0])
	}
	got := 0
	if err := ts.Exec(args[1], args[2:]...); err != nil {
		var ee *exec.ExitError
		if !errors.As(err, &ee) {
			ts.Fatalf("%s: %v", args[1], err)
		}
		got = ee.ExitCode()
	}
	if got != want {
		ts.Fatalf("%s exited with %d, want %d", args[1], got, want)
	}
}
