// Package rollbackcmd implements small rollback: bring an earlier version of
// an artifact back, as a new version.
package rollbackcmd

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/smallhq/small/builder"
	"github.com/smallhq/small/cmd/internal/cmdutil"
	"github.com/smallhq/small/cmd/internal/lineagecmd"
	"github.com/smallhq/small/lineage"
	"github.com/smallhq/small/protocol"
	"github.com/smallhq/small/repo"
)

// NewCmdRollback returns the rollback command.
func NewCmdRollback(f *cmdutil.Factory) *cobra.Command {
	var to string
	cmd := &cobra.Command{
		Use:   "rollback <artifact-path | Kind/id> --to <build-commit | N>",
		Short: "Bring back an earlier version of an artifact, as a new version",
		Long: `Write the manifest of an earlier version of an artifact back into the
working tree and stage it; print the commit message to use, which carries a
Small-Rollback-Of trailer naming the build of that version. Commit it (and
open a pull request as for any change): the next small build makes a new
version and records a rolledback event linking the two. History is never
erased.

--to takes a build commit (a prefix of its id is enough) or N, the version
N steps back from the current one (--to 1 is the previous version). The
lifecycle rules apply to the rolled-back status as to any change.`,
		Example: `  $ small rollback Article/hello-world --to 1 > msg.txt
  $ git commit -F msg.txt`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if to == "" {
				return cmdutil.Usagef("--to is required: a build commit, or N versions back (--to 1)")
			}
			r, l, path, err := lineagecmd.ResolveArtifact(f, args[0], "rollback")
			if err != nil {
				return err
			}
			vs, err := l.Versions(path, true)
			if err != nil {
				return err
			}
			v, err := pick(vs, to)
			if err != nil {
				return cmdutil.Usage(err)
			}
			if !v.Found() {
				return &cmdutil.ExitError{Code: cmdutil.ExitFindings, Err: fmt.Errorf("%s: the version of build %s has no lineage record: small cannot tell which manifest to bring back", path, v.Build.ID.String()[:12])}
			}
			if v.Record.Action == lineage.Retracted {
				return cmdutil.Usagef("build %s retracted %s: pick a version that has content", v.Build.ID.String()[:12], path)
			}
			blob, _ := repo.ParseHash(v.Record.ManifestBlob)
			data, err := r.ReadBlob(blob)
			if err != nil {
				return err
			}
			// The manifest goes where the kind and id live now, or back
			// where it was when it is gone.
			target := v.Record.Manifest
			branch := cmdutil.ArtifactBranch(r)
			if entries, _, err := builder.Current(r, protocol.BranchRef(branch)); err == nil {
				for _, e := range entries {
					if e.Kind == v.Record.Kind && e.ID == v.Record.ID {
						target = e.Path
					}
				}
			}
			full := filepath.Join(r.Root(), filepath.FromSlash(target))
			if dirty, err := uncommitted(r, target, full); err != nil {
				return err
			} else if dirty {
				return cmdutil.Usagef("%s has uncommitted changes: commit or stash them first, so that rollback loses nothing", target)
			}
			if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
				return err
			}
			if err := os.WriteFile(full, data, 0o644); err != nil {
				return err
			}
			if err := r.Stage(target); err != nil {
				return err
			}
			build := v.Build.ID.String()
			fmt.Fprintf(f.IO.ErrOut, "staged %s as it was in build %s (manifest commit %s); commit it with the message below\n",
				target, build[:12], short(v.Record.ManifestCommit))
			fmt.Fprintf(f.IO.Out, "Roll back %s/%s to its version of build %s\n\n%s: %s\n",
				v.Record.Kind, v.Record.ID, build[:12], protocol.TrailerRollbackOf, build)
			return nil
		},
	}
	cmd.Flags().StringVar(&to, "to", "", "the version to bring back: a build commit, or N versions back")
	return cmd
}

// pick finds the version --to names among versions, newest first.
func pick(vs []lineage.Version, to string) (lineage.Version, error) {
	// A build id prefix may be all digits: try it as one first.
	if len(to) >= 4 {
		for _, v := range vs {
			if strings.HasPrefix(v.Build.ID.String(), strings.ToLower(to)) {
				return v, nil
			}
		}
	}
	if n, err := strconv.Atoi(to); err == nil {
		if n < 1 || n >= len(vs) {
			return lineage.Version{}, fmt.Errorf("--to %d: there are %d earlier versions", n, max(0, len(vs)-1))
		}
		return vs[n], nil
	}
	for _, v := range vs {
		if len(to) >= 4 && strings.HasPrefix(v.Build.ID.String(), strings.ToLower(to)) {
			return v, nil
		}
	}
	return lineage.Version{}, fmt.Errorf("--to %s: no version of this artifact was built by that commit (small lineage --all lists them)", to)
}

func short(s string) string {
	if len(s) > 12 {
		return s[:12]
	}
	return s
}

// uncommitted reports whether the working-tree file differs from HEAD's.
func uncommitted(r *repo.Repository, path, full string) (bool, error) {
	now, err := os.ReadFile(full)
	if os.IsNotExist(err) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	head, err := r.ResolveCommit("HEAD")
	if err != nil {
		return true, nil
	}
	committed, err := head.Snapshot().Read(path, int64(len(now))+1)
	if err != nil {
		return true, nil
	}
	return string(committed) != string(now), nil
}
