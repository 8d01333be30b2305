package webchat

import (
	"net/http"
)

// socketOpen upgrades GET /chat/ws?site=KEY to the visitor websocket. The Origin must
// be the hub's own (the chat iframe) or one of the site's allowed origins; a refused
// upgrade answers 403 and is logged.
func (s *Server) socketOpen(w http.ResponseWriter, r *http.Request) {
	site := s.site(r.URL.Query().Get("site"))
	if site == nil {
		httpError(w, http.StatusNotFound, "unknown_site", "no chat is configured for this site key")
		return
	}
	if !s.originAllowed(r, site, r.Header.Get("Origin")) {
		s.log.Warn("socket refused: origin not allowed", "site", site.Key, "origin", r.Header.Get("Origin"))
		httpError(w, http.StatusForbidden, "origin_refused", "this page's origin may not open the chat of this site")
		return
	}
	ip := clientIP(r)
	if !s.conns.acquire(ip, s.cfg.Limits.MaxConnectionsPerIP) {
		httpError(w, http.StatusTooManyRequests, CodeTooManyClient, "too many chat connections from your address")
		return
	}
	ws, err := s.upgrade.Upgrade(w, r, nil)
	if err != nil {
		s.conns.release(ip)
		return // the upgrader wrote the HTTP error
	}
	c := &conn{s: s, ws: ws, site: site, ip: ip}
	defer s.conns.release(ip)
	c.serve(r.Context())
}
