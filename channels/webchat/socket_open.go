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
	ws, err := s.upgrade.Upgrade(hijackable(w), r, nil)
	if err != nil {
		s.conns.release(ip)
		return // the upgrader wrote the HTTP error
	}
	c := &conn{s: s, ws: ws, site: site, ip: ip}
	// The socket lives on in a goroutine of its own, started small, rather than on the
	// request's goroutine with its deep stack and the request kept alive: an idle
	// visitor then costs a few kilobytes.
	go func() {
		defer s.conns.release(ip)
		c.serve(s.base)
	}()
}

// hijackable returns the first writer in w's Unwrap chain that can be hijacked:
// middleware (status recorders) wrap the server's writer without forwarding Hijack,
// and the websocket upgrade needs it.
func hijackable(w http.ResponseWriter) http.ResponseWriter {
	for cur := w; ; {
		if _, ok := cur.(http.Hijacker); ok {
			return cur
		}
		u, ok := cur.(interface{ Unwrap() http.ResponseWriter })
		if !ok {
			return w
		}
		cur = u.Unwrap()
	}
}
