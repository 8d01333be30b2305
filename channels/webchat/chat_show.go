package webchat

import (
	"net/http"
	"strings"
)

// chatPage is the view of the chat iframe.
type chatPage struct {
	Lang     string
	SiteName string
	CSS, JS  string
	Config   chatConfig
}

// chatConfig is handed to chat.js in a JSON data block (never executed).
type chatConfig struct {
	Site            string   `json:"site"`
	Name            string   `json:"name"`
	Lang            string   `json:"lang"`
	Greeting        Greeting `json:"greeting"`
	Accent          string   `json:"accent"`
	OnAccent        string   `json:"on_accent"`
	Online          bool     `json:"online"`
	MaxMessageBytes int      `json:"max_message_bytes"`
	MaxUploadBytes  int64    `json:"max_upload_bytes"`
	EmailEnabled    bool     `json:"email_enabled"`
}

// chatShow serves GET /chat?site=KEY[&lang=fr|en], the page inside the widget's iframe.
// Only the site's allowed origins (and the hub itself) may frame it; no inline script.
func (s *Server) chatShow(w http.ResponseWriter, r *http.Request) {
	site := s.site(r.URL.Query().Get("site"))
	if site == nil {
		httpError(w, http.StatusNotFound, "unknown_site", "no chat is configured for this site key")
		return
	}
	lang := pickLang(r.URL.Query().Get("lang"), "")
	if lang == "" {
		lang = pickLang(r.Header.Get("Accept-Language"), site.DefaultLanguage)
	}
	ancestors := []string{"'self'"}
	for _, o := range site.AllowedOrigins {
		ancestors = append(ancestors, normalOrigin(o))
	}
	wsOrigin := "ws://" + r.Host
	if strings.HasPrefix(requestOrigin(r), "https:") {
		wsOrigin = "wss://" + r.Host
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' blob:; "+
		"connect-src 'self' "+wsOrigin+"; form-action 'none'; base-uri 'none'; frame-ancestors "+strings.Join(ancestors, " "))
	h.Set("Referrer-Policy", "no-referrer")
	page := chatPage{
		Lang: lang, SiteName: site.Name,
		CSS: s.assets.url("chat.css"), JS: s.assets.url("chat.js"),
		Config: chatConfig{
			Site: site.Key, Name: site.Name, Lang: lang, Greeting: site.Greeting,
			Accent: site.Colors.Accent, OnAccent: site.Colors.OnAccent, Online: s.online(r.Context(), site),
			MaxMessageBytes: s.cfg.Limits.MaxMessageBytes, MaxUploadBytes: s.cfg.Limits.MaxUploadBytes,
			EmailEnabled: s.email != nil,
		},
	}
	if err := s.assets.chatPage.Execute(w, page); err != nil {
		s.log.Warn("render chat page", "err", err)
	}
}
