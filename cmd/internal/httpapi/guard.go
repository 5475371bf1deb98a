package httpapi

import (
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// ContentSecurityPolicy is sent with every response: the UI's own scripts,
// styles and requests only, no inline script, never framed.
const ContentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"

// guard wraps the routes with what every request goes through, in order:
// security headers on every response, a panic turned into a 500, the Host
// and Origin checks that stop DNS rebinding and cross-site requests, the
// URL path checks, and the body cap.
func (s *Server) guard(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", ContentSecurityPolicy)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		h.Set("Cross-Origin-Resource-Policy", "same-origin")
		h.Set("Cache-Control", "no-store")
		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				fail(w, http.StatusInternalServerError, "internal error answering %s %s: %v", r.Method, r.URL.Path, p)
			}
		}()
		if !s.hostAllowed(r.Host) {
			fail(w, http.StatusForbidden, "Host %q is not the address served (%s): refused, as a page elsewhere reaching this server by DNS rebinding would be", clip(r.Host), s.opts.Addr)
			return
		}
		if o := r.Header.Values("Origin"); len(o) > 0 && (len(o) > 1 || !s.originAllowed(o[0])) {
			fail(w, http.StatusForbidden, "Origin %q is not this server (http://%s): cross-origin requests are refused", clip(strings.Join(o, ", ")), s.opts.Addr)
			return
		}
		if r.Header.Get("Sec-Fetch-Site") == "cross-site" && !topNavigation(r) {
			fail(w, http.StatusForbidden, "a cross-site request (Sec-Fetch-Site: cross-site) is refused")
			return
		}
		if why := badPath(r.URL); why != "" {
			fail(w, http.StatusBadRequest, "%s: %s", clip(r.URL.EscapedPath()), why)
			return
		}
		if r.ContentLength > s.opts.MaxBody {
			fail(w, http.StatusRequestEntityTooLarge, "the request body is %d bytes: expected at most %d", r.ContentLength, s.opts.MaxBody)
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, s.opts.MaxBody)
		next.ServeHTTP(w, r)
	})
}

// topNavigation says whether a request is a person following a link to a
// page in the browser's own window (or tab): a GET or HEAD the browser
// marks Sec-Fetch-Mode: navigate, Sec-Fetch-Dest: document. Such a
// request may come from another site, a link on a wiki or in rendered
// documentation: it reads, and the page it shows is this origin's, which
// the linking site can neither read nor frame. Requests a page elsewhere
// makes itself (fetch, img, script, forms that POST, iframes) are still
// refused.
func topNavigation(r *http.Request) bool {
	return (r.Method == http.MethodGet || r.Method == http.MethodHead) &&
		r.Header.Get("Sec-Fetch-Mode") == "navigate" && r.Header.Get("Sec-Fetch-Dest") == "document"
}

// hostAllowed says whether a Host header names the server: the port it
// listens on, and as host the IP it listens on, localhost when that is a
// loopback or every address, any IP literal when it listens on every
// address, or one of Options.Hosts. A DNS name that merely resolves to
// the server (a rebinding attacker's) is none of these.
func (s *Server) hostAllowed(hostport string) bool {
	host, port, err := net.SplitHostPort(hostport)
	if err != nil {
		host, port = hostport, "80"
		if strings.HasPrefix(host, "[") && strings.HasSuffix(host, "]") {
			host = host[1 : len(host)-1]
		}
	}
	sHost, sPort, err := net.SplitHostPort(s.opts.Addr)
	if err != nil || port != sPort || host == "" {
		return false
	}
	host = strings.ToLower(host)
	served := net.ParseIP(sHost)
	ip := net.ParseIP(host)
	switch {
	case ip != nil && served != nil && (ip.Equal(served) || served.IsUnspecified()):
		return true
	case host == "localhost" && (served == nil || served.IsLoopback() || served.IsUnspecified()):
		return true
	case ip == nil && strings.EqualFold(host, sHost):
		return true
	}
	return slices.ContainsFunc(s.opts.Hosts, func(h string) bool { return strings.EqualFold(h, host) })
}

// originAllowed says whether an Origin header is this server's own: http,
// and a host the Host check allows.
func (s *Server) originAllowed(origin string) bool {
	u, err := url.Parse(origin)
	if err != nil || u.Scheme != "http" || u.Path != "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return false
	}
	host := u.Host
	if u.Port() == "" {
		host = net.JoinHostPort(strings.Trim(u.Host, "[]"), "80")
	}
	return s.hostAllowed(host)
}

// badPath says what is wrong with a URL path that could name something
// outside what it seems to, or "" when it is clean: encoded slashes,
// backslashes or NULs, dot segments, empty segments, control characters,
// invalid UTF-8. Go's ServeMux would redirect some of them to a cleaned
// path; small refuses them all.
func badPath(u *url.URL) string {
	raw := strings.ToLower(u.EscapedPath())
	for _, enc := range []string{"%2f", "%5c", "%00"} {
		if strings.Contains(raw, enc) {
			return "an encoded slash, backslash or NUL in the path: expected plain path segments"
		}
	}
	p := u.Path
	if !strings.HasPrefix(p, "/") {
		return "expected an absolute path"
	}
	if !utf8.ValidString(p) {
		return "the path is not valid UTF-8"
	}
	if strings.ContainsFunc(p, unicode.IsControl) || strings.Contains(p, "\\") {
		return "a control character or backslash in the path"
	}
	segs := strings.Split(p[1:], "/")
	for i, seg := range segs {
		switch {
		case seg == "." || seg == "..":
			return "a . or .. segment in the path: expected a path that stays where it points"
		case seg == "" && i < len(segs)-1:
			return "an empty segment (//) in the path"
		}
	}
	return ""
}

// clip shortens what a client sent for an error message.
func clip(s string) string {
	if len(s) > 200 {
		s = s[:200] + "..."
	}
	return strings.ToValidUTF8(s, "?")
}
