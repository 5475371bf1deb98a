// Package translations answers which translations of a repository's
// entries are missing, stale or current at a commit (small status
// --translations, and the publishing rule of small check). A translation
// is a manifest of the same kind and id as its source (the default
// locale's version) with another locale; which version of the source it
// was made from is read from Git, never stated: the source as it was at
// the last commit that changed the translation's file. It is stale when
// the source's content has changed since; the commits that changed it
// are named.
package translations

import (
	"fmt"
	"slices"
	"strings"

	"github.com/smallhq/small/protocol"
	"github.com/smallhq/small/repo"
)

// The status of one locale of an entry.
const (
	Missing = "missing" // no manifest in the locale
	Stale   = "stale"   // the source changed since the translation was made
	Current = "current" // made from the source's current content
)

// Entry is one manifest of the commit, as the caller validated it.
type Entry struct {
	Kind, ID string
	Locale   string // "" for the default locale's version: the source
	Path     string
	State    string
}

// Options say what the repository declares.
type Options struct {
	// Default is small.cue's default locale; Supported its supported ones.
	Default   string
	Supported []string
	// Required gives the locales a kind requires (its #locales.required).
	Required func(kind string) []string
	// Fingerprint names a version of a source's content, apart from what
	// does not concern its translators (its status): equal content, equal
	// fingerprints. path is where the version is, data its bytes.
	Fingerprint func(path string, data []byte) string
	// MaxBytes bounds the size of a version read.
	MaxBytes int64
}

// Report lists, for each entry, each locale small.cue supports beside
// the default (and any its kind requires): missing, stale or current.
type Report struct {
	Protocol string `json:"protocol"`
	// Commit is the commit the report is of.
	Commit  string        `json:"commit"`
	Default string        `json:"default" jsonschema:"small.cue's default locale: the sources' locale"`
	Entries []EntryStatus `json:"entries"`
	Summary Summary       `json:"summary"`
}

// Summary counts the locales of all entries by status.
type Summary struct {
	Missing int `json:"missing"`
	Stale   int `json:"stale"`
	Current int `json:"current"`
	// RequiredBehind is how many required locales are missing or stale.
	RequiredBehind int `json:"requiredBehind"`
}

// EntryStatus is one entry (a source) and its locales.
type EntryStatus struct {
	Name     string         `json:"name" jsonschema:"Kind/id"`
	Kind     string         `json:"kind"`
	ID       string         `json:"id"`
	Manifest string         `json:"manifest" jsonschema:"the source's path"`
	State    string         `json:"state" jsonschema:"the source's lifecycle state"`
	Locales  []LocaleStatus `json:"locales"`
}

// LocaleStatus is one locale of an entry.
type LocaleStatus struct {
	Locale   string `json:"locale"`
	Name     string `json:"name" jsonschema:"Kind/id@locale"`
	Required bool   `json:"required" jsonschema:"the kind's #locales.required lists it"`
	Status   string `json:"status" jsonschema:"missing, stale or current"`
	Manifest string `json:"manifest,omitempty" jsonschema:"the translation's path"`
	// MadeAt is the last commit that changed the translation's file: the
	// translation was made from the source as that commit has it.
	MadeAt *CommitRef `json:"madeAt,omitempty" jsonschema:"the last commit that changed the translation's file: it was made from the source as that commit has it"`
	// Since are the commits after MadeAt that changed the source's
	// content, parents first (stale only).
	Since []CommitRef `json:"since,omitempty" jsonschema:"stale: the commits after madeAt that changed the source's content, parents first"`
}

// CommitRef names a commit as git log --oneline does.
type CommitRef struct {
	ID      string `json:"id"`
	Short   string `json:"short"`
	Subject string `json:"subject"`
}

func refOf(c *repo.Commit) CommitRef {
	return CommitRef{ID: c.ID.String(), Short: c.ID.Short(), Subject: c.Subject()}
}

// Behind reports whether the locale is missing or stale.
func (l LocaleStatus) Behind() bool { return l.Status != Current }

// Status reports the translations of entries at head. dir is the
// manifests root (Git history is read below it only).
func Status(r *repo.Repository, head *repo.Commit, dir string, entries []Entry, opts Options) (*Report, error) {
	rep := &Report{Protocol: protocol.Version, Commit: head.ID.String(), Default: opts.Default, Entries: []EntryStatus{}}
	type key [2]string
	trans := map[key]map[string]Entry{}
	var sources []Entry
	for _, e := range entries {
		if e.Locale == "" {
			sources = append(sources, e)
			continue
		}
		k := key{e.Kind, e.ID}
		if trans[k] == nil {
			trans[k] = map[string]Entry{}
		}
		trans[k][e.Locale] = e
	}
	slices.SortFunc(sources, func(a, b Entry) int {
		return strings.Compare(protocol.EntryName(a.Kind, a.ID, ""), protocol.EntryName(b.Kind, b.ID, ""))
	})
	// Which commit made each translation's current version: one walk.
	targets := map[string]repo.Hash{}
	for _, s := range sources {
		for _, t := range trans[key{s.Kind, s.ID}] {
			targets[t.Path] = r.FileAt(head.Tree, t.Path)
		}
	}
	made, err := r.Introductions(head.ID, dir, targets, nil)
	if err != nil {
		return nil, err
	}
	h := &history{r: r, head: head, opts: opts, prints: map[repo.Hash]string{}, ranges: map[repo.Hash][]*repo.Commit{}}
	for _, s := range sources {
		es := EntryStatus{Name: protocol.EntryName(s.Kind, s.ID, ""), Kind: s.Kind, ID: s.ID, Manifest: s.Path, State: s.State, Locales: []LocaleStatus{}}
		var required []string
		if opts.Required != nil {
			required = opts.Required(s.Kind)
		}
		locales := slices.Clone(required)
		for _, l := range opts.Supported {
			if l != opts.Default && !slices.Contains(locales, l) {
				locales = append(locales, l)
			}
		}
		for _, l := range locales {
			ls := LocaleStatus{Locale: l, Name: protocol.EntryName(s.Kind, s.ID, l), Required: slices.Contains(required, l), Status: Missing}
			if t, ok := trans[key{s.Kind, s.ID}][l]; ok {
				ls.Manifest = t.Path
				if err := h.judge(&ls, s.Path, made[t.Path]); err != nil {
					return nil, err
				}
			}
			es.Locales = append(es.Locales, ls)
		}
		rep.Entries = append(rep.Entries, es)
	}
	rep.Summary = Summarize(rep.Entries)
	return rep, nil
}

// Summarize counts the locales of entries by status: a report's summary,
// or that of the entries a caller kept (small status --translations --kind).
func Summarize(entries []EntryStatus) Summary {
	var sum Summary
	for _, e := range entries {
		for _, l := range e.Locales {
			switch l.Status {
			case Missing:
				sum.Missing++
			case Stale:
				sum.Stale++
			default:
				sum.Current++
			}
			if l.Required && l.Behind() {
				sum.RequiredBehind++
			}
		}
	}
	return sum
}

// history reads the versions of sources, each once.
type history struct {
	r      *repo.Repository
	head   *repo.Commit
	opts   Options
	prints map[repo.Hash]string         // fingerprint by blob
	ranges map[repo.Hash][]*repo.Commit // commits after a commit, up to head
}

// fingerprint of the version of path in tree ("" where there is none).
func (h *history) fingerprint(tree repo.Hash, path string) (string, error) {
	b := h.r.FileAt(tree, path)
	if b.IsZero() {
		return "", nil
	}
	if f, ok := h.prints[b]; ok {
		return f, nil
	}
	data, err := h.r.ReadBlob(b)
	if err != nil {
		return "", fmt.Errorf("read %s: %w", path, err)
	}
	if h.opts.MaxBytes > 0 && int64(len(data)) > h.opts.MaxBytes {
		data = data[:h.opts.MaxBytes]
	}
	f := "blob:" + b.String()
	if h.opts.Fingerprint != nil {
		f = h.opts.Fingerprint(path, data)
	}
	h.prints[b] = f
	return f, nil
}

// judge says whether the translation made at commit at, of the source at
// path src, is stale or current, and which commits changed the source
// since.
func (h *history) judge(ls *LocaleStatus, src string, at repo.Hash) error {
	c, err := h.r.ReadCommit(at)
	if err != nil {
		return err
	}
	ref := refOf(c)
	ls.MadeAt = &ref
	then, err := h.fingerprint(c.Tree, src)
	if err != nil {
		return err
	}
	now, err := h.fingerprint(h.head.Tree, src)
	if err != nil {
		return err
	}
	if then == now {
		ls.Status = Current
		return nil
	}
	ls.Status = Stale
	commits, ok := h.ranges[at]
	if !ok {
		if commits, err = h.r.Range(at, h.head.ID); err != nil {
			return err
		}
		h.ranges[at] = commits
	}
	trees := map[repo.Hash]repo.Hash{}
	for _, c := range commits {
		trees[c.ID] = c.Tree
	}
	for _, c := range commits {
		mine, err := h.fingerprint(c.Tree, src)
		if err != nil {
			return err
		}
		var before string
		if len(c.Parents) > 0 {
			pt, ok := trees[c.Parents[0]]
			if !ok {
				pc, err := h.r.ReadCommit(c.Parents[0])
				if err != nil {
					return err
				}
				pt = pc.Tree
			}
			if before, err = h.fingerprint(pt, src); err != nil {
				return err
			}
		}
		if mine != before && mine != "" {
			ls.Since = append(ls.Since, refOf(c))
		}
	}
	return nil
}
