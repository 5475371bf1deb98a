package repo

import "strings"

// Trailer is one "Key: value" line of a commit message's trailer block.
type Trailer struct{ Key, Value string }

// gitPrefixes are the lines git itself writes into trailer blocks; with one
// of them, a block may also hold other lines (git's "recognized prefix").
var gitPrefixes = []string{"Signed-off-by: ", "(cherry picked from commit "}

// ParseTrailers returns the trailers of a commit message as git
// interpret-trailers --parse reads them, the oracle its tests hold it to:
// the "Key: value" lines of the last paragraph (never the subject), a key
// of letters, digits and '-' with optional space before the colon, values
// trimmed and continuation lines folded in, CRLF line ends and comment
// lines ('#') ignored. The paragraph is a trailer block when all its lines
// are trailers, or when it has a line git writes (Signed-off-by, cherry
// picked from) and at least a quarter of its lines are trailers.
func ParseTrailers(msg string) []Trailer {
	lines := strings.Split(strings.ReplaceAll(msg, "\r\n", "\n"), "\n")
	blank := func(l string) bool { return strings.TrimSpace(l) == "" }
	end := len(lines)
	for end > 0 && (blank(lines[end-1]) || strings.HasPrefix(lines[end-1], "#")) {
		end--
	}
	start := end
	for start > 0 && !blank(lines[start-1]) {
		start--
	}
	if start == 0 {
		return nil // one paragraph: the subject is never a trailer block
	}
	var out []Trailer
	trailers, others, continuation := 0, 0, 0
	recognized := false
	lastWasTrailer := false
	for _, l := range lines[start:end] {
		switch {
		case strings.HasPrefix(l, "#"):
			continue
		case l[0] == ' ' || l[0] == '\t':
			if lastWasTrailer {
				out[len(out)-1].Value = strings.TrimSpace(out[len(out)-1].Value + " " + strings.TrimSpace(l))
			} else {
				continuation++
			}
			continue
		}
		for _, p := range gitPrefixes {
			if strings.HasPrefix(l, p) {
				recognized = true
			}
		}
		others += continuation
		continuation = 0
		key, val, ok := trailerLine(l)
		switch {
		case ok:
			trailers++
			out = append(out, Trailer{Key: key, Value: val})
			lastWasTrailer = true
		case strings.HasPrefix(l, gitPrefixes[1]):
			trailers++ // git's own line, though it has no separator
			lastWasTrailer = false
		default:
			others++
			lastWasTrailer = false
		}
	}
	others += continuation
	if trailers > 0 && others == 0 || recognized && trailers*3 >= others {
		return out
	}
	return nil
}

// trailerLine splits "Key: value" (or "Key : value") as git finds the
// separator: a token of letters, digits and '-', optional spaces, then ':'.
func trailerLine(l string) (key, value string, ok bool) {
	i := 0
	for i < len(l) && isTokenByte(l[i]) {
		i++
	}
	if i == 0 {
		return "", "", false
	}
	j := i
	for j < len(l) && (l[j] == ' ' || l[j] == '\t') {
		j++
	}
	if j == len(l) || l[j] != ':' {
		return "", "", false
	}
	return l[:i], strings.TrimSpace(l[j+1:]), true
}

func isTokenByte(c byte) bool {
	return c == '-' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}
