package content

import (
	"github.com/smallhq/small/config"
	"github.com/smallhq/small/manifest"
)

// decodeManifest decodes the manifest file at p, matched by m (see
// config.Config.Manifest), and reads its identity: its kind and id as its
// fields state them, or as the files rule gives them from its path. It is
// the one place content decodes a manifest. doc is nil when the file does
// not decode; err is then the decoding's, else the identity's. A
// manifest that states small.cue's default locale has no Locale: it is
// the source, as one that states none.
func decodeManifest(p string, m config.Match, data []byte, lim manifest.Limits) (doc *manifest.Document, id manifest.Identity, err error) {
	// A rule's body field names the Markdown body of .md, .markdown and
	// .mdx files.
	doc, err = manifest.DecodeWith(p, data, lim, manifest.Options{Body: m.Body})
	if err != nil {
		return nil, id, err
	}
	id, err = doc.IdentityGiven(manifest.Given{Kind: m.Kind, ID: m.ID, Rule: m.RuleName()})
	if id.Locale != "" && id.Locale == m.DefaultLocale {
		// The default locale's version, whether or not it says so.
		id.Locale = ""
	}
	return doc, id, err
}
