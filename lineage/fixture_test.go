package lineage

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/smallhq/small/protocol"
	"github.com/smallhq/small/repo"
)

// The tests below run over a build history made by hand in an in-memory
// repository: manifest commits on refs/heads/main, build commits on the
// artifact branch with their trailers, and JSON-lines notes on the lineage
// and lifecycle notes refs, as small build leaves them.

var (
	ann   = repo.Signature{Name: "Ann", Email: "ann@example.com"}
	bot   = repo.Signature{Name: "Drafter", Email: "drafter@bots.example.com"}
	small = repo.Signature{Name: "small", Email: "small@localhost"}

	humanAnn = Actor{Type: "human", Name: "Ann", Email: "ann@example.com"}
	agentBot = Actor{Type: "agent", Name: "drafter", Email: "drafter@bots.example.com"}
)

const (
	schemaDigest = "sha256:0000000000000000000000000000000000000000000000000000000000000001"
	builderID    = "small/v0.0.0-test"
	branch       = "refs/heads/small/artifacts"

	helloPath = "article/hello.json"
	byePath   = "article/bye.json"
	newPath   = "article/new.json"

	helloManifest = "manifests/article/hello.yaml"
	byeManifest   = "manifests/article/bye.yaml"
	newManifest   = "manifests/article/new.yaml"

	handNote = "LGTM, checked by hand -- Ann"
)

// at is the n-th instant of the fixture's history, one day apart.
func at(n int) time.Time {
	return time.Date(2025, 3, n, 12, 0, 0, 0, time.UTC)
}

func rfc(n int) string { return at(n).Format(time.RFC3339) }

func sign(s repo.Signature, n int) repo.Signature { s.When = at(n); return s }

func sha(b string) string {
	s := sha256.Sum256([]byte(b))
	return hex.EncodeToString(s[:])
}

// world is the fixture: a repository with a build history and the ids of
// what it holds.
type world struct {
	r          *repo.Repository
	manifests  []repo.Hash // M1..M4 (index 0 is M1)
	builds     []repo.Hash // B1..B5 (index 0 is B1)
	blobs      map[string]repo.Hash
	manifestBl map[string]repo.Hash // manifest path at its latest version -> blob
}

func (w *world) m(i int) repo.Hash { return w.manifests[i-1] }
func (w *world) b(i int) repo.Hash { return w.builds[i-1] }

// Artifact contents.
const (
	hello1 = `{"kind":"Article","id":"hello","title":"Hello"}` + "\n"
	hello2 = `{"kind":"Article","id":"hello","title":"Hello, world"}` + "\n"
	bye1   = `{"kind":"Article","id":"bye","title":"Bye"}` + "\n"
	new1   = `{"kind":"Article","id":"new","title":"New"}` + "\n"
)

// newWorld builds this history, newest last:
//
//	M1 (Ann)             adds hello and bye
//	M2 (agent, trailer)  edits hello
//	M3 (Ann)             removes bye
//	M4 (Ann)             adds new
//
//	B1 <- M1  hello, bye created       lineage note (+ a hand-written line); lifecycle: created hello, created bye
//	B2 <- M2  hello updated (agent)    lineage note; lifecycle: transitioned hello + a hand-written line
//	B3 <- M3  bye retracted            lineage note; lifecycle: retracted bye
//	B4 <- M4  new created              NO lineage note; lifecycle: created new
//	B5 <- M4  only .small/ changed     no lineage note; lifecycle: a hand-written line only
func newWorld(t *testing.T) *world {
	t.Helper()
	r := repo.InMemory()
	ow := r.NewObjectWriter()
	w := &world{r: r, blobs: map[string]repo.Hash{}, manifestBl: map[string]repo.Hash{}}
	blob := func(s string) repo.Hash {
		t.Helper()
		h, err := ow.Blob([]byte(s))
		if err != nil {
			t.Fatal(err)
		}
		return h
	}
	tree := func(files map[string]string) repo.Hash {
		t.Helper()
		m := map[string]repo.Hash{}
		for p, s := range files {
			m[p] = blob(s)
		}
		h, err := ow.FileTree(m)
		if err != nil {
			t.Fatal(err)
		}
		return h
	}
	commit := func(files map[string]string, parent repo.Hash, author, committer repo.Signature, msg string) repo.Hash {
		t.Helper()
		var parents []repo.Hash
		if !parent.IsZero() {
			parents = []repo.Hash{parent}
		}
		h, err := ow.Commit(repo.CommitSpec{Tree: tree(files), Parents: parents, Author: author, Committer: committer, Message: msg})
		if err != nil {
			t.Fatal(err)
		}
		return h
	}

	// Manifest commits.
	mHello1 := "kind: Article\ntitle: Hello\n"
	mHello2 := "kind: Article\ntitle: Hello, world\nstatus: review\n"
	mBye := "kind: Article\ntitle: Bye\n"
	mNew := "kind: Article\ntitle: New\n"
	m1 := commit(map[string]string{helloManifest: mHello1, byeManifest: mBye}, repo.ZeroHash, sign(ann, 1), sign(ann, 1), "Add hello and bye\n")
	m2 := commit(map[string]string{helloManifest: mHello2, byeManifest: mBye}, m1, sign(bot, 2), sign(bot, 2),
		"Polish hello\n\nSmall-Agent: drafter\n")
	m3 := commit(map[string]string{helloManifest: mHello2}, m2, sign(ann, 3), sign(ann, 3), "Retire bye\n")
	m4 := commit(map[string]string{helloManifest: mHello2, newManifest: mNew}, m3, sign(ann, 4), sign(ann, 4), "Add new\n")
	w.manifests = []repo.Hash{m1, m2, m3, m4}
	w.manifestBl[helloManifest+"@1"] = blob(mHello1)
	w.manifestBl[helloManifest+"@2"] = blob(mHello2)
	w.manifestBl[byeManifest] = blob(mBye)
	w.blobs[hello1] = blob(hello1)
	w.blobs[hello2] = blob(hello2)
	w.blobs[bye1] = blob(bye1)
	w.blobs[new1] = blob(new1)

	buildMsg := func(subject string, m repo.Hash) string {
		return fmt.Sprintf("%s\n\n%s: %s\n%s: %s\n%s: %s\n%s: %s\n", subject,
			protocol.TrailerManifestCommit, m, protocol.TrailerSchemaDigest, schemaDigest,
			protocol.TrailerBuilder, builderID, protocol.TrailerProtocol, protocol.Version)
	}
	build := func(files map[string]string, parent, m repo.Hash, n int, subject string) repo.Hash {
		return commit(files, parent, sign(small, n), sign(small, n), buildMsg(subject, m))
	}
	b1 := build(map[string]string{helloPath: hello1, byePath: bye1, ".small/index.json": "1\n"}, repo.ZeroHash, m1, 1, "Build hello and bye")
	b2 := build(map[string]string{helloPath: hello2, byePath: bye1, ".small/index.json": "2\n"}, b1, m2, 2, "Build hello")
	b3 := build(map[string]string{helloPath: hello2, ".small/index.json": "3\n"}, b2, m3, 3, "Retract bye")
	b4 := build(map[string]string{helloPath: hello2, newPath: new1, ".small/index.json": "4\n"}, b3, m4, 4, "Build new")
	b5 := build(map[string]string{helloPath: hello2, newPath: new1, ".small/index.json": "5\n"}, b4, m4, 5, "Rebuild index")
	w.builds = []repo.Hash{b1, b2, b3, b4, b5}

	rec := func(path, content, action, manifest, mblob string, m repo.Hash, actor Actor) Record {
		id := strings.TrimSuffix(path[strings.LastIndex(path, "/")+1:], ".json")
		return Record{Artifact: path, Blob: w.blobs[content].String(), SHA256: sha(content), Action: action,
			Kind: "Article", ID: id, Manifest: manifest, ManifestBlob: mblob, ManifestCommit: m.String(),
			Actor: actor, SchemaDigest: schemaDigest}
	}
	lineageNotes := map[repo.Hash][]byte{
		b1: append(mustLines(t, []Record{
			rec(helloPath, hello1, Created, helloManifest, w.manifestBl[helloManifest+"@1"].String(), m1, humanAnn),
			rec(byePath, bye1, Created, byeManifest, w.manifestBl[byeManifest].String(), m1, humanAnn),
		}), handNote+"\n"...),
		b2: mustLines(t, []Record{rec(helloPath, hello2, Updated, helloManifest, w.manifestBl[helloManifest+"@2"].String(), m2, agentBot)}),
		b3: mustLines(t, []Record{rec(byePath, bye1, Retracted, byeManifest, w.manifestBl[byeManifest].String(), m3, humanAnn)}),
	}
	ev := func(n int, event, path, from, to string, m repo.Hash, actor Actor) Event {
		id := strings.TrimSuffix(path[strings.LastIndex(path, "/")+1:], ".json")
		return Event{Time: rfc(n), Event: event, Artifact: path, Kind: "Article", ID: id, From: from, To: to,
			ManifestCommit: m.String(), Actor: actor}
	}
	lifecycleNotes := map[repo.Hash][]byte{
		b1: mustLines(t, []Event{ev(1, Created, helloPath, "", "draft", m1, humanAnn), ev(1, Created, byePath, "", "draft", m1, humanAnn)}),
		b2: append(mustLines(t, []Event{ev(2, Transitioned, helloPath, "draft", "review", m2, agentBot)}), handNote+"\n"...),
		b3: mustLines(t, []Event{ev(3, Retracted, byePath, "draft", "", m3, humanAnn)}),
		b4: mustLines(t, []Event{ev(4, Created, newPath, "", "draft", m4, humanAnn)}),
		b5: []byte(handNote + "\n"),
	}
	var notesCommits []repo.Hash
	for _, set := range []map[repo.Hash][]byte{lineageNotes, lifecycleNotes} {
		c, _, err := ow.NotesCommit(&repo.Notes{}, set, sign(small, 5), "Notes added by small build\n")
		if err != nil {
			t.Fatal(err)
		}
		notesCommits = append(notesCommits, c)
	}
	if err := ow.Flush(); err != nil {
		t.Fatal(err)
	}
	for ref, h := range map[string]repo.Hash{
		"refs/heads/main": m4, branch: b5,
		protocol.NotesLineage: notesCommits[0], protocol.NotesLifecycle: notesCommits[1],
	} {
		if err := r.UpdateRef(ref, h, repo.ZeroHash); err != nil {
			t.Fatal(err)
		}
	}
	return w
}

func mustLines[T any](t *testing.T, items []T) []byte {
	t.Helper()
	b, err := JSONLines(items)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func (w *world) open(t *testing.T) *Log {
	t.Helper()
	l, err := Open(w.r, branch)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// buildNo names a build commit by its number in the fixture, for messages.
func (w *world) buildNo(h repo.Hash) string {
	for i, b := range w.builds {
		if b == h {
			return fmt.Sprintf("B%d", i+1)
		}
	}
	return h.Short()
}
