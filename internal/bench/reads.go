package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"time"
)

// Goal of the read commands after a history of builds with no git gc: their
// time as a multiple of the same command's in the same repository after
// git gc (small build keeps its packs few on its own).
const goalReads = 1.5

// The read section of the lineage history: the history as the builds left
// it, with no git gc, and a copy of it after git gc, asked the same read
// commands in turn (each run of each command in one, then in the other,
// so that both see the same load), best of lineageRuns:
//
//   - small lineage PATH, for each of the lineage questions;
//   - small status, small log, small validate --rev HEAD;
//   - git log --oneline small/artifacts, and git by hand's lineage
//     (git log -1 -- PATH, then git notes show) of the oldest question.
//
// Each must exit 0 in both, with the same output.

type readTiming struct {
	label      string
	args       []string // a small command's arguments, or git's when git
	git        bool
	nogc, gced time.Duration
}

type readsReport struct {
	gc       time.Duration // git gc on the copy
	packs    int           // packs in the history as the builds left it
	packsGC  int           // and after git gc
	sizeMB   float64       // objects/pack, MB, before git gc
	sizeGCMB float64       // and after
	timings  []*readTiming
}

func (b *bench) measureReads(tmp, dir string, cases []*lineageCase) (*readsReport, error) {
	rep := &readsReport{}
	var err error
	if rep.packs, err = packFiles(dir); err != nil {
		return nil, err
	}
	if rep.sizeMB, err = packMB(dir); err != nil {
		return nil, err
	}
	gcDir := filepath.Join(tmp, "repo-gc")
	logf("reads: a copy of the history, and git gc in it")
	if _, err := runOK(tmp, nil, nil, "cp", "-a", dir, gcDir); err != nil {
		return nil, err
	}
	o, err := runProc(gcDir, gitEnv(), nil, "git", "gc", "--quiet")
	if err != nil {
		return nil, err
	}
	if o.exit != 0 {
		return nil, fmt.Errorf("git gc: exit %d:\n%s", o.exit, head10(o.stderr))
	}
	rep.gc = o.wall
	if rep.packsGC, err = packFiles(gcDir); err != nil {
		return nil, err
	}
	if rep.sizeGCMB, err = packMB(gcDir); err != nil {
		return nil, err
	}

	for _, c := range cases {
		rep.timings = append(rep.timings, &readTiming{label: "small lineage (" + c.label + ")", args: []string{"lineage", c.path}})
	}
	rep.timings = append(rep.timings,
		&readTiming{label: "small status", args: []string{"status"}},
		&readTiming{label: "small log", args: []string{"log"}},
		&readTiming{label: "small validate --rev HEAD", args: []string{"validate", "--rev", "HEAD"}},
		&readTiming{label: "git log small/artifacts", args: []string{"log", "--oneline", "small/artifacts"}, git: true},
	)
	if len(cases) > 0 {
		c := cases[len(cases)-1]
		rep.timings = append(rep.timings, &readTiming{label: "git log -1 -- PATH (" + c.label + ")",
			args: []string{"log", "-1", "--format=%H", "small/artifacts", "--", c.path}, git: true})
	}
	logf("reads: %d commands, without git gc (%d packs) and after (%d), best of %d", len(rep.timings), rep.packs, rep.packsGC, lineageRuns)
	for r := range lineageRuns {
		for _, t := range rep.timings {
			var outs [2][]byte
			for k, d := range []string{dir, gcDir} {
				name, env := b.small, []string(nil)
				if t.git {
					name, env = "git", gitEnv()
				}
				o, err := runProc(d, env, nil, name, t.args...)
				if err != nil {
					return nil, err
				}
				if o.exit != 0 {
					return nil, fmt.Errorf("%s in %s: exit %d:\n%s%s", t.label, d, o.exit, head10(o.stdout), head10(o.stderr))
				}
				outs[k] = o.stdout
				best := &t.nogc
				if k == 1 {
					best = &t.gced
				}
				if r == 0 || o.wall < *best {
					*best = o.wall
				}
			}
			if string(outs[0]) != string(outs[1]) {
				return nil, fmt.Errorf("%s: the output differs after git gc:\n%s\n---\n%s", t.label, head10(outs[0]), head10(outs[1]))
			}
		}
	}
	return rep, nil
}

// packFiles is how many packfiles the repository has.
func packFiles(dir string) (int, error) {
	m, err := filepath.Glob(filepath.Join(dir, ".git", "objects", "pack", "pack-*.pack"))
	return len(m), err
}

// packMB is the size of objects/pack, in MB.
func packMB(dir string) (float64, error) {
	entries, err := os.ReadDir(filepath.Join(dir, ".git", "objects", "pack"))
	if err != nil {
		return 0, err
	}
	var n int64
	for _, e := range entries {
		if fi, err := e.Info(); err == nil {
			n += fi.Size()
		}
	}
	return float64(n) / 1e6, nil
}

func median(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}

func (r *lineageReport) printPacks(w io.Writer) {
	if r.reads == nil {
		return
	}
	x := r.reads
	fmt.Fprintf(w, "\nreads after %d builds with no git gc (%d packs, %.1f MB) and after git gc of a copy (%s; %d packs, %.1f MB);\n",
		r.builds, x.packs, x.sizeMB, secs3(x.gc), x.packsGC, x.sizeGCMB)
	fmt.Fprintf(w, "each run of each command in one, then the other; best of %d, same output in both\n\n", lineageRuns)
	for _, t := range x.timings {
		ratio := t.nogc.Seconds() / t.gced.Seconds()
		fmt.Fprintf(w, "%-36s%s   after git gc %s   ratio %.2f (goal <= %.1f) %s\n",
			t.label, secs3(t.nogc), secs3(t.gced), ratio, goalReads, goal(ratio <= goalReads))
	}
	fmt.Fprintf(w, "one-manifest builds: %d rolled packs up, median %s; %d did not, median %s\n",
		len(r.rolled), secs3(median(r.rolled)), len(r.plain), secs3(median(r.plain)))
}
