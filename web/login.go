package web

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/frontdeskhq/frontdesk/inbox"
)

// Login throttling: failures counted per client address and per account in windows of
// loginWindow; past the limit the login answers 429 until the window ends.
const (
	loginWindow        = 15 * time.Minute
	loginFailsPerIP    = 30
	loginFailsPerEmail = 10
)

// loginShow answers GET /login with the form and a fresh double-submit token.
func (s *Server) loginShow(w http.ResponseWriter, r *http.Request) {
	if p, err := s.identify(r); err == nil && p.session != nil {
		http.Redirect(w, r, localPath(r.URL.Query().Get("next")), http.StatusSeeOther)
		return
	}
	s.showLogin(w, r, http.StatusOK, "", "")
}

func (s *Server) showLogin(w http.ResponseWriter, r *http.Request, status int, errKey, email string) {
	b := make([]byte, 24)
	rand.Read(b)
	token := base64.RawURLEncoding.EncodeToString(b)
	http.SetCookie(w, &http.Cookie{Name: loginCSRFCookie, Value: token, Path: "/login", MaxAge: 3600,
		HttpOnly: true, Secure: s.secureCookies(), SameSite: http.SameSiteStrictMode})
	v := loginView{pageView: s.newPageView(r, "login.title"), Email: email, Next: localPath(r.FormValue("next"))}
	v.CSRF = token
	if errKey != "" {
		v.Error = v.T(errKey)
	}
	s.render(w, r, status, "login", v)
}

// loginCreate answers POST /login: it checks the form token, throttles, checks the
// password and opens a session.
func (s *Server) loginCreate(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad form", http.StatusBadRequest)
		return
	}
	email := strings.ToLower(strings.TrimSpace(r.PostFormValue("email")))
	c, err := r.Cookie(loginCSRFCookie)
	if err != nil || c.Value == "" || subtle.ConstantTimeCompare([]byte(c.Value), []byte(r.PostFormValue("csrf"))) != 1 {
		s.log.Warn("login form token mismatch", "ip", clientIP(r))
		s.showLogin(w, r, http.StatusForbidden, "login.expired", email)
		return
	}
	ip := clientIP(r)
	for _, k := range []struct {
		l   *limiter
		key string
	}{{s.loginIP, ip}, {s.loginEmail, email}} {
		if blocked, left := k.l.blocked(k.key); blocked {
			s.log.Warn("login throttled", "ip", ip)
			w.Header().Set("Retry-After", fmt.Sprint(int(left.Seconds())+1))
			s.showLogin(w, r, http.StatusTooManyRequests, "login.throttled", email)
			return
		}
	}
	u, err := s.inbox.Login(r.Context(), email, r.PostFormValue("password"))
	if err != nil {
		if !errors.Is(err, inbox.ErrUnauthorized) {
			s.log.Error("login", "err", err)
		}
		s.loginIP.add(ip)
		s.loginEmail.add(email)
		s.log.Info("login failed", "ip", ip)
		s.showLogin(w, r, http.StatusUnauthorized, "login.failed", email)
		return
	}
	s.loginEmail.reset(email)
	secret, sess, err := s.inbox.NewSession(r.Context(), u.ID, r.UserAgent(), s.cfg.SessionTTL)
	if err != nil {
		s.log.Error("new session", "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	s.setSessionCookie(w, secret, sess)
	http.SetCookie(w, &http.Cookie{Name: loginCSRFCookie, Value: "", Path: "/login", MaxAge: -1})
	s.log.Info("signed in", "user", u)
	http.Redirect(w, r, localPath(r.PostFormValue("next")), http.StatusSeeOther)
}

// logoutCreate answers POST /logout: it ends the session (CSRF-checked) and goes back to
// the login page.
func (s *Server) logoutCreate(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	p, err := s.identify(r)
	if err == nil && p.session != nil {
		if err := checkCSRF(r, p); err != nil {
			writeError(w, r, s.log, err)
			return
		}
		c, _ := r.Cookie(sessionCookie)
		if err := s.inbox.EndSession(r.Context(), c.Value); err != nil {
			s.log.Error("end session", "err", err)
		}
	}
	s.clearSessionCookie(w)
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}
