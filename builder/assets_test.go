package builder

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/smallhq/small/lineage"
	"github.com/smallhq/small/protocol"
	"github.com/smallhq/small/repo"
)

const png = "\x89PNG\r\n\x1a\n"

// assetRepo makes a repository whose n topics each name their own image
// and a shared banner.
func assetRepo(t *testing.T, n int) string {
	t.Helper()
	dir := t.TempDir()
	git(t, dir, "init", "-q", "-b", "main")
	os.MkdirAll(filepath.Join(dir, "schemas"), 0o755)
	os.MkdirAll(filepath.Join(dir, "assets"), 0o755)
	write(t, dir, "small.cue", "manifests: \"topics\"\n")
	write(t, dir, "schemas/topic.cue", "package schemas\n\n#Topic: {\n\ttitle: string\n\tlogo?: string @asset(root=\".\", types=\"image/png\")\n\tbanner?: string @asset(root=\"assets\")\n}\n")
	write(t, dir, "assets/banner.png", png+"banner")
	for i := range n {
		d := filepath.Join(dir, "topics", topicName(i))
		os.MkdirAll(d, 0o755)
		write(t, dir, "topics/"+topicName(i)+"/t.yaml", "kind: Topic\nid: "+topicName(i)+"\ntitle: T\nlogo: logo.png\nbanner: banner.png\n")
		write(t, dir, "topics/"+topicName(i)+"/logo.png", png+topicName(i))
	}
	git(t, dir, "add", "-A")
	git(t, dir, "commit", "-qm", "topics")
	return dir
}

func topicName(i int) string { return "t" + string(rune('a'+i)) }

func planHere(t *testing.T, dir string) *Plan {
	t.Helper()
	r, err := repo.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	p, err := Prepare(r, "HEAD")
	if err != nil {
		t.Fatal(err)
	}
	if p.Report.Failed() {
		t.Fatalf("findings: %v", p.Report.Diagnostics)
	}
	return p
}

func assetFiles(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, line := range strings.Split(git(t, dir, "ls-tree", "-r", "small/artifacts"), "\n") {
		meta, path, _ := strings.Cut(line, "\t")
		if strings.HasPrefix(path, protocol.AssetDir+"/") {
			out[path] = strings.Fields(meta)[2]
		}
	}
	return out
}

func assetPathOf(data string, source string) string {
	sum := sha256.Sum256([]byte(data))
	return protocol.AssetPath(hex.EncodeToString(sum[:]), source)
}

// TestAssetsBuilt: each asset once, at its content-addressed path, as the
// manifest commit's blob; a shared one is one file; the same input makes
// the same tree; an incremental history ends where a full build does.
func TestAssetsBuilt(t *testing.T) {
	dir := assetRepo(t, 3)
	buildHere(t, dir)
	files := assetFiles(t, dir)
	if len(files) != 4 {
		t.Fatalf("asset files: %v, want 3 logos and 1 banner", files)
	}
	banner := assetPathOf(png+"banner", "banner.png")
	if files[banner] != git(t, dir, "rev-parse", "HEAD:assets/banner.png") {
		t.Errorf("banner at %s is %s, not the repository's blob", banner, files[banner])
	}
	// Determinism: another clone's build of the same commit makes the same tree.
	other := t.TempDir()
	git(t, other, "clone", "-q", "--single-branch", "-b", "main", dir, ".")
	buildHere(t, other)
	if a, b := git(t, dir, "rev-parse", "small/artifacts"), git(t, other, "rev-parse", "small/artifacts"); a != b {
		t.Errorf("two builds of one commit: %s and %s", a, b)
	}
	// The lineage record of each artifact lists its assets.
	note := git(t, dir, "notes", "--ref=small/lineage", "show", "small/artifacts")
	recs, errs := lineage.ParseRecords([]byte(note))
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	for _, rc := range recs {
		if rc.Artifact == "topic/ta.json" {
			if len(rc.Assets) != 2 || rc.Assets[0].Path != "assets/banner.png" || rc.Assets[0].ArtifactPath != banner || rc.Assets[1].Path != "topics/ta/logo.png" {
				t.Errorf("record of topic/ta.json lists %+v", rc.Assets)
			}
		}
	}
	if v := verifyTip(t, dir); !v.Exact || !v.OK() {
		t.Fatalf("verify: %+v", v.Mismatches)
	}
}

// TestAssetChangeRebuildsItsManifests: a new logo rebuilds its one
// manifest; a new banner every one that names it; an asset no manifest
// names any longer is removed; every build verifies, and the last tree is
// a full build's.
func TestAssetChangeRebuildsItsManifests(t *testing.T) {
	dir := assetRepo(t, 4)
	buildHere(t, dir)

	write(t, dir, "topics/tb/logo.png", png+"tb, redrawn")
	git(t, dir, "commit", "-qam", "redraw tb")
	p := planHere(t, dir)
	if p.Evaluated != 1 || len(p.Changes) != 1 || p.Changes[0].Path != "topic/tb.json" || p.Changes[0].Action != lineage.Updated {
		t.Fatalf("evaluated %d, changes %+v", p.Evaluated, p.Changes)
	}
	want := []string{lineage.Created + " " + assetPathOf(png+"tb, redrawn", "x.png"), lineage.Retracted + " " + assetPathOf(png+"tb", "x.png")}
	var got []string
	for _, a := range p.Assets {
		got = append(got, a.Action+" "+a.Path)
	}
	slices.Sort(want)
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Fatalf("asset changes %v, want %v", got, want)
	}
	buildHere(t, dir)
	if v := verifyTip(t, dir); !v.Exact || !v.OK() {
		t.Fatalf("verify: %+v", v.Mismatches)
	}

	write(t, dir, "assets/banner.png", png+"new banner")
	git(t, dir, "commit", "-qam", "new banner")
	if p := planHere(t, dir); p.Evaluated != 4 || len(p.Changes) != 4 || len(p.Assets) != 2 {
		t.Fatalf("new banner: evaluated %d, %d changes, %d asset changes", p.Evaluated, len(p.Changes), len(p.Assets))
	}
	buildHere(t, dir)

	// Two logos become the same bytes: one file; then none names the banner.
	write(t, dir, "topics/tc/logo.png", png+"td")
	for i := range 4 {
		name := "topics/" + topicName(i) + "/t.yaml"
		write(t, dir, name, strings.Replace(readFile(t, dir, name), "banner: banner.png\n", "", 1))
	}
	git(t, dir, "commit", "-qam", "no banner, tc looks like td")
	buildHere(t, dir)
	files := assetFiles(t, dir)
	if len(files) != 3 {
		t.Fatalf("asset files %v: want the logos of ta, tb and td (tc's too)", files)
	}
	if _, ok := files[assetPathOf(png+"new banner", "b.png")]; ok {
		t.Error("the banner no manifest names is still there")
	}
	if v := verifyTip(t, dir); !v.Exact || !v.OK() {
		t.Fatalf("verify: %+v", v.Mismatches)
	}
	other := t.TempDir()
	git(t, other, "clone", "-q", "--single-branch", "-b", "main", dir, ".")
	buildHere(t, other)
	if a, b := treeButLineage(t, dir), treeButLineage(t, other); a != b {
		t.Errorf("incremental tree:\n%s\nfull build's:\n%s", a, b)
	}
	// small lineage of an asset: its users.
	r, _ := repo.Open(dir)
	use, err := AssetUsage(r, protocol.BranchRef(protocol.DefaultArtifactBranch), "topics/tc/logo.png")
	if err != nil || use == nil {
		t.Fatalf("AssetUsage: %v, %v", use, err)
	}
	if len(use.UsedBy) != 2 || !slices.Equal(use.Sources, []string{"topics/tc/logo.png", "topics/td/logo.png"}) {
		t.Errorf("usage %+v", use)
	}
}

func TestAssetIndexRoundTrip(t *testing.T) {
	u := AssetUse{Source: "a\tb.png", Blob: strings.Repeat("ab", 20), SHA256: strings.Repeat("cd", 32)}
	e := IndexEntry{Path: "m.yaml", Blob: "b", Kind: "K", ID: "m", Commit: "c",
		Actor:     lineage.Actor{Type: "agent", Name: "x", Email: "x@y", Human: lineage.Person{Name: "Ann"}},
		Artifacts: []string{"k/m.json"}, Assets: []AssetUse{u}}
	var b strings.Builder
	encodeEntry(&b, e)
	got, err := decodeEntry(strings.TrimSuffix(b.String(), "\n"))
	if err != nil || got.Assets[0] != u || !slices.Equal(got.Artifacts, e.Artifacts) || got.Actor != e.Actor {
		t.Fatalf("round trip: %+v, %v", got, err)
	}
	lines, err := parseAssetLines("x", encodeAssetLines([]assetLine{{u, "m.yaml"}}))
	if err != nil || len(lines) != 1 || lines[0].AssetUse != u {
		t.Fatalf("asset lines: %+v, %v", lines, err)
	}
	// Damaged: errors, never a panic.
	for _, bad := range []string{
		"m\tb\tK\tm\t\tc\thuman*\tx\ty\t2\ta\tb",
		"m\tb\tK\tm\t\tc\thuman*\tx\ty\tz",
		"m\tb\tK\tm\t\tc\thuman*\tx\ty\t1\ta\t" + u.Blob + "\tshort",
		"m\tb\tK\tm\t\tc\thuman*\tx\ty",
	} {
		if _, err := decodeEntry(bad); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
	if _, err := parseAssetLines("x", []byte("a\tb\tc\n")); err == nil {
		t.Error("a short asset line: no error")
	}
}
