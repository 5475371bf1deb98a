package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
)

// genVersion changes whenever the generator's output does, so that a corpus
// kept with -dir is not reused by a generator that would write another one.
const genVersion = 4

// corpus is a generated repository and what the generator made invalid.
type corpus struct {
	Version int                 `json:"version"`
	N       int                 `json:"n"`
	Seed    uint64              `json:"seed"`
	Files   map[string][]string `json:"files"` // kind → repository-relative paths, sorted
	// Invalid maps each file the generator broke on purpose to how.
	Invalid map[string]string `json:"invalid"`

	dir string
}

func (c *corpus) kinds() []string {
	var ks []string
	for k := range c.Files {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

func (c *corpus) kindOfFile(p string) string {
	for k, fs := range c.Files {
		if _, ok := slices.BinarySearch(fs, p); ok {
			return k
		}
	}
	return ""
}

// kind directories, and the share of the corpus each kind takes (out of 20).
var kindDirs = map[string]string{"Article": "articles", "Product": "products", "Author": "authors", "Event": "events"}

func kindOf(i int) string {
	switch m := i % 20; {
	case m < 8:
		return "Article"
	case m < 14:
		return "Product"
	case m < 17:
		return "Author"
	default:
		return "Event"
	}
}

const metaFile = "small-bench.json"

// openCorpus reuses the corpus in dir if the same generator made it with the
// same parameters, and generates one there if dir is empty or missing.
func openCorpus(dir string, n int, seed uint64) (*corpus, bool, error) {
	data, err := os.ReadFile(filepath.Join(dir, ".git", metaFile))
	if err == nil {
		var c corpus
		if err := json.Unmarshal(data, &c); err != nil {
			return nil, false, fmt.Errorf("%s: %v", metaFile, err)
		}
		if c.Version != genVersion || c.N != n || c.Seed != seed {
			return nil, false, fmt.Errorf("%s holds another corpus (generator v%d, -n %d, seed %d): remove it or choose another -dir", dir, c.Version, c.N, c.Seed)
		}
		c.dir = dir
		return &c, true, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, false, err
	}
	if ents, err := os.ReadDir(dir); err == nil && len(ents) > 0 {
		return nil, false, fmt.Errorf("%s is not empty and holds no corpus of this benchmark", dir)
	}
	c, err := generate(dir, n, seed)
	return c, false, err
}

// generate writes the corpus into dir and commits it.
func generate(dir string, n int, seed uint64) (*corpus, error) {
	c, files, _ := render(n, seed)
	c.dir = dir
	if err := os.MkdirAll(filepath.Join(dir, "schemas"), 0o755); err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(dir, "small.cue"), []byte("protocol: \"small/v1\"\n"), 0o644); err != nil {
		return nil, err
	}
	for _, f := range schemaFiles {
		if err := os.WriteFile(filepath.Join(dir, "schemas", f.name), []byte(f.src), 0o644); err != nil {
			return nil, err
		}
	}
	for _, d := range kindDirs {
		if err := os.MkdirAll(filepath.Join(dir, "manifests", d), 0o755); err != nil {
			return nil, err
		}
	}
	for p, data := range files {
		if err := os.WriteFile(filepath.Join(dir, filepath.FromSlash(p)), data, 0o644); err != nil {
			return nil, err
		}
	}
	if err := gitCommit(dir); err != nil {
		return nil, err
	}
	meta, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		return nil, err
	}
	return c, os.WriteFile(filepath.Join(dir, ".git", metaFile), meta, 0o644)
}

// render generates the corpus's manifests in memory: files holds each
// manifest's bytes by repository-relative path, and clean holds, for each
// file broken on purpose, the valid manifest it was before it was broken
// (what the build benchmark commits in their place).
func render(n int, seed uint64) (c *corpus, files, clean map[string][]byte) {
	c = &corpus{Version: genVersion, N: n, Seed: seed, Files: map[string][]string{}, Invalid: map[string]string{}}
	files, clean = map[string][]byte{}, map[string][]byte{}

	// The ids of authors are known up front: articles and events name them.
	g := &gen{seq: map[string]int{}, ids: map[string][]string{}}
	for i := range n {
		if kindOf(i) == "Author" {
			g.authors = append(g.authors, authorID(len(g.authors)))
		}
	}
	// About 0.5% of the manifests of each kind are broken, each in one of
	// its kind's ways, in turn.
	byKind := map[string][]int{}
	for i := range n {
		byKind[kindOf(i)] = append(byKind[kindOf(i)], i)
	}
	broken := map[int]bool{}
	pickr := rand.New(rand.NewPCG(seed, 0))
	for _, kind := range []string{"Article", "Author", "Event", "Product"} {
		idx := byKind[kind]
		pickr.Shuffle(len(idx), func(a, b int) { idx[a], idx[b] = idx[b], idx[a] })
		for _, i := range idx[:(len(idx)+100)/200] {
			broken[i] = true
		}
	}
	mutationNo := map[string]int{}

	for i := range n {
		kind := kindOf(i)
		r := rand.New(rand.NewPCG(seed, uint64(i)+1))
		seq := g.seq[kind]
		g.seq[kind]++
		var o obj
		var id string
		switch kind {
		case "Article":
			o, id = g.article(r, seq)
		case "Product":
			o, id = g.product(r, seq)
		case "Author":
			o, id = g.author(r, seq)
		case "Event":
			o, id = g.event(r, seq)
		}
		g.ids[kind] = append(g.ids[kind], id)
		var how string
		var orig obj
		if broken[i] {
			orig = deepCopy(o).(obj)
			ms := mutations[kind]
			m := ms[mutationNo[kind]%len(ms)]
			mutationNo[kind]++
			m.apply(&o, g)
			how = m.name
		}
		// Mutations draw nothing from r: the choice of format is the same
		// with or without one.
		ext, enc := ".yaml", toYAML
		if r.IntN(10) == 0 {
			ext, enc = ".json", toJSON
		}
		p := "manifests/" + kindDirs[kind] + "/" + id + ext
		files[p] = enc(o)
		c.Files[kind] = append(c.Files[kind], p)
		if how != "" {
			c.Invalid[p] = how
			clean[p] = enc(orig)
		}
	}
	for _, fs := range c.Files {
		slices.Sort(fs)
	}
	return c, files, clean
}

// deepCopy copies the values the generator builds, so that a mutation,
// which may change lists in place, leaves the copy alone.
func deepCopy(v any) any {
	switch v := v.(type) {
	case obj:
		o := make(obj, len(v))
		for i, e := range v {
			o[i] = kv{e.k, deepCopy(e.v)}
		}
		return o
	case []any:
		l := make([]any, len(v))
		for i, x := range v {
			l[i] = deepCopy(x)
		}
		return l
	case flow:
		l := make(flow, len(v))
		for i, x := range v {
			l[i] = deepCopy(x)
		}
		return l
	}
	return v
}

// gitCommit commits everything in dir as one commit, with a fixed identity
// and date and no user or system configuration.
func gitCommit(dir string) error {
	env := append(os.Environ(), gitEnv()...)
	for _, args := range [][]string{
		{"init", "-q", "-b", "main"},
		{"add", "-A"},
		{"commit", "-q", "-m", "Add the generated benchmark corpus"},
	} {
		cmd := exec.Command("git", args...)
		cmd.Dir, cmd.Env = dir, env
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("git %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	return nil
}

// gen holds what manifests refer to across the corpus.
type gen struct {
	seq     map[string]int
	ids     map[string][]string // ids generated so far, per kind
	authors []string
}

func authorName(seq int) (first, last string) {
	return firstNames[(seq*7)%len(firstNames)], lastNames[(seq*13+seq/len(firstNames))%len(lastNames)]
}

func authorID(seq int) string {
	first, last := authorName(seq)
	return fmt.Sprintf("%s-%s-%04d", slugify(first), slugify(last), seq)
}

func (g *gen) someAuthor(r *rand.Rand) string {
	if len(g.authors) == 0 {
		return "ada-lovelace-0000"
	}
	if r == nil {
		return g.authors[0]
	}
	return pick(r, g.authors)
}

// head starts a manifest: its kind, sometimes its id (which must then be
// the file name's) and sometimes its status.
func head(r *rand.Rand, kind, id string) obj {
	o := obj{{"kind", kind}}
	if r.IntN(5) == 0 {
		o = append(o, kv{"id", id})
	}
	if r.IntN(2) == 0 {
		o = append(o, kv{"status", pick(r, []string{"draft", "review", "published", "published", "archived"})})
	}
	return o
}

func image(r *rand.Rand, what string) obj {
	o := obj{
		{"src", fmt.Sprintf("https://images.example.com/%s/%d.jpg", slugify(what), 1000+r.IntN(9000))},
		{"alt", capitalize(what)},
	}
	if r.IntN(2) == 0 {
		w := 640 + 160*r.IntN(10)
		o = append(o, kv{"width", w}, kv{"height", w * 2 / 3})
	}
	if r.IntN(4) == 0 {
		first, last := authorName(r.IntN(200))
		o = append(o, kv{"credit", "Photo: " + first + " " + last})
	}
	return o
}

func seo(r *rand.Rand, title string) obj {
	desc := ""
	for range 20 {
		s := sentence(r)
		if n := len([]rune(s)); n >= 50 && n <= 160 {
			desc = s
			break
		}
	}
	if desc == "" {
		desc = "Everything you need to know about " + title + ", explained."
		if len([]rune(desc)) > 160 {
			desc = string([]rune(desc)[:160])
		}
	}
	o := obj{}
	if r.IntN(2) == 0 && len([]rune(title)) <= 70 {
		o = append(o, kv{"title", title})
	}
	o = append(o, kv{"description", desc})
	if r.IntN(2) == 0 {
		o = append(o, kv{"keywords", flow(tagsFor(r, 1+r.IntN(4)))})
	}
	if r.IntN(10) == 0 {
		o = append(o, kv{"noindex", true})
	}
	return o
}

// list writes l in flow or block style at random.
func list(r *rand.Rand, l []any) any {
	if r.IntN(2) == 0 {
		return flow(l)
	}
	return l
}

// when writes a time unquoted (a YAML timestamp) or quoted at random.
func when(r *rand.Rand, s string) any {
	if r.IntN(2) == 0 {
		return date(s)
	}
	return s
}

func (g *gen) article(r *rand.Rand, seq int) (obj, string) {
	title := headline(r)
	slug := slugify(title)
	id := fmt.Sprintf("%s-%05d", slug, seq)
	o := head(r, "Article", id)
	o = append(o, kv{"title", title})
	if r.IntN(3) == 0 {
		o = append(o, kv{"subtitle", strings.TrimSuffix(sentence(r), ".")})
	}
	o = append(o, kv{"slug", slug}, kv{"author", g.someAuthor(r)})
	if r.IntN(5) == 0 {
		a, b := g.someAuthor(r), g.someAuthor(r)
		co := []any{a}
		if b != a {
			co = append(co, b)
		}
		o = append(o, kv{"coAuthors", list(r, co)})
	}
	o = append(o, kv{"section", pick(r, []string{"news", "opinion", "culture", "science", "technology", "business", "sport"})})
	if r.IntN(5) < 3 {
		o = append(o, kv{"layout", pick(r, []string{"standard", "feature", "brief", "longread"})})
	}
	o = append(o, kv{"tags", list(r, tagsFor(r, 2+r.IntN(4)))})
	year := 2019 + r.IntN(8)
	if r.IntN(5) > 0 {
		o = append(o, kv{"publishedAt", when(r, timestamp(r, year))})
		if r.IntN(3) == 0 {
			o = append(o, kv{"updatedAt", when(r, timestamp(r, year+1))})
		}
	}
	o = append(o, kv{"readingMinutes", 2 + r.IntN(24)})
	o = append(o, kv{"summary", sentence(r)})
	if r.IntN(2) == 0 {
		o = append(o, kv{"hero", image(r, pick(r, adjectives)+" "+pick(r, nouns))})
	}
	o = append(o, kv{"body", paragraphs(r, 3+r.IntN(3))})
	if r.IntN(5) < 2 {
		o = append(o, kv{"seo", seo(r, title)})
	}
	if prev := g.ids["Article"]; len(prev) > 0 && r.IntN(10) < 3 {
		var rel []any
		for range 1 + r.IntN(3) {
			rel = append(rel, obj{{"kind", "Article"}, {"id", pick(r, prev)}})
		}
		if prods := g.ids["Product"]; len(prods) > 0 && r.IntN(2) == 0 {
			rel = append(rel, obj{{"kind", "Product"}, {"id", pick(r, prods)}})
		}
		o = append(o, kv{"related", rel})
	}
	if r.IntN(5) == 0 {
		o = append(o, kv{"allowComments", false})
	}
	if r.IntN(20) == 0 {
		o = append(o, kv{"sponsored", true}, kv{"sponsor", pick(r, brands)})
	}
	return o, id
}

func (g *gen) author(r *rand.Rand, seq int) (obj, string) {
	first, last := authorName(seq)
	id := authorID(seq)
	o := head(r, "Author", id)
	o = append(o,
		kv{"name", first + " " + last},
		kv{"email", fmt.Sprintf("%s.%s%d@example.org", slugify(first), slugify(last), seq)},
	)
	if r.IntN(3) > 0 {
		o = append(o, kv{"role", pick(r, []string{"contributor", "staff", "editor", "guest"})})
	}
	if r.IntN(5) < 4 {
		o = append(o, kv{"bio", paragraphs(r, 1+r.IntN(3))})
	}
	if r.IntN(2) == 0 {
		o = append(o, kv{"avatar", image(r, "portrait of "+first+" "+last)})
	}
	if r.IntN(2) == 0 {
		handle := strings.ReplaceAll(slugify(first), "-", "") + fmt.Sprint(seq)
		if len(handle) > 15 {
			handle = handle[:15]
		}
		s := obj{{"twitter", "@" + handle}}
		if r.IntN(2) == 0 {
			s = append(s, kv{"mastodon", "@" + handle + "@mastodon.social"})
		}
		if r.IntN(2) == 0 {
			s = append(s, kv{"website", fmt.Sprintf("https://%s.example.net/", slugify(first+" "+last))})
		}
		o = append(o, kv{"social", s})
	}
	var ls []any
	for _, l := range []string{"en", pick(r, langs), pick(r, langs)}[:1+r.IntN(3)] {
		if !slices.Contains(ls, any(l)) {
			ls = append(ls, l)
		}
	}
	o = append(o, kv{"languages", list(r, ls)})
	o = append(o, kv{"joined", when(r, day(r, 2012, 2025))})
	if r.IntN(7) == 0 {
		o = append(o, kv{"active", false})
	}
	if r.IntN(2) == 0 {
		o = append(o, kv{"beats", list(r, tagsFor(r, 1+r.IntN(3)))})
	}
	return o, id
}

func (g *gen) product(r *rand.Rand, seq int) (obj, string) {
	brand := pick(r, brands)
	name := capitalize(pick(r, adjectives)) + " " + pick(r, productWords)
	if r.IntN(3) == 0 {
		name += " " + pick(r, []string{"Mini", "Pro", "Classic", "Travel", "2"})
	}
	id := fmt.Sprintf("%s-%s-%05d", slugify(brand), slugify(name), seq)
	sku := fmt.Sprintf("%s-%05d", strings.ToUpper(asciiFold(brand)[:3]), seq)
	o := head(r, "Product", id)
	o = append(o, kv{"name", name}, kv{"sku", sku}, kv{"brand", brand})
	o = append(o, kv{"description", paragraphs(r, 1+r.IntN(2))})
	price := obj{}
	if r.IntN(3) == 0 {
		price = append(price, kv{"amount", 5 + r.IntN(400)})
	} else {
		price = append(price, kv{"amount", float64(500+r.IntN(40000)) / 100})
	}
	if r.IntN(10) < 7 {
		price = append(price, kv{"currency", pick(r, []string{"EUR", "USD", "GBP", "JPY"})})
	}
	if r.IntN(5) == 0 {
		price = append(price, kv{"discountPercent", 5 * (1 + r.IntN(10))})
	}
	o = append(o, kv{"price", price}, kv{"stock", r.IntN(500)})
	var cats []any
	for _, c := range []string{pick(r, categoryList), pick(r, categoryList), pick(r, categoryList)}[:1+r.IntN(3)] {
		if !slices.Contains(cats, any(c)) {
			cats = append(cats, c)
		}
	}
	o = append(o, kv{"categories", list(r, cats)})
	if r.IntN(2) == 0 {
		var vs []any
		for k := range 1 + r.IntN(4) {
			size := sizes[(k+r.IntN(2))%len(sizes)]
			v := obj{{"sku", fmt.Sprintf("%s-%s%d", sku, size, k)}}
			if r.IntN(3) > 0 {
				v = append(v, kv{"color", pick(r, colors)})
			}
			v = append(v, kv{"size", size}, kv{"stock", r.IntN(120)})
			vs = append(vs, v)
		}
		o = append(o, kv{"variants", vs})
	}
	if r.IntN(5) < 2 {
		o = append(o, kv{"dimensions", obj{
			{"width", 5 + r.IntN(80)}, {"height", float64(50+r.IntN(800)) / 10}, {"depth", 2 + r.IntN(40)},
			{"unit", pick(r, []string{"cm", "mm", "in"})},
		}})
	}
	if r.IntN(2) == 0 {
		o = append(o, kv{"weightKg", float64(1+r.IntN(2500)) / 100})
	}
	var imgs []any
	for k := range 1 + r.IntN(3) {
		imgs = append(imgs, image(r, fmt.Sprintf("%s %s view %d", brand, name, k+1)))
	}
	o = append(o, kv{"images", imgs})
	if r.IntN(10) == 0 {
		o = append(o, kv{"featured", true})
	}
	if r.IntN(5) < 3 {
		o = append(o, kv{"rating", float64(10+r.IntN(41)) / 10})
	}
	if r.IntN(5) < 2 {
		o = append(o, kv{"releasedOn", when(r, day(r, 2018, 2026))})
	}
	if r.IntN(10) < 3 {
		o = append(o, kv{"seo", seo(r, name)})
	}
	return o, id
}

func (g *gen) event(r *rand.Rand, seq int) (obj, string) {
	year := 2025 + r.IntN(3)
	title := fmt.Sprintf("The %s %s %s %d", capitalize(pick(r, adjectives)), capitalize(pick(r, nouns)),
		pick(r, []string{"Summit", "Meetup", "Festival", "Conference", "Workshop", "Forum"}), year)
	id := fmt.Sprintf("%s-%05d", slugify(title), seq)
	o := head(r, "Event", id)
	o = append(o, kv{"title", title})
	month, dd, hour := 1+r.IntN(12), 1+r.IntN(28), 8+r.IntN(8)
	o = append(o, kv{"startsAt", when(r, fmt.Sprintf("%d-%02d-%02dT%02d:00:00Z", year, month, dd, hour))})
	if r.IntN(10) < 7 {
		o = append(o, kv{"endsAt", when(r, fmt.Sprintf("%d-%02d-%02dT%02d:30:00Z", year, month, dd, hour+1+r.IntN(6)))})
	}
	city := cities[r.IntN(len(cities))]
	o = append(o, kv{"timezone", city.tz})
	format := pick(r, []string{"in-person", "in-person", "in-person", "online", "hybrid"})
	if format != "in-person" || r.IntN(2) == 0 {
		o = append(o, kv{"format", format})
	}
	if format != "online" {
		venue := obj{
			{"name", "The " + capitalize(pick(r, nouns)) + " Hall"},
			{"address", obj{
				{"street", fmt.Sprintf("%d %s Road", 1+r.IntN(200), pick(r, streets))},
				{"city", city.city},
				{"postalCode", city.postal},
				{"country", city.country},
			}},
		}
		if r.IntN(10) < 7 {
			venue = append(venue, kv{"capacity", 50 * (1 + r.IntN(60))})
		}
		o = append(o, kv{"venue", venue})
	}
	if format != "in-person" {
		o = append(o, kv{"onlineUrl", "https://live.example.com/events/" + id})
	}
	var speakers []any
	for range r.IntN(5) {
		speakers = append(speakers, g.someAuthor(r))
	}
	o = append(o, kv{"speakers", list(r, speakers)})
	t := obj{}
	if r.IntN(3) == 0 {
		t = append(t, kv{"free", true})
	} else {
		t = append(t, kv{"free", false}, kv{"price", 10 + r.IntN(300)}, kv{"currency", pick(r, []string{"EUR", "USD", "GBP"})})
	}
	if r.IntN(2) == 0 {
		t = append(t, kv{"url", "https://tickets.example.com/" + id})
	}
	o = append(o, kv{"ticketing", t})
	if r.IntN(2) == 0 {
		var ag []any
		for k := range 2 + r.IntN(4) {
			item := obj{{"time", fmt.Sprintf("%02d:%02d", hour+k, 30*r.IntN(2))}, {"title", headline(r)}}
			if len(speakers) > 0 && r.IntN(2) == 0 {
				item = append(item, kv{"speaker", pick(r, speakers)})
			}
			ag = append(ag, item)
		}
		o = append(o, kv{"agenda", ag})
	}
	o = append(o, kv{"description", paragraphs(r, 1+r.IntN(2))})
	if r.IntN(2) == 0 {
		o = append(o, kv{"tags", list(r, tagsFor(r, 1+r.IntN(4)))})
	}
	return o, id
}
