package schema

import (
	"slices"
)

// Lifecycle is a kind's state machine: the states a manifest's status may
// take, how it may move between them, which states only a human may enter,
// and from which states a manifest may be deleted.
type Lifecycle struct {
	States      []string            `json:"states"`
	Initial     string              `json:"initial"`
	Transitions map[string][]string `json:"transitions"`
	HumanOnly   []string            `json:"humanOnly"`
	Deletable   []string            `json:"deletable"`
	// Frozen are the states in which only a human may change a manifest's
	// content; nil means the human-only states.
	Frozen []string `json:"frozen,omitempty"`
	// Referenceable are the states in which another manifest may refer to
	// one (a field marked @ref); nil means every state.
	Referenceable []string `json:"referenceable,omitempty"`
}

// DefaultLifecycle is the lifecycle of every kind that does not declare its
// own in a #lifecycle definition.
var DefaultLifecycle = Lifecycle{
	States:  []string{"draft", "review", "approved", "published", "deprecated", "archived"},
	Initial: "draft",
	Transitions: map[string][]string{
		"draft":      {"review"},
		"review":     {"draft", "approved"},
		"approved":   {"review", "published"},
		"published":  {"deprecated"},
		"deprecated": {"published", "archived"},
	},
	HumanOnly: []string{"approved", "published"},
	Deletable: []string{"draft", "archived"},
}

// Has reports whether state is one of the lifecycle's states.
func (l *Lifecycle) Has(state string) bool { return slices.Contains(l.States, state) }

// Next lists the states a manifest in state may move to.
func (l *Lifecycle) Next(state string) []string { return l.Transitions[state] }

// Allows reports whether a manifest may move from one state to the other.
func (l *Lifecycle) Allows(from, to string) bool { return slices.Contains(l.Transitions[from], to) }

// HumanOnlyState reports whether only a human may move a manifest into state.
func (l *Lifecycle) HumanOnlyState(state string) bool { return slices.Contains(l.HumanOnly, state) }

// FrozenState reports whether only a human may change the content of a
// manifest in state.
func (l *Lifecycle) FrozenState(state string) bool {
	if l.Frozen == nil {
		return l.HumanOnlyState(state)
	}
	return slices.Contains(l.Frozen, state)
}

// ReferenceableState reports whether a field marked @ref may point at a
// manifest in state.
func (l *Lifecycle) ReferenceableState(state string) bool {
	return l.Referenceable == nil || slices.Contains(l.Referenceable, state)
}

// CanDelete reports whether a manifest in state may be deleted.
func (l *Lifecycle) CanDelete(state string) bool { return slices.Contains(l.Deletable, state) }

// Path returns the shortest way from the initial state to state (both
// included), or nil when state cannot be reached.
func (l *Lifecycle) Path(state string) []string {
	prev := map[string]string{l.Initial: ""}
	queue := []string{l.Initial}
	for len(queue) > 0 {
		s := queue[0]
		queue = queue[1:]
		if s == state {
			var path []string
			for ; s != ""; s = prev[s] {
				path = append([]string{s}, path...)
			}
			return path
		}
		for _, n := range l.Transitions[s] {
			if _, seen := prev[n]; !seen {
				prev[n] = s
				queue = append(queue, n)
			}
		}
	}
	return nil
}

// ShortestPath returns the way from one state to another that takes the
// fewest transitions (both ends included), when there is exactly one such
// way. ok is false when to cannot be reached from from, or when two or
// more shortest ways exist: then which states were passed is not known.
func (l *Lifecycle) ShortestPath(from, to string) (path []string, ok bool) {
	if from == to {
		return []string{from}, true
	}
	dist, ways, prev := l.walk(from)
	if _, ok := dist[to]; !ok || ways[to] != 1 {
		return nil, false
	}
	for s := to; s != from; s = prev[s] {
		path = append([]string{s}, path...)
	}
	return append([]string{from}, path...), true
}

// Reaches reports whether some way of one or more transitions leads from
// one state to the other.
func (l *Lifecycle) Reaches(from, to string) bool {
	if from != to {
		dist, _, _ := l.walk(from)
		_, ok := dist[to]
		return ok
	}
	for _, n := range l.Transitions[from] {
		if n == to || l.Reaches(n, to) {
			return true
		}
	}
	return false
}

// walk searches breadth first from a state: how many transitions each
// reachable state is away, by how many shortest ways, and the state before
// it on one of them.
func (l *Lifecycle) walk(from string) (dist, ways map[string]int, prev map[string]string) {
	dist, ways, prev = map[string]int{from: 0}, map[string]int{from: 1}, map[string]string{}
	queue := []string{from}
	for len(queue) > 0 {
		s := queue[0]
		queue = queue[1:]
		for _, n := range l.Transitions[s] {
			d, seen := dist[n]
			switch {
			case !seen:
				dist[n], ways[n], prev[n] = dist[s]+1, ways[s], s
				queue = append(queue, n)
			case d == dist[s]+1:
				ways[n] += ways[s]
			}
		}
	}
	return dist, ways, prev
}
