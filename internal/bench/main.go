// Command bench times `small validate` against `cue vet` on a generated Git
// repository of manifests, and checks that both reject the same files; then
// it times `small build` on the same corpus against its irreducible parts
// (validating the manifests, and git fast-import of the same artifact
// bytes), and a one-manifest build against a full one (see build.go); then
// it makes a history of builds and times `small lineage` of one artifact
// against git log and git notes asked by hand (see lineage.go).
//
//	go run ./internal/bench -small bin/small -cue .tools/bin/cue [-n 10000] [-runs 3] [-keep] [-dir DIR]
//	    [-skip-build | -only-build] [-build-profile FILE]
//	    [-skip-lineage | -only-lineage] [-builds 1000] [-lineage-profile FILE]
//	    [-skip-serve | -only-serve] [-requests 10000] [-clients 16]
//	    [-skip-frontmatter | -only-frontmatter]
//
// -skip-build leaves out the build section; -only-build runs only it (no
// cue vet, no -cue needed); -build-profile FILE adds one untimed full build
// with SMALL_CPUPROFILE=FILE, for go tool pprof.
//
// -builds N is how many builds the lineage section makes (at least 3);
// -skip-lineage leaves it out, -only-lineage runs only it (no cue vet, no
// -cue needed); -lineage-profile FILE adds one untimed small lineage of each
// artifact asked about, with SMALL_CPUPROFILE=FILE-<case>. With -keep or
// -dir, the lineage repository is kept too.
//
// The front-matter section (frontmatter.go) validates 2,000 Markdown
// entries with front matter and an image each, under files rules, against
// the same content as YAML manifests; -only-frontmatter runs only it.
//
// The serve section (serve.go) starts small serve on the corpus and sends
// -requests manifests to POST /v1/validate from -clients concurrent
// clients on loopback: errors, requests per second, p50/p99 latency and
// the server's resident memory over the run. -skip-serve leaves it out,
// -only-serve runs only it (no cue vet, no -cue needed). Errors there
// end the run with exit status 2.
//
// The corpus is deterministic (a fixed seed), so runs are comparable. Each
// timing is the best of -runs (of 5 in the lineage section), wall clock. Goals missed are reported as
// MISSED but do not fail the run (machines are noisy); the exit status is 1
// when small and cue vet disagree about which files are invalid, 2 on errors,
// a build that does not do what it should (all manifests on a full build,
// one after a one-manifest change), a failed git fsck --strict, missing
// Small-* trailers, and a small lineage that names another build than git
// included.
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"
)

const seed = 20260101

// Goals: small's time as a share of cue vet's, and its peak memory.
const (
	goalSingle = 0.40
	goalXargs  = 0.80
	goalMemMB  = 300
)

// sampleValid is how many files small finds valid that cue vet checks one
// by one as well.
const sampleValid = 200

var progress io.Writer = os.Stderr

func logf(format string, args ...any) { fmt.Fprintf(progress, "bench: "+format+"\n", args...) }

func main() {
	smallBin := flag.String("small", "bin/small", "the small binary")
	cueBin := flag.String("cue", ".tools/bin/cue", "the cue binary")
	n := flag.Int("n", 10000, "how many manifests to generate")
	runs := flag.Int("runs", 3, "runs per timing; the best one counts")
	keep := flag.Bool("keep", false, "keep the corpus directory and print where it is")
	dir := flag.String("dir", "", "generate the corpus in `DIR`, or reuse the one already there (kept)")
	var s sections
	flag.BoolVar(&s.skipBuild, "skip-build", false, "leave out the small build section")
	flag.BoolVar(&s.onlyBuild, "only-build", false, "run only the small build section (no cue vet)")
	flag.StringVar(&s.profile, "build-profile", "", "write a CPU profile of one more, untimed, full build to `FILE`")
	flag.BoolVar(&s.skipLineage, "skip-lineage", false, "leave out the small lineage section")
	flag.BoolVar(&s.onlyLineage, "only-lineage", false, "run only the small lineage section (no cue vet)")
	flag.IntVar(&s.builds, "builds", 1000, "how many builds the lineage section makes")
	flag.StringVar(&s.lineageProfile, "lineage-profile", "", "write CPU profiles of one more, untimed, small lineage of each artifact to `FILE`-<case>")
	flag.BoolVar(&s.skipServe, "skip-serve", false, "leave out the small serve section")
	flag.BoolVar(&s.onlyServe, "only-serve", false, "run only the small serve section (no cue vet)")
	flag.IntVar(&s.requests, "requests", 10000, "how many requests the serve section sends")
	flag.IntVar(&s.clients, "clients", 16, "how many concurrent clients send them")
	flag.BoolVar(&s.skipFrontMatter, "skip-frontmatter", false, "leave out the front-matter section")
	flag.BoolVar(&s.onlyFrontMatter, "only-frontmatter", false, "run only the front-matter section (no corpus, no cue vet)")
	flag.Parse()
	if flag.NArg() > 0 || *n < 1 || *runs < 1 || s.builds < 3 ||
		s.skipBuild && (s.onlyBuild || s.profile != "") ||
		s.skipLineage && (s.onlyLineage || s.lineageProfile != "") ||
		s.onlyBuild && (s.onlyLineage || s.lineageProfile != "") ||
		s.onlyLineage && s.profile != "" ||
		s.skipServe && s.onlyServe || s.onlyServe && (s.onlyBuild || s.onlyLineage) || s.requests < 1 || s.clients < 1 ||
		s.onlyFrontMatter && (s.skipFrontMatter || s.onlyOne()) {
		flag.Usage()
		os.Exit(2)
	}
	s.skipLineage = s.skipLineage || s.onlyBuild || s.onlyServe
	s.skipBuild = s.skipBuild || s.onlyLineage || s.onlyServe
	s.skipServe = s.skipServe || s.onlyBuild || s.onlyLineage
	s.keep = *keep || *dir != ""
	code, err := run(*smallBin, *cueBin, *n, *runs, *keep, *dir, s)
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(2)
	}
	os.Exit(code)
}

// sections says which parts of the benchmark run.
type sections struct {
	skipBuild, onlyBuild     bool
	profile                  string
	skipLineage, onlyLineage bool
	builds                   int
	lineageProfile           string
	keep                     bool // keep the lineage repository
	skipServe, onlyServe     bool
	requests, clients        int
	skipFrontMatter          bool
	onlyFrontMatter          bool
}

// onlyOne says the validate section does not run.
func (s sections) onlyOne() bool { return s.onlyBuild || s.onlyLineage || s.onlyServe }

func run(smallBin, cueBin string, n, runs int, keep bool, dir string, s sections) (int, error) {
	load := loadAvg()
	var err error
	if smallBin, err = executable(smallBin); err != nil {
		return 0, err
	}
	if !s.onlyOne() {
		if cueBin, err = executable(cueBin); err != nil {
			return 0, err
		}
	}
	if s.profile != "" {
		if s.profile, err = filepath.Abs(s.profile); err != nil {
			return 0, err
		}
	}
	if s.lineageProfile != "" {
		if s.lineageProfile, err = filepath.Abs(s.lineageProfile); err != nil {
			return 0, err
		}
	}
	if dir == "" {
		if dir, err = os.MkdirTemp("", "small-bench-"); err != nil {
			return 0, err
		}
		if !keep {
			defer os.RemoveAll(dir)
		}
	} else {
		keep = true
		if dir, err = filepath.Abs(dir); err != nil {
			return 0, err
		}
	}

	if s.onlyFrontMatter {
		b := &bench{small: smallBin, runs: runs, cores: runtime.NumCPU()}
		frep, err := b.measureFrontMatter(dir)
		if err != nil {
			return 0, err
		}
		frep.print(os.Stdout, b)
		fmt.Printf("load average (1, 5, 15 min): %s at the start, %s at the end\n", load, loadAvg())
		return 0, nil
	}

	start := time.Now()
	c, reused, err := openCorpus(dir, n, seed)
	if err != nil {
		return 0, err
	}
	if reused {
		logf("reusing the corpus in %s", dir)
	} else {
		logf("generated and committed %d manifests in %s (%s)", n, dir, since(start))
	}
	b := &bench{c: c, small: smallBin, cue: cueBin, runs: runs, cores: runtime.NumCPU()}
	if b.schemas, err = filepath.Glob(filepath.Join(dir, "schemas", "*.cue")); err != nil {
		return 0, err
	}
	for i, s := range b.schemas {
		b.schemas[i], _ = filepath.Rel(dir, s)
	}
	rep := &report{}
	if !s.onlyOne() {
		if err := b.preflight(); err != nil {
			return 0, err
		}
		if rep, err = b.measure(); err != nil {
			return 0, err
		}
	}
	var brep *buildReport
	if !s.skipBuild {
		if brep, err = b.measureBuild(s.profile); err != nil {
			return 0, err
		}
	}
	var lrep *lineageReport
	if !s.skipLineage {
		if lrep, err = b.measureLineage(s.builds, s.lineageProfile, s.keep); err != nil {
			return 0, err
		}
	}
	var srep *serveReport
	if !s.skipServe {
		if srep, err = b.measureServe(s.requests, s.clients); err != nil {
			return 0, err
		}
	}
	var frep *frontMatterReport
	if !s.skipFrontMatter && !s.onlyOne() {
		if frep, err = b.measureFrontMatter(dir); err != nil {
			return 0, err
		}
	}
	if s.onlyOne() {
		fmt.Printf("corpus: %d manifests (%d kinds, %d invalid), %d cores\n", b.c.N, len(b.c.Files), len(b.c.Invalid), b.cores)
	} else {
		rep.print(os.Stdout, b)
	}
	if brep != nil {
		brep.print(os.Stdout, b)
	}
	if lrep != nil {
		lrep.print(os.Stdout, b)
	}
	if srep != nil {
		srep.print(os.Stdout, b)
	}
	if frep != nil {
		frep.print(os.Stdout, b)
	}
	fmt.Printf("load average (1, 5, 15 min): %s at the start, %s at the end\n", load, loadAvg())
	if keep {
		fmt.Printf("corpus kept in %s\n", dir)
	}
	if len(rep.disagree) > 0 {
		return 1, nil
	}
	if srep != nil && srep.errors > 0 {
		return 2, nil
	}
	return 0, nil
}

func executable(p string) (string, error) {
	if !strings.Contains(p, string(filepath.Separator)) {
		if lp, err := exec.LookPath(p); err == nil {
			p = lp
		}
	}
	abs, err := filepath.Abs(p)
	if err != nil {
		return "", err
	}
	if fi, err := os.Stat(abs); err != nil || fi.IsDir() || fi.Mode()&0o111 == 0 {
		return "", fmt.Errorf("%s: not an executable (run make build tools)", p)
	}
	return abs, nil
}

func since(t time.Time) time.Duration { return time.Since(t).Round(time.Millisecond) }

type bench struct {
	c       *corpus
	small   string
	cue     string
	schemas []string // schemas/*.cue, repository-relative
	runs    int
	cores   int
}

// outcome is one process run.
type outcome struct {
	wall   time.Duration
	maxRSS int64 // KiB
	exit   int
	stdout []byte
	stderr []byte
}

// exec runs a program in the corpus directory and times it. A non-zero exit
// is an outcome, not an error; failing to start is an error.
func (b *bench) exec(name string, args ...string) (outcome, error) {
	return runProc(b.c.dir, nil, nil, name, args...)
}

// runProc runs a program in dir, with env added to the environment and
// stdin as its input, and times it. A non-zero exit is an outcome, not an
// error; failing to start is an error.
func runProc(dir string, env []string, stdin io.Reader, name string, args ...string) (outcome, error) {
	cmd := exec.Command(name, args...)
	cmd.Dir, cmd.Stdin = dir, stdin
	if env != nil {
		cmd.Env = append(os.Environ(), env...)
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err := cmd.Run()
	o := outcome{wall: time.Since(start), stdout: stdout.Bytes(), stderr: stderr.Bytes()}
	if cmd.ProcessState == nil {
		return o, fmt.Errorf("%s: %v", name, err)
	}
	o.exit = cmd.ProcessState.ExitCode()
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		o.maxRSS = int64(ru.Maxrss)
	}
	return o, nil
}

// cueVetArgs is how a user checks files of one kind with cue vet: -c so
// that an incomplete value (a required field missing) is an error, as in
// small; -d to check each data file against the kind's definition.
func (b *bench) cueVetArgs(kind string, files ...string) []string {
	args := []string{"vet", "-c", "-d", "#" + kind}
	args = append(args, b.schemas...)
	return append(args, files...)
}

// preflight checks that cue vet takes -c with -d and data files, and that
// -c makes a missing required field an error, on a valid and a broken copy
// of a manifest of each kind.
func (b *bench) preflight() error {
	tmp, err := os.MkdirTemp(b.c.dir, ".preflight-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	required := map[string]string{"Article": "body", "Author": "email", "Product": "name", "Event": "description"}
	for _, kind := range b.c.kinds() {
		var valid string
		for _, f := range b.c.Files[kind] {
			if _, bad := b.c.Invalid[f]; !bad && strings.HasSuffix(f, ".yaml") {
				valid = f
				break
			}
		}
		if valid == "" {
			continue
		}
		o, err := b.exec(b.cue, b.cueVetArgs(kind, valid)...)
		if err != nil {
			return err
		}
		if o.exit != 0 {
			return fmt.Errorf("preflight: cue %s: exit %d, expected 0:\n%s", strings.Join(b.cueVetArgs(kind, valid), " "), o.exit, o.stderr)
		}
		data, err := os.ReadFile(filepath.Join(b.c.dir, valid))
		if err != nil {
			return err
		}
		// Drop the field's line and its block's more indented lines.
		var kept []string
		skipping := false
		for _, line := range strings.SplitAfter(string(data), "\n") {
			switch {
			case strings.HasPrefix(line, required[kind]+":"):
				skipping = true
			case skipping && (strings.HasPrefix(line, " ") || strings.TrimSpace(line) == ""):
			default:
				skipping = false
				kept = append(kept, line)
			}
		}
		broken, _ := filepath.Rel(b.c.dir, filepath.Join(tmp, filepath.Base(valid)))
		if err := os.WriteFile(filepath.Join(b.c.dir, broken), []byte(strings.Join(kept, "")), 0o644); err != nil {
			return err
		}
		if o, err = b.exec(b.cue, b.cueVetArgs(kind, broken)...); err != nil {
			return err
		}
		if o.exit != 1 || !bytes.Contains(o.stderr, []byte(required[kind])) {
			return fmt.Errorf("preflight: cue vet -c -d '#%s' accepted a manifest without %s (exit %d):\n%s", kind, required[kind], o.exit, o.stderr)
		}
	}
	return nil
}

// report is what a run found.
type report struct {
	smallWT, smallRev     timing
	smallNoRefs           timing // small validate on the schemas without their @ref attributes
	cueSingle, cueXargs   time.Duration
	batch                 map[string]int
	smallInvalid          []string // files small finds invalid, sorted
	checkedFiles, sampled int
	timedFiles            int
	disagree              []disagreement
	notes                 []string
}

type timing struct {
	wall   time.Duration
	maxRSS int64 // KiB, the most of any run
}

type disagreement struct {
	file, what, small, cue string
}

func (b *bench) measure() (*report, error) {
	rep := &report{batch: map[string]int{}}

	// small validate, on the working tree and on HEAD, with its verdicts.
	var err error
	logf("timing small validate (best of %d)", b.runs)
	if rep.smallWT, err = b.timeSmall(); err != nil {
		return nil, err
	}
	logf("timing small validate --rev HEAD (best of %d)", b.runs)
	if rep.smallRev, err = b.timeSmall("--rev", "HEAD"); err != nil {
		return nil, err
	}
	logf("timing small validate without @ref (best of %d)", b.runs)
	if rep.smallNoRefs, err = b.timeWithoutRefs(); err != nil {
		return nil, err
	}
	wt, err := b.smallVerdicts()
	if err != nil {
		return nil, err
	}
	rev, err := b.smallVerdicts("--rev", "HEAD")
	if err != nil {
		return nil, err
	}
	if !slices.Equal(wt, rev) {
		rep.notes = append(rep.notes, fmt.Sprintf("small validate and small validate --rev HEAD disagree: %d and %d invalid files", len(wt), len(rev)))
	}
	rep.smallInvalid = wt
	smallBad := map[string]bool{}
	byKind := map[string]int{}
	for _, f := range wt {
		smallBad[f] = true
		byKind[b.c.kindOfFile(f)]++
	}

	// cue vet over all the files, untimed, as a user would run it: once per
	// kind, and with xargs. It must fail for a kind iff small finds an
	// invalid file of that kind. cue vet stops at the first invalid file (in
	// path order) and names only that one, leaving the rest unchecked, so
	// these runs give verdicts, not timings.
	logf("cue vet over all files, for its verdicts")
	named := map[string]bool{}
	for _, kind := range b.c.kinds() {
		o, err := b.exec(b.cue, b.cueVetArgs(kind, b.c.Files[kind]...)...)
		if err != nil {
			return nil, err
		}
		if o.exit != 0 && o.exit != 1 {
			return nil, fmt.Errorf("cue vet -d '#%s': exit %d:\n%s", kind, o.exit, head10(o.stderr))
		}
		if failed := o.exit == 1; failed != (byKind[kind] > 0) {
			rep.disagree = append(rep.disagree, disagreement{file: "(all " + kind + " files)",
				what: fmt.Sprintf("cue vet over all %d files exits %d; small finds %d invalid", len(b.c.Files[kind]), o.exit, byKind[kind]),
				cue:  head10(o.stderr)})
		}
		for _, f := range filesNamed(o.stderr) {
			named[f] = true
		}
		script := b.xargsScript(kind, len(b.c.Files[kind]),
			fmt.Sprintf(`find manifests/%s -type f \( -name '*.yaml' -o -name '*.json' \) | `, kindDirs[kind]))
		if o, err = b.exec("sh", "-c", script); err != nil {
			return nil, err
		}
		// xargs exits 123 when an invocation exits 1 to 125.
		if o.exit != 0 && o.exit != 123 {
			return nil, fmt.Errorf("sh -c %s: exit %d:\n%s", script, o.exit, head10(o.stderr))
		}
		if failed := o.exit == 123; failed != (byKind[kind] > 0) {
			rep.disagree = append(rep.disagree, disagreement{file: "(all " + kind + " files, xargs)",
				what: fmt.Sprintf("xargs cue vet exits %d; small finds %d invalid", o.exit, byKind[kind]),
				cue:  head10(o.stderr)})
		}
		for _, f := range filesNamed(o.stderr) {
			named[f] = true
		}
	}

	// The timed runs check the files small accepts, so that cue vet does
	// all its work: one invocation per kind, then the same files in batches
	// spread over every core with xargs.
	valid := map[string][]string{}
	for _, kind := range b.c.kinds() {
		for _, f := range b.c.Files[kind] {
			if !smallBad[f] {
				valid[kind] = append(valid[kind], f)
				rep.timedFiles++
			}
		}
		list := filepath.Join(".git", "bench-"+kindDirs[kind]+".list")
		if err := os.WriteFile(filepath.Join(b.c.dir, list), []byte(strings.Join(valid[kind], "\n")+"\n"), 0o644); err != nil {
			return nil, err
		}
	}
	logf("timing cue vet, one run per kind (best of %d)", b.runs)
	for r := range b.runs {
		var total time.Duration
		for _, kind := range b.c.kinds() {
			o, err := b.exec(b.cue, b.cueVetArgs(kind, valid[kind]...)...)
			if err != nil {
				return nil, err
			}
			total += o.wall
			if o.exit != 0 {
				if r > 0 {
					continue
				}
				if o.exit != 1 {
					return nil, fmt.Errorf("cue vet -d '#%s': exit %d:\n%s", kind, o.exit, head10(o.stderr))
				}
				rep.disagree = append(rep.disagree, disagreement{file: "(" + kind + " files small accepts)",
					what: fmt.Sprintf("cue vet over the %d files small accepts exits %d", len(valid[kind]), o.exit),
					cue:  head10(o.stderr)})
				for _, f := range filesNamed(o.stderr) {
					named[f] = true
				}
			}
		}
		if r == 0 || total < rep.cueSingle {
			rep.cueSingle = total
		}
	}
	logf("timing cue vet with xargs -P%d (best of %d)", b.cores, b.runs)
	for r := range b.runs {
		var total time.Duration
		for _, kind := range b.c.kinds() {
			script := b.xargsScript(kind, len(valid[kind]), "") + " < .git/bench-" + kindDirs[kind] + ".list"
			rep.batch[kind] = batchSize(len(valid[kind]), b.cores)
			o, err := b.exec("sh", "-c", script)
			if err != nil {
				return nil, err
			}
			total += o.wall
			if o.exit != 0 && r == 0 {
				if o.exit != 123 {
					return nil, fmt.Errorf("sh -c %s: exit %d:\n%s", script, o.exit, head10(o.stderr))
				}
				rep.disagree = append(rep.disagree, disagreement{file: "(" + kind + " files small accepts, xargs)",
					what: fmt.Sprintf("xargs cue vet exits %d", o.exit), cue: head10(o.stderr)})
				for _, f := range filesNamed(o.stderr) {
					named[f] = true
				}
			}
		}
		if r == 0 || total < rep.cueXargs {
			rep.cueXargs = total
		}
	}

	// Per-file verdicts: every file small rejects, every file the generator
	// broke, every file cue vet's output names, and a sample of the rest.
	check := map[string]bool{}
	for _, f := range wt {
		check[f] = true
	}
	for f := range b.c.Invalid {
		check[f] = true
	}
	for f := range named {
		check[f] = true
	}
	var rest []string
	for _, kind := range b.c.kinds() {
		for _, f := range b.c.Files[kind] {
			if !check[f] {
				rest = append(rest, f)
			}
		}
	}
	r := rand.New(rand.NewPCG(seed, 1<<40))
	r.Shuffle(len(rest), func(i, j int) { rest[i], rest[j] = rest[j], rest[i] })
	rep.sampled = min(sampleValid, len(rest))
	for _, f := range rest[:rep.sampled] {
		check[f] = true
	}
	files := make([]string, 0, len(check))
	for f := range check {
		files = append(files, f)
	}
	slices.Sort(files)
	rep.checkedFiles = len(files)
	logf("checking %d files one by one with cue vet", len(files))
	verdicts, err := b.cueEach(files)
	if err != nil {
		return nil, err
	}
	for _, f := range files {
		v := verdicts[f]
		if v.invalid != smallBad[f] {
			d := disagreement{file: f, cue: v.out}
			if v.invalid {
				d.what = "cue vet rejects it, small accepts it"
			} else {
				d.what = "small rejects it, cue vet accepts it"
				d.small = strings.Join(b.smallDiags(f), "\n")
			}
			rep.disagree = append(rep.disagree, d)
		}
	}

	// The generator's intent, for the record: a mismatch there with both
	// tools agreeing is a bug in the generator, not in small.
	var missed, extra []string
	for f, how := range b.c.Invalid {
		if !smallBad[f] {
			missed = append(missed, f+" ("+how+")")
		}
	}
	for _, f := range wt {
		if _, ok := b.c.Invalid[f]; !ok {
			extra = append(extra, f)
		}
	}
	slices.Sort(missed)
	if len(missed) > 0 {
		rep.notes = append(rep.notes, fmt.Sprintf("files broken on purpose that small accepts (%d): %s", len(missed), strings.Join(first(missed, 10), ", ")))
	}
	if len(extra) > 0 {
		rep.notes = append(rep.notes, fmt.Sprintf("files small rejects that were not broken on purpose (%d): %s", len(extra), strings.Join(first(extra, 10), ", ")))
	}
	return rep, nil
}

// batchSize gives each core about four batches.
func batchSize(files, cores int) int { return max(1, (files+4*cores-1)/(4*cores)) }

// xargsScript is the shell command that checks files of a kind, their names
// on its standard input, in batches on every core.
func (b *bench) xargsScript(kind string, files int, input string) string {
	return fmt.Sprintf(`%sxargs -P%d -n%d %s vet -c -d '#%s' schemas/*.cue`,
		input, b.cores, batchSize(files, b.cores), shellQuote(b.cue), kind)
}

// refAttr is a @ref attribute of the bench's schemas.
var refAttr = regexp.MustCompile(` @ref\([A-Za-z]+\)`)

// goalRefs is the most resolving the references may add to small
// validate's time (issue 13: at most 15%).
const goalRefs = 1.15

// timeWithoutRefs times small validate on the working tree with the
// schemas' @ref attributes taken out (nothing else changes), then puts the
// schemas back: the cost of resolving the corpus's references is the
// difference with timeSmall.
func (b *bench) timeWithoutRefs() (timing, error) {
	var changed []string
	restore := func() {
		for _, name := range changed {
			for _, f := range schemaFiles {
				if f.name == name {
					_ = os.WriteFile(filepath.Join(b.c.dir, "schemas", name), []byte(f.src), 0o644)
				}
			}
		}
	}
	defer restore()
	for _, f := range schemaFiles {
		if !refAttr.MatchString(f.src) {
			continue
		}
		changed = append(changed, f.name)
		if err := os.WriteFile(filepath.Join(b.c.dir, "schemas", f.name), []byte(refAttr.ReplaceAllString(f.src, "")), 0o644); err != nil {
			return timing{}, err
		}
	}
	if len(changed) == 0 {
		return timing{}, fmt.Errorf("the bench's schemas have no @ref attribute")
	}
	return b.timeSmall()
}

// timeSmall runs small validate runs times and keeps the fastest run and
// the largest peak memory.
func (b *bench) timeSmall(extra ...string) (timing, error) {
	var t timing
	args := append([]string{"validate"}, extra...)
	for r := range b.runs {
		o, err := b.exec(b.small, args...)
		if err != nil {
			return t, err
		}
		if o.exit != 0 && o.exit != 1 {
			return t, fmt.Errorf("small %s: exit %d:\n%s%s", strings.Join(args, " "), o.exit, head10(o.stdout), head10(o.stderr))
		}
		if r == 0 || o.wall < t.wall {
			t.wall = o.wall
		}
		t.maxRSS = max(t.maxRSS, o.maxRSS)
	}
	return t, nil
}

type smallJSON struct {
	Protocol    string `json:"protocol"`
	Manifests   int    `json:"manifests"`
	Invalid     int    `json:"invalid"`
	Stopped     string `json:"stopped"`
	Diagnostics []struct {
		File     string `json:"file"`
		Line     int    `json:"line"`
		Column   int    `json:"column"`
		Path     string `json:"path"`
		Code     string `json:"code"`
		Message  string `json:"message"`
		Severity string `json:"severity"`
	} `json:"diagnostics"`
}

// smallVerdicts returns the files small validate --format json finds invalid.
func (b *bench) smallVerdicts(extra ...string) ([]string, error) {
	rep, err := b.smallReport(extra...)
	if err != nil {
		return nil, err
	}
	if rep.Manifests != b.c.N {
		return nil, fmt.Errorf("small validate %s: %d manifests, expected %d", strings.Join(extra, " "), rep.Manifests, b.c.N)
	}
	if rep.Stopped != "" {
		return nil, fmt.Errorf("small validate %s stopped: %s", strings.Join(extra, " "), rep.Stopped)
	}
	seen := map[string]bool{}
	var files []string
	for _, d := range rep.Diagnostics {
		if d.Severity != "warning" && !seen[d.File] {
			seen[d.File] = true
			files = append(files, d.File)
		}
	}
	slices.Sort(files)
	if len(files) != rep.Invalid {
		return nil, fmt.Errorf("small validate --format json: %d files with errors but \"invalid\": %d", len(files), rep.Invalid)
	}
	return files, nil
}

func (b *bench) smallReport(extra ...string) (*smallJSON, error) {
	args := append([]string{"validate", "--format", "json"}, extra...)
	o, err := b.exec(b.small, args...)
	if err != nil {
		return nil, err
	}
	if o.exit != 0 && o.exit != 1 {
		return nil, fmt.Errorf("small %s: exit %d:\n%s%s", strings.Join(args, " "), o.exit, head10(o.stdout), head10(o.stderr))
	}
	var rep smallJSON
	if err := json.Unmarshal(o.stdout, &rep); err != nil {
		return nil, fmt.Errorf("small %s: %v", strings.Join(args, " "), err)
	}
	if rep.Protocol != "small/v1" {
		return nil, fmt.Errorf("small %s: protocol %q, expected small/v1", strings.Join(args, " "), rep.Protocol)
	}
	return &rep, nil
}

// smallDiags is what small says about one file, as text.
func (b *bench) smallDiags(file string) []string {
	o, err := b.exec(b.small, "validate", file)
	if err != nil {
		return []string{err.Error()}
	}
	return strings.Split(strings.TrimSpace(string(o.stdout)), "\n")
}

type verdict struct {
	invalid bool
	out     string
}

// cueEach runs cue vet on each file alone, on every core.
func (b *bench) cueEach(files []string) (map[string]verdict, error) {
	out := make(map[string]verdict, len(files))
	var mu sync.Mutex
	var firstErr error
	jobs := make(chan string)
	var wg sync.WaitGroup
	for range b.cores {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for f := range jobs {
				o, err := b.exec(b.cue, b.cueVetArgs(b.c.kindOfFile(f), f)...)
				mu.Lock()
				switch {
				case err != nil:
					firstErr = cmpErr(firstErr, err)
				case o.exit != 0 && o.exit != 1:
					firstErr = cmpErr(firstErr, fmt.Errorf("cue vet %s: exit %d:\n%s", f, o.exit, o.stderr))
				default:
					out[f] = verdict{invalid: o.exit == 1, out: strings.TrimSpace(string(o.stderr))}
				}
				mu.Unlock()
			}
		}()
	}
	for _, f := range files {
		jobs <- f
	}
	close(jobs)
	wg.Wait()
	return out, firstErr
}

func cmpErr(old, err error) error {
	if old != nil {
		return old
	}
	return err
}

// filesNamed lists the manifests cue vet's output points at.
func filesNamed(out []byte) []string {
	var files []string
	seen := map[string]bool{}
	for _, f := range strings.Fields(string(out)) {
		f = strings.TrimPrefix(f, "./")
		if !strings.HasPrefix(f, "manifests/") {
			continue
		}
		if i := strings.IndexByte(f, ':'); i > 0 {
			f = f[:i]
		}
		if !seen[f] {
			seen[f] = true
			files = append(files, f)
		}
	}
	return files
}

func head10(b []byte) string {
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > 10 {
		lines = append(lines[:10], fmt.Sprintf("... (%d more lines)", len(lines)-10))
	}
	return strings.Join(lines, "\n") + "\n"
}

func first(l []string, n int) []string { return l[:min(n, len(l))] }

func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

func (r *report) print(w io.Writer, b *bench) {
	line := func(label, format string, args ...any) {
		fmt.Fprintf(w, "%-29s%s\n", label, fmt.Sprintf(format, args...))
	}
	batches := make([]string, 0, len(r.batch))
	for _, k := range b.c.kinds() {
		batches = append(batches, fmt.Sprintf("%s %d", k, r.batch[k]))
	}

	fmt.Fprintf(w, "corpus: %d manifests (%d kinds, %d invalid), %d cores\n", b.c.N, len(b.c.Files), len(b.c.Invalid), b.cores)
	fmt.Fprintf(w, "cue vet: cue vet -c -d '#Kind' schemas/*.cue FILES... (checked first: exit 0 on a valid manifest, 1 on one without a required field)\n")
	fmt.Fprintf(w, "xargs:   xargs -P%d -n<batch> cue vet -c -d '#Kind' schemas/*.cue < list (batch: %s)\n",
		b.cores, strings.Join(batches, ", "))
	fmt.Fprintf(w, "timings: best of %d, wall clock, kinds one after another; small checks all %d files, cue vet the %d small accepts\n",
		b.runs, b.c.N, r.timedFiles)
	fmt.Fprintf(w, "         (cue vet stops at the first invalid file, in path order, and names only that one, so a run\n")
	fmt.Fprintf(w, "         over all files would leave most unchecked; those runs, plain and with find | xargs, give verdicts only)\n\n")
	line("small validate", "%s  peak %d MB", secs(r.smallWT.wall), mb(r.smallWT.maxRSS))
	line("small validate --rev HEAD", "%s  peak %d MB", secs(r.smallRev.wall), mb(r.smallRev.maxRSS))
	rr := r.smallWT.wall.Seconds() / r.smallNoRefs.wall.Seconds()
	line("small validate without @ref", "%s  (resolving references: x%.2f, goal <= %.2f)  %s", secs(r.smallNoRefs.wall), rr, goalRefs, goal(rr <= goalRefs))
	line("cue vet, one run per kind", "%s", secs(r.cueSingle))
	line(fmt.Sprintf("cue vet, xargs -P%d", b.cores), "%s", secs(r.cueXargs))
	rs := r.smallWT.wall.Seconds() / r.cueSingle.Seconds()
	rx := r.smallWT.wall.Seconds() / r.cueXargs.Seconds()
	line("ratio vs cue vet single", "%.2f  (goal <= %.2f)  %s", rs, goalSingle, goal(rs <= goalSingle))
	line("ratio vs cue vet xargs", "%.2f  (goal <= %.2f)  %s", rx, goalXargs, goal(rx <= goalXargs))
	peak := mb(max(r.smallWT.maxRSS, r.smallRev.maxRSS))
	line("peak memory", "%d MB (goal <= %d MB) %s", peak, goalMemMB, goal(peak <= goalMemMB))
	if len(r.disagree) == 0 {
		line("verdicts", "identical (%d invalid; %d files checked one by one with cue vet, %d of them a sample of valid ones)",
			len(r.smallInvalid), r.checkedFiles, r.sampled)
	} else {
		line("verdicts", "DIFFER: %d disagreements (small: %d invalid); first 10:", len(r.disagree), len(r.smallInvalid))
		for i, d := range r.disagree {
			if i == 10 {
				fmt.Fprintf(w, "  ... and %d more\n", len(r.disagree)-10)
				break
			}
			fmt.Fprintf(w, "  %s: %s\n", d.file, d.what)
			if d.small != "" {
				fmt.Fprintf(w, "    small:\n%s", indent(d.small, "      "))
			}
			if d.cue != "" {
				fmt.Fprintf(w, "    cue vet:\n%s", indent(head10([]byte(d.cue)), "      "))
			}
		}
	}
	for _, n := range r.notes {
		fmt.Fprintf(w, "note: %s\n", n)
	}
}

func indent(s, pre string) string {
	var b strings.Builder
	for _, l := range strings.Split(strings.TrimRight(s, "\n"), "\n") {
		b.WriteString(pre + l + "\n")
	}
	return b.String()
}

// mb converts KiB (rusage's unit) to MB, rounded.
func mb(kib int64) int64 { return (kib + 512) / 1024 }

// secs renders a duration as seconds with two decimals.
func secs(d time.Duration) string { return fmt.Sprintf("%.2fs", d.Seconds()) }

// secs3 renders a duration as seconds with three decimals, for short ones.
func secs3(d time.Duration) string { return fmt.Sprintf("%.3fs", d.Seconds()) }

// goal says whether a goal is met.
func goal(ok bool) string {
	if ok {
		return "ok"
	}
	return "MISSED"
}
