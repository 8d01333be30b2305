package webchat

import (
	"bytes"
	"encoding/json"
	"net/http"
	"time"
)

// widgetShow serves GET /widget.js, the script customers embed. Its URL is fixed (it
// is in their pages), so it is cached briefly rather than forever.
func (s *Server) widgetShow(w http.ResponseWriter, r *http.Request) {
	a := s.assets.byFile["widget.js"]
	h := w.Header()
	h.Set("Content-Type", a.ctype)
	h.Set("Cache-Control", "public, max-age=300")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cross-Origin-Resource-Policy", "cross-origin")
	http.ServeContent(w, r, "widget.js", time.Time{}, bytes.NewReader(a.data))
}

// siteInfo is what the widget's launcher needs before the chat is opened.
type siteInfo struct {
	Name     string `json:"name"`
	Accent   string `json:"accent"`
	OnAccent string `json:"on_accent"`
	Online   bool   `json:"online"`
}

// siteShow serves GET /chat/site.json?site=KEY: public, for any origin that the site
// allows (CORS), so the launcher can take the site's colours and say whether agents
// are there.
func (s *Server) siteShow(w http.ResponseWriter, r *http.Request) {
	site := s.site(r.URL.Query().Get("site"))
	if site == nil {
		httpError(w, http.StatusNotFound, "unknown_site", "no chat is configured for this site key")
		return
	}
	h := w.Header()
	if o := r.Header.Get("Origin"); o != "" && s.originAllowed(r, site, o) {
		h.Set("Access-Control-Allow-Origin", o)
		h.Set("Vary", "Origin")
	}
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	json.NewEncoder(w).Encode(siteInfo{Name: site.Name, Accent: site.Colors.Accent, OnAccent: site.Colors.OnAccent, Online: s.online(r.Context(), site)})
}
