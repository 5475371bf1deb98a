package content

import (
	"strings"
	"testing"

	"github.com/smallhq/small/diag"
	"github.com/smallhq/small/translations"
)

const localesConfig = `locales: {default: "en", supported: ["en", "fr", "de"]}
`

const translatedSchema = `package schemas

#Article: {
	title: string
	date:  string @shared()
	meta?: {tags: [...string]} @shared()
	#locales: {required: ["fr"], currentIn: ["published"]}
}
`

func translatedFiles() map[string]string {
	return map[string]string{
		"small.cue":             localesConfig,
		"schemas/article.cue":   translatedSchema,
		"manifests/hello.yaml":  "kind: Article\ntitle: Hello\ndate: 2024-05-01\nmeta: {tags: [a, b]}\n",
		"manifests/fr/hi.yaml":  "kind: Article\nid: hello\nlocale: fr\ntitle: Bonjour\ndate: 2024-05-01\nmeta:\n  tags: [a, b]\n",
		"manifests/de/hi.json":  `{"kind": "Article", "id": "hello", "locale": "de", "title": "Hallo", "date": "2024-05-01", "meta": {"tags": ["a", "b"]}}`,
		"manifests/en/hi.yaml":  "kind: Article\nid: bye\nlocale: en\ntitle: Bye\ndate: 2024-05-02\n",
		"manifests/fr/bye.yaml": "kind: Article\nlocale: fr\ntitle: Au revoir\ndate: 2024-05-02\n",
	}
}

func TestTranslationsValidate(t *testing.T) {
	f := newFixture(t)
	c := f.commit(human, "Articles", translatedFiles())
	res, err := f.validateAt(c, Options{Artifacts: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Report.Diagnostics) > 0 {
		t.Fatalf("findings: %s", list(res.Report.Diagnostics))
	}
	paths := map[string]string{}
	for _, m := range res.Manifests {
		paths[m.Path] = m.Artifacts[0].Path
	}
	for p, want := range map[string]string{"manifests/hello.yaml": "article/hello.json", "manifests/fr/hi.yaml": "article/hello.fr.json",
		"manifests/de/hi.json": "article/hello.de.json", "manifests/en/hi.yaml": "article/bye.json", "manifests/fr/bye.yaml": "article/bye.fr.json"} {
		if paths[p] != want {
			t.Errorf("%s builds %s, want %s", p, paths[p], want)
		}
	}

	// Disagreements, a missing shared field, an orphan, a duplicate.
	bad := f.commit(human, "Bad", map[string]string{
		"manifests/fr/hi.yaml":   "kind: Article\nid: hello\nlocale: fr\ntitle: Bonjour\ndate: 2024-05-01\nmeta:\n  tags: [b, a]\n",
		"manifests/de/hi.json":   `{"kind": "Article", "id": "hello", "locale": "de", "title": "Hallo", "date": "2024-05-01"}`,
		"manifests/fr/bye.yaml":  "kind: Article\nlocale: fr\ntitle: Au revoir\ndate: 2024-5-2\n",
		"manifests/fr/gone.yaml": "kind: Article\nlocale: fr\ntitle: Parti\ndate: 2024-05-02\n",
		"manifests/fr/dup.yaml":  "kind: Article\nid: bye\nlocale: fr\ntitle: Au revoir\ndate: 2024-05-02\n",
	})
	res, err = f.validateAt(bad, Options{})
	if err != nil {
		t.Fatal(err)
	}
	got := list(res.Report.Diagnostics)
	for _, want := range []string{
		`manifests/fr/hi.yaml:7:3: meta: {"tags":["b","a"]} differs from the source's {"tags":["a","b"]} at manifests/hello.yaml:4`,
		`manifests/de/hi.json:1:46: meta: missing: the source manifests/hello.yaml:4 has {"tags":["a","b"]}`,
		`manifests/fr/bye.yaml:4:7: date: "2024-5-2" differs from the source's "2024-05-02" at manifests/en/hi.yaml:5`,
		`manifests/fr/gone.yaml:2:9: locale: a translation of Article/gone, which does not exist`,
		`manifests/fr/dup.yaml:2:5: id: Article "bye" in locale fr is also defined in manifests/fr/bye.yaml`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("missing finding %s\nin:\n%s", want, got)
		}
	}
	for _, d := range res.Report.Diagnostics {
		if d.Code == diag.CodeSharedMismatch && d.Path == "" {
			t.Errorf("a shared finding without its path: %s", d)
		}
	}
}

func TestTranslationStatus(t *testing.T) {
	f := newFixture(t)
	f.commit(human, "Articles", translatedFiles())
	pub := f.commit(human, "Publish hello", map[string]string{"manifests/hello.yaml": "kind: Article\nstatus: published\ntitle: Hello\ndate: 2024-05-01\nmeta: {tags: [a, b]}\n"})
	rep, err := Translations(f.r, pub.ID.String())
	if err != nil {
		t.Fatal(err)
	}
	if got := summarize(rep); got != "Article/bye: fr=current de=missing; Article/hello: fr=current de=current" {
		t.Errorf("after a status change alone: %s", got)
	}
	retitle := f.commit(human, "Retitle hello", map[string]string{"manifests/hello.yaml": "kind: Article\nstatus: published\ntitle: Hello!\ndate: 2024-05-01\nmeta: {tags: [a, b]}\n"})
	de := f.commit(human, "Translate into German", map[string]string{"manifests/de/hi.json": `{"kind": "Article", "id": "hello", "locale": "de", "title": "Hallo!", "date": "2024-05-01", "meta": {"tags": ["a", "b"]}}`})
	rep, err = Translations(f.r, de.ID.String())
	if err != nil {
		t.Fatal(err)
	}
	if got := summarize(rep); got != "Article/bye: fr=current de=missing; Article/hello: fr=stale de=current" {
		t.Errorf("after the source changed: %s", got)
	}
	fr := rep.Entries[1].Locales[0]
	if len(fr.Since) != 1 || fr.Since[0].ID != retitle.ID.String() || fr.Since[0].Subject != "Retitle hello" || !fr.Required {
		t.Errorf("fr: %+v", fr)
	}
	if rep.Summary != (translations.Summary{Missing: 1, Stale: 1, Current: 2, RequiredBehind: 1}) {
		t.Errorf("summary %+v", rep.Summary)
	}
}

func summarize(rep *translations.Report) string {
	var out []string
	for _, e := range rep.Entries {
		var ls []string
		for _, l := range e.Locales {
			ls = append(ls, l.Locale+"="+l.Status)
		}
		out = append(out, e.Name+": "+strings.Join(ls, " "))
	}
	return strings.Join(out, "; ")
}
