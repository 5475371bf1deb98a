package content

import (
	"strings"

	"github.com/smallhq/small/schema"
)

func nextStates(lc schema.Lifecycle, state string) string {
	if next := lc.Next(state); len(next) > 0 {
		return "allowed next: " + strings.Join(next, ", ")
	}
	return "no state may follow it"
}

func reachable(lc schema.Lifecycle) []string {
	var out []string
	for _, s := range lc.States {
		if lc.Path(s) != nil {
			out = append(out, s)
		}
	}
	return out
}
