package config

import (
	"errors"
	"strings"
	"testing"
)

func TestLocales(t *testing.T) {
	c, err := Parse("small.cue", []byte(`locales: {default: "en", supported: ["en", "fr", "pt-BR"]}`+"\n"))
	if err != nil {
		t.Fatal(err)
	}
	if c.Locales == nil || c.Locales.Default != "en" || !c.Locales.Supports("pt-BR") || c.Locales.Supports("de") {
		t.Fatalf("locales = %+v", c.Locales)
	}
	if got := strings.Join(c.Locales.Translated(), ","); got != "fr,pt-BR" {
		t.Errorf("Translated = %s", got)
	}
	if m, ok := c.Manifest("manifests/a.yaml"); !ok || m.DefaultLocale != "en" {
		t.Errorf("Manifest = %+v %v, want the default locale en", m, ok)
	}
	if d := Default(); d.Locales != nil || d.BuildsLike(c) || !c.BuildsLike(c) {
		t.Errorf("without locales: %+v; a change of locales must rebuild", d.Locales)
	}
	for _, tc := range []struct{ src, want string }{
		{`locales: {default: "de", supported: ["en", "fr"]}`, `small.cue:1:20: locales.default: "de" is not one of supported (en, fr)`},
		{`locales: {default: "en", supported: ["en", "EN_us"]}`, `small.cue:1:44: locales.supported.1: "EN_us" is not a locale tag`},
		{`locales: {default: "en", supported: ["en", "en"]}`, `small.cue:1:44: locales.supported.1: "en" is listed twice`},
		{`locales: {default: "en", supported: []}`, `small.cue:`},
		{`locales: {default: "en"}`, `small.cue:`},
		{`locales: {default: "en", supported: ["en"], extra: 1}`, `small.cue:1:45: locales.extra: field not allowed`},
		{`locales: {default: "../x", supported: ["../x"]}`, `small.cue:`},
	} {
		_, err := Parse("small.cue", []byte(tc.src+"\n"))
		var ce *Error
		if !errors.As(err, &ce) {
			t.Errorf("%s: got %v, want a config error", tc.src, err)
			continue
		}
		if !strings.HasPrefix(ce.Error(), tc.want) {
			t.Errorf("%s:\n got %s\nwant prefix %s", tc.src, ce.Error(), tc.want)
		}
	}
}
