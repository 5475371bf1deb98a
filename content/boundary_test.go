package content

import (
	"maps"
	"testing"

	"github.com/smallhq/small/config"
	"github.com/smallhq/small/diag"
)

func TestCheckBoundary(t *testing.T) {
	otherConfig := baseConfig + "limits: depth: 32\n"
	tests := []struct {
		name  string
		base  map[string]string // added to baseFiles
		steps []step
		want  []want
	}{
		{name: "an agent changes manifests only",
			base: map[string]string{a: article("A", "draft")},
			steps: one(agentTrailer, map[string]string{a: article("A", "review"), b: article("B", ""),
				"manifests/c.json": `{"kind": "Article", "title": "C"}`})},
		{name: "an agent deletes a manifest",
			base:  map[string]string{a: article("A", "draft")},
			steps: one(agentGlob, map[string]string{a: deleted})},
		{name: "an agent changes a file outside the schemas and small.cue",
			steps: one(agentTrailer, map[string]string{"README.md": "hello\n"})},
		{name: "a human changes the schemas and small.cue",
			steps: one(human, map[string]string{"schemas/article.cue": articleSchema + "\n#Page: {title: string}\n", "small.cue": otherConfig})},
		{name: "an agent changes a schema",
			steps: one(agentTrailer, map[string]string{"schemas/article.cue": articleSchema + "\n// more\n"}),
			want: []want{{diag.CodeAgentBoundary, "schemas", 0,
				"by agent writer-bot changes the schemas (schemas/): agents act only through manifests; a human must make this change"}}},
		{name: "an agent adds a schema file",
			steps: one(agentTrailer, map[string]string{"schemas/page.cue": "package schemas\n\n#Page: {title: string}\n"}),
			want:  []want{{diag.CodeAgentBoundary, "schemas", 0, "changes the schemas (schemas/)"}}},
		{name: "an agent deletes a schema file",
			base:  map[string]string{"schemas/page.cue": "package schemas\n\n#Page: {title: string}\n"},
			steps: one(agentTrailer, map[string]string{"schemas/page.cue": deleted}),
			want:  []want{{diag.CodeAgentBoundary, "schemas", 0, "changes the schemas"}}},
		{name: "an agent changes a file below the schemas",
			steps: one(agentTrailer, map[string]string{"schemas/README.md": "the kinds\n"}),
			want:  []want{{diag.CodeAgentBoundary, "schemas", 0, "changes the schemas"}}},
		{name: "an agent changes small.cue",
			steps: one(agentTrailer, map[string]string{"small.cue": otherConfig}),
			want:  []want{{diag.CodeAgentBoundary, "small.cue", 0, "by agent writer-bot changes small.cue: agents act only through manifests"}}},
		{name: "an agent known by e-mail changes small.cue and the schemas",
			steps: one(agentGlob, map[string]string{"small.cue": otherConfig, "schemas/article.cue": articleSchema + "\n// more\n", a: article("A", "")}),
			want: []want{
				{diag.CodeAgentBoundary, "schemas", 0, "by agent Robo changes the schemas"},
				{diag.CodeAgentBoundary, "small.cue", 0, "by agent Robo changes small.cue"},
			}},
		{name: "an agent's schema change, then a human's manifest change",
			steps: []step{
				{agentTrailer, map[string]string{"schemas/article.cue": articleSchema + "\n// more\n"}},
				{human, map[string]string{a: article("A", "")}},
			},
			want: []want{{diag.CodeAgentBoundary, "schemas", 0, "by agent writer-bot"}}},
		{name: "a human's schema change, then an agent's manifest change",
			steps: []step{
				{human, map[string]string{"schemas/article.cue": articleSchema + "\n// more\n"}},
				{agentTrailer, map[string]string{a: article("A", "")}},
			}},
		{name: "an agent's change to small.cue that a human reverts is still the agent's",
			steps: []step{
				{agentTrailer, map[string]string{"small.cue": otherConfig}},
				{human, map[string]string{"small.cue": baseConfig}},
			},
			want: []want{{diag.CodeAgentBoundary, "small.cue", 0, "by agent writer-bot"}}},
		{name: "two agents' commits, each reported",
			steps: []step{
				{agentTrailer, map[string]string{"small.cue": otherConfig}},
				{agentGlob, map[string]string{"schemas/article.cue": articleSchema + "\n// more\n"}},
			},
			want: []want{
				{diag.CodeAgentBoundary, "schemas", 0, "by agent Robo"},
				{diag.CodeAgentBoundary, "small.cue", 0, "by agent writer-bot"},
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			files := baseFiles()
			maps.Copy(files, tt.base)
			base := f.commit(human, "base", files)
			head := base
			for _, s := range tt.steps {
				head = f.commit(s.by, "change", s.changes)
			}
			cfg, err := config.Load(f.r.Snapshot(head))
			if err != nil {
				t.Fatal(err)
			}
			ds, err := CheckBoundary(f.r, base, head, cfg)
			if err != nil {
				t.Fatal(err)
			}
			diag.Sort(ds)
			expect(t, ds, tt.want...)
		})
	}
}

// TestCheckBoundaryNamesTheCommit checks that a finding names the commit.
func TestCheckBoundaryNamesTheCommit(t *testing.T) {
	f := newFixture(t)
	base := f.commit(human, "base", baseFiles())
	head := f.commit(agentTrailer, "schema", map[string]string{"schemas/article.cue": articleSchema + "\n// more\n"})
	cfg, err := config.Load(f.r.Snapshot(head))
	if err != nil {
		t.Fatal(err)
	}
	ds, err := CheckBoundary(f.r, base, head, cfg)
	if err != nil {
		t.Fatal(err)
	}
	expect(t, ds, want{diag.CodeAgentBoundary, "schemas", 0, "commit " + head.ID.Short() + " by agent writer-bot"})
}

// TestCheckBoundaryCustomSchemas guards the schemas directory small.cue names.
func TestCheckBoundaryCustomSchemas(t *testing.T) {
	f := newFixture(t)
	base := f.commit(human, "base", map[string]string{
		"small.cue":        "schemas: \"defs\"\n",
		"defs/article.cue": articleSchema,
		"schemas/x.cue":    "package x\n", // not the schemas any more
	})
	head := f.commit(agentTrailer, "change", map[string]string{
		"defs/article.cue": articleSchema + "\n// more\n",
		"schemas/x.cue":    "package y\n",
	})
	cfg, err := config.Load(f.r.Snapshot(head))
	if err != nil {
		t.Fatal(err)
	}
	ds, err := CheckBoundary(f.r, base, head, cfg)
	if err != nil {
		t.Fatal(err)
	}
	expect(t, ds, want{diag.CodeAgentBoundary, "defs", 0, "changes the schemas (defs/)"})
}

// TestCheckBoundaryMerges checks a pull request's branch that a human
// brings up to date by merging the target, which a human changed.
func TestCheckBoundaryMerges(t *testing.T) {
	tests := []struct {
		name   string
		branch []step // commits on the branch, before the merge
		want   []want
	}{
		{name: "an agent's manifest change",
			branch: one(agentTrailer, map[string]string{a: article("A", "review")})},
		{name: "an agent's schema change",
			branch: []step{
				{agentTrailer, map[string]string{a: article("A", "review")}},
				{agentGlob, map[string]string{"schemas/page.cue": "package schemas\n\n#Page: {title: string}\n"}},
			},
			want: []want{{diag.CodeAgentBoundary, "schemas", 0, "by agent Robo changes the schemas"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			files := baseFiles()
			files[a] = article("A", "draft")
			fork := f.commit(human, "base", files)
			target := f.commit(human, "schema", map[string]string{"schemas/article.cue": articleSchema + "\n// by a human\n", "small.cue": baseConfig + "\n"})
			f.checkout(fork)
			for _, s := range tt.branch {
				f.commit(s.by, "change", s.changes)
			}
			head := f.merge(human, "merge the target", target, map[string]string{
				"schemas/article.cue": articleSchema + "\n// by a human\n", "small.cue": baseConfig + "\n"})
			cfg, err := config.Load(f.r.Snapshot(head))
			if err != nil {
				t.Fatal(err)
			}
			ds, err := CheckBoundary(f.r, target, head, cfg)
			if err != nil {
				t.Fatal(err)
			}
			diag.Sort(ds)
			expect(t, ds, tt.want...)
		})
	}
}
