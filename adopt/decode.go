package adopt

import (
	"errors"
	"fmt"
	"path"
	"strings"

	"cuelang.org/go/cue/ast"

	"github.com/smallhq/small/diag"
	"github.com/smallhq/small/manifest"
)

func isMarkdown(p string) bool { return manifest.IsFrontMatterFile(p) }

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
	end, bodyStart, err := manifest.SplitFrontMatter(data)
	var me *manifest.Error
	switch {
	case errors.As(err, &me) && me.Code == diag.CodeFrontMatterMissing:
		return nil, &notContent{reason: "no front matter (a first line of ---)"}
	case err != nil:
		return nil, &notContent{reason: "front matter: " + describeError(err)}
	}
	text := string(data[bodyStart:])
	// The front matter is read as a YAML manifest in place: its opening
	// --- is YAML's document start, so positions are the file's.
	doc, err := manifest.Decode(strings.TrimSuffix(p, path.Ext(p))+".yaml", data[:end], lim)
	if errors.As(err, &me) && me.Code == diag.CodeEmpty && me.Line == 0 {
		return &decoded{fields: &ast.StructLit{}, body: true, bodyText: text}, nil
	}
	if err != nil {
		return nil, &notContent{reason: "front matter: " + describeError(err)}
	}
	return &decoded{doc: doc, fields: doc.Fields, body: true, bodyText: text}, nil
}

// describeError is a decode error in one line, with its position.
func describeError(err error) string {
	return strings.Join(strings.Fields(err.Error()), " ")
}
