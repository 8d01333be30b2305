package web

import (
	"context"
	"crypto/subtle"
	"errors"
	"net"
	"net/http"
	"strings"

	"github.com/frontdeskhq/frontdesk/inbox"
)

// Cookie names.
const (
	sessionCookie = "fd_session"
	// loginCSRFCookie carries the double-submit token of the login form, before any
	// session exists (it stops a site from logging a victim into the attacker's account).
	loginCSRFCookie = "fd_login"
	csrfHeader      = "X-CSRF-Token"
)

// principal is who a request acts for.
type principal struct {
	user inbox.User
	// session is set when the request came with the session cookie (a browser), nil
	// with a bearer token.
	session *inbox.Session
}

type principalKey struct{}

// identify resolves the request's bearer token or session cookie. It returns
// inbox.ErrUnauthorized when there is neither, or they are not valid.
func (s *Server) identify(r *http.Request) (principal, error) {
	if secret, ok := bearer(r); ok {
		u, err := s.inbox.Authenticate(r.Context(), secret)
		return principal{user: u}, err
	}
	c, err := r.Cookie(sessionCookie)
	if err != nil || c.Value == "" {
		return principal{}, inbox.ErrUnauthorized
	}
	sess, u, err := s.inbox.SessionUser(r.Context(), c.Value)
	if err != nil {
		return principal{}, err
	}
	return principal{user: u, session: &sess}, nil
}

// safeMethod reports whether the method changes nothing (no CSRF check needed).
func safeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions
}

// checkCSRF requires the session's CSRF token on state-changing requests that came with
// the session cookie, in the X-CSRF-Token header or the csrf form field.
func checkCSRF(r *http.Request, p principal) error {
	if p.session == nil || safeMethod(r.Method) {
		return nil
	}
	got := r.Header.Get(csrfHeader)
	if got == "" && strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
		got = r.PostFormValue("csrf")
	}
	if got == "" || subtle.ConstantTimeCompare([]byte(got), []byte(p.session.CSRF)) != 1 {
		return apiError(http.StatusForbidden, "csrf", "missing or wrong CSRF token; reload the page")
	}
	return nil
}

// authenticated adapts an API handler: it resolves the caller (bearer token or session
// cookie with its CSRF token; 401/403 otherwise) and writes any returned error in the
// JSON error shape.
func (s *Server) authenticated(h func(w http.ResponseWriter, r *http.Request, u inbox.User) error) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, err := s.identify(r)
		if err != nil {
			if errors.Is(err, inbox.ErrUnauthorized) {
				err = apiError(http.StatusUnauthorized, "unauthorized", "sign in, or send an API token as Authorization: Bearer <token>")
			}
			writeError(w, r, s.log, err)
			return
		}
		if err := checkCSRF(r, p); err != nil {
			writeError(w, r, s.log, err)
			return
		}
		r = r.WithContext(context.WithValue(r.Context(), principalKey{}, p))
		if err := h(w, r, p.user); err != nil {
			writeError(w, r, s.log, err)
		}
	})
}

// requireRole refuses users below role with 403.
func requireRole(u inbox.User, roles ...inbox.Role) error {
	for _, r := range roles {
		if u.Role == r {
			return nil
		}
	}
	return apiError(http.StatusForbidden, "forbidden", "your role (%s) does not allow this", u.Role)
}

// bearer extracts the token of an "Authorization: Bearer <token>" header.
func bearer(r *http.Request) (string, bool) {
	h := r.Header.Get("Authorization")
	scheme, token, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	token = strings.TrimSpace(token)
	return token, token != ""
}

// clientIP is the address a request came from (the proxy's when behind one: the hub
// does not trust forwarding headers it cannot verify).
func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// secureCookies reports whether cookies must be Secure (the hub is served over https).
func (s *Server) secureCookies() bool {
	return strings.HasPrefix(s.cfg.URL(), "https://")
}

func (s *Server) setSessionCookie(w http.ResponseWriter, secret string, sess inbox.Session) {
	http.SetCookie(w, &http.Cookie{
		Name: sessionCookie, Value: secret, Path: "/", Expires: sess.ExpiresAt,
		HttpOnly: true, Secure: s.secureCookies(), SameSite: http.SameSiteLaxMode,
	})
}

func (s *Server) clearSessionCookie(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{
		Name: sessionCookie, Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, Secure: s.secureCookies(), SameSite: http.SameSiteLaxMode,
	})
}
