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
	Uses    bool
	UsedBy  bool
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

With --uses, what it depends on: the manifests its @ref fields name in the
latest build, each with the version (blob) its #outputs were rendered with
when its kind reads #refs, and whether HEAD still has that version.

With --used-by, what a change to it touches: every manifest of the latest
build whose @ref fields name it (given as Kind/id, an artifact path or a
manifest path), and the artifacts of those that read #refs, which the next
build renders again.

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
  $ small lineage article/hello-world.json --uses
  $ small lineage Author/ada --used-by
  $ small lineage Article/hello-world --format json | jq .versions[0].actor`,
		ValidArgsFunction: f.CompleteArtifacts,
		Args:              cmdutil.ExactArgs(1, "an artifact (its path, or Kind/id) or a manifest path"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := cmdutil.CheckFormat(opts.Format, diag.FormatText, diag.FormatJSON); err != nil {
				return err
			}
			opts.Target = args[0]
			if opts.Uses || opts.UsedBy {
				return runRefs(opts)
			}
			return run(opts)
		},
	}
	cmd.Flags().BoolVar(&opts.All, "all", false, "every version, newest first")
	cmd.Flags().BoolVar(&opts.Uses, "uses", false, "what it depends on: the manifests it references, with the versions used")
	cmd.Flags().BoolVar(&opts.UsedBy, "used-by", false, "what a change to it touches: the manifests that reference it")
	cmd.MarkFlagsMutuallyExclusive("all", "uses", "used-by")
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
	for _, u := range v.Uses {
		fmt.Fprintf(w, "     uses      %s  %s  blob %s\n", entryName(u.Kind, u.ID, u.Locale), u.Path, cmdutil.ShortID(u.Blob))
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

// runRefs is small lineage --uses and --used-by.
func runRefs(opts *Options) error {
	r, l, err := opts.Factory.OpenLog()
	if err != nil {
		return cmdutil.Classify(err)
	}
	w := opts.IO.Out
	if opts.UsedBy {
		rep, err := builder.UsedBy(r, l, opts.Target)
		if err != nil {
			return cmdutil.Classify(err)
		}
		if opts.Format == diag.FormatJSON {
			return cmdutil.WriteJSON(w, rep)
		}
		name := rep.Kind + "/" + rep.ID
		if rep.Manifest != "" {
			name += " (" + rep.Manifest + ")"
		}
		fmt.Fprintf(w, "%s is referenced by %d %s in build %s\n", name, len(rep.UsedBy), plural(len(rep.UsedBy), "manifest"), cmdutil.ShortID(rep.Build))
		for _, u := range rep.UsedBy {
			fmt.Fprintf(w, "  %s  %s", entryName(u.Kind, u.ID, u.Locale), u.Manifest)
			if u.Reads {
				fmt.Fprintf(w, "  reads it: a change renders %s again", strings.Join(u.Rebuilt, ", "))
				if len(u.Rebuilt) == 0 {
					fmt.Fprint(w, "nothing")
				}
			}
			fmt.Fprintln(w)
		}
		return nil
	}
	at, err := r.Resolve("HEAD") // the uses are judged at HEAD, when there is one
	if err != nil {
		at = nil
	}
	rep, err := builder.Uses(r, l, opts.Target, at)
	if err != nil {
		return cmdutil.Classify(err)
	}
	if opts.Format == diag.FormatJSON {
		return cmdutil.WriteJSON(w, rep)
	}
	fmt.Fprintf(w, "%s  %s uses %d %s in build %s\n", entryName(rep.Kind, rep.ID, rep.Locale), rep.Manifest, len(rep.Uses), plural(len(rep.Uses), "manifest"), cmdutil.ShortID(rep.Build))
	for _, u := range rep.Uses {
		switch u.State {
		case builder.UseUnread:
			fmt.Fprintf(w, "  %s  referenced, not read (its kind declares no #refs)\n", entryName(u.Kind, u.ID, u.Locale))
		case builder.UseChanged:
			fmt.Fprintf(w, "  %s  %s  blob %s  changed since (now %s)\n", entryName(u.Kind, u.ID, u.Locale), u.Path, cmdutil.ShortID(u.Blob), cmdutil.ShortID(u.Now))
		default:
			fmt.Fprintf(w, "  %s  %s  blob %s  %s\n", entryName(u.Kind, u.ID, u.Locale), u.Path, cmdutil.ShortID(u.Blob), u.State)
		}
	}
	return nil
}

func entryName(kind, id, locale string) string {
	if locale != "" {
		return kind + "/" + id + "@" + locale
	}
	return kind + "/" + id
}

func plural(n int, word string) string {
	if n == 1 {
		return word
	}
	return word + "s"
}
