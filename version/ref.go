package version

import (
	"regexp"
	"runtime/debug"
)

var (
	// release is a version a tag of small's repository names: vMAJOR.MINOR.PATCH,
	// with an optional pre-release.
	release = regexp.MustCompile(`^v[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?$`)
	// pseudo is the suffix Go gives a version of an untagged commit
	// (v0.0.0-20261127140515-1a2b3c4d5e6f).
	pseudo = regexp.MustCompile(`[-.][0-9]{14}-[0-9a-f]{12}(\+dirty)?$`)
	commit = regexp.MustCompile(`^[0-9a-f]{40}$`)
)

// Ref is the Git ref of small's own repository that this build of small
// was made from, for pinning what runs it (a workflow's uses: line): its
// release tag, or the full commit id of a clean checkout it was built in.
// ok is false for a development build no ref names exactly (modified,
// or a pseudo-version without the commit's full id).
func Ref() (ref string, ok bool) {
	return refOf(Current(), revision())
}

// IsRelease reports whether v names a release: a tag vMAJOR.MINOR.PATCH
// (with an optional pre-release), not a pseudo-version.
func IsRelease(v string) bool { return release.MatchString(v) && !pseudo.MatchString(v) }

// IsCommit reports whether v is a full commit id.
func IsCommit(v string) bool { return commit.MatchString(v) }

func refOf(v, rev string) (string, bool) {
	switch {
	case IsRelease(v):
		return v, true
	case IsCommit(v):
		return v, true // the action stamps the commit it was pinned to
	case rev != "":
		return rev, true
	}
	return "", false
}

// revision is the commit of an unmodified checkout go build stamped into
// the binary, or "".
func revision() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return ""
	}
	var rev string
	for _, s := range bi.Settings {
		switch {
		case s.Key == "vcs.revision" && commit.MatchString(s.Value):
			rev = s.Value
		case s.Key == "vcs.modified" && s.Value == "true":
			return ""
		}
	}
	return rev
}
