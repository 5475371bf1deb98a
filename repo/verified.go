package repo

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// The builds this clone has verified are remembered in the git directory,
// one line per artifact branch: "<ref> <build id>". A build verified is one
// small rebuilt and found equal, or one small made itself on a verified
// build; everything before it on its branch was verified too. The file is
// this clone's own memory, never pushed or fetched.
const verifiedFile = "small-verified"

// VerifiedBuild returns the newest build of branch (a full ref name) this
// clone has verified, or ZeroHash.
func (r *Repository) VerifiedBuild(branch string) Hash {
	if r.commonDir == "" {
		return r.verifiedMem[branch]
	}
	b, err := os.ReadFile(filepath.Join(r.commonDir, verifiedFile))
	if err != nil {
		return ZeroHash
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		if ref, id, ok := strings.Cut(sc.Text(), " "); ok && ref == branch {
			h, _ := ParseHash(id)
			return h
		}
	}
	return ZeroHash
}

// SetVerifiedBuild remembers build as the newest verified build of branch.
// The file is replaced by a rename, so a crash leaves the old or the new.
func (r *Repository) SetVerifiedBuild(branch string, build Hash) error {
	if r.commonDir == "" {
		if r.verifiedMem == nil {
			r.verifiedMem = map[string]Hash{}
		}
		r.verifiedMem[branch] = build
		return nil
	}
	name := filepath.Join(r.commonDir, verifiedFile)
	var out bytes.Buffer
	if b, err := os.ReadFile(name); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if ref, _, ok := strings.Cut(line, " "); ok && ref != branch {
				out.WriteString(line + "\n")
			}
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		return err
	}
	fmt.Fprintf(&out, "%s %s\n", branch, build)
	tmp, err := os.CreateTemp(r.commonDir, verifiedFile+".*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(out.Bytes()); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), name)
}
