package content

import (
	"strings"
	"testing"
)

func TestCheckMessage(t *testing.T) {
	tests := []struct {
		name, msg string
		want      []string // substrings of the findings, in order; none for a clean message
	}{
		{"no trailers", "Add an author\n\nSome words.\n", nil},
		{"agent", "Draft\n\nSmall-Agent: docs-agent\n", nil},
		{"rollback", "Roll back\n\nSmall-Rollback-Of: 0c91dd2ef8c7\n", nil},
		{"case-insensitive key", "Draft\n\nsmall-agent: docs-agent\n", nil},
		{"other trailers", "Fix\n\nSigned-off-by: Ann <ann@example.com>\nSmall-Agent: bot\n", nil},
		{"misspelt", "Draft\n\nSmall-Agnet: docs-agent\n", []string{"3:1: Small-Agnet: not a trailer of small/v1 (did you mean Small-Agent?)"}},
		{"unknown", "Draft\n\nSmall-Reviewed-By: ann\n", []string{"expected Small-Agent or Small-Rollback-Of"}},
		{"build trailer", "Forge\n\nSmall-Builder: small/v9\n", []string{"Small-Builder: written by small build on build commits only"}},
		{"empty agent", "Draft\n\nSmall-Agent:\n", []string{"expected the agent's name"}},
		{"bad rollback", "Undo\n\nSmall-Rollback-Of: HEAD~1\n", []string{`"HEAD~1": expected the id of the build`}},
		{"misplaced", "Draft\n\nSmall-Agent: bot\n\nMore words.\n", []string{"3:1: Small-Agent: not in the message's last paragraph"}},
		{"subject is never a trailer", "Small-Agent: bot\n", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ds := CheckMessage("MSG", tt.msg)
			if len(ds) != len(tt.want) {
				t.Fatalf("%d findings %v, want %d", len(ds), ds, len(tt.want))
			}
			for i, w := range tt.want {
				if !strings.Contains(ds[i].String(), w) {
					t.Errorf("finding %q, want it to contain %q", ds[i].String(), w)
				}
			}
		})
	}
}

func FuzzCheckMessage(f *testing.F) {
	f.Add("Draft\n\nSmall-Agent: docs-agent\n")
	f.Add("x\n\nSmall-Rollback-Of: zz\nSmall-\n\n")
	f.Fuzz(func(t *testing.T, msg string) {
		for _, d := range CheckMessage("MSG", msg) {
			if d.Line < 0 || strings.ContainsAny(d.String(), "\n") && !strings.Contains(msg, "\n") {
				t.Fatalf("bad finding %+v", d)
			}
		}
	})
}
