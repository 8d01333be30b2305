package webchat

import (
	"bytes"
	"net/http"
	"time"
)

// staticShow serves an embedded file under its content-hashed name, cacheable forever.
func (s *Server) staticShow(w http.ResponseWriter, r *http.Request) {
	a := s.assets.byName[r.PathValue("file")]
	if a == nil {
		httpError(w, http.StatusNotFound, "not_found", "no such file (an old version? reload the page)")
		return
	}
	h := w.Header()
	h.Set("Content-Type", a.ctype)
	h.Set("Cache-Control", "public, max-age=31536000, immutable")
	h.Set("X-Content-Type-Options", "nosniff")
	http.ServeContent(w, r, a.name, time.Time{}, bytes.NewReader(a.data))
}
