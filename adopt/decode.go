package adopt

import (
	"bytes"
	"fmt"
	"path"
	"strings"

	"cuelang.org/go/cue/ast"

	"github.com/smallhq/small/manifest"
)

// markdownExts are the extensions of Markdown files whose YAML front
// matter may be a manifest.
var markdownExts = []string{".md", ".markdown", ".mdx"}

func isMarkdown(p string) bool {
	ext := strings.ToLower(path.Ext(p))
	for _, e := range markdownExts {
		if ext == e {
			return true
		}
	}
	return false
}

// isData reports whether p is a YAML or JSON file.
func isData(p string) bool {
	switch strings.ToLower(path.Ext(p)) {
	case ".yaml", ".yml", ".json":
		return true
	}
	return false
}

// decoded is one candidate file read as small would read it.
type decoded struct {
	doc      *manifest.Document // nil for empty front matter
	fields   *ast.StructLit
	body     bool   // a Markdown file: its body is one more field
	bodyText string // the Markdown body
}

// notContent is a candidate file that is not a manifest as it stands: no
// front matter, or one small cannot read. reason says why, in words.
type notContent struct{ reason string }

func (e *notContent) Error() string { return e.reason }

// decode reads one candidate file through small's manifest decoder, so
// that the limits of small.cue (size, depth, aliases, values) apply to
// adoption exactly as to validation. A Markdown file's YAML front matter
// is decoded as a YAML manifest, positions kept (the front matter is
// decoded in place, the lines of the body blanked out).
func decode(p string, data []byte, lim manifest.Limits) (*decoded, error) {
	if !isMarkdown(p) {
		doc, err := manifest.Decode(p, data, lim)
		if err != nil {
			return nil, &notContent{reason: describeError(err)}
		}
		return &decoded{doc: doc, fields: doc.Fields}, nil
	}
	if lim.MaxBytes > 0 && int64(len(data)) > lim.MaxBytes {
		return nil, &notContent{reason: fmt.Sprintf("file is %d bytes, more than the limit of %d (limits.manifestBytes)", len(data), lim.MaxBytes)}
	}
	front, text, ok, err := frontMatter(data)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, &notContent{reason: "no front matter (a first line of ---)"}
	}
	if len(bytes.TrimSpace(front)) == 0 {
		return &decoded{fields: &ast.StructLit{}, body: true, bodyText: text}, nil
	}
	doc, err := manifest.Decode(strings.TrimSuffix(p, path.Ext(p))+".yaml", front, lim)
	if err != nil {
		return nil, &notContent{reason: "front matter: " + describeError(err)}
	}
	return &decoded{doc: doc, fields: doc.Fields, body: true, bodyText: text}, nil
}

// frontMatter returns the YAML between a first line "---" and the next
// line "---" (or "..."), with the first line blanked so that lines keep
// their numbers. ok is false when the file does not start with "---".
func frontMatter(data []byte) (front []byte, body string, ok bool, err error) {
	data = bytes.TrimPrefix(data, []byte("\ufeff"))
	first, rest, found := bytes.Cut(data, []byte("\n"))
	first = bytes.TrimRight(first, "\r")
	if string(bytes.TrimRight(first, " \t")) == "+++" {
		return nil, "", false, &notContent{reason: "TOML front matter (+++): small reads YAML front matter (---) only"}
	}
	if string(bytes.TrimRight(first, " \t")) != "---" || !found {
		return nil, "", false, nil
	}
	off := 0
	for off <= len(rest) {
		line := rest[off:]
		end := bytes.IndexByte(line, '\n')
		next := len(rest) + 1
		if end >= 0 {
			line, next = line[:end], off+end+1
		}
		l := string(bytes.TrimRight(line, " \t\r"))
		if l == "---" || l == "..." {
			body := ""
			if next <= len(rest) {
				body = string(rest[next:])
			}
			return append([]byte("\n"), rest[:off]...), body, true, nil
		}
		off = next
	}
	return nil, "", false, &notContent{reason: "front matter is not closed: expected a line --- after it"}
}

// describeError is a decode error in one line, with its position.
func describeError(err error) string {
	return strings.Join(strings.Fields(err.Error()), " ")
}
