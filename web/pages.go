package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/frontdeskhq/frontdesk/inbox"
)

// pageView is what every page template gets.
type pageView struct {
	Lang, OtherLang string
	Title           string
	// Path is the page's own path, for the language link and the current section.
	Path string
	CSRF string
	User inbox.User
	// I18N is the page language's dictionary as JSON, for the scripts.
	I18N string
}

// T translates key into the page's language.
func (v pageView) T(key string) string { return translator(v.Lang)(key) }

// loginView is the login page's view.
type loginView struct {
	pageView
	Error string
	Email string
	Next  string
}

func (s *Server) newPageView(r *http.Request, titleKey string) pageView {
	lang := pickLang(r)
	other := langEN
	if lang == langEN {
		other = langFR
	}
	return pageView{Lang: lang, OtherLang: other, Title: translator(lang)(titleKey), Path: r.URL.Path}
}

// pageCSP is the Content-Security-Policy of the agent pages: only our own scripts,
// styles and sockets, never inline script, never framed.
func (s *Server) pageCSP() string {
	ws := "ws:"
	if s.secureCookies() {
		ws = "wss:"
	}
	if u, err := url.Parse(s.cfg.URL()); err == nil {
		ws += "//" + u.Host
	}
	return "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; " +
		"connect-src 'self' " + ws + "; font-src 'self'; object-src 'none'; base-uri 'none'; " +
		"form-action 'self'; frame-ancestors 'none'"
}

// render writes template name with v, as a full page.
func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, name string, v any) {
	var buf bytes.Buffer
	if err := s.tmpl.ExecuteTemplate(&buf, name, v); err != nil {
		s.log.Error("render page", "page", name, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Security-Policy", s.pageCSP())
	h.Set("Cache-Control", "no-store")
	h.Set("X-Frame-Options", "DENY")
	if l := r.URL.Query().Get("lang"); l == langFR || l == langEN {
		http.SetCookie(w, &http.Cookie{Name: langCookie, Value: l, Path: "/", MaxAge: 365 * 24 * 3600, SameSite: http.SameSiteLaxMode, Secure: s.secureCookies()})
	}
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// signedIn adapts a page handler: without a valid session it redirects to the login
// page, coming back afterwards.
func (s *Server) signedIn(h func(w http.ResponseWriter, r *http.Request, p principal)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, err := s.identify(r)
		if err != nil || p.session == nil {
			if err != nil && !errors.Is(err, inbox.ErrUnauthorized) {
				s.log.Error("page session", "err", err)
			}
			http.Redirect(w, r, "/login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
			return
		}
		h(w, r, p)
	})
}

// appView is the view of the pages of a signed-in user.
func (s *Server) appView(r *http.Request, p principal, titleKey string) pageView {
	v := s.newPageView(r, titleKey)
	v.User = p.user
	v.CSRF = p.session.CSRF
	dict, _ := json.Marshal(messages[v.Lang])
	v.I18N = string(dict)
	return v
}

// inboxShow answers GET /inbox: the agents' live inbox.
func (s *Server) inboxShow(w http.ResponseWriter, r *http.Request, p principal) {
	s.render(w, r, http.StatusOK, "inbox", s.appView(r, p, "app.title"))
}

// messagesShow answers GET /messages: phone messages taken for colleagues.
func (s *Server) messagesShow(w http.ResponseWriter, r *http.Request, p principal) {
	s.render(w, r, http.StatusOK, "messages", s.appView(r, p, "pm.title"))
}

// searchShow answers GET /search: the search page.
func (s *Server) searchShow(w http.ResponseWriter, r *http.Request, p principal) {
	s.render(w, r, http.StatusOK, "search", s.appView(r, p, "search.title"))
}

// adminShow answers GET /admin: users and teams, for admins.
func (s *Server) adminShow(w http.ResponseWriter, r *http.Request, p principal) {
	if p.user.Role != inbox.RoleAdmin {
		http.Error(w, "forbidden: administrators only", http.StatusForbidden)
		return
	}
	s.render(w, r, http.StatusOK, "admin", s.appView(r, p, "admin.title"))
}

// localPath returns next if it is a path on this site, else /inbox: the login page
// never redirects elsewhere.
func localPath(next string) string {
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") || strings.ContainsAny(next, "\r\n") {
		return "/inbox"
	}
	return next
}
