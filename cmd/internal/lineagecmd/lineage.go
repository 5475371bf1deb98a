// Package lineagecmd implements small lineage: where did this come from?
package lineagecmd

import (
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/smallhq/small/builder"
	"github.com/smallhq/small/cmd/internal/cmdutil"
	"github.com/smallhq/small/diag"
	"github.com/smallhq/small/lineage"
)

// Options are the inputs of small lineage.
type Options struct {
	IO      *cmdutil.IOStreams
	Factory *cmdutil.Factory
	Target  string
	All     bool
	Format  string
}

// NewCmdLineage returns the lineage command.
func NewCmdLineage(f *cmdutil.Factory) *cobra.Command {
	opts := &Options{IO: f.IO, Factory: f}
	cmd := &cobra.Command{
		Use:   "lineage <artifact-path | Kind/id | manifest-path | asset-path>",
		Short: "Where did this come from? Walk an artifact back to its manifest commit",
		Long: `Show the chain behind an artifact's current version: the artifact (path,
blob, sha256) <- the build commit that wrote it <- the manifest (path, blob,
the commit that introduced that version, its author and date, and whether a
human or an agent made it) <- the schema digest <- the builder.

With --all, every version, newest first, like git log --follow: creations,
updates and retractions, across renames of the manifest.

Given a manifest path, the reverse: which artifacts it produced, in which
builds.

Given an asset (a file an @asset field names, by its path in the
repository or in the artifact tree, assets/sha256/...): where the latest
build keeps it, which manifests use it, and which build wrote it from
which manifest commit.

Everything comes from Git: the build commits on the artifact branch and the
notes in refs/notes/small/lineage.`,
		Example: `  $ small lineage article/hello-world.json
  $ small lineage Article/hello-world --all
  $ small lineage manifests/articles/hello-world.yaml
  $ small lineage topics/git/git.png
  $ small lineage Article/hello-world --format json | jq .versions[0].actor`,
		ValidArgsFunction: f.CompleteArtifacts,
		Args:              cmdutil.ExactArgs(1, "an artifact (its path, or Kind/id) or a manifest path"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := cmdutil.CheckFormat(opts.Format, diag.FormatText, diag.FormatJSON); err != nil {
				return err
			}
			opts.Target = args[0]
			return run(opts)
		},
	}
	cmd.Flags().BoolVar(&opts.All, "all", false, "every version, newest first")
	cmd.Flags().StringVar(&opts.Format, "format", diag.FormatText, "output `format`: text or json")
	return cmd
}

func run(opts *Options) error {
	r, l, err := opts.Factory.OpenLog()
	if err != nil {
		return cmdutil.Classify(err)
	}
	opts.Factory.NoteUnverified(r, l)
	rep, builds, err := builder.Lineage(r, l, opts.Target, opts.All)
	if err != nil {
		return cmdutil.Classify(err)
	}
	if len(builds) > 0 {
		fmt.Fprintf(opts.IO.ErrOut, "%s builds %s (recorded under an earlier path of the manifest)\n", opts.Target, strings.Join(builds, ", "))
	}
	if opts.Format == diag.FormatJSON {
		if err := cmdutil.WriteJSON(opts.IO.Out, rep); err != nil {
			return err
		}
	} else {
		if rep.Manifest != "" {
			fmt.Fprintf(opts.IO.Out, "manifest %s built:\n", rep.Manifest)
			for _, v := range rep.Versions {
				fmt.Fprintf(opts.IO.Out, "  %s %s  %-9s %s\n", cmdutil.ShortID(v.Build.ID), v.Build.Date[:10], v.Action, v.Artifact)
			}
		} else {
			if a := rep.Asset; a != nil {
				writeAsset(opts.IO.Out, a)
			}
			for i, v := range rep.Versions {
				if i > 0 {
					fmt.Fprintln(opts.IO.Out)
				}
				writeText(opts.IO.Out, v)
			}
		}
		if rep.Shallow {
			fmt.Fprintln(opts.IO.ErrOut, "small: history ends at this shallow clone's boundary: older versions may exist (git fetch --unshallow)")
		}
	}
	if rep.Incomplete() {
		return cmdutil.Findings // a build without lineage is a finding
	}
	if len(rep.Versions) == 0 && rep.Shallow {
		return &cmdutil.ExitError{Code: cmdutil.ExitFindings, Err: fmt.Errorf("%s: no version within this shallow clone's history: git fetch --unshallow", rep.Artifact+rep.Manifest)}
	}
	return nil
}

func writeText(w io.Writer, v lineage.VersionInfo) {
	fmt.Fprintf(w, "artifact  %s  (%s)\n", v.Artifact, v.Action)
	if v.Blob != "" {
		fmt.Fprintf(w, "          blob %s  sha256 %s\n", cmdutil.ShortID(v.Blob), cmdutil.ShortID(v.SHA256))
	}
	fmt.Fprintf(w, "  <- build     %s  %s\n", cmdutil.ShortID(v.Build.ID), v.Build.Date)
	if v.Missing != "" {
		fmt.Fprintf(w, "  !! %s\n", v.Missing)
		return
	}
	m := v.Manifest
	fmt.Fprintf(w, "  <- manifest  %s  blob %s\n", m.Path, cmdutil.ShortID(m.Blob))
	fmt.Fprintf(w, "     commit    %s  %s  %s\n", cmdutil.ShortID(m.Commit.ID), m.Commit.Date, m.Commit.Subject)
	if m.Commit.Author != "" {
		fmt.Fprintf(w, "     author    %s\n", m.Commit.Author)
	}
	fmt.Fprintf(w, "     actor     %s\n", v.Actor)
	for _, a := range v.Assets {
		fmt.Fprintf(w, "     asset     %s -> %s  blob %s  sha256 %s\n", a.Path, a.ArtifactPath, cmdutil.ShortID(a.Blob), cmdutil.ShortID(a.SHA256))
	}
	fmt.Fprintf(w, "  <- schema    %s\n", v.SchemaDigest)
	fmt.Fprintf(w, "  <- builder   %s\n", v.Builder)
}

// writeAsset shows what the latest build has of an asset, before the
// versions of its file.
func writeAsset(w io.Writer, a *lineage.AssetUsage) {
	fmt.Fprintf(w, "asset     %s\n", a.ArtifactPath)
	fmt.Fprintf(w, "          blob %s  sha256 %s\n", cmdutil.ShortID(a.Blob), cmdutil.ShortID(a.SHA256))
	fmt.Fprintf(w, "  from      %s\n", strings.Join(a.Sources, ", "))
	for _, u := range a.UsedBy {
		fmt.Fprintf(w, "  used by   %s/%s  %s", u.Kind, u.ID, u.Manifest)
		if len(a.Sources) > 1 {
			fmt.Fprintf(w, " (as %s)", u.Source)
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintln(w)
}
