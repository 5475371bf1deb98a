// Package repo is small's only door to Git: it opens repositories as real CI
// checkouts leave them, reads commits, trees and blobs, writes objects as
// packfiles, moves refs and notes with compare-and-swap, and runs the git
// CLI where go-git falls short (identity, the index, fetch and push). It is
// the only package that imports go-git, and none of go-git's types leave it.
package repo

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/go-git/go-billy/v5"
	"github.com/go-git/go-billy/v5/osfs"
	git "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/cache"
	"github.com/go-git/go-git/v5/storage/filesystem"
	"github.com/go-git/go-git/v5/storage/filesystem/dotgit"
	"github.com/go-git/go-git/v5/storage/memory"
)

// ErrNotRepository is returned by Open outside a Git repository.
var ErrNotRepository = errors.New("not a git repository (or any of the parent directories)")

// Repository is an opened Git repository. It is not safe for concurrent use.
type Repository struct {
	git       *git.Repository
	st        *storage
	root      string // top of the working tree; "" for a bare repository
	commonDir string // the git directory that holds refs and objects
	// marksMem stands in for the verified-builds file of an in-memory
	// repository.
	marksMem map[string]Mark
	trees    treeCache
}

// again runs f, and again after re-reading the list of packfiles when an
// object or a packfile is missing: another process (a concurrent build,
// git gc --auto, which git commit starts in the background) may have
// written or replaced packs since this one listed them. git writes a new
// pack before it deletes those it replaces, so a fresh listing finds the
// object; a gc deleting several packs one by one may need a few.
func (r *Repository) again(f func() error) error {
	err := f()
	for attempt := 0; attempt < maxRelists && r.st != nil && missing(err); attempt++ {
		if attempt > 0 {
			time.Sleep(time.Duration(attempt) * 20 * time.Millisecond)
		}
		r.st.Reindex()
		err = f()
	}
	return err
}

// maxRelists bounds how often again lists the packfiles anew.
const maxRelists = 3

// missing reports whether err is an object or packfile that was not there.
func missing(err error) bool {
	return errors.Is(err, plumbing.ErrObjectNotFound) || errors.Is(err, fs.ErrNotExist) || errors.Is(err, dotgit.ErrPackfileNotFound)
}

// Open finds the repository that contains dir, as git does: it walks up to
// the nearest .git (a directory, or a file naming a linked worktree's git
// directory).
func Open(dir string) (*Repository, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	for d := abs; ; d = filepath.Dir(d) {
		fi, err := os.Stat(filepath.Join(d, ".git"))
		if err == nil {
			gitDir := filepath.Join(d, ".git")
			if !fi.IsDir() {
				if gitDir, err = readGitFile(gitDir); err != nil {
					return nil, err
				}
			}
			return openAt(gitDir, d)
		}
		if !os.IsNotExist(err) {
			return nil, err
		}
		if filepath.Dir(d) == d {
			return nil, ErrNotRepository
		}
	}
}

// readGitFile reads a ".git" file ("gitdir: <path>"), as linked worktrees
// and submodules have.
func readGitFile(name string) (string, error) {
	b, err := os.ReadFile(name)
	if err != nil {
		return "", err
	}
	line, ok := strings.CutPrefix(strings.SplitN(string(b), "\n", 2)[0], "gitdir: ")
	if !ok {
		return "", fmt.Errorf("%s: expected a line \"gitdir: <path>\"", name)
	}
	line = strings.TrimSpace(line)
	if !filepath.IsAbs(line) {
		line = filepath.Join(filepath.Dir(name), line)
	}
	return line, nil
}

func openAt(gitDir, worktree string) (*Repository, error) {
	dot := osfs.New(gitDir)
	var fs billy.Filesystem = dot
	commonDir := gitDir
	// A linked worktree keeps refs and objects in the main git directory.
	if b, err := os.ReadFile(filepath.Join(gitDir, "commondir")); err == nil {
		common := strings.TrimSpace(string(b))
		if !filepath.IsAbs(common) {
			common = filepath.Join(gitDir, common)
		}
		fs = dotgit.NewRepositoryFilesystem(dot, osfs.New(common))
		commonDir = common
	}
	// A pack whose index is not written yet is no pack to read, to git:
	// go-git would fail on it at every read.
	fs = packsWithIndex{fs}
	// Keep a few packfiles open: without it go-git opens the pack anew for
	// every object it reads (a walk over 1,000 build commits spent a third
	// of its time in open and path resolution).
	st := &storage{Storage: filesystem.NewStorageWithOptions(fs, cache.NewObjectLRUDefault(),
		filesystem.Options{MaxOpenDescriptors: maxOpenPacks, LargeObjectThreshold: 1 << 20}),
		packDir: filepath.Join(commonDir, "objects", "pack")}
	cfg, err := st.Storage.Config()
	if err != nil {
		return nil, fmt.Errorf("read git config: %w", err)
	}
	if err := checkExtensions(cfg); err != nil {
		return nil, err
	}
	g, err := git.Open(st, osfs.New(worktree))
	if errors.Is(err, git.ErrRepositoryNotExists) {
		return nil, ErrNotRepository
	}
	if err != nil {
		return nil, fmt.Errorf("open repository %s: %w", worktree, err)
	}
	return &Repository{git: g, st: st, root: worktree, commonDir: commonDir}, nil
}

// maxOpenPacks bounds the packfiles go-git keeps open between reads.
const maxOpenPacks = 32

// readSafeExtensions are repository extensions that do not change how
// objects and refs are read. go-git refuses every extension it does not
// implement, though real checkouts carry these: actions/checkout sets
// worktreeConfig, partial clones set partialClone.
var readSafeExtensions = map[string]bool{
	"noop": true, "noop-v1": true, "worktreeconfig": true, "partialclone": true, "preciousobjects": true,
}

func checkExtensions(cfg *config.Config) error {
	if cfg.Raw == nil || !cfg.Raw.HasSection("extensions") {
		return nil
	}
	for _, opt := range cfg.Raw.Section("extensions").Options {
		key := strings.ToLower(opt.Key)
		if key == "objectformat" && strings.EqualFold(opt.Value, "sha1") {
			continue
		}
		if !readSafeExtensions[key] {
			return fmt.Errorf("repository uses extensions.%s = %s, which small cannot read yet", opt.Key, opt.Value)
		}
	}
	return nil
}

// storage hides the read-safe extensions from go-git, which would otherwise
// refuse to open the repository, and reads an object again when it is
// not where go-git last saw the packs (see EncodedObject).
type storage struct {
	*filesystem.Storage
	packDir string
	seen    time.Time // objects/pack's modification time when last listed again
	listed  time.Time // when that was
}

// EncodedObject reads an object; when it is not found, or its pack is
// gone, and objects/pack has changed since go-git listed it (a git gc, a
// roll-up or another small replaced packs meanwhile: each writes the new
// pack before it deletes the old), it lists the packs again and reads
// again. Every read of small goes through here, so none needs its own
// retry for that. An object that is not there costs a stat.
func (s *storage) EncodedObject(t plumbing.ObjectType, h plumbing.Hash) (plumbing.EncodedObject, error) {
	o, err := s.Storage.EncodedObject(t, h)
	for attempt := 0; attempt < maxRelists && missing(err) && s.packsChanged(); attempt++ {
		o, err = s.Storage.EncodedObject(t, h)
	}
	return o, err
}

// EncodedObjectSize is EncodedObject's, for the size alone.
func (s *storage) EncodedObjectSize(h plumbing.Hash) (int64, error) {
	n, err := s.Storage.EncodedObjectSize(h)
	for attempt := 0; attempt < maxRelists && missing(err) && s.packsChanged(); attempt++ {
		n, err = s.Storage.EncodedObjectSize(h)
	}
	return n, err
}

// packsChanged makes go-git list the packs again when objects/pack has
// changed since the last time it did so here, and says whether it did. A
// listing made within moments of the change it saw proves nothing: two
// changes close together may share a modification time.
func (s *storage) packsChanged() bool {
	fi, err := os.Stat(s.packDir)
	if err != nil {
		return false
	}
	m := fi.ModTime()
	if m.Equal(s.seen) && s.listed.Sub(m) > settleTime {
		return false
	}
	s.seen, s.listed = m, time.Now()
	s.Reindex()
	return true
}

// settleTime is how long after it changed objects/pack's modification
// time is not trusted to tell one change from the next.
const settleTime = 50 * time.Millisecond

func (s *storage) Config() (*config.Config, error) {
	cfg, err := s.Storage.Config()
	if err != nil || cfg.Raw == nil || !cfg.Raw.HasSection("extensions") {
		return cfg, err
	}
	c := *cfg
	raw := *cfg.Raw
	raw.Sections = nil
	for _, sec := range cfg.Raw.Sections {
		if !strings.EqualFold(sec.Name, "extensions") {
			raw.Sections = append(raw.Sections, sec)
		}
	}
	c.Raw = &raw
	c.Extensions.ObjectFormat = ""
	return &c, nil
}

// HooksDir is where git looks for hooks: core.hooksPath (relative to the
// top of the working tree) when set in any of git's configuration files
// (a global one included), else the hooks directory of the git directory
// shared by all worktrees. git itself answers; without it, the
// repository's own configuration does.
func (r *Repository) HooksDir() string {
	if r.root != "" {
		if out, err := r.runGit("rev-parse", "--git-path", "hooks"); err == nil {
			if p := strings.TrimRight(out, "\n"); p != "" {
				if !filepath.IsAbs(p) {
					p = filepath.Join(r.root, p)
				}
				return p
			}
		}
	}
	if cfg, err := r.git.Config(); err == nil && cfg.Raw != nil {
		if p := cfg.Raw.Section("core").Option("hooksPath"); p != "" {
			if strings.HasPrefix(p, "~/") {
				if home, err := os.UserHomeDir(); err == nil {
					p = filepath.Join(home, p[2:])
				}
			}
			if !filepath.IsAbs(p) {
				p = filepath.Join(r.root, p)
			}
			return p
		}
	}
	return filepath.Join(r.commonDir, "hooks")
}

// Root is the top directory of the working tree; "" in memory.
func (r *Repository) Root() string { return r.root }

// InMemory returns an empty repository held in memory, with no working tree
// and no git directory: for tests of the layers above that are clearer
// without a git process. Everything but the git CLI calls (UserIdentity,
// Stage) and the working tree works as on disk.
func InMemory() *Repository {
	g, err := git.Init(memory.NewStorage(), nil)
	if err != nil {
		panic(err) // an empty memory storage always initialises
	}
	return &Repository{git: g}
}
