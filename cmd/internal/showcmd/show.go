// Package showcmd implements small show: print an artifact's current bytes.
package showcmd

import (
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/smallhq/small/cmd/internal/cmdutil"
	"github.com/smallhq/small/protocol"
)

// NewCmdShow returns the show command.
func NewCmdShow(f *cmdutil.Factory) *cobra.Command {
	return &cobra.Command{
		Use:   "show <artifact-path | kind/id>",
		Short: "Print an artifact's current bytes from the artifact branch",
		Long: `Print the current content of an artifact, as the artifact branch's tip
holds it. Name it by its path (article/hello-world.json) or by kind and id
(Article/hello-world).`,
		Example: `  $ small show article/hello-world.json
  $ small show Article/hello-world | jq .title`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			r, err := f.Repository()
			if err != nil {
				return err
			}
			short := cmdutil.ArtifactBranch(r)
			branch := protocol.BranchRef(short)
			tip, err := r.Ref(branch)
			if err != nil {
				return err
			}
			if tip.IsZero() {
				return cmdutil.Usagef("%s does not exist yet: run small build first", short)
			}
			c, err := r.ReadCommit(tip)
			if err != nil {
				return err
			}
			files, err := r.TreeFiles(c.Tree, "")
			if err != nil {
				return err
			}
			name := args[0]
			h, ok := files[name]
			if !ok {
				if kind, id, found := strings.Cut(name, "/"); found && !strings.Contains(id, "/") {
					h, ok = files[strings.ToLower(kind)+"/"+id+".json"]
				}
			}
			if !ok {
				return cmdutil.Usagef("%s: no such artifact on %s%s", name, short, nearMatches(name, files))
			}
			data, err := r.ReadBlob(h)
			if err != nil {
				return err
			}
			_, err = f.IO.Out.Write(data)
			return err
		},
	}
}

// nearMatches lists up to five artifact paths that share the most with name.
func nearMatches[V any](name string, files map[string]V) string {
	type cand struct {
		path  string
		score int
	}
	var cs []cand
	base := strings.ToLower(name[strings.LastIndex(name, "/")+1:])
	base = strings.TrimSuffix(base, ".json")
	for p := range files {
		if strings.HasPrefix(p, ".small/") {
			continue
		}
		lp := strings.ToLower(p)
		switch {
		case strings.Contains(lp, base) && base != "":
			cs = append(cs, cand{p, 2})
		case strings.Contains(lp, strings.ToLower(name)):
			cs = append(cs, cand{p, 1})
		}
	}
	if len(cs) == 0 {
		return ""
	}
	sort.Slice(cs, func(i, j int) bool {
		if cs[i].score != cs[j].score {
			return cs[i].score > cs[j].score
		}
		return cs[i].path < cs[j].path
	})
	if len(cs) > 5 {
		cs = cs[:5]
	}
	names := make([]string, len(cs))
	for i, c := range cs {
		names[i] = c.path
	}
	return "; did you mean " + strings.Join(names, ", ") + "?"
}
