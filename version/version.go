// Package version names this build of small.
package version

// Version is small's version; release builds set it with
// -ldflags "-X github.com/smallhq/small/version.Version=v1.2.3".
var Version = "0.1.0-dev"

// Builder is the builder identity recorded in build commits: small/<version>.
func Builder() string { return "small/" + Version }
