// Package hooks installs and removes the git hooks that run small in a
// clone: pre-commit (small validate on what is staged), commit-msg (the
// Small-* trailers) and pre-push (small check of what is pushed).
package hooks

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// marker identifies a hook small wrote, so that small may replace or remove
// it, and never touches anyone else's.
const marker = "# Installed by small hooks install."

// Hook is one git hook small installs.
type Hook struct {
	Name string // the hook's file name, e.g. "pre-commit"
	Does string // what it makes git do, for messages
	Runs string // the small command it runs, for a user adding it by hand
	body string // the script after the preamble
}

// All are the hooks small installs, in the order git runs them.
var All = []Hook{
	{Name: "pre-commit", Does: "commits run small validate on what they commit", Runs: "small validate --staged",
		// What is committed is what the index holds (git write-tree in
		// the hook honours GIT_INDEX_FILE, which git commit -a and git
		// commit PATH set), so a file fixed only in the working tree, or
		// an untracked draft, decides nothing.
		body: `# Refuses the commit while a staged manifest is invalid; git commit --no-verify skips it.
exec "$small" validate --staged
`},
	{Name: "commit-msg", Does: "commit messages have their Small-* trailers checked", Runs: "small hooks commit-msg FILE",
		body: `# Refuses a message whose Small-* trailers are misspelt or misplaced; --no-verify skips it.
exec "$small" hooks commit-msg "$1"
`},
	{Name: "pre-push", Does: "pushes run small check on each branch pushed, against what the remote has", Runs: "small check --rev SHA --base REMOTE-SHA",
		// git gives "<local ref> <local sha> <remote ref> <remote sha>" per
		// ref on stdin; a new branch is judged against the remote's HEAD
		// (or its main, or master).
		body: `# Refuses the push while small check finds a problem in a pushed branch; git push --no-verify skips it.
zero=0000000000000000000000000000000000000000
status=0
while read -r local_ref local_sha remote_ref remote_sha; do
	case "$local_ref" in
	refs/heads/small/* | refs/notes/* | refs/tags/*) continue ;;
	esac
	[ "$local_sha" = "$zero" ] && continue
	base=$remote_sha
	if [ "$base" = "$zero" ] || ! git cat-file -e "$base^{commit}" 2>/dev/null; then
		base=
		for b in "refs/remotes/$1/HEAD" "refs/remotes/$1/main" "refs/remotes/$1/master"; do
			if git rev-parse -q --verify "$b" >/dev/null; then base=$b; break; fi
		done
		[ -n "$base" ] || continue
	fi
	"$small" check --rev "$local_sha" --base "$base" || status=1
done
exit $status
`},
}

// Script is hook h's script for the small at path. It runs the small it
// was installed with, which GUI git clients find without PATH, and the one
// on PATH if that has moved.
func (h Hook) Script(path string) string {
	return `#!/bin/sh
` + marker + ` Remove with: small hooks uninstall
small=` + shellQuote(path) + `
if [ ! -x "$small" ]; then
	small=$(command -v small) || {
		echo "small: not found at $small (moved?) nor on PATH: install it, then run small hooks install again" >&2
		exit 1
	}
fi
` + h.body
}

// shellQuote quotes s for sh.
func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

// ErrForeignHook is a hook at the same path that small did not write.
var ErrForeignHook = errors.New("a hook that small did not write exists")

// ForeignHookError names the hooks small did not write, which it leaves.
type ForeignHookError struct{ Hooks []Hook }

func (e *ForeignHookError) Error() string {
	var parts []string
	for _, h := range e.Hooks {
		parts = append(parts, fmt.Sprintf("a %s hook that small did not write exists; add `%s` to it yourself", h.Name, h.Runs))
	}
	return strings.Join(parts, "\n")
}

func (e *ForeignHookError) Is(target error) bool { return target == ErrForeignHook }

func ours(path string) (exists, mine bool, err error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return false, false, nil
	}
	return err == nil, strings.Contains(string(b), marker), err
}

// Install writes every hook for the small at smallPath into hooksDir (the
// repository's core.hooksPath, or .git/hooks). It replaces hooks small
// wrote, never another: when one is someone else's, it writes none and
// returns a *ForeignHookError. It returns the hooks' paths.
func Install(hooksDir, smallPath string) ([]string, error) {
	var foreign []Hook
	for _, h := range All {
		exists, mine, err := ours(filepath.Join(hooksDir, h.Name))
		if err != nil {
			return nil, err
		}
		if exists && !mine {
			foreign = append(foreign, h)
		}
	}
	if foreign != nil {
		return nil, &ForeignHookError{Hooks: foreign}
	}
	if err := os.MkdirAll(hooksDir, 0o755); err != nil {
		return nil, err
	}
	var paths []string
	for _, h := range All {
		path := filepath.Join(hooksDir, h.Name)
		tmp := path + ".small-tmp"
		if err := os.WriteFile(tmp, []byte(h.Script(smallPath)), 0o755); err != nil {
			return paths, err
		}
		if err := os.Rename(tmp, path); err != nil {
			return paths, err
		}
		paths = append(paths, path)
	}
	return paths, nil
}

// Uninstall removes the hooks small wrote and leaves every other; it
// returns the names of those it removed, and a *ForeignHookError naming
// those it left that are someone else's.
func Uninstall(hooksDir string) ([]string, error) {
	var removed []string
	var foreign []Hook
	for _, h := range All {
		path := filepath.Join(hooksDir, h.Name)
		exists, mine, err := ours(path)
		switch {
		case err != nil:
			return removed, err
		case exists && !mine:
			foreign = append(foreign, h)
		case exists:
			if err := os.Remove(path); err != nil {
				return removed, err
			}
			removed = append(removed, h.Name)
		}
	}
	if foreign != nil {
		return removed, &ForeignHookError{Hooks: foreign}
	}
	return removed, nil
}

// Installed is what a clone has at one of small's hooks.
type Installed struct {
	Hook
	Path   string // where git looks for it
	Exists bool
	Ours   bool   // small wrote it
	Small  string // the small it runs, for one small wrote
}

// Inspect says, for each of small's hooks, what hooksDir holds there.
func Inspect(hooksDir string) ([]Installed, error) {
	var out []Installed
	for _, h := range All {
		in := Installed{Hook: h, Path: filepath.Join(hooksDir, h.Name)}
		b, err := os.ReadFile(in.Path)
		switch {
		case errors.Is(err, os.ErrNotExist):
		case err != nil:
			return nil, err
		default:
			in.Exists, in.Ours = true, strings.Contains(string(b), marker)
			if in.Ours {
				in.Small = smallOf(string(b))
			}
		}
		out = append(out, in)
	}
	return out, nil
}

// smallOf reads back the path Script recorded (small='...').
func smallOf(script string) string {
	for _, line := range strings.Split(script, "\n") {
		q, ok := strings.CutPrefix(line, "small='")
		if !ok || !strings.HasSuffix(q, "'") {
			continue
		}
		return strings.ReplaceAll(strings.TrimSuffix(q, "'"), `'\''`, "'")
	}
	return ""
}
