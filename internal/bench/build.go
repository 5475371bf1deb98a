package main

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Goals of small build: a full build as a share of its irreducible parts
// (validating the manifests and writing the artifact objects), a
// one-manifest build as a share of a full one, and peak memory.
const (
	goalBuild       = 1.30
	goalIncremental = 0.05
	goalBuildMemMB  = 500
	// small verify of the full build as a share of that build, and of each
	// further one-manifest build, in seconds (issue: compliance you can check).
	goalVerifyFull = 1.2
	goalVerifyEach = 0.2
	goalCheck      = 0.10 // small check of a 10-manifest change / small validate --rev
	verifiedBuilds = 100  // one-manifest builds verified after the full one
)

// The build section works in copies of the corpus: the corpus itself stays
// as generated, for small validate and cue vet.
//
// small build writes nothing when a manifest is invalid, so the build
// repository is a clone of the corpus (git clone --no-local: its objects in
// one pack, as a fetch leaves them) with one more commit that puts back the
// valid manifests the generator broke on purpose: 10,000 valid manifests.
//
//   - reference: small validate --rev HEAD of the build repository (build
//     reads the manifests of a commit, so it is timed on the commit too),
//     plus git fast-import of the full build's artifact tree into a fresh
//     bare repository, from a stream file written beforehand.
//   - full build: small build in a fresh copy (cp -a) of the build
//     repository for each run, so that no object is already there.
//   - incremental: in the last full build's copy, each run changes one
//     article (its readingMinutes, within the schema's bounds), commits it
//     and builds; the build must evaluate that one manifest only.
//
// Then git fsck --strict must be clean on that copy, and the tip of the
// artifact branch must carry the four Small-* trailers.

type buildReport struct {
	validate   timing // small validate --rev HEAD of the build repository
	full       timing
	fastImport time.Duration
	incr       timing
	verifyFull timing // small verify after the one full build
	verifyMore timing // small verify --since the full build, of verifiedBuilds more
	check      timing // small check of a 10-manifest change, plan included
	refsFull   timing // small build of every manifest once Article pages read their authors (#refs)
	oneAuthor  timing // small build after a change to one author, her articles' pages read her
	authorArts int    // articles that name that author (author or coAuthors)
	refsPages  int    // artifacts the #refs full build created
	fixed      int    // manifests put back to their valid originals
	artifacts  int    // files in the full build's tree
	bytes      int64  // their size
	profile    string
	notes      []string
}

// trailers are the keys every build commit carries (protocol small/v1).
var trailers = []string{"Small-Manifest-Commit", "Small-Schema-Digest", "Small-Builder", "Small-Protocol"}

func (b *bench) measureBuild(profile string) (*buildReport, error) {
	rep := &buildReport{profile: profile}
	tmp, err := os.MkdirTemp("", "small-bench-build-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)

	// The build repository.
	base := filepath.Join(tmp, "base")
	if rep.fixed, err = b.fixedClone(base); err != nil {
		return nil, err
	}
	head, err := git(base, nil, "rev-parse", "HEAD")
	if err != nil {
		return nil, err
	}

	logf("build: timing small validate --rev HEAD of the build repository (best of %d)", b.runs)
	for r := range b.runs {
		o, err := runProc(base, nil, nil, b.small, "validate", "--rev", "HEAD")
		if err != nil {
			return nil, err
		}
		if o.exit != 0 {
			return nil, fmt.Errorf("build repository: small validate --rev HEAD: exit %d, expected 0 (all valid):\n%s%s", o.exit, head10(o.stdout), head10(o.stderr))
		}
		rep.validate.add(r, o)
	}

	// Full builds, each in a fresh copy.
	logf("build: timing small build, full, each in a fresh copy (best of %d)", b.runs)
	full := fmt.Sprintf("%d created, 0 updated, 0 retracted (%d of %d manifests evaluated)", b.c.N, b.c.N, b.c.N)
	var built string
	var tips []string
	for r := range b.runs {
		dir := filepath.Join(tmp, fmt.Sprintf("full-%d", r))
		if _, err := runOK(tmp, nil, nil, "cp", "-a", base, dir); err != nil {
			return nil, err
		}
		o, err := runProc(dir, nil, nil, b.small, "build")
		if err != nil {
			return nil, err
		}
		if o.exit != 0 || !bytes.Contains(o.stdout, []byte(full)) {
			return nil, fmt.Errorf("small build (full): exit %d, expected 0 and %q:\n%s%s", o.exit, full, head10(o.stdout), head10(o.stderr))
		}
		rep.full.add(r, o)
		tip, err := git(dir, nil, "rev-parse", "refs/heads/small/artifacts")
		if err != nil {
			return nil, err
		}
		tips = append(tips, tip)
		if built != "" {
			if err := os.RemoveAll(built); err != nil {
				return nil, err
			}
		}
		built = dir
	}
	if u := slices.Compact(slices.Clone(tips)); len(u) > 1 {
		rep.notes = append(rep.notes, fmt.Sprintf("full builds of the same commit made different build commits: %s", strings.Join(tips, ", ")))
	}
	if profile != "" {
		logf("build: one more full build, untimed, with SMALL_CPUPROFILE=%s", profile)
		dir := filepath.Join(tmp, "profile")
		if _, err := runOK(tmp, nil, nil, "cp", "-a", base, dir); err != nil {
			return nil, err
		}
		o, err := runProc(dir, []string{"SMALL_CPUPROFILE=" + profile}, nil, b.small, "build")
		if err != nil {
			return nil, err
		}
		if o.exit != 0 {
			return nil, fmt.Errorf("small build (profiled): exit %d:\n%s%s", o.exit, head10(o.stdout), head10(o.stderr))
		}
		if err := os.RemoveAll(dir); err != nil {
			return nil, err
		}
	}

	// The same artifact bytes, through git fast-import.
	stream := filepath.Join(tmp, "artifacts.fi")
	if rep.artifacts, rep.bytes, err = writeImportStream(built, "refs/heads/small/artifacts", stream); err != nil {
		return nil, err
	}
	wantTree, err := git(built, nil, "rev-parse", "refs/heads/small/artifacts^{tree}")
	if err != nil {
		return nil, err
	}
	logf("build: timing git fast-import of the %d artifact files, %.1f MB (best of %d)", rep.artifacts, float64(rep.bytes)/(1<<20), b.runs)
	for r := range b.runs {
		dir := filepath.Join(tmp, fmt.Sprintf("import-%d", r))
		if _, err := git(tmp, nil, "init", "-q", "--bare", dir); err != nil {
			return nil, err
		}
		f, err := os.Open(stream)
		if err != nil {
			return nil, err
		}
		o, err := runProc(dir, nil, f, "git", "fast-import", "--quiet")
		f.Close()
		if err != nil {
			return nil, err
		}
		if o.exit != 0 {
			return nil, fmt.Errorf("git fast-import: exit %d:\n%s", o.exit, head10(o.stderr))
		}
		if r == 0 || o.wall < rep.fastImport {
			rep.fastImport = o.wall
		}
		got, err := git(dir, nil, "rev-parse", "refs/heads/artifacts^{tree}")
		if err != nil {
			return nil, err
		}
		if got != wantTree {
			return nil, fmt.Errorf("git fast-import made tree %s, small build %s: not the same artifacts", got, wantTree)
		}
		if err := os.RemoveAll(dir); err != nil {
			return nil, err
		}
	}

	// small verify rebuilds every build: here the one full build.
	logf("build: timing small verify of the full build (best of %d)", b.runs)
	for r := range b.runs {
		o, err := runProc(built, nil, nil, b.small, "verify")
		if err != nil {
			return nil, err
		}
		if o.exit != 0 || !bytes.Contains(o.stdout, []byte("\nCompliant: ")) {
			return nil, fmt.Errorf("small verify of the full build: exit %d, expected 0 and compliant:\n%s%s", o.exit, head10(o.stdout), head10(o.stderr))
		}
		rep.verifyFull.add(r, o)
	}
	fullBuild, err := git(built, nil, "rev-parse", "refs/heads/small/artifacts")
	if err != nil {
		return nil, err
	}

	// One-manifest builds, one after another in the built copy.
	logf("build: timing small build after a one-manifest change (best of %d)", b.runs)
	var articles []string
	for _, f := range b.c.Files["Article"] {
		if strings.HasSuffix(f, ".yaml") {
			articles = append(articles, f)
		}
	}
	one := fmt.Sprintf("0 created, 1 updated, 0 retracted (1 of %d manifests evaluated)", b.c.N)
	for r := range b.runs {
		f := articles[r*len(articles)/b.runs]
		if err := changeArticle(filepath.Join(built, filepath.FromSlash(f)), 30+r%60); err != nil {
			return nil, err
		}
		if _, err := git(built, nil, "commit", "-q", "-a", "-m", "Change "+f); err != nil {
			return nil, err
		}
		o, err := runProc(built, nil, nil, b.small, "build")
		if err != nil {
			return nil, err
		}
		if o.exit != 0 || !bytes.Contains(o.stdout, []byte(one)) {
			return nil, fmt.Errorf("small build after changing %s: exit %d, expected 0 and %q:\n%s%s", f, o.exit, one, head10(o.stdout), head10(o.stderr))
		}
		rep.incr.add(r, o)
	}
	logf("build: %d more one-manifest builds, then small verify --since the full build (best of %d)", verifiedBuilds-b.runs, b.runs)
	for i := b.runs; i < verifiedBuilds; i++ {
		f := articles[i*len(articles)/verifiedBuilds]
		if err := changeArticle(filepath.Join(built, filepath.FromSlash(f)), 30+i%60); err != nil {
			return nil, err
		}
		if _, err := git(built, nil, "commit", "-q", "-a", "-m", "Change "+f); err != nil {
			return nil, err
		}
		if o, err := runProc(built, nil, nil, b.small, "build"); err != nil || o.exit != 0 {
			return nil, fmt.Errorf("small build after changing %s: %v %s", f, err, head10(o.stderr))
		}
	}
	for r := range b.runs {
		o, err := runProc(built, nil, nil, b.small, "verify", "--since", fullBuild)
		if err != nil {
			return nil, err
		}
		want := fmt.Sprintf("(%d builds after %s", verifiedBuilds, fullBuild)
		if o.exit != 0 || !bytes.Contains(o.stdout, []byte(want)) {
			return nil, fmt.Errorf("small verify --since %s: exit %d, expected 0 and %q:\n%s%s", fullBuild, o.exit, want, head10(o.stdout), head10(o.stderr))
		}
		rep.verifyMore.add(r, o)
	}

	// A pull request: a branch off the built tip changing 10 articles,
	// checked against it (issue: small check, plan included).
	logf("build: timing small check of a 10-manifest change against the built branch (best of %d)", b.runs)
	if _, err := git(built, nil, "branch", "-f", "built", "HEAD"); err != nil {
		return nil, err
	}
	if _, err := git(built, nil, "checkout", "-q", "-b", "pr"); err != nil {
		return nil, err
	}
	for i := range 10 {
		f := articles[(i*7919+13)%len(articles)]
		if err := changeArticle(filepath.Join(built, filepath.FromSlash(f)), 5+i); err != nil {
			return nil, err
		}
	}
	if _, err := git(built, nil, "commit", "-q", "-a", "-m", "Change 10 articles"); err != nil {
		return nil, err
	}
	for r := range b.runs {
		o, err := runProc(built, nil, nil, b.small, "check", "--base", "built")
		if err != nil {
			return nil, err
		}
		if o.exit != 0 || !bytes.Contains(o.stdout, []byte("Merging builds: 0 created, 10 updated, 0 retracted")) {
			return nil, fmt.Errorf("small check of 10 changed articles: exit %d, expected 0 and a plan of 10 updates:\n%s%s", o.exit, head10(o.stdout), head10(o.stderr))
		}
		rep.check.add(r, o)
	}
	if _, err := git(built, nil, "checkout", "-q", "main"); err != nil {
		if _, err := git(built, nil, "checkout", "-q", "-"); err != nil {
			return nil, err
		}
	}

	// A one-author change rebuilds that author and her dependents only:
	// Article pages that show their authors' names (#refs), then one
	// author renamed, again and again.
	if err := b.measureOneAuthor(built, rep); err != nil {
		return nil, err
	}

	// The repository is sound and the build commit says what it is.
	logf("build: git fsck --strict and the trailers")
	if o, err := runProc(built, gitEnv(), nil, "git", "fsck", "--strict", "--no-progress"); err != nil {
		return nil, err
	} else if o.exit != 0 || len(bytes.TrimSpace(o.stdout)) > 0 || len(bytes.TrimSpace(o.stderr)) > 0 {
		return nil, fmt.Errorf("git fsck --strict after the builds: exit %d:\n%s%s", o.exit, head10(o.stdout), head10(o.stderr))
	}
	msg, err := git(built, nil, "log", "-1", "--format=%B", "refs/heads/small/artifacts")
	if err != nil {
		return nil, err
	}
	parsed, err := runOK(built, gitEnv(), strings.NewReader(msg+"\n"), "git", "interpret-trailers", "--parse")
	if err != nil {
		return nil, err
	}
	got := map[string][]string{}
	for _, l := range strings.Split(strings.TrimSpace(string(parsed)), "\n") {
		if k, v, ok := strings.Cut(l, ": "); ok {
			got[k] = append(got[k], v)
		}
	}
	for _, k := range trailers {
		if len(got[k]) != 1 {
			return nil, fmt.Errorf("the build commit has %d %s trailers, expected 1:\n%s", len(got[k]), k, msg)
		}
	}
	if head, err = git(built, nil, "rev-parse", "HEAD"); err != nil {
		return nil, err
	}
	if got["Small-Manifest-Commit"][0] != head {
		return nil, fmt.Errorf("the build commit's Small-Manifest-Commit is %s, HEAD is %s", got["Small-Manifest-Commit"][0], head)
	}
	return rep, nil
}

// fixedClone makes a build repository in dir: a clone of the corpus (git
// clone --no-local: its objects in one pack, as a fetch leaves them) with
// one more commit that puts back the valid manifests the generator broke on
// purpose. It returns how many it put back.
func (b *bench) fixedClone(dir string) (int, error) {
	if _, err := git(filepath.Dir(dir), nil, "clone", "-q", "--no-local", b.c.dir, dir); err != nil {
		return 0, err
	}
	_, _, clean := render(b.c.N, b.c.Seed)
	if len(clean) != len(b.c.Invalid) {
		return 0, fmt.Errorf("the generator gives %d valid originals for %d broken manifests", len(clean), len(b.c.Invalid))
	}
	for p := range b.c.Invalid {
		data, ok := clean[p]
		if !ok {
			return 0, fmt.Errorf("%s: the generator gives no valid original", p)
		}
		if err := os.WriteFile(filepath.Join(dir, filepath.FromSlash(p)), data, 0o644); err != nil {
			return 0, err
		}
	}
	if _, err := git(dir, nil, "commit", "-q", "-a", "-m", "Put back the valid manifests"); err != nil {
		return 0, err
	}
	return len(clean), nil
}

var readingMinutes = regexp.MustCompile(`(?m)^readingMinutes: [0-9]+$`)

// changeArticle sets the readingMinutes of an article (1 to 90 in its
// schema; the generator writes 2 to 25), so that it stays valid.
func changeArticle(path string, minutes int) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if !readingMinutes.Match(data) {
		return fmt.Errorf("%s: no readingMinutes line to change", path)
	}
	data = readingMinutes.ReplaceAll(data, []byte("readingMinutes: "+strconv.Itoa(minutes)))
	return os.WriteFile(path, data, 0o644)
}

// writeImportStream writes the files of rev's tree in dir as a git
// fast-import stream: one commit to refs/heads/artifacts, each file inline.
func writeImportStream(dir, rev, stream string) (files int, size int64, err error) {
	ls, err := runOK(dir, gitEnv(), nil, "git", "ls-tree", "-r", "-z", "--full-tree", rev)
	if err != nil {
		return 0, 0, err
	}
	type entry struct{ mode, oid, path string }
	var entries []entry
	var oids strings.Builder
	for _, rec := range strings.Split(strings.TrimSuffix(string(ls), "\x00"), "\x00") {
		meta, path, ok := strings.Cut(rec, "\t")
		f := strings.Fields(meta)
		if !ok || len(f) != 3 || f[1] != "blob" {
			return 0, 0, fmt.Errorf("git ls-tree %s: unexpected entry %q", rev, rec)
		}
		if strings.ContainsAny(path, "\n\"") {
			return 0, 0, fmt.Errorf("git ls-tree %s: path %q needs quoting", rev, path)
		}
		entries = append(entries, entry{f[0], f[2], path})
		oids.WriteString(f[2] + "\n")
	}

	out, err := os.Create(stream)
	if err != nil {
		return 0, 0, err
	}
	defer func() {
		if cerr := out.Close(); err == nil {
			err = cerr
		}
	}()
	w := bufio.NewWriterSize(out, 1<<20)
	msg := "Artifacts\n"
	fmt.Fprintf(w, "commit refs/heads/artifacts\ncommitter Bench <bench@example.com> 1767225600 +0000\ndata %d\n%s", len(msg), msg)

	cmd := exec.Command("git", "cat-file", "--batch")
	cmd.Dir, cmd.Env = dir, gitEnv()
	cmd.Stdin = strings.NewReader(oids.String())
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	pipe, err := cmd.StdoutPipe()
	if err != nil {
		return 0, 0, err
	}
	if err := cmd.Start(); err != nil {
		return 0, 0, err
	}
	rd := bufio.NewReaderSize(pipe, 1<<20)
	for _, e := range entries {
		hdr, err := rd.ReadString('\n')
		if err != nil {
			cmd.Wait()
			return 0, 0, fmt.Errorf("git cat-file --batch: %v\n%s", err, stderr.String())
		}
		f := strings.Fields(hdr)
		if len(f) != 3 || f[0] != e.oid || f[1] != "blob" {
			cmd.Wait()
			return 0, 0, fmt.Errorf("git cat-file --batch: %q for %s", strings.TrimSpace(hdr), e.oid)
		}
		n, err := strconv.ParseInt(f[2], 10, 64)
		if err != nil {
			cmd.Wait()
			return 0, 0, err
		}
		fmt.Fprintf(w, "M %s inline %s\ndata %d\n", e.mode, e.path, n)
		if _, err := io.CopyN(w, rd, n+1); err != nil { // the blob and cat-file's newline
			cmd.Wait()
			return 0, 0, err
		}
		size += n
	}
	if err := cmd.Wait(); err != nil {
		return 0, 0, fmt.Errorf("git cat-file --batch: %v\n%s", err, stderr.String())
	}
	w.WriteString("done\n")
	return len(entries), size, w.Flush()
}

// add counts one run: the fastest wall clock, the largest peak memory.
func (t *timing) add(run int, o outcome) {
	if run == 0 || o.wall < t.wall {
		t.wall = o.wall
	}
	t.maxRSS = max(t.maxRSS, o.maxRSS)
}

// gitEnv is the environment of the benchmark's own git commands: no user or
// system configuration, a fixed identity and date.
func gitEnv() []string {
	return []string{
		"GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_NOSYSTEM=1",
		"GIT_AUTHOR_NAME=Bench", "GIT_AUTHOR_EMAIL=bench@example.com", "GIT_AUTHOR_DATE=2026-01-01T00:00:00Z",
		"GIT_COMMITTER_NAME=Bench", "GIT_COMMITTER_EMAIL=bench@example.com", "GIT_COMMITTER_DATE=2026-01-01T00:00:00Z",
	}
}

// git runs a git command of the benchmark's own and returns its output,
// trimmed; a non-zero exit is an error.
func git(dir string, stdin io.Reader, args ...string) (string, error) {
	out, err := runOK(dir, gitEnv(), stdin, "git", args...)
	return strings.TrimSpace(string(out)), err
}

// runOK runs a command and returns its standard output; a non-zero exit is
// an error.
func runOK(dir string, env []string, stdin io.Reader, name string, args ...string) ([]byte, error) {
	o, err := runProc(dir, env, stdin, name, args...)
	if err != nil {
		return nil, err
	}
	if o.exit != 0 {
		return nil, fmt.Errorf("%s %s: exit %d\n%s", name, strings.Join(args, " "), o.exit, head10(o.stderr))
	}
	return o.stdout, nil
}

func (r *buildReport) print(w io.Writer, b *bench) {
	line := func(label, format string, args ...any) {
		fmt.Fprintf(w, "%-29s%s\n", label, fmt.Sprintf(format, args...))
	}
	fmt.Fprintf(w, "\nbuild: a clone of the corpus (objects in one pack) with its %d broken manifests put back valid (one more\n", r.fixed)
	fmt.Fprintf(w, "       commit): %d valid manifests, %d artifact files (%.1f MB) in the full build's tree\n", b.c.N, r.artifacts, float64(r.bytes)/(1<<20))
	fmt.Fprintf(w, "timings: best of %d, wall clock; each full build in a fresh copy; fast-import into a fresh bare repository\n", b.runs)
	fmt.Fprintf(w, "         from a stream file of the same files, written beforehand; each one-manifest build after a commit\n")
	fmt.Fprintf(w, "         that changes another article\n\n")
	line("small validate --rev HEAD", "%s  peak %d MB  (of the build repository)", secs(r.validate.wall), mb(r.validate.maxRSS))
	line("small build (full)", "%s  peak %d MB", secs(r.full.wall), mb(r.full.maxRSS))
	line("git fast-import of artifacts", "%s", secs(r.fastImport))
	ref := r.validate.wall + r.fastImport
	line("reference: validate+import", "%s", secs(ref))
	rb := r.full.wall.Seconds() / ref.Seconds()
	line("ratio build / reference", "%.2f  (goal <= %.2f)  %s", rb, goalBuild, goal(rb <= goalBuild))
	line("small build (one manifest)", "%s  peak %d MB", secs(r.incr.wall), mb(r.incr.maxRSS))
	ri := r.incr.wall.Seconds() / r.full.wall.Seconds()
	line("ratio incremental / full", "%.2f  (goal <= %.2f)  %s", ri, goalIncremental, goal(ri <= goalIncremental))
	rv := r.verifyFull.wall.Seconds() / r.full.wall.Seconds()
	line("small verify (full build)", "%s  peak %d MB", secs(r.verifyFull.wall), mb(r.verifyFull.maxRSS))
	line("ratio verify / full build", "%.2f  (goal <= %.2f)  %s", rv, goalVerifyFull, goal(rv <= goalVerifyFull))
	each := r.verifyMore.wall.Seconds() / verifiedBuilds
	line(fmt.Sprintf("small verify --since (%d)", verifiedBuilds), "%s  peak %d MB  (%d one-manifest builds after the full one)", secs(r.verifyMore.wall), mb(r.verifyMore.maxRSS), verifiedBuilds)
	line("verify per further build", "%.3fs  (goal <= %.1fs)  %s", each, goalVerifyEach, goal(each <= goalVerifyEach))
	rc := r.check.wall.Seconds() / r.validate.wall.Seconds()
	line("small check (10 changed)", "%s  peak %d MB  (plan included)", secs(r.check.wall), mb(r.check.maxRSS))
	line("ratio check / validate", "%.2f  (goal <= %.2f)  %s", rc, goalCheck, goal(rc <= goalCheck))
	line("small build (#refs, full)", "%s  peak %d MB  (Article pages show their authors: %d pages created)", secs(r.refsFull.wall), mb(r.refsFull.maxRSS), r.refsPages)
	line("small build (one author)", "%s  peak %d MB  (1 author + %d articles naming her: exactly %d updated)", secs(r.oneAuthor.wall), mb(r.oneAuthor.maxRSS), r.authorArts, 1+r.authorArts)
	goalAuthor := (goalIncremental + float64(r.authorArts+1)/float64(b.c.N)) * r.full.wall.Seconds()
	ra := r.oneAuthor.wall.Seconds()
	line("one author vs full build", "%.3fs  (goal <= %.2f x full + its share %d/%d: %.3fs)  %s", ra, goalIncremental, r.authorArts+1, b.c.N, goalAuthor, goal(ra <= goalAuthor))
	peak := mb(max(r.full.maxRSS, r.incr.maxRSS))
	line("build peak memory", "%d MB (goal <= %d MB) %s", peak, goalBuildMemMB, goal(peak <= goalBuildMemMB))
	line("build checks", "git fsck --strict clean; the build commit has the %d Small-* trailers; fast-import made the same tree", len(trailers))
	if r.profile != "" {
		line("build profile", "%s (go tool pprof -top -cum %s %s)", r.profile, b.small, r.profile)
	}
	for _, n := range r.notes {
		fmt.Fprintf(w, "note: %s\n", n)
	}
}

// loadAvg is the system's load average, 1, 5 and 15 minutes, where known.
func loadAvg() string {
	data, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(data))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}

// pagesSchema is what #Article gains (in article.cue, after pagesAfter):
// a page that shows its author's and co-authors' names, read from the
// Author manifests (#refs).
const pagesSchema = `
	id: _#ID // declared here, so small supplies it to #outputs
	#refs: author: {name: string, ...}
	#refs: coAuthors?: [...{name: string, ...}]
	_co: *[] | [...string]
	if #refs.coAuthors != _|_ {
		_co: [for a in #refs.coAuthors {a.name}]
	}
	#outputs: "pages/\(id).html": "<h1>\(title)</h1><p>by \(strings.Join(list.Concat([[#refs.author.name], _co]), ", "))</p>\n"
`

const pagesAfter = "\tsponsored:     *false | bool\n"

// measureOneAuthor gives the corpus's articles pages that read their
// authors (a full build, timed), then renames one author per run and
// builds: exactly that author and the articles that name her are
// rebuilt.
func (b *bench) measureOneAuthor(built string, rep *buildReport) error {
	logf("build: Article pages read their authors (#refs): a full build, then one-author changes (best of %d)", b.runs)
	art := filepath.Join(built, "schemas", "article.cue")
	src, err := os.ReadFile(art)
	if err != nil {
		return err
	}
	if !bytes.Contains(src, []byte(pagesAfter)) {
		return fmt.Errorf("%s: no line %q to add the pages after", art, pagesAfter)
	}
	if err := os.WriteFile(art, bytes.Replace(src, []byte(pagesAfter), []byte(pagesAfter+pagesSchema), 1), 0o644); err != nil {
		return err
	}
	if _, err := git(built, nil, "commit", "-q", "-a", "-m", "Article pages show their authors"); err != nil {
		return err
	}
	articles := b.c.Files["Article"]
	o, err := runProc(built, nil, nil, b.small, "build")
	if err != nil {
		return err
	}
	// (Declaring id in #Article reorders the fields CUE exports for the
	// manifests that state their id: their documents are updated too.)
	want := fmt.Sprintf(": %d created, [0-9]+ updated, 0 retracted \\(%d of %d manifests evaluated\\)", len(articles), b.c.N, b.c.N)
	if o.exit != 0 || !regexp.MustCompile(want).Match(o.stdout) {
		return fmt.Errorf("small build with #refs: exit %d, expected 0 and %q:\n%s%s", o.exit, want, head10(o.stdout), head10(o.stderr))
	}
	rep.refsFull.add(0, o)
	rep.refsPages = len(articles)

	// The author: the first whose id some articles name, counted from the
	// files (an author id appears nowhere else in an article).
	texts := map[string]string{}
	for _, f := range articles {
		data, err := os.ReadFile(filepath.Join(built, filepath.FromSlash(f)))
		if err != nil {
			return err
		}
		texts[f] = string(data)
	}
	var author string
	var naming int
	for _, f := range b.c.Files["Author"] {
		id := strings.TrimSuffix(filepath.Base(f), filepath.Ext(f))
		n := 0
		for _, t := range texts {
			if strings.Contains(t, id) {
				n++
			}
		}
		if n >= 2 {
			author, naming = f, n
			break
		}
	}
	if author == "" {
		return fmt.Errorf("no author named by two articles in the corpus")
	}
	rep.authorArts = naming
	one := fmt.Sprintf("0 created, %d updated, 0 retracted (%d of %d manifests evaluated)", 1+naming, 1+naming, b.c.N)
	re := regexp.MustCompile(`(?m)^(\s*"?name"?:\s*"?)([^"\n]+)`)
	for r := range b.runs {
		p := filepath.Join(built, filepath.FromSlash(author))
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		changed := re.ReplaceAllString(string(data), fmt.Sprintf("${1}Renamed%d ${2}", r))
		if changed == string(data) {
			return fmt.Errorf("%s: no name field to change", author)
		}
		if err := os.WriteFile(p, []byte(changed), 0o644); err != nil {
			return err
		}
		if _, err := git(built, nil, "commit", "-q", "-a", "-m", "Rename "+author); err != nil {
			return err
		}
		o, err := runProc(built, nil, nil, b.small, "build")
		if err != nil {
			return err
		}
		if o.exit != 0 || !bytes.Contains(o.stdout, []byte(one)) {
			return fmt.Errorf("small build after renaming %s (named by %d articles): exit %d, expected 0 and %q:\n%s%s", author, naming, o.exit, one, head10(o.stdout), head10(o.stderr))
		}
		rep.oneAuthor.add(r, o)
	}
	return nil
}
