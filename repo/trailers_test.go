package repo

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// gitTrailers asks git interpret-trailers --parse, the oracle, for the
// trailers of msg.
func gitTrailers(t *testing.T, msg string) []Trailer {
	t.Helper()
	cmd := exec.Command("git", "interpret-trailers", "--parse")
	cmd.Env = append(os.Environ(), "GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL="+os.DevNull)
	cmd.Stdin = strings.NewReader(msg)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("git interpret-trailers: %v", err)
	}
	var ts []Trailer
	for _, line := range strings.Split(strings.TrimRight(string(out), "\n"), "\n") {
		if line == "" {
			continue
		}
		k, v, _ := strings.Cut(line, ": ")
		ts = append(ts, Trailer{Key: k, Value: v})
	}
	return ts
}

// trailerCases are commit messages whose trailers small must read as git
// does: spacing, case, continuation lines, what makes a paragraph a trailer
// block.
var trailerCases = []string{
	"Subject\n\nSmall-Agent: docs-agent\n",
	"Subject\n\nBody text.\n\nSmall-Agent: docs-agent\nSigned-off-by: A <a@x>\n",
	"Subject\n\nsmall-agent:   spaced   \n",
	"Subject\n\nSmall-Agent:docs-agent\n",
	"Subject\n\nSmall-Agent: docs\n  agent continued\n",
	"Subject\n\nSmall-Agent: x\n\n",
	"Small-Agent: only a subject\n",
	"Subject\n\nSmall-Agent: one\nnot a trailer line\nnot one either\nnor this\nnor that\n",
	"Subject\n\nSmall-Agent: one\nnot a trailer line\n",
	"Subject\n\nSmall-Agent: one\n\nLast paragraph is prose.\n",
	"Subject\n\nSmall Agent: with a space\n",
	"Subject\n\n(cherry picked from commit 1234567)\nSmall-Agent: bot\n",
	"Subject\n\nSmall-Agent: a\nSmall-Agent: b\n",
	"Subject\n\nSmall-Agent : spaced key\n",
	"Subject\r\n\r\nSmall-Agent: crlf\r\n",
	"Subject\n\nSigned-off-by: A <a@x>\nprose\nmore prose\nSmall-Agent: bot\n",
	"Subject\n\nSigned-off-by: A <a@x>\nprose\nmore\nand more\nstill more\nSmall-Agent: bot\n",
	"Subject\n\nSmall-Agent: bot\n# a comment\n",
	"Subject\n\nSmall-Agent: bot\n\n# Please enter the commit message\n",
	"Subject\n\n  indented: first\nSmall-Agent: bot\n",
	"Subject\n\n:Small-Agent: bot\n",
	"Subject\n\nSmall-Agent:\n",
	"Subject\n\nSmall_Agent: underscore\n",
	"Subject\n\nSmall-Agent: a: b\n",
	"Subject\n\nSmall-Agent: docs\n\tagent\n\tmore\n",
}

// TestTrailersAsGitParsesThem holds ParseTrailers to git interpret-trailers.
func TestTrailersAsGitParsesThem(t *testing.T) {
	for _, msg := range trailerCases {
		want := gitTrailers(t, msg)
		got := ParseTrailers(msg)
		if len(got) != len(want) {
			t.Errorf("%q:\n got %q\nwant %q (git interpret-trailers --parse)", msg, got, want)
			continue
		}
		for i := range got {
			if !strings.EqualFold(got[i].Key, want[i].Key) || got[i].Value != want[i].Value {
				t.Errorf("%q:\n got %q\nwant %q (git interpret-trailers --parse)", msg, got, want)
				break
			}
		}
	}
}

// FuzzParseTrailers: any message parses without a panic, and where git is
// at hand the seeds agree with it (TestTrailersAsGitParsesThem).
func FuzzParseTrailers(f *testing.F) {
	for _, m := range trailerCases {
		f.Add(m)
	}
	f.Fuzz(func(t *testing.T, msg string) {
		for _, tr := range ParseTrailers(msg) {
			if tr.Key == "" || strings.ContainsAny(tr.Key, ": \t\n") {
				t.Errorf("%q: bad key %q", msg, tr.Key)
			}
		}
	})
}
