package content

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"

	"cuelang.org/go/cue/ast"

	"github.com/smallhq/small/config"
	"github.com/smallhq/small/diag"
	"github.com/smallhq/small/protocol"
	"github.com/smallhq/small/repo"
	"github.com/smallhq/small/schema"
	"github.com/smallhq/small/translations"
)

// NoLocalesError is a question about translations in a repository whose
// small.cue declares no locales: a usage error.
type NoLocalesError struct{}

func (*NoLocalesError) Error() string {
	return `small.cue declares no locales: add locales: {default: "en", supported: ["en", "fr"]} to translate entries (docs/schemas.md#translations)`
}

// Translations is small status --translations: every entry of the commit
// rev names ("" for HEAD) with each locale small.cue supports and its
// kind requires: missing, stale (naming the source's commits since the
// translation was made) or current. The manifests are validated to know
// them; their findings are small validate's, not this report's.
func Translations(r *repo.Repository, rev string) (*translations.Report, error) {
	if rev == "" {
		rev = "HEAD"
	}
	head, err := r.Resolve(rev)
	if err != nil {
		return nil, err
	}
	snap := r.Snapshot(head)
	cfg, err := config.Load(snap)
	if err != nil {
		return nil, err
	}
	if cfg.Locales == nil {
		return nil, &NoLocalesError{}
	}
	res, err := Validate(snap, cfg, Options{})
	if err != nil {
		return nil, err
	}
	if res.Schema == nil {
		return nil, &schema.Error{Diagnostics: res.Report.Diagnostics}
	}
	return translationReport(r, head, cfg, res.Schema, res.Manifests)
}

// translationReport asks package translations about the manifests ms.
func translationReport(r *repo.Repository, head *repo.Commit, cfg *config.Config, s *schema.Schema, ms []Manifest) (*translations.Report, error) {
	var entries []translations.Entry
	for _, m := range ms {
		if m.Kind != "" && s.HasKind(m.Kind) {
			entries = append(entries, translations.Entry{Kind: m.Kind, ID: m.ID, Locale: m.Locale, Path: m.Path, State: m.State})
		}
	}
	return translations.Status(r, head, cfg.Manifests, entries, translations.Options{
		Default: cfg.Locales.Default, Supported: cfg.Locales.Supported,
		Required:    func(kind string) []string { return s.Locales(kind).Required },
		Fingerprint: fingerprint(cfg),
		MaxBytes:    cfg.Limits.ManifestBytes,
	})
}

// fingerprint names the content of a manifest version, apart from its
// status: a source that only moved through its lifecycle (published) has
// not changed for its translators.
func fingerprint(cfg *config.Config) func(p string, data []byte) string {
	lim := cfg.ManifestLimits()
	return func(p string, data []byte) string {
		match, _ := cfg.Manifest(p)
		doc, _, _ := decodeManifest(p, match, data, lim)
		if doc == nil {
			sum := sha256.Sum256(data)
			return "bytes:" + hex.EncodeToString(sum[:])
		}
		content := &ast.StructLit{}
		for _, el := range doc.Fields.Elts {
			if f, ok := el.(*ast.Field); ok {
				if name, _, _ := ast.LabelName(f.Label); name == protocol.FieldStatus || name == protocol.FieldLocale {
					continue
				}
			}
			content.Elts = append(content.Elts, el)
		}
		sum := sha256.Sum256([]byte(canonicalValue(content, 0)))
		return "content:" + hex.EncodeToString(sum[:])
	}
}

// publishFindings is the publishing rule of small check: an entry (a
// source) that enters a state its kind's #locales.currentIn lists, at the
// head of the change, while a translation its #locales.required names is
// missing or stale. The kinds' rules are the policy's (the target's),
// the translations those of the head.
func publishFindings(r *repo.Repository, ch *Change, cfg *config.Config) ([]diag.Diagnostic, error) {
	pol := ch.Policy
	if ch.Head == nil || cfg.Locales == nil || ch.Result == nil || ch.Result.Schema == nil {
		return nil, nil
	}
	rules := func(kind string) schema.KindLocales {
		if pol.Schema != nil && pol.Schema.HasKind(kind) {
			return pol.Schema.Locales(kind)
		}
		return ch.Result.Schema.Locales(kind)
	}
	var entering []Manifest
	for _, m := range ch.Result.Manifests {
		kl := rules(m.Kind)
		if m.Kind == "" || m.Locale != "" || len(kl.Required) == 0 || !slices.Contains(kl.CurrentIn, m.State) {
			continue
		}
		// Was it there, in such a state, at the base? Then it does not enter now.
		if blob := r.FileAt(ch.Base.Tree, m.Path); !blob.IsZero() {
			if match, ok := matchAny(m.Path, pol.Config, ch.HeadConfig); ok {
				d, err := pol.decode(r, m.Path, match, blob)
				if err != nil {
					return nil, err
				}
				if d.ok && d.key == (key{m.Kind, m.ID, ""}) && slices.Contains(kl.CurrentIn, d.state) {
					continue
				}
			}
		}
		entering = append(entering, m)
	}
	if len(entering) == 0 {
		return nil, nil
	}
	rep, err := translationReport(r, ch.Head, cfg, ch.Result.Schema, ch.Result.Manifests)
	if err != nil {
		return nil, err
	}
	byName := map[string]translations.EntryStatus{}
	for _, e := range rep.Entries {
		byName[e.Name] = e
	}
	var ds []diag.Diagnostic
	for _, m := range entering {
		e := byName[protocol.EntryName(m.Kind, m.ID, "")]
		var behind []string
		for _, l := range e.Locales {
			if !slices.Contains(rules(m.Kind).Required, l.Locale) || !l.Behind() {
				continue
			}
			what := l.Locale + " is missing"
			if l.Status == translations.Stale {
				var since []string
				for _, c := range l.Since {
					since = append(since, c.Short+" "+c.Subject)
				}
				what = fmt.Sprintf("%s (%s) is stale: made at %s, the source changed since in %s", l.Locale, l.Manifest, l.MadeAt.Short, strings.Join(since, "; "))
			}
			behind = append(behind, what)
		}
		if len(behind) == 0 {
			continue
		}
		ds = append(ds, diag.Diagnostic{File: m.Path, Line: m.StatusLine, Column: m.StatusColumn, Path: protocol.FieldStatus,
			Code: diag.CodeTranslationRequired, Severity: diag.Error,
			Message: fmt.Sprintf("%s enters %q, where %s requires its translations to be current, but %s: translate it first (small status --translations)",
				protocol.EntryName(m.Kind, m.ID, ""), m.State, m.Kind, strings.Join(behind, "; "))})
	}
	return ds, nil
}
