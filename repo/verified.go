package repo

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Mark is what this clone last verified of an artifact branch: its tip
// and the notes commits of that moment. Everything before the build on its
// branch was verified too.
type Mark struct {
	Build, Lineage, Lifecycle Hash
}

// The marks live in the git directory, one line per artifact branch:
// "<ref> <build> <lineage notes> <lifecycle notes>". They are this clone's
// own memory, never pushed or fetched.
const marksFile = "small-verified"

// VerifiedMark returns the mark of branch (a full ref name); the zero Mark
// when there is none.
func (r *Repository) VerifiedMark(branch string) Mark {
	if r.commonDir == "" {
		return r.marksMem[branch]
	}
	b, err := os.ReadFile(filepath.Join(r.commonDir, marksFile))
	if err != nil {
		return Mark{}
	}
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) == 4 && f[0] == branch {
			var m Mark
			m.Build, _ = ParseHash(f[1])
			m.Lineage, _ = ParseHash(f[2])
			m.Lifecycle, _ = ParseHash(f[3])
			return m
		}
	}
	return Mark{}
}

// SetVerifiedMark remembers m as what was last verified of branch; the zero
// Mark forgets it. The file is replaced by a rename: a crash leaves the
// old or the new.
func (r *Repository) SetVerifiedMark(branch string, m Mark) error {
	if r.commonDir == "" {
		if r.marksMem == nil {
			r.marksMem = map[string]Mark{}
		}
		r.marksMem[branch] = m
		return nil
	}
	name := filepath.Join(r.commonDir, marksFile)
	var out bytes.Buffer
	if b, err := os.ReadFile(name); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if f := strings.Fields(line); len(f) == 4 && f[0] != branch {
				out.WriteString(line + "\n")
			}
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		return err
	}
	if m != (Mark{}) {
		fmt.Fprintf(&out, "%s %s %s %s\n", branch, m.Build, m.Lineage, m.Lifecycle)
	}
	tmp, err := os.CreateTemp(r.commonDir, marksFile+".*")
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
