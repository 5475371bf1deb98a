package main

// The front-matter section: a Jekyll-style tree of Markdown entries with
// YAML front matter (topics/<name>/index.md, a PNG beside each, kinds and
// ids from small.cue's files rules), validated by small, against the same
// content as YAML manifests (kind and id stated, the body a field, the same
// images beside them) under the same schema. The goals of the issue: the
// Markdown tree validates in at most fmGoalWall, and within fmGoalRatio of
// the YAML one.

import (
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"time"
)

const (
	fmGoalWall  = time.Second
	fmGoalRatio = 1.20
	fmEntries   = 2000
)

// fmSchema is the kind both trees are checked against: a body, a unique
// name and an image beside the file.
const fmSchema = `package schemas

import "strings"

#Topic: {
	id:                string
	topic:             id
	display_name:      string @unique()
	short_description: string & strings.MaxRunes(200)
	created_by?:       string
	released?:         string
	aliases?: [...string]
	related?: [...string]
	logo:              string @asset(root=".", types="image/png", maxBytes=75000)
	body:              string
}
`

// fmPNG is a small PNG: its signature, then bytes enough to be an image's
// size (small sniffs the signature and checks the size).
var fmPNG = append([]byte("\x89PNG\r\n\x1a\n"), make([]byte, 20_000)...)

type frontMatterReport struct {
	entries          int
	markdown, yaml   timing
	mdCheck, yamlChk string // the verdict lines small printed
}

// measureFrontMatter generates both trees in dir and times small validate
// on each, the best of runs.
func (b *bench) measureFrontMatter(dir string) (*frontMatterReport, error) {
	rep := &frontMatterReport{entries: fmEntries}
	md, yml := filepath.Join(dir, "frontmatter-md"), filepath.Join(dir, "frontmatter-yaml")
	start := time.Now()
	if err := writeFrontMatterTrees(md, yml, fmEntries); err != nil {
		return nil, err
	}
	logf("front matter: generated %d entries as Markdown and as YAML (%s)", fmEntries, since(start))
	for _, t := range []struct {
		dir   string
		out   *timing
		check *string
	}{{md, &rep.markdown, &rep.mdCheck}, {yml, &rep.yaml, &rep.yamlChk}} {
		for r := range b.runs {
			o, err := runProc(t.dir, nil, nil, b.small, "validate")
			if err != nil {
				return nil, err
			}
			if o.exit != 0 {
				return nil, fmt.Errorf("small validate in %s: exit %d:\n%s%s", t.dir, o.exit, head10(o.stdout), head10(o.stderr))
			}
			if r == 0 || o.wall < t.out.wall {
				t.out.wall = o.wall
			}
			t.out.maxRSS = max(t.out.maxRSS, o.maxRSS)
			*t.check = strings.TrimSpace(string(o.stderr))
		}
	}
	want := fmt.Sprintf("%d manifests, all valid", fmEntries)
	if rep.mdCheck != want || rep.yamlChk != want {
		return nil, fmt.Errorf("front matter: small validate said %q (Markdown) and %q (YAML), expected %q", rep.mdCheck, rep.yamlChk, want)
	}
	return rep, nil
}

// writeFrontMatterTrees writes and commits the two trees: the same n
// entries, as Markdown with front matter under files rules, and as YAML
// manifests that state their kind and id.
func writeFrontMatterTrees(md, yml string, n int) error {
	r := rand.New(rand.NewPCG(seed, 16))
	files := map[string]map[string][]byte{md: {}, yml: {}}
	files[md]["small.cue"] = []byte("protocol:  \"small/v1\"\nmanifests: \".\"\nfiles: [{glob: \"topics/*/index.md\", kind: \"Topic\", id: \"$1\"}]\n")
	files[yml]["small.cue"] = []byte("protocol:  \"small/v1\"\nmanifests: \"topics\"\n")
	for _, d := range []string{md, yml} {
		files[d]["schemas/topic.cue"] = []byte(fmSchema)
	}
	words := strings.Fields(loremWords)
	sentence := func(k int) string {
		var s []string
		for range k {
			s = append(s, words[r.IntN(len(words))])
		}
		return strings.ToUpper(s[0][:1]) + strings.Join(s, " ")[1:] + "."
	}
	for i := range n {
		id := fmt.Sprintf("topic-%05d", i)
		var front strings.Builder
		fmt.Fprintf(&front, "topic: %s\ndisplay_name: Topic %d\nshort_description: %s\n", id, i, sentence(12))
		if r.IntN(2) == 0 {
			fmt.Fprintf(&front, "created_by: %s\nreleased: \"20%02d-0%d-1%d\"\n", sentence(2), r.IntN(25), 1+r.IntN(9), r.IntN(10))
		}
		fmt.Fprintf(&front, "aliases: [%s-alias, %s-other]\nrelated: [topic-%05d, topic-%05d]\nlogo: %s.png\n", id, id, r.IntN(n), r.IntN(n), id)
		var body strings.Builder
		fmt.Fprintf(&body, "# Topic %d\n\n", i)
		for range 3 + r.IntN(4) {
			body.WriteString(sentence(20+r.IntN(20)) + " " + sentence(15) + "\n\n")
		}
		files[md]["topics/"+id+"/index.md"] = []byte("---\n" + front.String() + "---\n" + body.String())
		files[md]["topics/"+id+"/"+id+".png"] = fmPNG
		var y strings.Builder
		fmt.Fprintf(&y, "kind: Topic\nid: %s\n%sbody: |\n", id, front.String())
		for _, l := range strings.SplitAfter(strings.TrimSuffix(body.String(), "\n"), "\n") {
			if strings.TrimSpace(l) == "" {
				y.WriteString("\n")
				continue
			}
			y.WriteString("  " + l)
		}
		y.WriteString("\n")
		files[yml]["topics/"+id+"/"+id+".yaml"] = []byte(y.String())
		files[yml]["topics/"+id+"/"+id+".png"] = fmPNG
	}
	for d, fs := range files {
		if err := os.RemoveAll(d); err != nil {
			return err
		}
		for p, data := range fs {
			full := filepath.Join(d, filepath.FromSlash(p))
			if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
				return err
			}
			if err := os.WriteFile(full, data, 0o644); err != nil {
				return err
			}
		}
		if err := gitCommit(d); err != nil {
			return err
		}
	}
	return nil
}

const loremWords = `git branch commit merge rebase content schema manifest artifact lineage
build review publish draft topic language tool version history change author
agent person team page image document entry field value rule path tree blob`

func (r *frontMatterReport) print(w io.Writer, b *bench) {
	ratio := float64(r.markdown.wall) / float64(r.yaml.wall)
	fmt.Fprintf(w, "\nfront matter: %d entries, a PNG beside each, @unique and @asset checked\n", r.entries)
	fmt.Fprintf(w, "  small validate, Markdown + files rules  %8s  %4d MB  (goal <= %s) %s\n", secs3(r.markdown.wall), r.markdown.maxRSS/1024, fmGoalWall, goal(r.markdown.wall <= fmGoalWall))
	fmt.Fprintf(w, "  small validate, same content as YAML    %8s  %4d MB\n", secs3(r.yaml.wall), r.yaml.maxRSS/1024)
	fmt.Fprintf(w, "  Markdown / YAML                         %8.2fx          (goal <= %.2fx) %s\n", ratio, fmGoalRatio, goal(ratio <= fmGoalRatio))
}
