// Package democmd implements small demo: a guided tour of small in a throwaway
// repository, printed as a tutorial.
package democmd

import (
	"bytes"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/smallhq/small/cmd/internal/cmdutil"
)

// Options are the inputs of small demo.
type Options struct {
	IO   *cmdutil.IOStreams
	Dir  string
	Keep bool
	// Small runs a small command in dir, in this process, and returns its exit code.
	Small func(dir string, args ...string) int
}

// NewCmdDemo returns the demo command. small runs small commands in process.
func NewCmdDemo(f *cmdutil.Factory, small func(dir string, args ...string) int) *cobra.Command {
	opts := &Options{IO: f.IO, Small: small}
	cmd := &cobra.Command{
		Use:   "demo [dir]",
		Short: "A guided tour in a throwaway repository",
		Long: `Create a Git repository (in a temporary directory, or in dir, which must be
empty or missing), set it up with example content, and walk through the
life of a change: a person commits content, an agent proposes an article
with mistakes (among them an author who does not exist), small validate
catches them, the agent fixes them, and the history shows who did what;
the agent translates the article into French, the English changes, and
small says the translation is stale and holds publishing until it is
updated. Every step is a real git or small command, printed with its
output.`,
		Example: `  $ small demo
  $ small demo /tmp/blog && cd /tmp/blog && git log`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				opts.Dir = args[0]
				opts.Keep = true
			}
			return Run(opts)
		},
	}
	cmd.Flags().BoolVar(&opts.Keep, "keep", false, "keep the temporary repository to explore it")
	return cmd
}

//go:embed draft-bad.yaml
var draftBad []byte

//go:embed draft-good.yaml
var draftGood []byte

//go:embed draft-fr.yaml
var draftFr []byte

const (
	draftPath   = "manifests/articles/content-in-git.yaml"
	draftFrPath = "manifests/articles/fr/content-in-git.yaml"
)

// The sentence a person adds to the English at the end, and its French.
const (
	moreEn = "  Review makes each change a decision, not an accident.\n"
	moreFr = "  La relecture fait de chaque modification une décision, pas un accident.\n"
)

// withStatus is the article with more lines of body and a status.
func withStatus(doc []byte, more, status string) []byte {
	return append(append(slices.Clip(doc), more...), "status: "+status+"\n"...)
}

// Run plays the tour.
func Run(opts *Options) error {
	dir := opts.Dir
	if dir == "" {
		d, err := os.MkdirTemp("", "small-demo-")
		if err != nil {
			return err
		}
		dir = d
		if !opts.Keep {
			defer os.RemoveAll(dir)
		}
	} else if entries, err := os.ReadDir(dir); err == nil && len(entries) > 0 {
		return cmdutil.Usagef("%s is not empty: give small demo a new or empty directory", dir)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	d := &tour{out: opts.IO.Out, dir: dir, small: opts.Small}
	d.play()
	if d.err != nil {
		return d.err
	}
	if opts.Keep {
		fmt.Fprintf(d.out, "\nThe repository is in %s; explore it with git log, small validate, ...\n", dir)
		fmt.Fprintf(d.out, "See it in a browser: run small serve there (small -C %s serve) and open http://127.0.0.1:7474/\nfor the playground, every artifact's state, and its lineage and lifecycle drawn.\n", dir)
		return nil
	}
	fmt.Fprintf(d.out, "\nTo see such a repository in a browser, keep one (small demo DIR) and run small serve\nthere (small -C DIR serve): the playground, every artifact's state, and its lineage\nand lifecycle drawn, at http://127.0.0.1:7474/.\n")
	return nil
}

type tour struct {
	out   io.Writer
	dir   string
	small func(dir string, args ...string) int
	err   error
	clock int // commits so far; each gets its own fixed date
}

func (t *tour) play() {
	t.say(`small demo: the life of a change in a content repository.

Kinds are CUE definitions, content entries are manifests committed to Git,
and small checks every manifest before anything is built.`)

	t.step("1. A Git repository, set up for small")
	t.git("", "init", "-q", "-b", "main")
	t.run(0, "init", "--example")
	t.run(0, "schema", "list")

	t.step("2. A person commits the schemas and the first manifests")
	t.run(0, "validate")
	t.git("Ada Lovelace <ada@example.com>", "add", "-A")
	t.git("Ada Lovelace <ada@example.com>", "commit", "-q", "-m", "Add blog schemas and first manifests")

	t.step("3. An agent proposes an article, with mistakes")
	t.write(draftPath, draftBad)
	t.run(1, "validate")
	t.say(`small names each problem at file:line:col, with what was given and what
was expected, and reports them all at once: the author no Author manifest
has (with the nearest id: the kind says author is a reference, @ref(Author)),
the value that is not one of the allowed ones, the tag that breaks its
pattern, the unknown field, the missing body. Exit status 1 fails the pull
request's check.`)

	t.step("4. The agent fixes the manifest; small agrees")
	t.write(draftPath, draftGood)
	t.run(0, "validate", draftPath)
	t.git("docs-agent <agent@bots.example.com>", "add", draftPath)
	t.git("docs-agent <agent@bots.example.com>", "commit", "-q", "-m", "Add article on content in Git", "--trailer", "Small-Agent: docs-agent")

	t.step("5. Who did what: every change is a commit, agents are marked")
	t.git("", "log", "--format=%h %an: %s%n%(trailers:key=Small-Agent,separator=%x2C )")
	t.run(0, "validate", "--rev", "HEAD")

	t.step("6. The system, not the agent, builds the artifacts")
	t.say(`small build reads the manifests of a commit (never the working tree) and
writes one deterministic commit on small/artifacts, with trailers naming
the manifest commit, the schema digest and the builder.`)
	t.run(0, "build")
	t.git("", "log", "-1", "--format=%an <%ae> %ci%n%B", "small/artifacts")
	t.run(0, "show", "Article/content-in-git")

	t.step("7. Where did this come from?")
	t.say(`One command walks an artifact back to the exact manifest commit, its author
and actor (here the agent, from its Small-Agent trailer), the schema and the
builder. It reads only Git data: the build commits and a lineage note on
each, which plain git shows too.`)
	t.run(0, "lineage", "Article/content-in-git")
	t.git("", "notes", "--ref=small/lineage", "show", "small/artifacts")
	t.run(0, "log", "--oneline", "--actor", "agent")
	t.run(0, "build")

	t.step("8. What may happen next? The lifecycle")
	t.say(`Every manifest has a status in its kind's lifecycle (draft by default).
small status says where each artifact stands and where it may go next;
states marked * are for humans only.`)
	t.run(0, "status", "--kind", "Article")

	t.step("9. The agent translates the article into French")
	t.say(`small.cue declares the locales (en, the default, and fr), and the Article
kind requires fr: a translation is an Article of the same id with locale: fr,
and an article enters published only with its French current.`)
	t.run(0, "status", "--translations", "--kind", "Article")
	t.write(draftFrPath, draftFr)
	t.git(agent, "add", draftFrPath)
	t.git(agent, "commit", "-q", "-m", "Translate the article into French", "--trailer", "Small-Agent: docs-agent")
	t.run(0, "status", "--translations", "--kind", "Article")

	t.step("10. A person reviews and approves")
	t.say(`Each move is a one-line change of status, in a commit (a pull request in
real life) that small check holds to the lifecycle, and a build records it.`)
	for _, st := range []string{"review", "approved"} {
		t.write(draftPath, withStatus(draftGood, "", st))
		t.git(ada, "commit", "-q", "-am", "Move the article to "+st)
		t.run(0, "check", "--base", "HEAD~1")
		t.run(0, "build")
	}

	t.step("11. The agent tries to publish: refused")
	t.write(draftPath, withStatus(draftGood, "", "published"))
	t.git(agent, "commit", "-q", "-am", "Publish my article", "--trailer", "Small-Agent: docs-agent")
	t.run(1, "check", "--base", "HEAD~1")
	t.say(`The pull request fails its check; nothing is built. The agent's commit
is dropped: a person publishes instead.`)
	t.git("", "reset", "-q", "--hard", "HEAD~1")

	t.step("12. The English changes: the French is stale, publishing waits")
	t.say(`A person adds a sentence to the English before publishing. No field says
which version a translation was made from: small reads it from Git (the
source as it was when the translation last changed) and names the commits
that changed the source since.`)
	t.write(draftPath, withStatus(draftGood, moreEn, "approved"))
	t.git(ada, "commit", "-q", "-am", "Say why review matters")
	t.run(0, "status", "--translations", "--kind", "Article")
	t.write(draftPath, withStatus(draftGood, moreEn, "published"))
	t.git(ada, "commit", "-q", "-am", "Publish the article")
	t.run(1, "check", "--base", "HEAD~2")
	t.say(`The agent translates the new sentence, in the same pull request; the
French is current again, and the check passes.`)
	t.write(draftFrPath, append(slices.Clip(draftFr), moreFr...))
	t.git(agent, "commit", "-q", "-am", "Translate the new sentence", "--trailer", "Small-Agent: docs-agent")
	t.run(0, "status", "--translations", "--kind", "Article")
	t.run(0, "check", "--base", "HEAD~3")
	t.run(0, "build")
	t.run(0, "status", "--kind", "Article")
	t.run(0, "history", "Article/content-in-git")

	t.step("13. Compliance you can check")
	t.say(`Anyone (an auditor, a scheduled CI job, a fresh clone) gets a yes or no
from the Git data alone: small verify rebuilds every build from its parent
and the manifest commit it names, compares the bits and the notes, and
checks every clause of the requirements.`)
	t.run(0, "verify")
}

const (
	ada   = "Ada Lovelace <ada@example.com>"
	agent = "docs-agent <agent@bots.example.com>"
)

func (t *tour) say(text string) {
	if t.err == nil {
		fmt.Fprintf(t.out, "%s\n", text)
	}
}

func (t *tour) step(title string) {
	if t.err == nil {
		fmt.Fprintf(t.out, "\n## %s\n\n", title)
	}
}

func (t *tour) write(name string, data []byte) {
	if t.err != nil {
		return
	}
	full := filepath.Join(t.dir, filepath.FromSlash(name))
	if err := os.WriteFile(full, data, 0o644); err != nil {
		t.err = err
		return
	}
	fmt.Fprintf(t.out, "$ cat %s\n%s", name, data)
}

// run runs a small command and checks it exits as the story expects.
func (t *tour) run(want int, args ...string) {
	if t.err != nil {
		return
	}
	fmt.Fprintf(t.out, "$ small %s\n", strings.Join(args, " "))
	if code := t.small(t.dir, args...); code != want {
		t.err = fmt.Errorf("demo: small %s exited %d, expected %d", strings.Join(args, " "), code, want)
	} else if code != 0 {
		fmt.Fprintf(t.out, "(exit status %d)\n", code)
	}
}

// git runs the real git with a fixed identity and date, so that the tour's
// commit ids are the same on every machine, and without the user's config.
func (t *tour) git(who string, args ...string) {
	if t.err != nil {
		return
	}
	shown := make([]string, len(args))
	for i, a := range args {
		shown[i] = a
		if strings.ContainsAny(a, " %:<>") {
			shown[i] = "'" + a + "'"
		}
	}
	fmt.Fprintf(t.out, "$ git %s\n", strings.Join(shown, " "))
	cmd := exec.Command("git", args...)
	cmd.Dir = t.dir
	cmd.Env = gitEnv(who, t.clock)
	if len(args) > 0 && args[0] == "commit" {
		t.clock++
	}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	t.out.Write(out.Bytes())
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		t.err = fmt.Errorf("demo: git %s failed: exit %d", args[0], ee.ExitCode())
	} else if err != nil {
		t.err = fmt.Errorf("demo: git is needed for the tour: %w", err)
	}
}

func gitEnv(who string, clock int) []string {
	var env []string
	for _, e := range os.Environ() {
		if !strings.HasPrefix(e, "GIT_") {
			env = append(env, e)
		}
	}
	name, email := "Ada Lovelace", "ada@example.com"
	if who != "" {
		n, rest, _ := strings.Cut(who, " <")
		name, email = n, strings.TrimSuffix(rest, ">")
	}
	date := fmt.Sprintf("2026-01-15T%02d:00:00Z", 9+clock)
	return append(env,
		"GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL="+os.DevNull,
		"GIT_AUTHOR_NAME="+name, "GIT_AUTHOR_EMAIL="+email, "GIT_AUTHOR_DATE="+date,
		"GIT_COMMITTER_NAME="+name, "GIT_COMMITTER_EMAIL="+email, "GIT_COMMITTER_DATE="+date,
	)
}
