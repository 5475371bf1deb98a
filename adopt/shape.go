package adopt

import (
	"path"
	"slices"
	"strconv"
	"strings"
	"unicode"
)

// shape is a way to write a file's path as a glob with one wildcard: the
// file's stem in its directory (posts/*.md, id = the stem) or its
// directory's name beside its siblings (topics/*/index.md, id = the
// directory's name).
type shape struct {
	glob    string // repository-relative
	literal string // the directory the wildcard is in ("" for the top)
	byDir   bool   // the wildcard is a directory
}

// shapesOf returns the shapes of p: its stem shape, and its directory
// shape when it is in a directory. In a files glob only * is a wildcard
// ([, ?, { and \ stand for themselves): a path with a * has no shape that
// says it literally.
func shapesOf(p string) []shape {
	if strings.Contains(p, "*") {
		return nil
	}
	dir, base := path.Split(p)
	dir = strings.TrimSuffix(dir, "/")
	ext := path.Ext(base)
	if strings.TrimSuffix(base, ext) == "" {
		return nil
	}
	var out []shape
	out = append(out, shape{glob: path.Join(dir, "*"+ext), literal: dir})
	if dir != "" {
		parent := path.Dir(dir)
		if parent == "." {
			parent = ""
		}
		out = append(out, shape{glob: path.Join(parent, "*", base), literal: parent, byDir: true})
	}
	return out
}

// capture is the text the shape's wildcard matches in p.
func (s shape) capture(p string) string {
	if s.byDir {
		return path.Base(path.Dir(p))
	}
	base := path.Base(p)
	return strings.TrimSuffix(base, path.Ext(base))
}

// group is the files one rule matches.
type group struct {
	shape   shape
	files   []*candidate // sorted by path
	members map[string]bool
	// Filled by infer.
	top     *stats
	body    bool
	initial string
}

// groupFiles proposes rules: every readable file (front matter or a mapping)
// takes the shape most files share, the larger groups first (ties broken
// by the glob), and a shape becomes a rule when MinGroup files or more
// take it. A file matches each of its two shapes' globs and no other, so
// the rules' order (the order they were chosen in) is also the order in
// which small finds a file's rule: first match wins.
func groupFiles(cands []*candidate) []*group {
	count := map[string]int{}
	byGlob := map[string]shape{}
	for _, c := range cands {
		c.shapes = shapesOf(c.path)
		if c.doc == nil {
			continue
		}
		for _, s := range c.shapes {
			count[s.glob]++
			byGlob[s.glob] = s
		}
	}
	globs := make([]string, 0, len(count))
	for g, n := range count {
		if n >= MinGroup {
			globs = append(globs, g)
		}
	}
	slices.SortFunc(globs, func(a, b string) int {
		if count[a] != count[b] {
			return count[b] - count[a]
		}
		return strings.Compare(a, b)
	})
	// Candidates by glob, in path order.
	of := map[string][]*candidate{}
	for _, c := range cands {
		if c.doc == nil {
			continue
		}
		for _, s := range c.shapes {
			if count[s.glob] >= MinGroup {
				of[s.glob] = append(of[s.glob], c)
			}
		}
	}
	taken := map[*candidate]bool{}
	var out []*group
	for _, g := range globs {
		var files []*candidate
		for _, c := range of[g] {
			if !taken[c] {
				files = append(files, c)
			}
		}
		if len(files) < MinGroup {
			continue
		}
		gr := &group{shape: byGlob[g], files: files, members: map[string]bool{}}
		for _, c := range files {
			taken[c] = true
			gr.members[c.path] = true
		}
		out = append(out, gr)
	}
	return out
}

// matchRule returns the index of the first rule whose glob matches p,
// as small.cue's files rules match: * is any run of characters within one
// path segment, every other character stands for itself.
func matchRule(rules []*group, p string) (int, bool) {
	segs := strings.Split(p, "/")
	for i, g := range rules {
		if globMatch(strings.Split(g.shape.glob, "/"), segs) {
			return i, true
		}
	}
	return 0, false
}

// globMatch matches a glob of proposed rules (one segment with one *)
// segment by segment.
func globMatch(glob, segs []string) bool {
	if len(glob) != len(segs) {
		return false
	}
	for i, g := range glob {
		pre, post, wild := strings.Cut(g, "*")
		if !wild {
			if g != segs[i] {
				return false
			}
			continue
		}
		if len(segs[i]) < len(pre)+len(post) || !strings.HasPrefix(segs[i], pre) || !strings.HasSuffix(segs[i], post) {
			return false
		}
	}
	return true
}

// kindNames names each rule's kind after the directory it is about
// (topics/*/index.md: Topic; _posts/*.md: Post), singular, in CamelCase;
// a clash (two kinds whose names differ at most in case, since artifacts
// go to <kind in lower case>/) takes the parent directory's name in front,
// then a number.
func kindNames(rules []*group) []string {
	names := make([]string, len(rules))
	used := map[string]bool{}
	for i, g := range rules {
		segs := strings.Split(g.shape.literal, "/")
		if g.shape.literal == "" {
			segs = nil
		}
		name := "Page"
		if len(segs) > 0 {
			if n := camel(segs[len(segs)-1], true); n != "" {
				name = n
			}
		}
		if used[strings.ToLower(name)] && len(segs) > 1 {
			if p := camel(segs[len(segs)-2], false); p != "" {
				name = p + name
			}
		}
		base := name
		for n := 2; used[strings.ToLower(name)]; n++ {
			name = base + strconv.Itoa(n)
		}
		used[strings.ToLower(name)] = true
		names[i] = name
	}
	return names
}

// camel turns a directory name into a kind name: words split at anything
// but letters and digits, each capitalised, the last made singular when
// singular is set. "" when nothing is left or it starts with a digit.
func camel(dir string, singular bool) string {
	words := strings.FieldsFunc(dir, func(r rune) bool {
		return !(r < unicode.MaxASCII && (unicode.IsLetter(r) || unicode.IsDigit(r)))
	})
	if len(words) == 0 {
		return ""
	}
	if singular {
		words[len(words)-1] = singularOf(strings.ToLower(words[len(words)-1]))
	}
	var b strings.Builder
	for _, w := range words {
		b.WriteString(strings.ToUpper(w[:1]) + w[1:])
	}
	s := b.String()
	if s[0] >= '0' && s[0] <= '9' {
		return ""
	}
	return s
}

// singularOf is an English plural's singular, for the common cases of
// directory names; other words are kept.
func singularOf(w string) string {
	switch w {
	case "news", "series", "species", "status", "data", "media", "docs":
		if w == "docs" {
			return "doc"
		}
		return w
	case "people":
		return "person"
	}
	switch {
	case strings.HasSuffix(w, "ies") && len(w) > 4:
		return w[:len(w)-3] + "y"
	case strings.HasSuffix(w, "sses"), strings.HasSuffix(w, "xes"), strings.HasSuffix(w, "ches"), strings.HasSuffix(w, "shes"):
		return w[:len(w)-2]
	case strings.HasSuffix(w, "ss"), strings.HasSuffix(w, "us"), strings.HasSuffix(w, "is"):
		return w
	case strings.HasSuffix(w, "s") && len(w) > 1:
		return w[:len(w)-1]
	}
	return w
}
