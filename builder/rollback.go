package builder

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/smallhq/small/lineage"
	"github.com/smallhq/small/protocol"
	"github.com/smallhq/small/repo"
)

// Rollback is an earlier version of an artifact's manifest, staged in the
// working tree to be committed as a new version.
type Rollback struct {
	Kind, ID string
	Locale   string // a translation's
	// Manifest is the path it was written to: where the kind and id live
	// now, or where the manifest was when it is gone.
	Manifest       string
	Build          repo.Hash // the build whose version it brings back
	ManifestCommit string    // the commit that introduced that version
}

// Message is the commit message that records the rollback: the next build
// links the new version to Build through its Small-Rollback-Of trailer.
func (rb *Rollback) Message() string {
	return fmt.Sprintf("Roll back %s to its version of build %s\n\n%s: %s\n",
		protocol.EntryName(rb.Kind, rb.ID, rb.Locale), rb.Build.Short(), protocol.TrailerRollbackOf, rb.Build)
}

// UnrecordedVersionError is a version without a lineage record: small cannot
// tell which manifest made it. A finding.
type UnrecordedVersionError struct {
	Path  string
	Build repo.Hash
}

func (e *UnrecordedVersionError) Error() string {
	return fmt.Sprintf("%s: the version of build %s has no lineage record: small cannot tell which manifest to bring back", e.Path, e.Build.Short())
}

// StageRollback writes the manifest of an earlier version of the named
// artifact into the working tree and stages it. to is a build commit (a
// prefix of at least 4 hex digits) or N, the version N steps back from the
// current one. A manifest with uncommitted changes is refused, so that
// nothing is lost. History is never erased: the rollback becomes a new
// version once committed and built.
func StageRollback(r *repo.Repository, l *lineage.Log, name, to string) (*Rollback, error) {
	path, err := l.ResolveArtifact(name, "rollback")
	if err != nil {
		return nil, err
	}
	vs, err := l.Versions(path, true)
	if err != nil {
		return nil, err
	}
	v, err := pickVersion(vs, to)
	if err != nil {
		return nil, err
	}
	if !v.Found() {
		return nil, &UnrecordedVersionError{Path: path, Build: v.Build.ID}
	}
	if v.Record.Action == lineage.Retracted {
		return nil, fmt.Errorf("build %s retracted %s: pick a version that has content", v.Build.ID.Short(), path)
	}
	blob, _ := repo.ParseHash(v.Record.ManifestBlob)
	data, err := r.ReadBlob(blob)
	if err != nil {
		return nil, err
	}
	rb := &Rollback{Kind: v.Record.Kind, ID: v.Record.ID, Locale: v.Record.Locale, Manifest: v.Record.Manifest, Build: v.Build.ID, ManifestCommit: v.Record.ManifestCommit}
	if entries, _, err := Current(r, l.Branch()); err == nil {
		for _, e := range entries {
			if e.Kind == rb.Kind && e.ID == rb.ID && e.Locale == rb.Locale {
				rb.Manifest = e.Path
			}
		}
	}
	full := filepath.Join(r.Root(), filepath.FromSlash(rb.Manifest))
	if dirty, err := uncommitted(r, rb.Manifest, full); err != nil {
		return nil, err
	} else if dirty {
		return nil, fmt.Errorf("%s has uncommitted changes: commit or stash them first, so that rollback loses nothing", rb.Manifest)
	}
	if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
		return nil, err
	}
	if err := os.WriteFile(full, data, 0o644); err != nil {
		return nil, err
	}
	return rb, r.Stage(rb.Manifest)
}

// pickVersion finds the version to names among versions, newest first.
func pickVersion(vs []lineage.Version, to string) (lineage.Version, error) {
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
			earlier := max(0, len(vs)-1)
			switch earlier {
			case 0:
				return lineage.Version{}, fmt.Errorf("--to %d: there is no earlier version", n)
			case 1:
				return lineage.Version{}, fmt.Errorf("--to %d: there is 1 earlier version (--to 1)", n)
			}
			return lineage.Version{}, fmt.Errorf("--to %d: there are %d earlier versions (--to 1 to --to %d)", n, earlier, earlier)
		}
		return vs[n], nil
	}
	return lineage.Version{}, fmt.Errorf("--to %s: no version of this artifact was built by that commit (small lineage --all lists them)", to)
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
	head, err := r.Resolve("HEAD")
	if err != nil {
		return true, nil
	}
	committed, err := r.Snapshot(head).Read(path, int64(len(now))+1)
	if err != nil {
		return true, nil
	}
	return string(committed) != string(now), nil
}
