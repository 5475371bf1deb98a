package signers_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/smallhq/small/repo"
	"github.com/smallhq/small/signers"
)

// TestVerifyAsGitVerifyCommit signs commits with SSH keys made here and
// holds Verify to git verify-commit, the oracle, with one deliberate
// difference: validity windows are judged now, not at the commit's date.
func TestVerifyAsGitVerifyCommit(t *testing.T) {
	if _, err := exec.LookPath("ssh-keygen"); err != nil {
		t.Skip("ssh-keygen is not installed (Debian's openssh-client): git signs with it")
	}
	dir := t.TempDir()
	keygen := func(name string) string {
		p := filepath.Join(dir, name)
		if out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", name, "-f", p).CombinedOutput(); err != nil {
			t.Fatalf("ssh-keygen: %v\n%s", err, out)
		}
		pub, _ := os.ReadFile(p + ".pub")
		return strings.TrimSpace(string(pub))
	}
	ada, old := keygen("ada"), keygen("old")
	keygen("mallory") // signs, but no one lists it
	allowed := filepath.Join(dir, "allowed_signers")
	list := "# people who may approve\n" +
		"ada@example.com namespaces=\"git\" " + ada + "\n" +
		"old@example.com valid-before=\"20200101\" " + old + "\n"
	if err := os.WriteFile(allowed, []byte(list), 0o644); err != nil {
		t.Fatal(err)
	}
	work := filepath.Join(dir, "repo")
	git := func(env []string, args ...string) (string, error) {
		cmd := exec.Command("git", args...)
		cmd.Dir = work
		cmd.Env = append(os.Environ(), "GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL="+os.DevNull,
			"GIT_AUTHOR_NAME=Ada", "GIT_AUTHOR_EMAIL=ada@example.com", "GIT_COMMITTER_NAME=Ada", "GIT_COMMITTER_EMAIL=ada@example.com")
		cmd.Env = append(cmd.Env, env...)
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	os.MkdirAll(work, 0o755)
	if out, err := git(nil, "init", "-q", "-b", "main"); err != nil {
		t.Fatal(out)
	}
	commit := func(key string, date string) repo.Hash {
		t.Helper()
		args := []string{"-c", "gpg.format=ssh", "-c", "user.signingkey=" + filepath.Join(dir, key), "commit", "-q", "--allow-empty", "-m", "by " + key}
		if key != "" {
			args = append(args, "-S")
		} else {
			args = args[4:]
		}
		if out, err := git([]string{"GIT_AUTHOR_DATE=" + date, "GIT_COMMITTER_DATE=" + date}, args...); err != nil {
			t.Fatalf("git commit: %v\n%s", err, out)
		}
		out, _ := git(nil, "rev-parse", "HEAD")
		h, _ := repo.ParseHash(strings.TrimSpace(out))
		return h
	}
	cases := []struct {
		name, key, date string
		gitGood, good   bool
	}{
		{"a listed key", "ada", "2026-01-15T10:00:00Z", true, true},
		{"a key no one listed", "mallory", "2026-01-15T10:00:00Z", false, false},
		{"unsigned", "", "2026-01-15T10:00:00Z", false, false},
		// git judges the window at the commit's date, which the signer
		// chose: a key that expired in 2020 signs a commit dated 2019.
		{"an expired key, back-dated", "old", "2019-06-01T10:00:00Z", true, false},
		{"an expired key", "old", "2026-01-15T10:00:00Z", false, false},
	}
	r := func() *repo.Repository {
		r, err := repo.Open(work)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	data, _ := os.ReadFile(allowed)
	l, err := signers.Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range cases {
		h := commit(tc.key, tc.date)
		_, gitErr := git(nil, "-c", "gpg.ssh.allowedSignersFile="+allowed, "verify-commit", h.String())
		if (gitErr == nil) != tc.gitGood {
			t.Errorf("%s: git verify-commit says good=%v, the test expects %v", tc.name, gitErr == nil, tc.gitGood)
		}
		payload, sig, err := r().Signature(h)
		if err != nil {
			t.Fatal(err)
		}
		s, err := l.Verify(payload, sig, "git", time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC))
		if (err == nil) != tc.good {
			t.Errorf("%s: Verify = %v, %v; want good=%v", tc.name, s, err, tc.good)
		}
		if err == nil && s.Principals[0] != "ada@example.com" {
			t.Errorf("%s: signer %v", tc.name, s.Principals)
		}
	}
}

func TestParseErrors(t *testing.T) {
	for _, tc := range []struct{ src, want string }{
		{"ada@example.com\n", "line 1: expected principals, then a key"},
		{"# c\n\nada@example.com ssh-ed25519 AAAAnotbase64\n", "line 3: expected a key"},
		{"ada@example.com valid-after=\"2020\" ssh-ed25519 AAAA\n", `line 1: valid-after: "2020": expected YYYYMMDD`},
		{"ada@example.com cert-authority ssh-ed25519 AAAA\n", "line 1: cert-authority signers are not supported"},
		{"ada@example.com bogus=1 ssh-ed25519 AAAA\n", `line 1: unknown option "bogus"`},
	} {
		_, err := signers.Parse([]byte(tc.src))
		if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
			t.Errorf("%q: got %v, want %s", tc.src, err, tc.want)
		}
	}
}

func FuzzVerify(f *testing.F) {
	f.Add([]byte("msg"), []byte("-----BEGIN SSH SIGNATURE-----\nU1NIU0lH\n-----END SSH SIGNATURE-----"))
	f.Add([]byte(""), []byte("-----BEGIN SSH SIGNATURE-----\nU1NIU0lHAAAAAQAAAAA=\n-----END SSH SIGNATURE-----"))
	l, _ := signers.Parse(nil)
	f.Fuzz(func(t *testing.T, msg, sig []byte) {
		l.Verify(msg, sig, "git", time.Now()) // never panics
	})
}
