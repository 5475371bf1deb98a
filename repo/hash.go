package repo

import (
	"encoding/hex"

	"github.com/go-git/go-git/v5/plumbing"
)

// Hash is a Git object id (SHA-1). It is small's own type, so that nothing
// outside this package speaks go-git.
type Hash [20]byte

// ZeroHash is the id of no object: as an old value, "the ref must not exist".
var ZeroHash Hash

// IsZero reports whether h is ZeroHash.
func (h Hash) IsZero() bool { return h == ZeroHash }

// String is the full hex id.
func (h Hash) String() string { return hex.EncodeToString(h[:]) }

// Short is the abbreviated id people read: its first 12 hex digits.
func (h Hash) Short() string { return h.String()[:12] }

// ParseHash reads a full hex object id.
func ParseHash(s string) (Hash, bool) {
	var h Hash
	if len(s) != 40 {
		return ZeroHash, false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return ZeroHash, false
		}
	}
	hex.Decode(h[:], []byte(s))
	return h, true
}

// ShortID abbreviates a hex object id held as text (as lineage records hold
// them) to its first 12 digits; shorter text is returned as it is.
func ShortID(id string) string {
	if len(id) > 12 {
		return id[:12]
	}
	return id
}

func fromPlumbing(h plumbing.Hash) Hash { return Hash(h) }

func (h Hash) plumbing() plumbing.Hash { return plumbing.Hash(h) }

func fromPlumbingAll(hs []plumbing.Hash) []Hash {
	out := make([]Hash, len(hs))
	for i, h := range hs {
		out[i] = Hash(h)
	}
	return out
}

func toPlumbingAll(hs []Hash) []plumbing.Hash {
	out := make([]plumbing.Hash, len(hs))
	for i, h := range hs {
		out[i] = plumbing.Hash(h)
	}
	return out
}
