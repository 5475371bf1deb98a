package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Goals of small lineage: its time to answer where one artifact came from,
// as a multiple of the time git needs for the same question asked by hand:
// at most goalLineage in every case, and at most goalLineageWalk where git
// must walk the history (git log -1 -- PATH of an artifact no build
// changed since the first reads every build's tree), which small answers
// from its lineage index: one shard of the tip's tree, then one note.
const (
	goalLineage     = 1.5
	goalLineageWalk = 0.3
)

// lineageRuns is how many times each lineage question is timed; the
// fastest run counts.
const lineageRuns = 5

// perBuild is how many articles each build after the first one changes.
const perBuild = 3

// The lineage section makes a history of builds and asks where artifacts
// came from, of small lineage and of git by hand, side by side.
//
//   - history: the build repository of the build section (the corpus with
//     its broken manifests put back valid), its first full build, then
//     builds-1 more manifest commits, each changing the readingMinutes of
//     3 articles (a fixed pseudo-random choice, within the schema's bounds),
//     written with one git fast-import, and a real small build --rev of
//     each, in order: small alone writes the artifact branch and its notes.
//     Every build must say what it did (all manifests created, then the 3
//     articles updated), and at the end the artifact branch must have one
//     commit per build, each with a lineage note.
//   - packs: no git gc, ever (gc.auto=0): small build writes one pack per
//     build and rolls its packs up geometrically itself; the read section
//     (reads.go) then compares the read commands in this repository with
//     the same after git gc.
//   - questions: an artifact the last build changed; one a build in the
//     middle of history changed last; an article the first build created
//     and no build changed since (the walk covers every build); and the
//     same for an author, whose directory no build after the first touched
//     (git log skips that subtree in every commit: its best case).
//   - small: small lineage PATH, text output; it must exit 0 and name the
//     build commit the history says.
//   - git by hand: git log -1 --format=%H small/artifacts -- PATH, then
//     git notes --ref=small/lineage show COMMIT; the two processes timed
//     together; the commit must be the same, and the note name PATH.
//
// -lineage-profile adds one untimed small lineage of each artifact, with a
// CPU profile.

type lineageCase struct {
	label  string
	path   string // the artifact
	build  int    // which build changed it last, 0 the first
	commit string // that build's commit
	walks  bool   // git log must walk the whole history to find it
	small  time.Duration
	git    time.Duration
}

// goal is the case's goal, as a ratio to git by hand.
func (c *lineageCase) goal() float64 {
	if c.walks {
		return goalLineageWalk
	}
	return goalLineage
}

type lineageReport struct {
	builds    int
	artifacts int
	generate  time.Duration   // the manifest commits, with git fast-import
	buildWall time.Duration   // the builds after the first, together
	slowest   time.Duration   // the slowest of them
	rolled    []time.Duration // the builds that rolled packs up
	plain     []time.Duration // the builds that did not
	mostPacks int             // the most packs the history had after a build
	packs     int             // when the questions are asked
	reads     *readsReport    // the read commands, without git gc and after
	cases     []*lineageCase
	all       time.Duration // small lineage --all of the middle case
	allN      int           // versions it printed
	profile   string
	kept      string
}

// record is what the benchmark reads of a lineage note's lines.
type record struct {
	Artifact string `json:"artifact"`
	Action   string `json:"action"`
	Manifest string `json:"manifest"`
}

var minutesLine = regexp.MustCompile(`(?m)^readingMinutes: ([0-9]+)$`)

func (b *bench) measureLineage(builds int, profile string, keep bool) (*lineageReport, error) {
	rep := &lineageReport{builds: builds, profile: profile}
	tmp, err := os.MkdirTemp("", "small-bench-lineage-")
	if err != nil {
		return nil, err
	}
	if keep {
		rep.kept = tmp
	} else {
		defer os.RemoveAll(tmp)
	}
	dir := filepath.Join(tmp, "repo")
	if _, err := b.fixedClone(dir); err != nil {
		return nil, err
	}
	base, err := git(dir, nil, "rev-parse", "HEAD")
	if err != nil {
		return nil, err
	}
	branch, err := git(dir, nil, "symbolic-ref", "HEAD")
	if err != nil {
		return nil, err
	}

	// The first build, and from its note which artifact each manifest makes.
	logf("lineage: the first build")
	full := fmt.Sprintf("%d created, 0 updated, 0 retracted (%d of %d manifests evaluated)", b.c.N, b.c.N, b.c.N)
	if _, err := b.lineageBuild(dir, base, full); err != nil {
		return nil, err
	}
	note, err := git(dir, nil, "notes", "--ref=small/lineage", "show", "refs/heads/small/artifacts")
	if err != nil {
		return nil, err
	}
	artifactOf := map[string]string{}
	for _, l := range strings.Split(note, "\n") {
		var r record
		if err := json.Unmarshal([]byte(l), &r); err != nil {
			return nil, fmt.Errorf("the first build's lineage note: %v: %q", err, l)
		}
		if r.Action != "created" {
			return nil, fmt.Errorf("the first build's lineage note: %s %s, expected created", r.Artifact, r.Action)
		}
		artifactOf[r.Manifest] = r.Artifact
	}
	rep.artifacts = len(artifactOf)
	if rep.artifacts != b.c.N {
		return nil, fmt.Errorf("the first build's lineage note has %d records, expected %d", rep.artifacts, b.c.N)
	}

	// Which articles each build changes: any YAML article but one, kept
	// for the question about an artifact no build changed since the first.
	var articles []string
	for _, f := range b.c.Files["Article"] {
		if strings.HasSuffix(f, ".yaml") {
			articles = append(articles, f)
		}
	}
	if len(articles) < perBuild+1 {
		return nil, fmt.Errorf("%d YAML articles: too few to change %d per build", len(articles), perBuild)
	}
	untouched := articles[len(articles)/2]
	pool := slices.Delete(slices.Clone(articles), len(articles)/2, len(articles)/2+1)
	rng := rand.New(rand.NewPCG(seed, 3))
	plan := make([][]string, builds) // plan[0], the first build, changes nothing
	last := map[string]int{}         // manifest -> the last build that changes it
	for i := 1; i < builds; i++ {
		for _, j := range rng.Perm(len(pool))[:perBuild] {
			plan[i] = append(plan[i], pool[j])
			last[pool[j]] = i
		}
		slices.Sort(plan[i])
	}

	// The manifest commits, with git fast-import.
	logf("lineage: %d manifest commits, %d articles changed in each, with git fast-import", builds-1, perBuild)
	start := time.Now()
	stream, err := lineageStream(dir, branch, base, plan)
	if err != nil {
		return nil, err
	}
	if _, err := runOK(dir, gitEnv(), bytes.NewReader(stream), "git", "fast-import", "--quiet"); err != nil {
		return nil, err
	}
	commits, err := git(dir, nil, "rev-list", "--reverse", "--first-parent", base+".."+branch)
	if err != nil {
		return nil, err
	}
	manifestCommits := strings.Fields(commits)
	if len(manifestCommits) != builds-1 {
		return nil, fmt.Errorf("git fast-import made %d commits, expected %d", len(manifestCommits), builds-1)
	}
	if _, err := git(dir, nil, "reset", "-q", "--hard"); err != nil {
		return nil, err
	}
	rep.generate = time.Since(start)

	// No git gc: not the one git commit may start, not any.
	if _, err := git(dir, nil, "config", "gc.auto", "0"); err != nil {
		return nil, err
	}

	// A real small build of each manifest commit, in order.
	logf("lineage: %d more builds, one per manifest commit, no git gc", builds-1)
	one := fmt.Sprintf("0 created, %d updated, 0 retracted (%d of %d manifests evaluated)", perBuild, perBuild, b.c.N)
	start = time.Now()
	for i, c := range manifestCommits {
		before, err := packFiles(dir)
		if err != nil {
			return nil, err
		}
		d, err := b.lineageBuild(dir, c, one, artifactsOf(plan[i+1], artifactOf)...)
		if err != nil {
			return nil, fmt.Errorf("build %d of %d: %v", i+2, builds, err)
		}
		rep.buildWall += d
		rep.slowest = max(rep.slowest, d)
		// A build adds one pack; fewer than that, it rolled packs up.
		after, err := packFiles(dir)
		if err != nil {
			return nil, err
		}
		if after <= before {
			rep.rolled = append(rep.rolled, d)
		} else {
			rep.plain = append(rep.plain, d)
		}
		rep.mostPacks = max(rep.mostPacks, after)
		if n := i + 2; n%100 == 0 || n == builds {
			logf("lineage: %d of %d builds (%s, %d packs)", n, builds, since(start), after)
		}
	}

	// One build commit per build, each with a lineage note.
	list, err := git(dir, nil, "rev-list", "--reverse", "--first-parent", "refs/heads/small/artifacts")
	if err != nil {
		return nil, err
	}
	buildCommits := strings.Fields(list)
	if len(buildCommits) != builds {
		return nil, fmt.Errorf("small/artifacts has %d commits, expected %d", len(buildCommits), builds)
	}
	notes, err := git(dir, nil, "notes", "--ref=small/lineage", "list")
	if err != nil {
		return nil, err
	}
	annotated := map[string]bool{}
	for _, l := range strings.Split(notes, "\n") {
		if f := strings.Fields(l); len(f) == 2 {
			annotated[f[1]] = true
		}
	}
	if len(annotated) != builds {
		return nil, fmt.Errorf("refs/notes/small/lineage has %d notes, expected %d", len(annotated), builds)
	}
	for i, c := range buildCommits {
		if !annotated[c] {
			return nil, fmt.Errorf("build %d (%s) has no lineage note", i+1, c)
		}
	}

	// The questions.
	mid := builds / 2
	middle := ""
	for d := 0; middle == "" && d < builds; d++ {
		for _, i := range []int{mid - d, mid + d} {
			if i < 1 || i >= builds || middle != "" {
				continue
			}
			for _, m := range plan[i] {
				if last[m] == i {
					middle, mid = m, i
					break
				}
			}
		}
	}
	if middle == "" {
		return nil, fmt.Errorf("no article changed last in the middle of history")
	}
	author := ""
	for _, f := range b.c.Files["Author"] {
		if strings.HasSuffix(f, ".yaml") {
			author = f
			break
		}
	}
	recent := plan[builds-1][0]
	cases := []*lineageCase{
		{label: "recent", path: artifactOf[recent], build: builds - 1},
		{label: "middle", path: artifactOf[middle], build: mid},
		{label: "first build", path: artifactOf[untouched], build: 0, walks: true},
	}
	if author != "" {
		cases = append(cases, &lineageCase{label: "first, author", path: artifactOf[author], build: 0, walks: true})
	}
	for _, c := range cases {
		c.commit = buildCommits[c.build]
	}

	if rep.packs, err = packCount(dir); err != nil {
		return nil, err
	}
	if err := b.askLineage(dir, rep, cases); err != nil {
		return nil, err
	}
	if rep.reads, err = b.measureReads(tmp, dir, cases); err != nil {
		return nil, err
	}
	if profile != "" {
		ext := filepath.Ext(profile)
		for _, c := range cases {
			p := strings.TrimSuffix(profile, ext) + "-" + strings.NewReplacer(" ", "-", ",", "").Replace(c.label) + ext
			logf("lineage: small lineage %s, untimed, with SMALL_CPUPROFILE=%s", c.path, p)
			o, err := runProc(dir, []string{"SMALL_CPUPROFILE=" + p}, nil, b.small, "lineage", c.path)
			if err != nil {
				return nil, err
			}
			if o.exit != 0 {
				return nil, fmt.Errorf("small lineage %s (profiled): exit %d:\n%s%s", c.path, o.exit, head10(o.stdout), head10(o.stderr))
			}
		}
	}
	return rep, nil
}

func artifactsOf(manifests []string, artifactOf map[string]string) []string {
	out := make([]string, len(manifests))
	for i, m := range manifests {
		out[i] = artifactOf[m]
	}
	return out
}

// lineageBuild runs small build --rev rev in dir; it must succeed, print
// want, and list exactly the artifacts changed, when given.
func (b *bench) lineageBuild(dir, rev, want string, changed ...string) (time.Duration, error) {
	o, err := runProc(dir, nil, nil, b.small, "build", "--rev", rev)
	if err != nil {
		return 0, err
	}
	if o.exit != 0 || !bytes.Contains(o.stdout, []byte(want)) {
		return 0, fmt.Errorf("small build --rev %s: exit %d, expected 0 and %q:\n%s%s", rev, o.exit, want, head10(o.stdout), head10(o.stderr))
	}
	for _, a := range changed {
		if !bytes.Contains(o.stdout, []byte(" "+a+"\n")) {
			return 0, fmt.Errorf("small build --rev %s does not list %s:\n%s", rev, a, head10(o.stdout))
		}
	}
	return o.wall, nil
}

// lineageStream is the git fast-import stream of the manifest commits: one
// per build after the first, on branch from base, each changing the
// readingMinutes of the articles of its plan to another value in 1..90.
func lineageStream(dir, branch, base string, plan [][]string) ([]byte, error) {
	var buf bytes.Buffer
	w := bufio.NewWriter(&buf)
	content := map[string][]byte{}
	for i := 1; i < len(plan); i++ {
		msg := fmt.Sprintf("Change the reading time of %s\n", strings.Join(plan[i], ", "))
		fmt.Fprintf(w, "commit %s\ncommitter Bench <bench@example.com> %d +0000\ndata %d\n%s", branch, 1767225600+60*i, len(msg), msg)
		if i == 1 {
			fmt.Fprintf(w, "from %s\n", base)
		}
		for _, p := range plan[i] {
			data, ok := content[p]
			if !ok {
				var err error
				if data, err = os.ReadFile(filepath.Join(dir, filepath.FromSlash(p))); err != nil {
					return nil, err
				}
			}
			m := minutesLine.FindSubmatch(data)
			if m == nil {
				return nil, fmt.Errorf("%s: no readingMinutes line to change", p)
			}
			n, _ := strconv.Atoi(string(m[1]))
			data = minutesLine.ReplaceAll(data, []byte("readingMinutes: "+strconv.Itoa(n%90+1)))
			content[p] = data
			fmt.Fprintf(w, "M 100644 inline %s\ndata %d\n%s\n", p, len(data), data)
		}
		w.WriteString("\n")
	}
	w.WriteString("done\n")
	if err := w.Flush(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

var buildLine = regexp.MustCompile(`(?m)^  <- build     ([0-9a-f]{12})  `)

// askLineage times each question, small and git by hand in turn, best of
// lineageRuns, and checks that both name the expected build.
func (b *bench) askLineage(dir string, rep *lineageReport, cases []*lineageCase) error {
	logf("lineage: timing small lineage and git by hand (%d packs, best of %d)", rep.packs, lineageRuns)
	for _, c := range cases {
		for r := range lineageRuns {
			o, err := runProc(dir, nil, nil, b.small, "lineage", c.path)
			if err != nil {
				return err
			}
			if o.exit != 0 {
				return fmt.Errorf("small lineage %s: exit %d, expected 0:\n%s%s", c.path, o.exit, head10(o.stdout), head10(o.stderr))
			}
			m := buildLine.FindSubmatch(o.stdout)
			if m == nil || string(m[1]) != c.commit[:12] {
				return fmt.Errorf("small lineage %s: expected build %s:\n%s", c.path, c.commit[:12], head10(o.stdout))
			}
			if r == 0 || o.wall < c.small {
				c.small = o.wall
			}

			o1, err := runProc(dir, gitEnv(), nil, "git", "log", "-1", "--format=%H", "small/artifacts", "--", c.path)
			if err != nil {
				return err
			}
			commit := strings.TrimSpace(string(o1.stdout))
			if o1.exit != 0 || commit != c.commit {
				return fmt.Errorf("git log -1 -- %s: exit %d, %q, expected %s:\n%s", c.path, o1.exit, commit, c.commit, head10(o1.stderr))
			}
			o2, err := runProc(dir, gitEnv(), nil, "git", "notes", "--ref=small/lineage", "show", commit)
			if err != nil {
				return err
			}
			if o2.exit != 0 || !bytes.Contains(o2.stdout, []byte(`"artifact":"`+c.path+`"`)) {
				return fmt.Errorf("git notes show %s: exit %d, no record of %s:\n%s", commit, o2.exit, c.path, head10(o2.stderr))
			}
			if r == 0 || o1.wall+o2.wall < c.git {
				c.git = o1.wall + o2.wall
			}
		}
		rep.cases = append(rep.cases, c)
	}
	for r := range lineageRuns {
		c := cases[1]
		o, err := runProc(dir, nil, nil, b.small, "lineage", "--all", c.path)
		if err != nil {
			return err
		}
		if o.exit != 0 {
			return fmt.Errorf("small lineage --all %s: exit %d, expected 0:\n%s%s", c.path, o.exit, head10(o.stdout), head10(o.stderr))
		}
		if r == 0 || o.wall < rep.all {
			rep.all = o.wall
		}
		rep.allN = len(buildLine.FindAll(o.stdout, -1))
	}
	return nil
}

// packCount is how many packfiles the repository has.
func packCount(dir string) (int, error) {
	out, err := git(dir, nil, "count-objects", "-v")
	if err != nil {
		return 0, err
	}
	for _, l := range strings.Split(out, "\n") {
		if v, ok := strings.CutPrefix(l, "packs: "); ok {
			return strconv.Atoi(v)
		}
	}
	return 0, fmt.Errorf("git count-objects -v: no packs line:\n%s", out)
}

func (r *lineageReport) print(w io.Writer, b *bench) {
	fmt.Fprintf(w, "\nlineage: %d builds, %d artifacts\n", r.builds, r.artifacts)
	fmt.Fprintf(w, "history: the build repository's first full build, then %d manifest commits (git fast-import, %s),\n", r.builds-1, secs3(r.generate))
	fmt.Fprintf(w, "         each changing %d articles, and a small build --rev of each (%s in all, slowest %s);\n", perBuild, secs3(r.buildWall), secs3(r.slowest))
	fmt.Fprintf(w, "         no git gc: small build rolls its packs up (%d packs at the end, %d at most)\n", r.packs, r.mostPacks)
	fmt.Fprintf(w, "timings: best of %d, wall clock; git by hand: git log -1 --format=%%H small/artifacts -- PATH, then\n", lineageRuns)
	fmt.Fprintf(w, "         git notes --ref=small/lineage show COMMIT, timed together; both name the same build\n")
	fmt.Fprintf(w, "         in the repository as the builds leave it (%d packs)\n\n", r.packs)
	for _, c := range r.cases {
		ratio := c.small.Seconds() / c.git.Seconds()
		fmt.Fprintf(w, "%-30s%s   git by hand %s   ratio %.2f (goal <= %.1f) %s\n",
			"small lineage ("+c.label+")", secs3(c.small), secs3(c.git), ratio, c.goal(), goal(ratio <= c.goal()))
	}
	fmt.Fprintf(w, "%-30s%s   (%d versions, no goal)\n", "small lineage --all (middle)", secs3(r.all), r.allN)
	r.printPacks(w)
	fmt.Fprintf(w, "artifacts asked about:\n")
	for _, c := range r.cases {
		fmt.Fprintf(w, "  %-14s %s, changed last by build %d of %d (%s)\n", c.label, c.path, c.build+1, r.builds, c.commit[:12])
	}
	if r.profile != "" {
		ext := filepath.Ext(r.profile)
		fmt.Fprintf(w, "lineage profiles: %s-<case>%s (go tool pprof -top -cum %s FILE)\n", strings.TrimSuffix(r.profile, ext), ext, b.small)
	}
	if r.kept != "" {
		fmt.Fprintf(w, "lineage repository kept in %s\n", filepath.Join(r.kept, "repo"))
	}
}
