package diag

import "strings"

// Nearest returns the candidate closest to name by edit distance, ignoring
// case, or "" when none is within half of name's length: what a "did you
// mean" names.
func Nearest(name string, candidates []string) string {
	best, bestD := "", len(name)/2+1
	for _, c := range candidates {
		if d := distance(strings.ToLower(name), strings.ToLower(c)); d < bestD {
			best, bestD = c, d
		}
	}
	return best
}

// NearestN returns up to n candidates closest to name, nearest first (ties
// in the candidates' order), each within half of name's length as Nearest
// asks: what a "did you mean" names when several are worth naming.
func NearestN(name string, candidates []string, n int) []string {
	type near struct {
		c string
		d int
	}
	limit := len(name)/2 + 1
	lower := strings.ToLower(name)
	var best []near
	for _, c := range candidates {
		d := distance(lower, strings.ToLower(c))
		if d >= limit || len(best) == n && d >= best[n-1].d {
			continue
		}
		i := len(best)
		for i > 0 && best[i-1].d > d {
			i--
		}
		best = append(best, near{})
		copy(best[i+1:], best[i:])
		best[i] = near{c, d}
		if len(best) > n {
			best = best[:n]
		}
	}
	out := make([]string, len(best))
	for i, b := range best {
		out[i] = b.c
	}
	return out
}

// NearestWithin is the candidate closest to name by edits, if at most
// max edits away; "" otherwise.
func NearestWithin(name string, candidates []string, max int) string {
	best, bestD := "", max+1
	for _, c := range candidates {
		if d := distance(strings.ToLower(name), strings.ToLower(c)); d < bestD {
			best, bestD = c, d
		}
	}
	return best
}

// distance is the Levenshtein distance of two strings, byte by byte.
func distance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
