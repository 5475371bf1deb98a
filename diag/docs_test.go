package diag

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestEveryCodeIsDocumented holds docs/protocol.md to the codes small emits:
// each code is part of small/v1, and users look them up there.
func TestEveryCodeIsDocumented(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join("..", "docs", "protocol.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range Codes {
		if !strings.Contains(string(doc), "`"+c.Code+"`") {
			t.Errorf("docs/protocol.md does not document %s (%s)", c.Code, c.Description)
		}
	}
}
