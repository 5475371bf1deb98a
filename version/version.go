// Package version names this build of small.
package version

import (
	"runtime/debug"
	"sync"
)

// Version is small's version. Release builds may set it with
// -ldflags "-X github.com/smallhq/small/version.Version=v1.2.3"; otherwise
// it is the module's version from the build information (what go install
// module@version records, or the pseudo-version go build stamps from the
// commit it builds), or 0.1.0-dev where Go recorded none (test binaries).
var Version = ""

var once sync.Once

// Current is small's version.
func Current() string {
	once.Do(func() {
		if Version != "" {
			return
		}
		Version = "0.1.0-dev"
		if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			Version = bi.Main.Version
		}
	})
	return Version
}

// Builder is the builder identity recorded in build commits: small/<version>.
func Builder() string { return "small/" + Current() }
