// Package lineagecmd implements small lineage: where did this come from?
package lineagecmd

import (
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/smallhq/small/cmd/internal/cmdutil"
	"github.com/smallhq/small/diag"
	"github.com/smallhq/small/lineage"
	"github.com/smallhq/small/protocol"
	"github.com/smallhq/small/repo"
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
		Use:   "lineage <artifact-path | Kind/id | manifest-path>",
		Short: "Where did this come from? Walk an artifact back to its manifest commit",
		Long: `Show the chain behind an artifact's current version: the artifact (path,
blob, sha256) <- the build commit that wrote it <- the manifest (path, blob,
the commit that introduced that version, its author and date, and whether a
human or an agent made it) <- the schema digest <- the builder.

With --all, every version, newest first, like git log --follow: creations,
updates and retractions, across renames of the manifest.

Given a manifest path, the reverse: which artifacts it produced, in which
builds.

Everything comes from Git: the build commits on the artifact branch and the
notes in refs/notes/small/lineage.`,
		Example: `  $ small lineage article/hello-world.json
  $ small lineage Article/hello-world --all
  $ small lineage manifests/articles/hello-world.yaml
  $ small lineage Article/hello-world --format json | jq .versions[0].actor`,
		Args: cobra.ExactArgs(1),
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

// OpenLog opens the lineage of the repository's artifact branch.
func OpenLog(f *cmdutil.Factory) (*repo.Repository, *lineage.Log, error) {
	r, err := f.Repository()
	if err != nil {
		return nil, nil, err
	}
	branch := cmdutil.ArtifactBranch(r)
	l, err := lineage.OpenLog(r, protocol.BranchRef(branch))
	if errors.Is(err, lineage.ErrNoBuild) {
		return nil, nil, cmdutil.Usagef("%s does not exist yet: run small build first", branch)
	}
	if err != nil {
		return nil, nil, err
	}
	return r, l, nil
}

// Resolve turns what a user typed into an artifact path, or a manifest path
// when manifest is set.
func Resolve(r *repo.Repository, l *lineage.Log, target string) (path string, isManifest bool, err error) {
	// One tree lookup each: the tip may hold 10,000 artifacts.
	if ok, err := l.Has(target); err != nil || ok {
		return target, false, err
	}
	if kind, id, ok := strings.Cut(target, "/"); ok && !strings.Contains(id, "/") && protocol.ValidID(id) {
		p := strings.ToLower(kind) + "/" + id + ".json"
		if ok, err := l.Has(p); err != nil || ok {
			return p, false, err
		}
	}
	if protocol.IsManifestFile(target) {
		if vs, err := l.ArtifactsOf(target, 1); err == nil && len(vs) > 0 {
			return target, true, nil
		}
	}
	// A retracted artifact is gone from the tip but not from history.
	if vs, err := l.Versions(target, false); err == nil && len(vs) > 0 {
		return target, false, nil
	}
	files, err := l.CurrentFiles()
	if err != nil {
		return "", false, err
	}
	return "", false, &lineage.NotFoundError{Name: target, Near: near(target, files)}
}

// ResolveArtifact opens the lineage and resolves what a user typed to an
// artifact path; an unknown name, or a manifest path, is a usage error that
// says what verb wanted ("provenance is of an artifact").
func ResolveArtifact(f *cmdutil.Factory, name, verb string) (*repo.Repository, *lineage.Log, string, error) {
	r, l, err := OpenLog(f)
	if err != nil {
		return nil, nil, "", err
	}
	path, isManifest, err := Resolve(r, l, name)
	var nf *lineage.NotFoundError
	if errors.As(err, &nf) {
		return nil, nil, "", cmdutil.Usage(err)
	}
	if err != nil {
		return nil, nil, "", err
	}
	if isManifest {
		return nil, nil, "", cmdutil.Usagef("%s is a manifest: %s is of an artifact (see small lineage %s)", path, verb, path)
	}
	return r, l, path, nil
}

func near(name string, files map[string]repo.Hash) []string {
	base := strings.ToLower(name[strings.LastIndex(name, "/")+1:])
	base = strings.TrimSuffix(strings.TrimSuffix(strings.TrimSuffix(base, ".json"), ".yaml"), ".yml")
	var out []string
	for p := range files {
		if base != "" && strings.Contains(strings.ToLower(p), base) {
			out = append(out, p)
		}
	}
	sort.Strings(out)
	if len(out) > 5 {
		out = out[:5]
	}
	return out
}

func run(opts *Options) error {
	r, l, err := OpenLog(opts.Factory)
	if err != nil {
		return err
	}
	path, isManifest, err := Resolve(r, l, opts.Target)
	var nf *lineage.NotFoundError
	if errors.As(err, &nf) {
		return cmdutil.Usage(err)
	}
	if err != nil {
		return err
	}
	var vs []lineage.Version
	if isManifest {
		vs, err = l.ArtifactsOf(path, 0)
	} else {
		vs, err = l.Versions(path, opts.All)
	}
	if err != nil {
		return err
	}
	views := make([]versionView, len(vs))
	for i, v := range vs {
		views[i] = view(r, v)
	}
	if opts.Format == diag.FormatJSON {
		out := struct {
			Protocol string        `json:"protocol"`
			Artifact string        `json:"artifact,omitempty"`
			Manifest string        `json:"manifest,omitempty"`
			Shallow  bool          `json:"shallow,omitempty"`
			Versions []versionView `json:"versions"`
		}{Protocol: protocol.Version, Shallow: l.Shallow, Versions: views}
		if isManifest {
			out.Manifest = path
		} else {
			out.Artifact = path
		}
		if err := cmdutil.WriteJSON(opts.IO.Out, out); err != nil {
			return err
		}
	} else {
		if isManifest {
			fmt.Fprintf(opts.IO.Out, "manifest %s built:\n", path)
			for _, v := range views {
				fmt.Fprintf(opts.IO.Out, "  %s %s  %-9s %s\n", v.Build.ID[:12], v.Build.Date[:10], v.Action, v.Artifact)
			}
		} else {
			for i, v := range views {
				if i > 0 {
					fmt.Fprintln(opts.IO.Out)
				}
				writeText(opts.IO.Out, v)
			}
		}
		if l.Shallow {
			fmt.Fprintln(opts.IO.ErrOut, "small: history ends at this shallow clone's boundary: older versions may exist (git fetch --unshallow)")
		}
	}
	for _, v := range views {
		if v.Missing != "" {
			return cmdutil.Findings // a build without lineage is a finding
		}
	}
	if len(views) == 0 && l.Shallow {
		return &cmdutil.ExitError{Code: cmdutil.ExitFindings, Err: fmt.Errorf("%s: no version within this shallow clone's history: git fetch --unshallow", path)}
	}
	return nil
}

// versionView is one version as small lineage prints it.
type versionView struct {
	Artifact     string         `json:"artifact"`
	Action       string         `json:"action"`
	Blob         string         `json:"blob,omitempty"`
	SHA256       string         `json:"sha256,omitempty"`
	Build        commitView     `json:"build"`
	Manifest     *manifestView  `json:"manifest,omitempty"`
	Actor        *lineage.Actor `json:"actor,omitempty"`
	SchemaDigest string         `json:"schemaDigest,omitempty"`
	Builder      string         `json:"builder,omitempty"`
	Missing      string         `json:"missing,omitempty"`
}

type commitView struct {
	ID      string `json:"id"`
	Date    string `json:"date"`
	Author  string `json:"author,omitempty"`
	Subject string `json:"subject,omitempty"`
}

type manifestView struct {
	Path   string     `json:"path"`
	Blob   string     `json:"blob"`
	Commit commitView `json:"commit"`
}

func view(r *repo.Repository, v lineage.Version) versionView {
	b := v.Build
	out := versionView{Artifact: v.Record.Artifact, Action: v.Record.Action, Missing: v.Missing,
		Build:   commitView{ID: b.ID.String(), Date: b.Committer.When.Format(time.DateTime + " -0700")},
		Builder: b.Trailer(protocol.TrailerBuilder)}
	if !v.Found() {
		return out
	}
	rec := v.Record
	out.Blob, out.SHA256, out.SchemaDigest = rec.Blob, rec.SHA256, rec.SchemaDigest
	actor := rec.Actor
	out.Actor = &actor
	mv := &manifestView{Path: rec.Manifest, Blob: rec.ManifestBlob, Commit: commitView{ID: rec.ManifestCommit}}
	if h, ok := repo.ParseHash(rec.ManifestCommit); ok {
		if c, err := r.ReadCommit(h); err == nil {
			mv.Commit.Date = c.Author.When.Format(time.DateTime + " -0700")
			mv.Commit.Author = c.Author.Name + " <" + c.Author.Email + ">"
			mv.Commit.Subject = c.Subject()
		}
	}
	out.Manifest = mv
	return out
}

func short(s string) string {
	if len(s) > 12 {
		return s[:12]
	}
	return s
}

func writeText(w io.Writer, v versionView) {
	fmt.Fprintf(w, "artifact  %s  (%s)\n", v.Artifact, v.Action)
	if v.Blob != "" {
		fmt.Fprintf(w, "          blob %s  sha256 %s\n", short(v.Blob), short(v.SHA256))
	}
	fmt.Fprintf(w, "  <- build     %s  %s\n", short(v.Build.ID), v.Build.Date)
	if v.Missing != "" {
		fmt.Fprintf(w, "  !! %s\n", v.Missing)
		return
	}
	m := v.Manifest
	fmt.Fprintf(w, "  <- manifest  %s  blob %s\n", m.Path, short(m.Blob))
	fmt.Fprintf(w, "     commit    %s  %s  %s\n", short(m.Commit.ID), m.Commit.Date, m.Commit.Subject)
	if m.Commit.Author != "" {
		fmt.Fprintf(w, "     author    %s\n", m.Commit.Author)
	}
	fmt.Fprintf(w, "     actor     %s %s\n", v.Actor.Type, v.Actor.Name)
	fmt.Fprintf(w, "  <- schema    %s\n", v.SchemaDigest)
	fmt.Fprintf(w, "  <- builder   %s\n", v.Builder)
}
