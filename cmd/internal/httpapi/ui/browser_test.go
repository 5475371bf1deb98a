package ui_test

// The end-to-end test of small serve's pages: the real small binary serves
// a real repository (small init --example, built, moved through its
// lifecycle by a person and an agent), and Debian's headless chromium,
// driven by chromedp, uses the pages as a person would. Skipped, saying
// why, only when chromium is not there and `make chromium` cannot install
// it. UPDATE_SCREENSHOTS=1 writes docs/serve-playground.png and
// docs/serve-artifact.png from what it saw.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// chromiumPath is Debian's chromium, where `make chromium` installs it.
const chromiumPath = "/usr/bin/chromium"

func TestBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: the browser test starts small serve and chromium")
	}
	root := moduleRoot(t)
	chromium := findChromium(t, root)
	git := lookGit(t)

	bin := filepath.Join(t.TempDir(), "small")
	build := exec.Command("go", "build", "-o", bin, "./cmd/small")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/small: %v\n%s", err, out)
	}

	dir := exampleRepo(t, git, bin)
	base := serve(t, bin, dir)

	ctx := browser(t, chromium)
	problems := watchConsole(ctx)

	t.Run("playground", func(t *testing.T) { playground(t, ctx, bin, dir, base, root) })
	t.Run("status", func(t *testing.T) { status(t, ctx, base) })
	t.Run("artifact", func(t *testing.T) { artifact(t, ctx, git, bin, dir, base, root) })

	// A Content-Security-Policy violation (an inline style or script the
	// server's policy refuses) or an uncaught exception fails the test.
	for _, p := range problems() {
		t.Errorf("browser console: %s", p)
	}
}

// invalid is the manifest typed into the playground: line 4's layout is
// not one the schema allows.
const invalid = `kind: Article
title: Hello from a browser
author: ada
layout: wide
tags: [welcome]
body: Typed into the playground, one key at a time.
`

func playground(t *testing.T, ctx context.Context, bin, dir, base, root string) {
	const manifest = "manifests/articles/my-article.yaml"
	do(t, ctx, "open the playground",
		chromedp.Navigate(base+"/"),
		chromedp.WaitVisible(chromedp.CSS(`#verdict.bad`)), // the skeleton's TODOs
	)
	if got := run(t, ctx, chromedp.Value(chromedp.ID("path"))); got != manifest {
		t.Errorf("path = %q, want %q", got, manifest)
	}
	if got := run(t, ctx, chromedp.Value(chromedp.ID("kind"))); got != "Article" {
		t.Errorf("kind = %q, want Article", got)
	}

	// Type the invalid manifest over the skeleton.
	do(t, ctx, "type an invalid manifest",
		chromedp.Focus(chromedp.ID("editor")),
		chromedp.Evaluate[chromedp.Void](`document.getElementById('editor').select()`),
		chromedp.SendKeys(chromedp.ID("editor"), invalid),
	)
	waitFor(t, ctx, `document.getElementById('editor').value === `+jsString(invalid)+
		` && document.querySelector('#verdict.bad:not(.busy)') !== null`)

	// The findings are small validate's, each at its line: in the gutter,
	// tinted in the editor with its message beside it, and in the list.
	want := cliValidate(t, bin, dir, manifest, invalid)
	if len(want) == 0 {
		t.Fatal("small validate finds nothing wrong with the invalid manifest")
	}
	var wantLines []int
	for _, d := range want {
		wantLines = append(wantLines, d.Line)
	}
	if !slices.Contains(wantLines, 4) {
		t.Fatalf("small validate puts no finding on line 4 (layout: wide): %+v", want)
	}
	if got := evalInts(t, ctx, `[...document.querySelectorAll('.gl.err')].map(e => +e.dataset.line)`); !slices.Equal(got, uniq(wantLines)) {
		t.Errorf("gutter marks lines %v, small validate names %v", got, uniq(wantLines))
	}
	if got := evalInts(t, ctx, `[...document.querySelectorAll('#backdrop .bl')].flatMap((e, i) => e.classList.contains('err') ? [i + 1] : [])`); !slices.Equal(got, uniq(wantLines)) {
		t.Errorf("editor tints lines %v, small validate names %v", got, uniq(wantLines))
	}
	lens := run(t, ctx, chromedp.Evaluate[string](`document.querySelectorAll('#backdrop .bl')[3].querySelector('.lens')?.textContent ?? ''`))
	if !strings.Contains(lens, want[slices.IndexFunc(want, func(d diagnostic) bool { return d.Line == 4 })].Message) {
		t.Errorf("beside line 4: %q; want the message of small validate's finding there", lens)
	}
	items := evalStrings(t, ctx, `[...document.querySelectorAll('#diagnostics li.diag')].map(e => e.dataset.line + ' ' + e.querySelector('.diag-msg').textContent)`)
	var wantItems []string
	for _, d := range want {
		wantItems = append(wantItems, fmt.Sprintf("%d %s", d.Line, d.Message))
	}
	if !slices.Equal(items, wantItems) {
		t.Errorf("listed findings %q, small validate says %q", items, wantItems)
	}
	if v := run(t, ctx, chromedp.Text(chromedp.ID("verdict"))); !strings.Contains(v, "Invalid") {
		t.Errorf("verdict %q, want Invalid", v)
	}
	if live := run(t, ctx, chromedp.AttributeValue(chromedp.ID("verdict"), "aria-live")); live.Value != "polite" {
		t.Errorf("verdict aria-live = %q, want polite", live.Value)
	}

	// Clicking a finding puts the caret on its line.
	do(t, ctx, "click the finding", chromedp.Click(chromedp.CSS(`#diagnostics li[data-line="4"] button`)))
	caretLine := run(t, ctx, chromedp.Evaluate[int](`(() => { const e = document.getElementById('editor'); return e.value.slice(0, e.selectionStart).split('\n').length })()`))
	if caretLine != 4 {
		t.Errorf("after clicking the finding, the caret is on line %d, want 4", caretLine)
	}

	// Fix it as a person would: select "wide" and type over it.
	fixed := strings.Replace(invalid, "layout: wide", "layout: feature", 1)
	do(t, ctx, "fix the layout",
		chromedp.Evaluate[chromedp.Void](`(() => { const e = document.getElementById('editor'); const i = e.value.indexOf('wide'); e.focus(); e.setSelectionRange(i, i + 4) })()`),
		chromedp.SendKeys(chromedp.ID("editor"), "feature"),
	)
	waitFor(t, ctx, `document.getElementById('editor').value === `+jsString(fixed)+
		` && document.querySelector('#verdict.ok:not(.busy)') !== null && document.querySelector('#render:not(.stale) .built pre') !== null`)
	if got := cliValidate(t, bin, dir, manifest, fixed); len(got) != 0 {
		t.Fatalf("small validate still finds %+v in the fixed manifest", got)
	}
	if n := run(t, ctx, chromedp.Evaluate[int](`document.querySelectorAll('.gl.err, #backdrop .bl.err, #diagnostics li.diag').length`)); n != 0 {
		t.Errorf("%d finding marks left after the fix", n)
	}
	if aria := run(t, ctx, chromedp.AttributeValue(chromedp.ID("editor"), "aria-invalid")); aria.Value != "false" {
		t.Errorf("aria-invalid = %q after the fix", aria.Value)
	}

	// The artifact shown is the server's rendering, byte for byte.
	rendering := apiRender(t, base, manifest, fixed)
	if len(rendering.Artifacts) == 0 || rendering.Artifacts[0].Path != "article/my-article.json" {
		t.Fatalf("POST /v1/render: %+v", rendering)
	}
	shown := run(t, ctx, chromedp.Evaluate[string](`document.querySelector('#render .built pre').textContent`))
	if shown != rendering.Artifacts[0].Content {
		t.Errorf("the page shows\n%s\nPOST /v1/render builds\n%s", shown, rendering.Artifacts[0].Content)
	}
	if !strings.Contains(shown, `"layout": "feature"`) {
		t.Errorf("rendered artifact lacks the layout typed:\n%s", shown)
	}
	if c := run(t, ctx, chromedp.Text(chromedp.CSS(`#render figcaption code`))); c != "article/my-article.json" {
		t.Errorf("rendered artifact is captioned %q", c)
	}

	// A typo again: the findings come back at their lines, and the last
	// valid rendering stays, marked as such. This is the screenshot.
	do(t, ctx, "break the title and the author",
		chromedp.Evaluate[chromedp.Void](`(() => { const e = document.getElementById('editor'); const i = e.value.indexOf('Hello from a browser'); e.focus(); e.setSelectionRange(i, i + 20) })()`),
		chromedp.SendKeys(chromedp.ID("editor"), "Hi"),
		chromedp.Evaluate[chromedp.Void](`(() => { const e = document.getElementById('editor'); const i = e.value.indexOf('author: ada') + 8; e.setSelectionRange(i, i + 3) })()`),
		chromedp.SendKeys(chromedp.ID("editor"), "Ada Lovelace"),
	)
	waitFor(t, ctx, `document.querySelector('#verdict.bad:not(.busy)') !== null && document.querySelector('#render.stale .stale-note') !== null`)
	if got := evalInts(t, ctx, `[...document.querySelectorAll('.gl.err')].map(e => +e.dataset.line)`); !slices.Equal(got, []int{2, 3}) {
		t.Errorf("after the typos, gutter marks lines %v, want [2 3]", got)
	}
	do(t, ctx, "blur", chromedp.Evaluate[chromedp.Void](`document.activeElement.blur()`))
	screenshot(t, ctx, root, "serve-playground.png", false)
}

func status(t *testing.T, ctx context.Context, base string) {
	do(t, ctx, "open the status page",
		chromedp.Navigate(base+"/status"),
		chromedp.WaitVisible(chromedp.CSS(`table.grid tbody tr`)),
	)
	var st struct {
		Artifacts []struct {
			Artifact, State string
			Next            []string
		}
	}
	getJSON(t, base+"/v1/status", &st)
	rows := evalStrings(t, ctx, `[...document.querySelectorAll('table.grid tbody tr')].map(r => r.querySelector('th a').textContent + ' ' + r.querySelector('td .state').textContent)`)
	var want []string
	for _, a := range st.Artifacts {
		want = append(want, a.Artifact+" "+a.State)
	}
	if !slices.Equal(rows, want) {
		t.Errorf("status rows %q, /v1/status says %q", rows, want)
	}
	href := run(t, ctx, chromedp.AttributeValue(chromedp.CSS(`table.grid tbody tr:nth-child(3) th a`) /* compilers, hello-world.fr, hello-world */, "href")).Value
	if href != "/artifact/article/hello-world.json" {
		t.Errorf("hello-world links to %q", href)
	}
}

func artifact(t *testing.T, ctx context.Context, git, bin, dir, base, root string) {
	const art = "article/hello-world.json"
	do(t, ctx, "open the artifact page",
		chromedp.Navigate(base+"/status"),
		chromedp.WaitVisible(chromedp.CSS(`table.grid tbody tr`)),
		chromedp.Click(chromedp.CSS(`a[href="/artifact/`+art+`"]`)),
	)
	waitFor(t, ctx, `location.pathname === '/artifact/`+art+`' && document.getElementById('manifest-commit')?.textContent.length === 40 && document.querySelector('svg.timeline') !== null && document.querySelector('#bytes pre') !== null`)

	// The manifest commit on the page is the one git says last changed the
	// manifest, and the one small lineage names.
	fromGit := strings.TrimSpace(gitOut(t, git, dir, "log", "-1", "--format=%H", "--", "manifests/articles/hello-world.yaml"))
	var lin struct {
		Versions []struct {
			Build    struct{ ID string }
			Manifest struct {
				Commit struct{ ID, Author string }
			}
			Actor struct{ Type, Name string }
		}
	}
	if err := json.Unmarshal(runSmall(t, bin, dir, "", "lineage", art, "--format", "json"), &lin); err != nil || len(lin.Versions) == 0 {
		t.Fatalf("small lineage: %v %+v", err, lin)
	}
	want := lin.Versions[0].Manifest.Commit.ID
	if want != fromGit {
		t.Fatalf("small lineage names manifest commit %s, git log says %s", want, fromGit)
	}
	if got := run(t, ctx, chromedp.Text(chromedp.ID("manifest-commit"))); got != want {
		t.Errorf("the page's manifest commit is %q, want %s", got, want)
	}
	if got := run(t, ctx, chromedp.Text(chromedp.ID("build-commit"))); got != lin.Versions[0].Build.ID {
		t.Errorf("the page's build commit is %q, want %s", got, lin.Versions[0].Build.ID)
	}
	// The diagram draws the same chain: its texts hold both ids (short)
	// and the author.
	texts := evalStrings(t, ctx, `[...document.querySelectorAll('svg.chain text')].map(e => e.textContent)`)
	for _, w := range []string{art, want[:12], lin.Versions[0].Build.ID[:12], "Ada Lovelace", "AUTHOR · HUMAN"} {
		if !slices.Contains(texts, w) {
			t.Errorf("lineage diagram lacks %q: %q", w, texts)
		}
	}
	// The manifest commit id can be selected and copied as text.
	sel := run(t, ctx, chromedp.Evaluate[string](`(() => { const r = document.createRange(); r.selectNodeContents(document.getElementById('manifest-commit')); const s = getSelection(); s.removeAllRanges(); s.addRange(r); const t = s.toString(); s.removeAllRanges(); return t })()`))
	if sel != want {
		t.Errorf("selecting the manifest commit gives %q", sel)
	}

	// The timeline draws every lifecycle event, the agent's marked.
	var hist struct {
		Events []struct {
			Event          string
			ManifestCommit string
			Actor          struct{ Type string }
		}
	}
	getJSON(t, base+"/v1/history/"+art, &hist)
	names := evalStrings(t, ctx, `[...document.querySelectorAll('svg.timeline g.ev .ev-name')].map(e => e.textContent)`)
	var wantNames []string
	agents := 0
	for _, e := range hist.Events {
		wantNames = append(wantNames, e.Event)
		if e.Actor.Type == "agent" {
			agents++
		}
	}
	if !slices.Equal(names, wantNames) {
		t.Errorf("timeline events %q, /v1/history has %q", names, wantNames)
	}
	if agents == 0 {
		t.Fatal("the history has no agent event: the fixture should have one")
	}
	if n := run(t, ctx, chromedp.Evaluate[int](`document.querySelectorAll('svg.timeline g.ev.agent').length`)); n != agents {
		t.Errorf("timeline marks %d agent events, the history has %d", n, agents)
	}
	lanes := evalStrings(t, ctx, `[...document.querySelectorAll('svg.timeline .lane-label')].map(e => e.textContent)`)
	if !slices.Equal(lanes, []string{"draft", "review", "approved", "published", "deprecated", "archived"}) {
		t.Errorf("timeline lanes %q", lanes)
	}
	if n := run(t, ctx, chromedp.Evaluate[int](`document.querySelectorAll('svg.timeline .next-edge').length`)); n != 1 {
		t.Errorf("%d next transitions drawn from published, want 1 (deprecated)", n)
	}

	// The bytes are the artifact's, as small show prints them.
	bytesShown := run(t, ctx, chromedp.Evaluate[string](`document.querySelector('#bytes pre').textContent`))
	if want := string(runSmall(t, bin, dir, "", "show", art)); bytesShown != want {
		t.Errorf("the page shows bytes\n%s\nsmall show prints\n%s", bytesShown, want)
	}
	screenshot(t, ctx, root, "serve-artifact.png", true)

	// Kind/id names the same artifact.
	do(t, ctx, "open Article/hello-world", chromedp.Navigate(base+"/artifact/Article/hello-world"))
	waitFor(t, ctx, `document.getElementById('manifest-commit')?.textContent === '`+want+`' && document.getElementById('title').textContent === '`+art+`' && document.querySelector('#facts .state') !== null`)
}

// ---- the repository ------------------------------------------------------

// exampleRepo makes a repository with small init --example, builds it, and
// moves hello-world through review to published, with one edit by an agent
// and one observation, every commit at a fixed date so that the ids, and
// the screenshots, are the same at every run.
func exampleRepo(t *testing.T, git, bin string) string {
	dir := t.TempDir()
	home := t.TempDir()
	env := []string{"HOME=" + home, "GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL=" + filepath.Join(home, ".gitconfig")}
	clock := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	step := func(name string, args ...string) {
		t.Helper()
		cmd := exec.Command(name, args...)
		cmd.Dir = dir
		d := clock.Format(time.RFC3339)
		cmd.Env = append(os.Environ(), env...)
		cmd.Env = append(cmd.Env, "GIT_AUTHOR_DATE="+d, "GIT_COMMITTER_DATE="+d)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
		}
	}
	step(git, "init", "-q", "-b", "main")
	step(git, "config", "user.name", "Ada Lovelace")
	step(git, "config", "user.email", "ada@example.com")
	step(bin, "init", "--example")
	step(git, "add", "-A")
	step(git, "commit", "-q", "-m", "Set up small with its example content")
	step(bin, "build")
	edit := func(old, new, msg string, extra ...string) {
		t.Helper()
		p := filepath.Join(dir, "manifests", "articles", "hello-world.yaml")
		b, err := os.ReadFile(p)
		if err != nil || !bytes.Contains(b, []byte(old)) {
			t.Fatalf("hello-world.yaml has no %q (%v)", old, err)
		}
		if err := os.WriteFile(p, bytes.Replace(b, []byte(old), []byte(new), 1), 0o644); err != nil {
			t.Fatal(err)
		}
		clock = clock.Add(26 * time.Hour)
		step(git, append([]string{"commit", "-q", "-a", "-m", msg}, extra...)...)
		step(bin, "build")
	}
	edit("layout: feature", "status: review\nlayout: feature", "hello-world: ready for review")
	edit("Our content now lives in Git", "All our content now lives in Git", "hello-world: tighten the opening", "--trailer", "Small-Agent: copy-editor")
	edit("status: review", "status: approved", "hello-world: approved")
	edit("status: approved", "status: published", "hello-world: publish")
	step(bin, "event", "article/hello-world.json", "deployed", "--message", "to production")
	return dir
}

// serve starts `small serve` on a free loopback port in dir and returns
// its URL; the server is stopped when the test ends.
func serve(t *testing.T, bin, dir string) string {
	cmd := exec.Command(bin, "serve", "--addr", "127.0.0.1:0")
	cmd.Dir = dir
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("small serve: %v", err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	found := make(chan string, 1)
	go func() {
		re := regexp.MustCompile(`http://127\.0\.0\.1:\d+`)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if m := re.FindString(sc.Text()); m != "" {
				found <- m
				break
			}
		}
		_, _ = io.Copy(io.Discard, stdout)
	}()
	select {
	case u := <-found:
		return u
	case <-time.After(20 * time.Second):
		t.Fatalf("small serve said no address in 20 s; stderr:\n%s", stderr.String())
	}
	return ""
}

// ---- the browser ---------------------------------------------------------

// findChromium returns Debian's chromium, installing it with `make
// chromium` when it is missing, or skips the test saying why.
func findChromium(t *testing.T, root string) string {
	if _, err := os.Stat(chromiumPath); err == nil {
		return chromiumPath
	}
	out, err := exec.Command("make", "-C", root, "chromium").CombinedOutput()
	if _, serr := os.Stat(chromiumPath); serr == nil {
		return chromiumPath
	}
	t.Skipf("no %s, and `make chromium` could not install it (%v): %s", chromiumPath, err, strings.TrimSpace(string(out)))
	return ""
}

func browser(t *testing.T, chromium string) context.Context {
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromium),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("force-color-profile", "srgb"),
		chromedp.Flag("font-render-hinting", "none"),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1400, 1000),
	}
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelC := chromedp.NewContext(actx)
	// Start the browser with a context that has no deadline (the first Run
	// binds the browser's life to it); each step has its own below.
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(1400, 1000)); err != nil {
		cancelC()
		cancelA()
		t.Fatalf("start %s: %v", chromium, err)
	}
	t.Cleanup(func() {
		cancelC()
		cancelA()
	})
	return ctx
}

// watchConsole collects, until asked, what the pages log as errors:
// Content-Security-Policy violations and uncaught exceptions.
func watchConsole(ctx context.Context) func() []string {
	var mu sync.Mutex
	var seen []string
	entries := chromedp.Events(ctx, log.EntryAdded)
	exceptions := chromedp.Events(ctx, runtime.ExceptionThrown)
	go func() {
		for ev, err := range entries {
			if err != nil {
				return
			}
			e := ev.Entry
			if e == nil || e.Level != log.EntryLevelError || strings.Contains(e.URL, "favicon") {
				continue
			}
			mu.Lock()
			seen = append(seen, fmt.Sprintf("%s: %s (%s)", e.Source, e.Text, e.URL))
			mu.Unlock()
		}
	}()
	go func() {
		for ev, err := range exceptions {
			if err != nil {
				return
			}
			d := ev.ExceptionDetails
			text := d.Text
			if d.Exception != nil && d.Exception.Description != "" {
				text += " " + d.Exception.Description
			}
			mu.Lock()
			seen = append(seen, fmt.Sprintf("exception at %s:%d: %s", d.URL, d.LineNumber+1, text))
			mu.Unlock()
		}
	}()
	return func() []string {
		mu.Lock()
		defer mu.Unlock()
		return slices.Clone(seen)
	}
}

func do(t *testing.T, ctx context.Context, what string, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	sctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := chromedp.Do(sctx, steps...); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

func run[T any](t *testing.T, ctx context.Context, a chromedp.Action[T]) T {
	t.Helper()
	sctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	v, err := chromedp.Run(sctx, a)
	if err != nil {
		t.Fatalf("%v", err)
	}
	return v
}

// waitFor waits until a JavaScript condition holds on the page, and says
// what the page shows when it never does. It asks again and again rather
// than once with a page-side poll, which a navigation would cut short.
func waitFor(t *testing.T, ctx context.Context, cond string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	var last error
	for time.Now().Before(deadline) {
		sctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		ok, err := chromedp.Run(sctx, chromedp.Evaluate[bool](`!!(`+cond+`)`))
		cancel()
		if err == nil && ok {
			return
		}
		last = err
		time.Sleep(50 * time.Millisecond)
	}
	state, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`(document.getElementById('verdict')?.textContent ?? '') + ' | ' + (document.querySelector('main')?.innerText ?? '').slice(0, 1500)`))
	t.Fatalf("waiting for %s: never true (last error: %v)\nthe page shows: %s", cond, last, state)
}

func evalInts(t *testing.T, ctx context.Context, expr string) []int {
	t.Helper()
	return run(t, ctx, chromedp.Evaluate[[]int](expr))
}

func evalStrings(t *testing.T, ctx context.Context, expr string) []string {
	t.Helper()
	return run(t, ctx, chromedp.Evaluate[[]string](expr))
}

// screenshot writes docs/NAME from the page when UPDATE_SCREENSHOTS is set.
func screenshot(t *testing.T, ctx context.Context, root, name string, full bool) {
	t.Helper()
	var b []byte
	if full {
		b = run(t, ctx, chromedp.FullScreenshot(100))
	} else {
		b = run(t, ctx, chromedp.CaptureScreenshot())
	}
	if !bytes.HasPrefix(b, []byte("\x89PNG")) {
		t.Fatalf("%s: not a PNG", name)
	}
	if os.Getenv("UPDATE_SCREENSHOTS") == "" {
		return
	}
	p := filepath.Join(root, "docs", name)
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("wrote %s", p)
}

// ---- small, git and the API ----------------------------------------------

type diagnostic struct {
	Line    int    `json:"line"`
	Path    string `json:"path"`
	Code    string `json:"code"`
	Message string `json:"message"`
}

// cliValidate is what `small validate -` says of text at path: the
// oracle the page is held to.
func cliValidate(t *testing.T, bin, dir, path, text string) []diagnostic {
	t.Helper()
	var rep struct {
		Diagnostics []diagnostic `json:"diagnostics"`
	}
	out := runSmall(t, bin, dir, text, "validate", "-", "--path", path, "--format", "json")
	if err := json.Unmarshal(out, &rep); err != nil {
		t.Fatalf("small validate: %v\n%s", err, out)
	}
	return rep.Diagnostics
}

func runSmall(t *testing.T, bin, dir, stdin string, args ...string) []byte {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	cmd.Stdin = strings.NewReader(stdin)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil && (cmd.ProcessState == nil || cmd.ProcessState.ExitCode() > 1) {
		t.Fatalf("small %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return out
}

type rendering struct {
	Valid     bool `json:"valid"`
	Artifacts []struct {
		Path    string `json:"path"`
		Content string `json:"content"`
	} `json:"artifacts"`
}

func apiRender(t *testing.T, base, path, text string) rendering {
	t.Helper()
	res, err := http.Post(base+"/v1/render?path="+url.QueryEscape(path), "application/yaml", strings.NewReader(text))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var r rendering
	if err := json.NewDecoder(res.Body).Decode(&r); err != nil || res.StatusCode != 200 {
		t.Fatalf("POST /v1/render: %d %v", res.StatusCode, err)
	}
	return r
}

func getJSON(t *testing.T, u string, v any) {
	t.Helper()
	res, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != 200 {
		b, _ := io.ReadAll(res.Body)
		t.Fatalf("GET %s: %d %s", u, res.StatusCode, b)
	}
	if err := json.NewDecoder(res.Body).Decode(v); err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
}

func lookGit(t *testing.T) string {
	g, err := exec.LookPath("git")
	if err != nil {
		t.Skip("no git on PATH")
	}
	return g
}

func gitOut(t *testing.T, git, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command(git, args...)
	cmd.Dir = dir
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("git %s: %v", strings.Join(args, " "), err)
	}
	return string(out)
}

func moduleRoot(t *testing.T) string {
	d, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d
		}
		p := filepath.Dir(d)
		if p == d {
			t.Fatal("no go.mod above the test")
		}
		d = p
	}
}

func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

func uniq(xs []int) []int {
	out := slices.Clone(xs)
	slices.Sort(out)
	return slices.Compact(out)
}
