package cmdutil

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/smallhq/small/schema"
)

// WriteGenerated writes generated files (exported schemas) into dir,
// making it if need be, and returns which it wrote and which it kept. With
// replace, a file there is replaced (written beside, then renamed onto it,
// so no reader sees half of one); without, a file there is kept as it is.
// A symbolic link, for dir or where a file goes, is refused with a usage
// error: a repository could plant one to have a file elsewhere
// overwritten.
func WriteGenerated(dir string, files []schema.File, replace bool) (wrote, kept []string, err error) {
	if fi, err := os.Lstat(dir); err == nil && fi.Mode()&os.ModeSymlink != 0 {
		return nil, nil, Usagef("%s: is a symbolic link: expected a directory", dir)
	} else if err == nil && !fi.IsDir() {
		return nil, nil, Usagef("%s: not a directory", dir)
	}
	for _, f := range files {
		p := filepath.Join(dir, f.Path)
		fi, err := os.Lstat(p)
		switch {
		case err == nil && !fi.Mode().IsRegular():
			return wrote, kept, Usagef("%s: not a regular file (a symbolic link or a directory): expected a file small may replace", p)
		case err == nil && !replace:
			kept = append(kept, p)
			continue
		case err != nil && !errors.Is(err, fs.ErrNotExist):
			return wrote, kept, err
		}
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return wrote, kept, Usagef("%s: %v", dir, err)
		}
		tmp, err := os.CreateTemp(dir, ".small-*")
		if err != nil {
			return wrote, kept, Usagef("%s: %v", dir, err)
		}
		_, werr := tmp.Write(f.Data)
		if cerr := tmp.Close(); werr == nil {
			werr = cerr
		}
		if werr == nil {
			werr = os.Chmod(tmp.Name(), 0o644)
		}
		if werr == nil && !replace {
			// Create only: a file that appeared meanwhile is kept.
			werr = os.Link(tmp.Name(), p)
			os.Remove(tmp.Name())
		} else if werr == nil {
			werr = os.Rename(tmp.Name(), p)
		}
		if werr != nil {
			os.Remove(tmp.Name())
			return wrote, kept, fmt.Errorf("write %s: %w", p, werr)
		}
		wrote = append(wrote, p)
	}
	return wrote, kept, nil
}
