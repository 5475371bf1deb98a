package content

import (
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/smallhq/small/config"
	"github.com/smallhq/small/diag"
	"github.com/smallhq/small/repo"
)

const topicSchema = `package schemas

#Topic: {
	title: string @unique()
	tags?: [...string] @unique()
	logo?: string @asset(root=".", types="image/png,image/jpeg", maxBytes=100)
	gallery?: [...string] @asset(root="assets", types="image/*")
	author?: {email?: string @unique()}
	links?: [...{url: string @unique()}]
	num?: number @unique()
}
`

var (
	png  = "\x89PNG\r\n\x1a\n" + strings.Repeat("\x00", 20)
	jpeg = "\xff\xd8\xff\xe0" + strings.Repeat("\x00", 20)
	gif  = "GIF89a" + strings.Repeat("\x00", 20)
)

func topicFiles(more map[string]string) map[string]string {
	files := map[string]string{
		"small.cue":         baseConfig,
		"schemas/topic.cue": topicSchema,
	}
	maps.Copy(files, more)
	return files
}

func TestConstraintsAcrossManifests(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string
		want  []want
		valid int
	}{
		{
			name: "unique values and present assets pass",
			files: map[string]string{
				"manifests/git/git.yaml":   "kind: Topic\ntitle: Git\ntags: [vcs, tools]\nlogo: git.png\n",
				"manifests/git/git.png":    png,
				"manifests/go.yaml":        "kind: Topic\ntitle: Go\ntags: [lang]\nlogo: img/go.jpg\ngallery: [a.png, b/c.gif]\nnum: 1\n",
				"manifests/img/go.jpg":     jpeg,
				"assets/a.png":             png,
				"assets/b/c.gif":           gif,
				"manifests/rust.json":      `{"kind": "Topic", "title": "Rust", "num": 1.5, "author": {"email": "a@x"}}`,
				"manifests/not-a-manifest": png,
			},
			valid: 3,
		},
		{
			name: "a duplicate title across three files: each later one names the first",
			files: map[string]string{
				"manifests/a.yaml": "kind: Topic\ntitle: Git\n",
				"manifests/b.yaml": "kind: Topic\n\ntitle: Git\n",
				"manifests/c.yaml": "kind: Topic\ntitle: \"Git\"\n",
			},
			want: []want{
				{diag.CodeNotUnique, "manifests/b.yaml", 3, `"Git" is also used by manifests/a.yaml:2: expected a value unique across Topic manifests`},
				{diag.CodeNotUnique, "manifests/c.yaml", 2, `"Git" is also used by manifests/a.yaml:2`},
			},
			valid: 1,
		},
		{
			name: "list elements: across files and within one",
			files: map[string]string{
				"manifests/a.yaml": "kind: Topic\ntitle: A\ntags:\n  - go\n  - vcs\n",
				"manifests/b.yaml": "kind: Topic\ntitle: B\ntags: [x, vcs, x]\n",
			},
			want: []want{
				{diag.CodeNotUnique, "manifests/b.yaml", 3, `"vcs" is also used by manifests/a.yaml:5: expected`},
				{diag.CodeNotUnique, "manifests/b.yaml", 3, `"x" is also used by manifests/b.yaml:3 (tags[0])`},
			},
			valid: 1,
		},
		{
			name: "nested fields, fields of list elements, numbers by value",
			files: map[string]string{
				"manifests/a.yaml": "kind: Topic\ntitle: A\nauthor: {email: e@x}\nlinks: [{url: u}]\nnum: 1\n",
				"manifests/b.yaml": "kind: Topic\ntitle: B\nauthor:\n  email: e@x\nlinks:\n  - url: v\n  - url: u\nnum: 1.0\n",
			},
			want: []want{
				{diag.CodeNotUnique, "manifests/b.yaml", 4, `"e@x" is also used by manifests/a.yaml:3`},
				{diag.CodeNotUnique, "manifests/b.yaml", 7, `"u" is also used by manifests/a.yaml:4 (links[0].url)`},
				{diag.CodeNotUnique, "manifests/b.yaml", 8, `1.0 is also used by manifests/a.yaml:5`},
			},
			valid: 1,
		},
		{
			name: "a Git LFS pointer: its size is the pointer's, its type its name's",
			files: map[string]string{
				"manifests/a/a.yaml": "kind: Topic\ntitle: A\nlogo: a.png\n",
				"manifests/a/a.png":  "version https://git-lfs.github.com/spec/v1\noid sha256:4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393\nsize 99\n",
				"manifests/b/b.yaml": "kind: Topic\ntitle: B\nlogo: b.png\n",
				"manifests/b/b.png":  "version https://git-lfs.github.com/spec/v1\noid sha256:4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393\nsize 12345\n",
				"manifests/c/c.yaml": "kind: Topic\ntitle: C\nlogo: c.png\n",
				"manifests/c/c.png":  "version https://git-lfs.github.com/spec/v1\nsize 12\n",
			},
			want: []want{
				{diag.CodeAssetTooLarge, "manifests/b/b.yaml", 3, `"b.png": manifests/b/b.png is a Git LFS pointer to 12345 bytes: expected at most 100 (maxBytes)`},
				{diag.CodeAssetType, "manifests/c/c.yaml", 3, `manifests/c/c.png is named as image/png, but its content is text/plain`},
			},
			valid: 1,
		},
		{
			name: "canonically equivalent strings are one value; case and spaces are not folded",
			files: map[string]string{
				"manifests/a.yaml": "kind: Topic\ntitle: \"Caf\u00e9\"\n",
				"manifests/b.yaml": "kind: Topic\ntitle: \"Cafe\u0301\"\n",
				"manifests/c.yaml": "kind: Topic\ntitle: \"caf\u00e9\"\n",
				"manifests/d.yaml": "kind: Topic\ntitle: \"Caf\u00e9 \"\n",
			},
			want:  []want{{diag.CodeNotUnique, "manifests/b.yaml", 2, "\"Cafe\u0301\" is also used by manifests/a.yaml:2"}},
			valid: 3,
		},
		{
			name: "a string and a number are not the same value; another kind's value does not count",
			files: map[string]string{
				"manifests/a.yaml":   "kind: Topic\ntitle: \"1\"\nnum: 1\n",
				"manifests/b.yaml":   "kind: Topic\ntitle: \"2\"\ntags: [\"1\"]\n",
				"schemas/author.cue": "package schemas\n#Author: {title: string @unique()}\n",
				"manifests/c.yaml":   "kind: Author\ntitle: \"1\"\n",
			},
			valid: 3,
		},
		{
			name: "a missing asset, and one beside another manifest",
			files: map[string]string{
				"manifests/a/a.yaml": "kind: Topic\ntitle: A\nlogo: a.png\n",
				"manifests/b/b.yaml": "kind: Topic\ntitle: B\nlogo: a.png\n",
				"manifests/a/a.png":  png,
			},
			want:  []want{{diag.CodeAssetMissing, "manifests/b/b.yaml", 3, `"a.png": manifests/b/a.png is not in the commit`}},
			valid: 1,
		},
		{
			name: "too big",
			files: map[string]string{
				"manifests/a.yaml": "kind: Topic\ntitle: A\nlogo: a.png\n",
				"manifests/a.png":  png + strings.Repeat("x", 100),
			},
			want: []want{{diag.CodeAssetTooLarge, "manifests/a.yaml", 3, `"a.png": manifests/a.png is 128 bytes: expected at most 100 (maxBytes)`}},
		},
		{
			name: "wrong types: by extension, by content, unknown extension",
			files: map[string]string{
				"manifests/a.yaml": "kind: Topic\ntitle: A\nlogo: a.gif\n",
				"manifests/a.gif":  gif,
				"manifests/b.yaml": "kind: Topic\ntitle: B\nlogo: b.png\n",
				"manifests/b.png":  jpeg,
				"manifests/c.yaml": "kind: Topic\ntitle: C\nlogo: c.txt\ngallery: [x.svg, y.svg]\n",
				"manifests/c.txt":  "hello",
				"assets/x.svg":     "<?xml version=\"1.0\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\"/>\n",
				"assets/y.svg":     "not an image at all",
			},
			want: []want{
				{diag.CodeAssetType, "manifests/a.yaml", 3, `manifests/a.gif is image/gif: expected a file of type image/png, image/jpeg`},
				{diag.CodeAssetType, "manifests/b.yaml", 3, `manifests/b.png is named as image/png, but its content is image/jpeg`},
				{diag.CodeAssetType, "manifests/c.yaml", 3, `manifests/c.txt has no extension small recognizes`},
				{diag.CodeAssetType, "manifests/c.yaml", 4, `"y.svg": assets/y.svg is named as image/svg+xml, but its content is text/plain`},
			},
		},
		{
			name: "paths that leave the root, or are no paths",
			files: map[string]string{
				"manifests/a/a.yaml": "kind: Topic\ntitle: A\nlogo: ../b/b.png\n",
				"manifests/b/b.png":  png,
				"manifests/c.yaml":   "kind: Topic\ntitle: C\nlogo: /etc/passwd\n",
				"manifests/d.yaml":   "kind: Topic\ntitle: D\nlogo: \"\"\ngallery: [\"a/../../x.png\", \"https://x.org/a.png\", \"a\\\\b.png\", \".\"]\n",
			},
			want: []want{
				{diag.CodeAssetPath, "manifests/a/a.yaml", 3, `"../b/b.png" has a .. element: expected a path that stays inside the manifest's directory`},
				{diag.CodeAssetPath, "manifests/c.yaml", 3, `"/etc/passwd" is absolute`},
				{diag.CodeAssetPath, "manifests/d.yaml", 3, `"" names no file`},
				{diag.CodeAssetPath, "manifests/d.yaml", 4, `"a/../../x.png" has a .. element: expected a path that stays inside assets/`},
				{diag.CodeAssetPath, "manifests/d.yaml", 4, `"https://x.org/a.png" is a URL`},
				{diag.CodeAssetPath, "manifests/d.yaml", 4, `"a\\b.png" holds a control character or a backslash`},
				{diag.CodeAssetPath, "manifests/d.yaml", 4, `"." names assets/ itself`},
			},
		},
		{
			name: "root=\".\" is the manifest's directory; root=\"assets\" the repository's assets/",
			files: map[string]string{
				"manifests/a.yaml":        "kind: Topic\ntitle: A\nlogo: a.png\ngallery: [a.png]\n",
				"manifests/a.png":         png,
				"manifests/assets/a.png":  png,
				"manifests/b.yaml":        "kind: Topic\ntitle: B\ngallery: [dir]\n",
				"assets/dir/inside.png":   png,
				"manifests/c.yaml":        "kind: Topic\ntitle: C\nlogo: ./sub//c.png\n",
				"manifests/sub/c.png":     png,
				"manifests/sub/ignored.x": "",
			},
			want: []want{
				{diag.CodeAssetMissing, "manifests/a.yaml", 4, `"a.png": assets/a.png is not in the commit`},
				{diag.CodeAssetNotFile, "manifests/b.yaml", 3, `assets/dir is a directory: expected a regular file`},
			},
			valid: 1,
		},
		{
			name: "a value of the wrong type is the schema's finding alone",
			files: map[string]string{
				"manifests/a.yaml": "kind: Topic\ntitle: A\nlogo: 42\n",
			},
			want: []want{{diag.CodeViolation, "manifests/a.yaml", 3, "expected string"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			c := f.commit(human, "content", topicFiles(tt.files))
			res, err := f.validateAt(c, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if res.Report.Stopped != "" {
				t.Fatalf("stopped: %s %s", res.Report.Stopped, list(res.Report.Diagnostics))
			}
			expect(t, res.Report.Diagnostics, tt.want...)
			valid := 0
			for _, m := range res.Manifests {
				if m.Valid {
					valid++
				}
				if m.values != nil {
					t.Errorf("%s keeps its values after the checks", m.Path)
				}
			}
			if valid != tt.valid {
				t.Errorf("%d valid, want %d", valid, tt.valid)
			}
			// Verdicts given as known are the same after the constraints
			// are checked again.
			known := map[string]Known{}
			for _, m := range res.Manifests {
				if m.Valid {
					known[m.Path] = Known{Path: m.Path, Kind: m.Kind, ID: m.ID, State: m.State}
				}
			}
			again, err := f.validateAt(c, Options{Known: known})
			if err != nil {
				t.Fatal(err)
			}
			if list(again.Report.Diagnostics) != list(res.Report.Diagnostics) {
				t.Errorf("with known verdicts:\n%s\nwithout:\n%s", list(again.Report.Diagnostics), list(res.Report.Diagnostics))
			}
			for i, m := range again.Manifests {
				if m.Valid != res.Manifests[i].Valid {
					t.Errorf("%s: valid %v with known verdicts, %v without", m.Path, m.Valid, res.Manifests[i].Valid)
				}
			}
		})
	}
}

// Known verdicts do not hide what changed around them: a deleted asset,
// another manifest taking a unique value.
func TestConstraintsKnownReread(t *testing.T) {
	f := newFixture(t)
	c1 := f.commit(human, "content", topicFiles(map[string]string{
		"manifests/a.yaml": "kind: Topic\ntitle: A\nlogo: a.png\n",
		"manifests/a.png":  png,
		"manifests/b.yaml": "kind: Topic\ntitle: B\n",
	}))
	res, err := f.validateAt(c1, Options{})
	if err != nil || len(res.Report.Diagnostics) > 0 {
		t.Fatalf("%v %s", err, list(res.Report.Diagnostics))
	}
	known := map[string]Known{}
	for _, m := range res.Manifests {
		known[m.Path] = Known{Path: m.Path, Kind: m.Kind, ID: m.ID, State: m.State}
	}
	c2 := f.commit(human, "change", map[string]string{"manifests/a.png": deleted, "manifests/c.yaml": "kind: Topic\ntitle: A\n"})
	res, err = f.validateAt(c2, Options{Known: known})
	if err != nil {
		t.Fatal(err)
	}
	expect(t, res.Report.Diagnostics,
		want{diag.CodeAssetMissing, "manifests/a.yaml", 3, "manifests/a.png is not in the commit"},
		want{diag.CodeNotUnique, "manifests/c.yaml", 2, `"A" is also used by manifests/a.yaml:2`})
	if res.Reused != 2 {
		t.Errorf("reused %d verdicts, want 2", res.Reused)
	}
}

// In the working tree, a symbolic link is never an asset, nor a path
// through a linked directory, even one that stays in the repository.
func TestConstraintsWorkingTreeLinks(t *testing.T) {
	dir := t.TempDir()
	runGit(t, dir, nil, "init", "-q")
	write := func(p, data string) {
		full := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for p, data := range topicFiles(map[string]string{
		"manifests/a.yaml":   "kind: Topic\ntitle: A\nlogo: link.png\n",
		"manifests/real.png": png,
		"manifests/b.yaml":   "kind: Topic\ntitle: B\ngallery: [linked/x.png, out/passwd.png, fifo.png]\n",
		"elsewhere/x.png":    png,
	}) {
		write(p, data)
	}
	for link, target := range map[string]string{
		"manifests/link.png": "real.png",
		"assets/linked":      "../elsewhere",
		"assets/out":         "/etc",
	} {
		full := filepath.Join(dir, link)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(target, full); err != nil {
			t.Fatal(err)
		}
	}
	r, err := repo.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	snap := r.WorkingTree()
	cfg, err := config.Load(snap)
	if err != nil {
		t.Fatal(err)
	}
	res, err := Validate(snap, cfg, Options{})
	if err != nil {
		t.Fatal(err)
	}
	expect(t, res.Report.Diagnostics,
		want{diag.CodeAssetNotFile, "manifests/a.yaml", 3, `"link.png": manifests/link.png is a symbolic link, or under one: expected a regular file`},
		want{diag.CodeAssetNotFile, "manifests/b.yaml", 3, `"linked/x.png": assets/linked/x.png is a symbolic link, or under one`},
		want{diag.CodeAssetNotFile, "manifests/b.yaml", 3, `"out/passwd.png": assets/out/passwd.png is a symbolic link, or under one`},
		want{diag.CodeAssetMissing, "manifests/b.yaml", 3, `"fifo.png": assets/fifo.png is not in the working tree`},
	)
}
