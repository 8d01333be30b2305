package webchat

import "net/http"

// demoPage is the view of the demo website.
type demoPage struct {
	Site   string
	Hub    string
	CSS    string
	Widget string
}

// demoShow serves GET /demo/site[?site=KEY]: a town hall's page embedding the widget
// exactly as a customer's website does, to try the chat as a visitor.
func (s *Server) demoShow(w http.ResponseWriter, r *http.Request) {
	key := r.URL.Query().Get("site")
	if key == "" {
		key = DemoSite
	}
	if s.site(key) == nil {
		httpError(w, http.StatusNotFound, "unknown_site", "no chat is configured for this site key")
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "+
		"frame-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
	hub := requestOrigin(r)
	if err := s.assets.demoPage.Execute(w, demoPage{Site: key, Hub: hub, CSS: s.assets.url("demo.css"), Widget: hub + "/widget.js"}); err != nil {
		s.log.Warn("render demo page", "err", err)
	}
}
