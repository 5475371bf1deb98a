// Package signers reads git's allowed-signers files and verifies the SSH
// signatures of commits against them, as git verify-commit does, except
// that a key's validity window is judged at the time of the check, never
// at the commit's own (forgeable) date.
package signers

import (
	"bytes"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"time"

	"golang.org/x/crypto/ssh"
)

// Signer is one line of an allowed-signers file: who (principals, with *
// and ? wildcards), which key, for which namespaces, and when.
type Signer struct {
	Principals  []string
	Key         ssh.PublicKey
	Namespaces  []string  // empty: any
	ValidAfter  time.Time // zero: always
	ValidBefore time.Time // zero: forever
	Line        int
}

// List is an allowed-signers file.
type List struct{ Signers []Signer }

// Parse reads an allowed-signers file (ssh-keygen(1), ALLOWED SIGNERS):
// one signer a line, "principals [options] keytype base64-key [comment]";
// blank lines and # comments are skipped. An error names the line.
func Parse(data []byte) (*List, error) {
	l := &List{}
	for i, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		s, err := parseLine(line)
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", i+1, err)
		}
		s.Line = i + 1
		l.Signers = append(l.Signers, s)
	}
	return l, nil
}

func parseLine(line string) (Signer, error) {
	var s Signer
	principals, rest, ok := strings.Cut(line, " ")
	if !ok {
		return s, errors.New("expected principals, then a key")
	}
	s.Principals = strings.Split(principals, ",")
	rest = strings.TrimSpace(rest)
	// Options come before the key type, unless the key type is first.
	if !strings.HasPrefix(rest, "ssh-") && !strings.HasPrefix(rest, "ecdsa-") && !strings.HasPrefix(rest, "sk-") {
		opts, after := splitOptions(rest)
		rest = strings.TrimSpace(after)
		for _, o := range opts {
			name, value, _ := strings.Cut(o, "=")
			value = strings.Trim(value, `"`)
			var err error
			switch strings.ToLower(name) {
			case "namespaces":
				s.Namespaces = strings.Split(value, ",")
			case "valid-after":
				s.ValidAfter, err = parseTime(value)
			case "valid-before":
				s.ValidBefore, err = parseTime(value)
			case "cert-authority":
				return s, errors.New("cert-authority signers are not supported: list the keys themselves")
			default:
				return s, fmt.Errorf("unknown option %q", name)
			}
			if err != nil {
				return s, fmt.Errorf("%s: %w", name, err)
			}
		}
	}
	key, _, _, _, err := ssh.ParseAuthorizedKey([]byte(rest))
	if err != nil {
		return s, fmt.Errorf("expected a key such as ssh-ed25519 AAAA...: %w", err)
	}
	s.Key = key
	return s, nil
}

// splitOptions splits the comma-separated options before the key, quotes
// respected.
func splitOptions(s string) ([]string, string) {
	var opts []string
	start, quoted := 0, false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '"':
			quoted = !quoted
		case c == ',' && !quoted:
			opts = append(opts, s[start:i])
			start = i + 1
		case c == ' ' && !quoted:
			return append(opts, s[start:i]), s[i:]
		}
	}
	return append(opts, s[start:]), ""
}

// parseTime reads YYYYMMDD[HHMM[SS]][Z] as ssh-keygen does: local time,
// or UTC with Z.
func parseTime(v string) (time.Time, error) {
	loc := time.Local
	if strings.HasSuffix(v, "Z") || strings.HasSuffix(v, "z") {
		v, loc = v[:len(v)-1], time.UTC
	}
	for _, layout := range []string{"20060102150405", "200601021504", "20060102"} {
		if len(v) == len(layout) {
			return time.ParseInLocation(layout, v, loc)
		}
	}
	return time.Time{}, fmt.Errorf("%q: expected YYYYMMDD[HHMM[SS]][Z]", v)
}

// ErrNoSignature is a commit that carries no signature.
var ErrNoSignature = errors.New("not signed")

// Verify checks an armored SSH signature ("-----BEGIN SSH SIGNATURE-----")
// of message in namespace (git's is "git") against the list, at time now.
// It returns the signer whose key made it, or an error saying why not.
func (l *List) Verify(message, armored []byte, namespace string, now time.Time) (*Signer, error) {
	if len(bytes.TrimSpace(armored)) == 0 {
		return nil, ErrNoSignature
	}
	sig, err := parseSignature(armored)
	if err != nil {
		return nil, err
	}
	if sig.namespace != namespace {
		return nil, fmt.Errorf("signed for namespace %q, not %q", sig.namespace, namespace)
	}
	var signer *Signer
	for i := range l.Signers {
		if bytes.Equal(l.Signers[i].Key.Marshal(), sig.key.Marshal()) {
			signer = &l.Signers[i]
			break
		}
	}
	if signer == nil {
		return nil, fmt.Errorf("signed with %s key %s, which no allowed signer has", sig.key.Type(), ssh.FingerprintSHA256(sig.key))
	}
	if len(signer.Namespaces) > 0 && !contains(signer.Namespaces, namespace) {
		return nil, fmt.Errorf("the key of %s (line %d) may not sign in namespace %q", strings.Join(signer.Principals, ","), signer.Line, namespace)
	}
	if !signer.ValidAfter.IsZero() && now.Before(signer.ValidAfter) || !signer.ValidBefore.IsZero() && !now.Before(signer.ValidBefore) {
		return nil, fmt.Errorf("the key of %s (line %d) is not valid now", strings.Join(signer.Principals, ","), signer.Line)
	}
	var h []byte
	switch sig.hash {
	case "sha512":
		sum := sha512.Sum512(message)
		h = sum[:]
	case "sha256":
		sum := sha256.Sum256(message)
		h = sum[:]
	default:
		return nil, fmt.Errorf("unknown hash algorithm %q", sig.hash)
	}
	signed := []byte("SSHSIG")
	for _, f := range [][]byte{[]byte(sig.namespace), sig.reserved, []byte(sig.hash), h} {
		signed = appendString(signed, f)
	}
	if err := sig.key.Verify(signed, sig.sig); err != nil {
		return nil, fmt.Errorf("bad signature: %w", err)
	}
	return signer, nil
}

type sshsig struct {
	key       ssh.PublicKey
	namespace string
	reserved  []byte
	hash      string
	sig       *ssh.Signature
}

// parseSignature reads the SSHSIG format (OpenSSH's PROTOCOL.sshsig).
func parseSignature(armored []byte) (*sshsig, error) {
	text := strings.TrimSpace(string(armored))
	const begin, end = "-----BEGIN SSH SIGNATURE-----", "-----END SSH SIGNATURE-----"
	if len(text) < len(begin)+len(end) || !strings.HasPrefix(text, begin) || !strings.HasSuffix(text, end) {
		return nil, errors.New("not an SSH signature (expected -----BEGIN SSH SIGNATURE-----)")
	}
	body := strings.Join(strings.Fields(text[len(begin):len(text)-len(end)]), "")
	blob, err := base64.StdEncoding.DecodeString(body)
	if err != nil {
		return nil, fmt.Errorf("SSH signature: %w", err)
	}
	if !bytes.HasPrefix(blob, []byte("SSHSIG")) || len(blob) < 10 {
		return nil, errors.New("SSH signature: bad magic")
	}
	blob = blob[6:]
	if v := binary.BigEndian.Uint32(blob); v != 1 {
		return nil, fmt.Errorf("SSH signature: version %d, expected 1", v)
	}
	blob = blob[4:]
	var fields [5][]byte
	for i := range fields {
		var ok bool
		if fields[i], blob, ok = readString(blob); !ok {
			return nil, errors.New("SSH signature: truncated")
		}
	}
	key, err := ssh.ParsePublicKey(fields[0])
	if err != nil {
		return nil, fmt.Errorf("SSH signature: %w", err)
	}
	format, rest, ok := readString(fields[4])
	if !ok {
		return nil, errors.New("SSH signature: truncated signature")
	}
	sigBlob, rest, ok := readString(rest)
	if !ok {
		return nil, errors.New("SSH signature: truncated signature")
	}
	return &sshsig{key: key, namespace: string(fields[1]), reserved: fields[2], hash: string(fields[3]),
		sig: &ssh.Signature{Format: string(format), Blob: sigBlob, Rest: rest}}, nil
}

func readString(b []byte) ([]byte, []byte, bool) {
	if len(b) < 4 {
		return nil, nil, false
	}
	n := binary.BigEndian.Uint32(b)
	if uint64(len(b)-4) < uint64(n) {
		return nil, nil, false
	}
	return b[4 : 4+n], b[4+n:], true
}

func appendString(b, s []byte) []byte {
	b = binary.BigEndian.AppendUint32(b, uint32(len(s)))
	return append(b, s...)
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if strings.EqualFold(strings.TrimSpace(x), s) {
			return true
		}
	}
	return false
}
