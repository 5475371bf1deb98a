package content

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/smallhq/small/diag"
	"github.com/smallhq/small/protocol"
	"github.com/smallhq/small/repo"
)

// commitTrailers are the Small-* trailers a content commit may carry; the
// others are small build's.
var (
	commitTrailers = []string{protocol.TrailerAgent, protocol.TrailerRollbackOf}
	buildTrailers  = []string{protocol.TrailerManifestCommit, protocol.TrailerSchemaDigest, protocol.TrailerBuilder, protocol.TrailerProtocol}
	smallKey       = regexp.MustCompile(`(?i)^(small-[a-z0-9-]*)\s*:\s*(.*)$`)
	shortID        = regexp.MustCompile(`^[0-9a-f]{7,40}$`)
)

// CheckMessage checks the Small-* trailers of a commit message (file names
// it in findings) as git will read them (git interpret-trailers): known
// keys only, with values of the right shape, in the trailer block where git
// finds them, and none of the trailers only small build writes.
func CheckMessage(file, msg string) []diag.Diagnostic {
	var ds []diag.Diagnostic
	lines := strings.Split(strings.ReplaceAll(msg, "\r\n", "\n"), "\n")
	lineOf := func(key, value string) int {
		for i, l := range lines {
			if m := smallKey.FindStringSubmatch(l); m != nil && strings.EqualFold(m[1], key) && strings.TrimSpace(m[2]) == value {
				return i + 1
			}
		}
		return 0
	}
	add := func(line int, format string, args ...any) {
		ds = append(ds, diag.Diagnostic{File: file, Line: line, Column: 1, Code: diag.CodeTrailer, Severity: diag.Error, Message: fmt.Sprintf(format, args...)})
	}
	parsed := map[int]bool{}
	for _, t := range repo.ParseTrailers(msg) {
		if !strings.HasPrefix(strings.ToLower(t.Key), "small-") {
			continue
		}
		line := lineOf(t.Key, t.Value)
		parsed[line] = true
		key := canonical(t.Key)
		switch {
		case slices.Contains(buildTrailers, key):
			add(line, "%s: written by small build on build commits only, never in a content commit", key)
		case !slices.Contains(commitTrailers, key):
			msg := fmt.Sprintf("%s: not a trailer of small/v1", t.Key)
			if near := diag.Nearest(t.Key, commitTrailers); near != "" {
				msg += fmt.Sprintf(" (did you mean %s?)", near)
			} else {
				msg += fmt.Sprintf(": expected %s", strings.Join(commitTrailers, " or "))
			}
			add(line, "%s", msg)
		case key == protocol.TrailerAgent && t.Value == "":
			add(line, "%s: expected the agent's name, e.g. %s: docs-agent", key, key)
		case key == protocol.TrailerRollbackOf && !shortID.MatchString(t.Value):
			add(line, "%s: %q: expected the id of the build whose version this brings back (7 to 40 hex digits; small rollback writes it)", key, t.Value)
		}
	}
	// A Small-* line git will not read as a trailer decides nothing: say so.
	for i, l := range lines {
		if m := smallKey.FindStringSubmatch(l); m != nil && !parsed[i+1] && i > 0 {
			add(i+1, "%s: not in the message's last paragraph, so git (and small) will not read it as a trailer: move it to the end, after a blank line", m[1])
		}
	}
	diag.Sort(ds)
	return ds
}

// canonical spells a Small-* key as small/v1 does, whatever its case.
func canonical(key string) string {
	for _, k := range append(slices.Clone(commitTrailers), buildTrailers...) {
		if strings.EqualFold(k, key) {
			return k
		}
	}
	return key
}
