package content

import (
	"errors"
	"fmt"
	"io/fs"
	"math/big"
	"path"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"cuelang.org/go/cue/ast"
	"cuelang.org/go/cue/literal"
	"cuelang.org/go/cue/token"
	"golang.org/x/text/unicode/norm"

	"github.com/smallhq/small/diag"
	"github.com/smallhq/small/manifest"
	"github.com/smallhq/small/repo"
	"github.com/smallhq/small/schema"
)

// Constraints across manifests (the kinds' @unique(), @asset(...) and
// @ref(Kind) fields (refs.go)) are checked after every manifest has been evaluated: each
// evaluation keeps only the few values of its constrained fields, with
// their positions (fieldValue), and the checks compare them and look the
// assets up in the same snapshot.

// fieldValue is one value of a constrained field of a manifest.
type fieldValue struct {
	c         int      // the constraint's index in its kind's Constraints
	path      string   // where in the manifest: title, tags[1], links[0].url
	sel       []string // the same, as selectors: links, 0, url
	key       string   // the value, canonical, for @unique ("" when not a scalar)
	text      string   // the value as a finding shows it
	str       string   // the value when it is a string (for @asset)
	isStr     bool
	line, col int
}

// maxValuesPerManifest bounds what one manifest keeps: a list of 20,000
// tags marked @unique() is compared, but past this many values the rest
// are not (the manifest's node limit bounds it anyway).
const maxValuesPerManifest = 20_000

// constrainedValues extracts the values of the kind's constrained fields
// from a decoded manifest.
func constrainedValues(s *schema.Schema, doc *manifest.Document, kind string) []fieldValue {
	cs := s.Constraints(kind)
	if len(cs) == 0 {
		return nil
	}
	var out []fieldValue
	for ci, c := range cs {
		var walk func(x ast.Expr, i int, sel []string)
		walk = func(x ast.Expr, i int, sel []string) {
			if len(out) >= maxValuesPerManifest {
				return
			}
			if i == len(c.Path) {
				if !c.Each {
					out = append(out, valueAt(doc, ci, x, sel))
					return
				}
				if l, ok := x.(*ast.ListLit); ok {
					for j, el := range l.Elts {
						if len(out) < maxValuesPerManifest {
							out = append(out, valueAt(doc, ci, el, append(sel, strconv.Itoa(j))))
						}
					}
				}
				return
			}
			st, ok := x.(*ast.StructLit)
			if !ok {
				return
			}
			step := c.Path[i]
			for _, el := range st.Elts {
				f, ok := el.(*ast.Field)
				if !ok {
					continue
				}
				if name, _, _ := ast.LabelName(f.Label); name != step.Name {
					continue
				}
				here := append(sel[:len(sel):len(sel)], step.Name)
				if !step.Each {
					walk(f.Value, i+1, here)
					return
				}
				if l, ok := f.Value.(*ast.ListLit); ok {
					for j, el := range l.Elts {
						walk(el, i+1, append(here[:len(here):len(here)], strconv.Itoa(j)))
					}
				}
				return
			}
		}
		walk(doc.Fields, 0, nil)
	}
	return out
}

// valueAt keeps the value x at sel.
func valueAt(doc *manifest.Document, c int, x ast.Expr, sel []string) fieldValue {
	v := fieldValue{c: c, path: pathText(sel), sel: slices.Clone(sel)}
	v.line, v.col, _ = doc.Position(sel)
	neg := false
	if u, ok := x.(*ast.UnaryExpr); ok && u.Op == token.SUB {
		neg, x = true, u.X
	}
	switch x := x.(type) {
	case *ast.BasicLit:
		switch x.Kind {
		case token.STRING:
			s, err := literal.Unquote(x.Value)
			if err != nil {
				break
			}
			if strings.HasPrefix(x.Value, "'") { // bytes (!!binary)
				v.key, v.text = "b:"+s, clipText(strconv.Quote(s))
				break
			}
			// Strings compare as Unicode text: canonically equivalent
			// spellings (é as one code point, or e and a combining accent)
			// are one value, as they look the same; case and spaces are
			// not folded.
			v.key, v.text, v.str, v.isStr = "s:"+norm.NFC.String(s), clipText(strconv.Quote(s)), s, true
		case token.INT, token.FLOAT:
			text := x.Value
			if neg {
				text = "-" + text
			}
			v.key, v.text = "n:"+canonicalNumber(text), clipText(text)
		case token.TRUE, token.FALSE:
			v.key, v.text = "t:"+x.Value, x.Value
		}
	case *ast.Ident: // true, false as ast.NewBool writes them
		if x.Name == "true" || x.Name == "false" {
			v.key, v.text = "t:"+x.Name, x.Name
		}
	}
	return v
}

// canonicalNumber writes a number so that equal numbers are equal
// strings (1, 1.0 and 1e0 alike).
func canonicalNumber(s string) string {
	var info literal.NumInfo
	if literal.ParseNum(s, &info) != nil {
		return s
	}
	f, ok := new(big.Float).SetPrec(512).SetString(info.String())
	if !ok {
		return s
	}
	return f.Text('g', -1)
}

func pathText(sel []string) string { return schema.PathText(sel) }

func clipText(s string) string {
	if len(s) > 80 {
		return s[:77] + "..."
	}
	return s
}

// crossManifest checks the constraints across the manifests once all are
// evaluated, and the values of those whose verdict was known read
// (readKnownValues): it compares the @unique values and looks up the
// assets. A manifest with a finding
// is no longer valid.
func (ev *evaluation) crossManifest() ([]diag.Diagnostic, error) {
	s := ev.kinds
	var ds []diag.Diagnostic
	ds = append(ds, uniqueFindings(s, ev.mans)...)
	ad, err := ev.assetFindings()
	if err != nil {
		return nil, err
	}
	ds = append(ds, ad...)
	ds = append(ds, sharedFindings(s, ev.mans)...)
	refs, rd, err := ev.references()
	if err != nil {
		return nil, err
	}
	ev.refs = refs
	ds = append(ds, rd...)
	for i := range ev.mans {
		ev.mans[i].values, ev.mans[i].shared = nil, nil // the values are not needed any longer
	}
	return ds, nil
}

// readKnownValues reads, decodes and extracts the constrained values of
// the manifests whose verdict the caller gave: their verdict stands, but
// the uniqueness of their values and their assets are judged anew. A
// translation is read for where its locale is too: that its source is
// gone is a finding there.
func (ev *evaluation) readKnownValues() error {
	read, err := ev.knownToRead()
	if err != nil {
		return err
	}
	var idx []int
	for i, m := range ev.mans {
		if m.known && read(i) {
			idx = append(idx, i)
		}
	}
	if len(idx) == 0 {
		return nil
	}
	paths := make([]string, len(idx))
	for k, i := range idx {
		paths[k] = ev.mans[i].Path
	}
	return decodeAll(ev.snap, ev.cfg, paths, true, func(k int, doc *manifest.Document, _ manifest.Identity, _ error) {
		if doc == nil {
			return
		}
		m := &ev.mans[idx[k]]
		m.values = constrainedValues(ev.kinds, doc, m.Kind)
		m.shared = sharedValues(ev.kinds, doc, m.Kind)
		m.localeLine, m.localeCol, _ = doc.Position([]string{"locale"})
	})
}

// knownToRead says which known manifests readKnownValues reads: every
// one whose kind has constraints, and every translation; with
// Options.Related, only those that can relate to what was evaluated.
func (ev *evaluation) knownToRead() (func(i int) bool, error) {
	if ev.related == nil {
		return func(i int) bool {
			m := ev.mans[i]
			return ev.kinds.HasConstraints(m.Kind) || m.Locale != ""
		}, nil
	}
	kinds := map[string]bool{}   // of the evaluated manifests, with @unique fields
	keys := map[[2]string]bool{} // kinds and ids of the evaluated manifests
	names := map[string]bool{}   // the same, as Kind/id
	sources := map[[2]string]bool{}
	for _, m := range ev.mans {
		if m.Kind == "" {
			continue
		}
		k := [2]string{m.Kind, m.ID}
		if m.Locale == "" {
			sources[k] = true
		}
		if m.known {
			continue
		}
		keys[k], names[m.Kind+"/"+m.ID] = true, true
		for _, c := range ev.kinds.Constraints(m.Kind) {
			kinds[m.Kind] = kinds[m.Kind] || c.Unique
		}
	}
	paths, err := ev.related(names)
	if err != nil {
		return nil, err
	}
	named := make(map[string]bool, len(paths))
	for _, p := range paths {
		named[p] = true
	}
	return func(i int) bool {
		m := ev.mans[i]
		k := [2]string{m.Kind, m.ID}
		return named[m.Path] || kinds[m.Kind] || keys[k] || (m.Locale != "" && !sources[k])
	}, nil
}

// uniqueFindings reports each value of a @unique field that an earlier
// manifest of the kind (in path order), or an earlier element of the same
// list, also has, naming the first.
func uniqueFindings(s *schema.Schema, ms []Manifest) []diag.Diagnostic {
	type place struct{ m, v int }
	first := map[string]place{}
	var ds []diag.Diagnostic
	for i := range ms {
		m := &ms[i]
		cs := s.Constraints(m.Kind)
		for j, v := range m.values {
			if v.key == "" || v.c >= len(cs) || !cs[v.c].Unique {
				continue
			}
			k := m.Kind + "\x00" + strconv.Itoa(v.c) + "\x00" + v.key
			p, seen := first[k]
			if !seen {
				first[k] = place{i, j}
				continue
			}
			o, ov := ms[p.m], ms[p.m].values[p.v]
			where := fmt.Sprintf("%s:%d", o.Path, ov.line)
			if ov.path != v.path {
				where += " (" + ov.path + ")"
			}
			m.Valid = false
			ds = append(ds, diag.Diagnostic{File: m.Path, Line: v.line, Column: v.col, Path: v.path, Code: diag.CodeNotUnique, Severity: diag.Error,
				Message: fmt.Sprintf("%s is also used by %s: expected a value unique across %s manifests", v.text, where, m.Kind)})
		}
	}
	return ds
}

// sniffBytes is how much of an asset is read to tell its type.
const sniffBytes = 512

// assetRead is what reading an asset found, remembered by path: many
// manifests may name one file.
type assetRead struct {
	head repo.FileHead
	err  error
}

// assetFindings checks every value of an @asset field: a plain path, to a
// regular file inside the root, of an allowed type and size, in the
// snapshot validated.
func (ev *evaluation) assetFindings() ([]diag.Diagnostic, error) {
	var ds []diag.Diagnostic
	read := map[string]assetRead{}
	for i := range ev.mans {
		m := &ev.mans[i]
		cs := ev.kinds.Constraints(m.Kind)
		for _, v := range m.values {
			if v.c >= len(cs) || cs[v.c].Asset == nil || !v.isStr {
				continue
			}
			code, msg := ev.checkAsset(m.Path, cs[v.c].Asset, v.str, read)
			if code == "" {
				if p := assetPath(m.Path, cs[v.c].Asset, v.str); !slices.Contains(m.Assets, p) {
					m.Assets = append(m.Assets, p)
				}
				continue
			}
			m.Valid = false
			ds = append(ds, diag.Diagnostic{File: m.Path, Line: v.line, Column: v.col, Path: v.path, Code: code, Severity: diag.Error,
				Message: msg})
		}
	}
	for i := range ev.mans {
		if m := &ev.mans[i]; !m.Valid {
			m.Assets = nil
		} else {
			slices.Sort(m.Assets)
		}
	}
	return ds, nil
}

// assetPath is the repository path of the asset val names, once
// checkAsset has found it good.
func assetPath(manifestPath string, a *schema.Asset, val string) string {
	root := a.Root
	if root == "." {
		root = path.Dir(manifestPath)
	}
	return path.Join(root, path.Clean(val))
}

// checkAsset judges one asset path; code is "" when it holds.
func (ev *evaluation) checkAsset(manifestPath string, a *schema.Asset, val string, read map[string]assetRead) (code, msg string) {
	root := a.Root
	rootText := root + "/"
	if root == "." {
		root = path.Dir(manifestPath)
		rootText = "the manifest's directory"
	}
	q := clipText(strconv.Quote(val))
	switch {
	case val == "":
		return diag.CodeAssetPath, fmt.Sprintf(`"" names no file: expected a path relative to %s`, rootText)
	case strings.Contains(val, "://"):
		return diag.CodeAssetPath, fmt.Sprintf("%s is a URL: expected the path of a file of the repository, relative to %s", q, rootText)
	case strings.ContainsFunc(val, unicode.IsControl) || strings.Contains(val, `\`):
		return diag.CodeAssetPath, fmt.Sprintf("%s holds a control character or a backslash: expected a slash-separated path relative to %s", q, rootText)
	case path.IsAbs(val):
		return diag.CodeAssetPath, fmt.Sprintf("%s is absolute: expected a path relative to %s", q, rootText)
	}
	for _, el := range strings.Split(val, "/") {
		if el == ".." {
			return diag.CodeAssetPath, fmt.Sprintf("%s has a .. element: expected a path that stays inside %s", q, rootText)
		}
	}
	resolved := path.Join(root, path.Clean(val))
	if resolved == root || resolved == "." {
		return diag.CodeAssetPath, fmt.Sprintf("%s names %s itself: expected a file inside it", q, rootText)
	}
	max := a.MaxBytes
	if max <= 0 {
		max = 1 << 30
	}
	r, ok := read[resolved]
	if !ok {
		h, err := repo.ReadHead(ev.snap, resolved, sniffBytes, max)
		r = assetRead{h, err}
		read[resolved] = r
	}
	var tooLarge *repo.TooLargeError
	switch {
	case errors.Is(r.err, fs.ErrNotExist):
		return diag.CodeAssetMissing, fmt.Sprintf("%s: %s is not in the %s: expected a file there", q, resolved, ev.snap.Name())
	case errors.Is(r.err, repo.ErrSymlink):
		return diag.CodeAssetNotFile, fmt.Sprintf("%s: %s is a symbolic link, or under one: expected a regular file", q, resolved)
	case errors.Is(r.err, repo.ErrDirectory):
		return diag.CodeAssetNotFile, fmt.Sprintf("%s: %s is a directory: expected a regular file", q, resolved)
	case errors.Is(r.err, repo.ErrNotRegular), errors.Is(r.err, repo.ErrOutsideRepository),
		errors.Is(r.err, repo.ErrDanglingLink), errors.Is(r.err, repo.ErrLinkLoop):
		return diag.CodeAssetNotFile, fmt.Sprintf("%s: %s %v: expected a regular file", q, resolved, r.err)
	case errors.As(r.err, &tooLarge):
		r.head.Size = tooLarge.Size
	case r.err != nil:
		return diag.CodeAssetMissing, fmt.Sprintf("%s: %s cannot be read (%v): expected a readable file", q, resolved, r.err)
	}
	size, lfs := lfsPointer(r.head)
	if !lfs {
		size = r.head.Size
	}
	if a.MaxBytes > 0 && size > a.MaxBytes {
		if lfs {
			return diag.CodeAssetTooLarge, fmt.Sprintf("%s: %s is a Git LFS pointer to %d bytes: expected at most %d (maxBytes)", q, resolved, size, a.MaxBytes)
		}
		return diag.CodeAssetTooLarge, fmt.Sprintf("%s: %s is %d bytes: expected at most %d (maxBytes)", q, resolved, r.head.Size, a.MaxBytes)
	}
	if len(a.Types) == 0 {
		return "", ""
	}
	want := strings.Join(a.Types, ", ")
	named := schema.TypeByExtension(resolved)
	if named == "" {
		return diag.CodeAssetType, fmt.Sprintf("%s: %s has no extension small recognizes: expected a file of type %s", q, resolved, want)
	}
	// A file too large for a head (a wrapped snapshot) is judged by its
	// name, and so is a Git LFS pointer: its content is not in Git.
	if r.err == nil && !lfs {
		if got := schema.SniffType(r.head.Head); got != named {
			return diag.CodeAssetType, fmt.Sprintf("%s: %s is named as %s, but its content is %s: expected a file of type %s", q, resolved, named, got, want)
		}
	}
	if !schema.MatchesType(named, a.Types) {
		return diag.CodeAssetType, fmt.Sprintf("%s: %s is %s: expected a file of type %s", q, resolved, named, want)
	}
	return "", ""
}

// lfsPointer reports whether the file read is a Git LFS pointer (a small
// text file that stands for content kept outside Git: what a commit
// holds for a file git lfs tracks, and a checkout without git lfs pull),
// and the size it gives, as git-lfs's pointer format says
// (https://github.com/git-lfs/git-lfs/blob/main/docs/spec.md): "version
// https://git-lfs.github.com/spec/v1", then "oid sha256:<64 hex>" and
// "size <bytes>", each on its own line.
func lfsPointer(h repo.FileHead) (int64, bool) {
	const version = "version https://git-lfs.github.com/spec/v1\n"
	if h.Size != int64(len(h.Head)) || !strings.HasPrefix(string(h.Head), version) {
		return 0, false
	}
	var size int64 = -1
	oid := false
	for _, line := range strings.Split(strings.TrimSuffix(string(h.Head[len(version):]), "\n"), "\n") {
		k, v, ok := strings.Cut(line, " ")
		switch {
		case !ok:
			return 0, false
		case k == "oid":
			hex, ok := strings.CutPrefix(v, "sha256:")
			oid = ok && len(hex) == 64 && strings.Trim(hex, "0123456789abcdef") == ""
		case k == "size":
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil || n < 0 {
				return 0, false
			}
			size = n
		}
	}
	return size, oid && size >= 0
}
