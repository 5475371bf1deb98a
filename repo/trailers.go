package repo

import "strings"

// Trailer is one "Key: value" line of a commit message's trailer block.
type Trailer struct{ Key, Value string }

// ParseTrailers returns the trailers of a commit message: the lines
// "Key: value" of its last paragraph, with continuation lines folded in, when
// that paragraph is a trailer block as git sees it (at least a quarter of
// its lines are trailers, and it is not the subject).
func ParseTrailers(msg string) []Trailer {
	msg = strings.TrimRight(msg, "\n")
	paras := strings.Split(msg, "\n\n")
	if len(paras) < 2 {
		return nil
	}
	last := strings.Split(strings.Trim(paras[len(paras)-1], "\n"), "\n")
	var out []Trailer
	trailerLines := 0
	for _, line := range last {
		if line == "" {
			continue
		}
		if (line[0] == ' ' || line[0] == '\t') && len(out) > 0 {
			out[len(out)-1].Value += " " + strings.TrimSpace(line)
			continue
		}
		key, val, ok := strings.Cut(line, ":")
		if !ok || key == "" || strings.TrimFunc(key, isTokenRune) != "" {
			continue
		}
		trailerLines++
		out = append(out, Trailer{Key: key, Value: strings.TrimSpace(val)})
	}
	if trailerLines == 0 || trailerLines*4 < len(last) {
		return nil
	}
	return out
}

func isTokenRune(r rune) bool {
	return r == '-' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9'
}
