package content

import (
	"fmt"
	"runtime"
	"sync"

	"github.com/smallhq/small/config"
	"github.com/smallhq/small/manifest"
	"github.com/smallhq/small/repo"
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

// decodeAll reads the manifest files at paths from snap, one after another
// on this goroutine (a commit's snapshot is not safe for concurrent use),
// and decodes them on every core, calling fn with each file's index in
// paths, its document, its identity and decodeManifest's error (doc is
// nil when the file does not decode). fn runs on many goroutines at once: it may write only what
// belongs to index i. A file that cannot be read is skipped, or, when
// strict, stops the reading with the error.
func decodeAll(snap repo.Snapshot, cfg *config.Config, paths []string, strict bool, fn func(i int, doc *manifest.Document, id manifest.Identity, err error)) error {
	if len(paths) == 0 {
		return nil
	}
	lim := cfg.ManifestLimits()
	type job struct {
		i    int
		data []byte
	}
	jobs := make(chan job, 64)
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), len(paths)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				match, _ := cfg.Manifest(paths[j.i])
				doc, id, err := decodeManifest(paths[j.i], match, j.data, lim)
				fn(j.i, doc, id, err)
			}
		}()
	}
	var readErr error
	for i, p := range paths {
		data, err := snap.Read(p, cfg.Limits.ManifestBytes)
		if err != nil {
			if strict {
				readErr = fmt.Errorf("read %s: %w", p, err)
				break
			}
			continue
		}
		jobs <- job{i, data}
	}
	close(jobs)
	wg.Wait()
	return readErr
}
