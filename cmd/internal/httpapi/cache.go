package httpapi

import "sync"

// cache keeps answers by the state of the repository they describe (HEAD's
// commit, the artifact branch's tip and small's notes) and the question.
// When the state moves, new keys are asked and the old ones age out: the
// cache is emptied whenever it holds maxEntries or maxBytes.
type cache struct {
	mu    sync.Mutex
	m     map[string]entry
	bytes int
}

type entry struct {
	ctype string
	body  []byte
}

const (
	maxEntries = 1024
	maxBytes   = 64 << 20
)

func newCache() *cache { return &cache{m: map[string]entry{}} }

func (c *cache) get(key string) (entry, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[key]
	return e, ok
}

func (c *cache) put(key string, e entry) {
	if len(e.body) > maxBytes/4 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m) >= maxEntries || c.bytes+len(e.body) > maxBytes {
		clear(c.m)
		c.bytes = 0
	}
	c.m[key] = e
	c.bytes += len(e.body) + len(key)
}
