package builder

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/smallhq/small/lineage"
	"github.com/smallhq/small/protocol"
	"github.com/smallhq/small/repo"
)

// Result is what Apply wrote.
type Result struct {
	Commit    repo.Hash // the new build commit (or the tip, when up to date)
	Written   bool
	Lineage   repo.Hash // the lineage notes commit
	Lifecycle repo.Hash // the lifecycle notes commit
	// Packs is what Build did to keep the repository's packs few after
	// writing; PacksErr why it could not (a warning: the build is written).
	Packs    repo.Rollup
	PacksErr error
}

// Apply writes the plan: objects first (one packfile), then the notes refs,
// then the artifact branch, each with compare-and-swap. Because the build
// commit's id is a function of its inputs, a build killed between two steps
// is completed by the next one, which makes the same commit.
func Apply(r *repo.Repository, p *Plan) (*Result, error) {
	res, err := apply(r, p)
	var moved *repo.RefMovedError
	if errors.As(err, &moved) {
		return nil, fmt.Errorf("%w: run small build again", err)
	}
	return res, err
}

func apply(r *repo.Repository, p *Plan) (*Result, error) {
	if p.Report.Failed() {
		return nil, errors.New("the plan has findings: nothing to write")
	}
	if p.against {
		return nil, errors.New("a plan against another revision cannot be applied")
	}
	if p.UpToDate() {
		return &Result{Commit: tipOf(p)}, nil
	}
	w := r.NewObjectWriter()
	if p.spill != nil {
		// The artifacts are in it already, spooled to disk as rendered.
		w = p.spill.w
		defer w.Discard() // after Flush, nothing to remove
	}
	commit, err := p.stage(w)
	if err != nil {
		return nil, err
	}
	builder := p.signature()
	lineageNote, lifecycleNote, err := p.notes(r)
	if err != nil {
		return nil, err
	}
	res := &Result{Commit: commit, Written: true}
	set := func(note []byte) repo.NoteEdit { return func([]byte) ([]byte, error) { return note, nil } }
	notes, err := r.WriteNotes(w, []repo.NotesChange{
		{Ref: protocol.NotesLineage, Edits: map[repo.Hash]repo.NoteEdit{commit: set(lineageNote)}},
		{Ref: protocol.NotesLifecycle, Edits: map[repo.Hash]repo.NoteEdit{commit: set(lifecycleNote)}},
	}, builder, fmt.Sprintf("Notes added by small build for %s\n", commit.Short()), func(stage string) {
		switch stage {
		case "objects":
			crashPoint("after-objects")
		case protocol.NotesLineage:
			crashPoint("after-lineage")
		}
	})
	if err != nil {
		return nil, err
	}
	res.Lineage, res.Lifecycle = notes[0], notes[1]
	crashPoint("after-notes")
	old := repo.ZeroHash
	if p.Previous != nil {
		old = p.Previous.ID
	}
	if err := r.UpdateRef(p.Branch, commit, old); err != nil {
		var moved *repo.RefMovedError
		if errors.As(err, &moved) && moved.Got == commit {
			return res, nil // a concurrent build of the same input won: same commit
		}
		return nil, err
	}
	return res, nil
}

// signature is the build commit's author and committer: the builder named
// in small.cue, at the manifest commit's date, so that the same inputs make
// the same commit.
func (p *Plan) signature() repo.Signature {
	return repo.Signature{Name: p.Config.Builder.Name, Email: p.Config.Builder.Email, When: p.ManifestCommit.Committer.When}
}

// stage stages the build's objects in w, the artifacts, the index, the
// trees and the commit, and returns the commit's id. Nothing is written
// until w is flushed.
func (p *Plan) stage(w *repo.ObjectWriter) (repo.Hash, error) {
	files := make(map[string]repo.Hash, len(p.out.files)+1)
	for a, h := range p.out.files {
		if data, ok := p.out.blobs[a]; ok {
			if _, err := w.Blob(data); err != nil {
				return repo.ZeroHash, err
			}
		}
		files[a] = h
	}
	meta, err := indexMetaBytes(p.out.index)
	if err != nil {
		return repo.ZeroHash, err
	}
	if files[IndexMeta], err = w.Blob(meta); err != nil {
		return repo.ZeroHash, err
	}
	for name, h := range p.out.keptIndex {
		files[name] = h
	}
	for name, data := range p.out.indexFiles {
		if files[name], err = w.Blob(data); err != nil {
			return repo.ZeroHash, err
		}
	}
	tree, err := w.FileTree(files)
	if err != nil {
		return repo.ZeroHash, err
	}
	var parents []repo.Hash
	if p.Previous != nil {
		parents = []repo.Hash{p.Previous.ID}
	}
	builder := p.signature()
	return w.Commit(repo.CommitSpec{Tree: tree, Parents: parents, Author: builder, Committer: builder, Message: p.Message()})
}

// indexMetaBytes renders the index's metadata file.
func indexMetaBytes(idx Index) ([]byte, error) {
	meta, err := json.Marshal(idx)
	return append(meta, '\n'), err
}

func tipOf(p *Plan) repo.Hash {
	if p.Previous == nil {
		return repo.ZeroHash
	}
	return p.Previous.ID
}

// Message is the build commit's canonical message: a subject, a summary and
// the trailers of small/v1.
func (p *Plan) Message() string {
	created, updated, retracted := p.Counts()
	m := p.ManifestCommit
	var b strings.Builder
	fmt.Fprintf(&b, "Build %s: %d created, %d updated, %d retracted\n\n", m.ID.Short(), created, updated, retracted)
	fmt.Fprintf(&b, "Built by small build from manifest commit %s\n(%s).\n\n", m.ID.Short(), m.Subject())
	fmt.Fprintf(&b, "%s: %s\n", protocol.TrailerManifestCommit, m.ID)
	fmt.Fprintf(&b, "%s: %s\n", protocol.TrailerSchemaDigest, p.SchemaDigest)
	fmt.Fprintf(&b, "%s: %s\n", protocol.TrailerBuilder, p.builder)
	fmt.Fprintf(&b, "%s: %s\n", protocol.TrailerProtocol, protocol.Version)
	return b.String()
}

// notes renders the lineage and lifecycle notes of the build.
func (p *Plan) notes(r *repo.Repository) ([]byte, []byte, error) {
	recs, events, err := p.eventsOf(r)
	if err != nil {
		return nil, nil, err
	}
	lin, err := lineage.JSONLines(recs)
	if err != nil {
		return nil, nil, err
	}
	lif, err := lineage.JSONLines(events)
	return lin, lif, err
}

// events are the lineage records and lifecycle events of the build.
func (p *Plan) events() ([]lineage.Record, []lineage.Event) {
	recs, evs, _ := p.eventsOf(nil)
	return recs, evs
}

// eventsOf is events, reading from r the bytes of artifacts the plan does
// not hold (a spooled build's, whose sha256 it kept; the retracted ones').
func (p *Plan) eventsOf(r *repo.Repository) ([]lineage.Record, []lineage.Event, error) {
	when := eventTime(p.ManifestCommit)
	var recs []lineage.Record
	var events []lineage.Event
	for _, c := range p.Changes {
		o := c.Owner
		data, blob := c.New, c.NewBlob
		if c.Action == lineage.Retracted {
			data, blob = c.Old, c.OldBlob
		}
		sum, err := p.sha256Of(r, c.Path, data, blob)
		if err != nil {
			return nil, nil, err
		}
		recs = append(recs, lineage.Record{
			Artifact: c.Path, Blob: blob.String(), SHA256: hex.EncodeToString(sum[:]), Action: c.Action,
			Kind: o.Kind, ID: o.ID, Locale: o.Locale, Manifest: o.Path, ManifestBlob: o.Blob, ManifestCommit: o.Commit,
			Actor: o.Actor, SchemaDigest: p.SchemaDigest, Platform: p.Platform, Assets: assetRefs(o.Assets),
			Uses: usesOf(o, c.Path),
		})
		ev := lineage.Event{Time: when, Event: c.Action, Artifact: c.Path, Kind: o.Kind, ID: o.ID, Locale: o.Locale, ManifestCommit: o.Commit, Actor: o.Actor}
		if c.Action == lineage.Created {
			ev.To = o.Status
		}
		events = append(events, ev)
	}
	// An asset file's records name the manifest that brought it or let it
	// go; its lifecycle is its artifacts', whose events say it.
	for _, c := range p.Assets {
		o := c.Owner
		if o.Path == "" {
			continue // a file no manifest ever named (not small's): removed, of no manifest's lineage
		}
		recs = append(recs, lineage.Record{
			Artifact: c.Path, Blob: c.Use.Blob, SHA256: c.Use.SHA256, Action: c.Action,
			Kind: o.Kind, ID: o.ID, Manifest: o.Path, ManifestBlob: o.Blob, ManifestCommit: o.Commit,
			Actor: o.Actor, SchemaDigest: p.SchemaDigest, Platform: p.Platform,
		})
	}
	return recs, append(events, p.out.events...), nil
}

// sha256Of is the sha256 of an artifact's bytes: data when the plan holds
// them, else as spooled, else read from r.
func (p *Plan) sha256Of(r *repo.Repository, path string, data []byte, blob repo.Hash) ([sha256.Size]byte, error) {
	if p.spill == nil || data != nil || blob.IsZero() {
		return sha256.Sum256(data), nil // a plan that holds every artifact's bytes
	}
	p.spill.mu.Lock()
	sum, ok := p.spill.sums[blob]
	p.spill.mu.Unlock()
	if ok {
		return sum, nil
	}
	b, err := p.data(r, path, blob)
	if err != nil {
		return [sha256.Size]byte{}, err
	}
	return sha256.Sum256(b), nil
}
