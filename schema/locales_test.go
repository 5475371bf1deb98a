package schema

import (
	"errors"
	"strings"
	"testing"
)

func TestKindLocales(t *testing.T) {
	s, err := loadOne(t, `
#Article: {
	title: string
	date: string @shared()
	tags?: [...string] @shared() @unique()
	#locales: {required: ["fr", "pt-BR"], currentIn: ["published"]}
}
#Page: {title: string}
`)
	if err != nil {
		t.Fatal(err)
	}
	kl := s.Locales("Article")
	if strings.Join(kl.Required, ",") != "fr,pt-BR" || strings.Join(kl.CurrentIn, ",") != "published" || kl.Defined == "" {
		t.Errorf("Locales(Article) = %+v", kl)
	}
	if p := s.Locales("Page"); len(p.Required) != 0 {
		t.Errorf("Locales(Page) = %+v", p)
	}
	var shared []string
	for _, c := range s.Constraints("Article") {
		if c.Shared {
			shared = append(shared, c.String())
		}
	}
	if strings.Join(shared, ",") != "date,tags" {
		t.Errorf("shared = %v", shared)
	}
}

func TestKindLocalesErrors(t *testing.T) {
	for _, tc := range []struct{ src, want string }{
		{`#A: {t: string, #locales: {required: ["FR"]}}`, `required: "FR" is not a locale tag`},
		{`#A: {t: string, #locales: {required: ["fr", "fr"]}}`, `required: "fr" is listed twice`},
		{`#A: {t: string, #locales: {required: ["fr"], currentIn: ["live"]}}`, `currentIn: "live" is not a state of #A`},
		{`#A: {t: string, #locales: {currentIn: ["published"]}}`, `currentIn without required`},
		{`#A: {t: string, #locales: {required: ["fr"], beforePublish: true}}`, `beforePublish: field not allowed: expected one of required, currentIn`},
		{`#A: {t: string @shared(x)}`, `@shared(x): expected @shared() with no arguments`},
		{`#A: {links: [...{url: string @shared()}]}`, `@shared() on links[].url of #A, inside a list`},
	} {
		_, err := loadOne(t, tc.src)
		var se *Error
		if !errors.As(err, &se) || !strings.Contains(se.Error(), tc.want) {
			t.Errorf("%s: got %v, want %q", tc.src, err, tc.want)
		}
	}
}
