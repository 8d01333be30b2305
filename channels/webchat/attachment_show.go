package webchat

import (
	"errors"
	"io"
	"mime"
	"net/http"
	"strconv"

	"github.com/frontdeskhq/frontdesk/inbox"
)

// attachmentShow serves GET /chat/attachments/{id}?site=&v=&c=&s=, a visitor's
// attachment through the URL signed for them. Whatever the stored type, it is sent as
// a download (Content-Disposition: attachment) under nosniff and a sandboxing CSP, so
// it can never run as a page; <img> still displays images.
func (s *Server) attachmentShow(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	id, err1 := strconv.ParseInt(r.PathValue("id"), 10, 64)
	conv, err2 := strconv.ParseInt(q.Get("c"), 10, 64)
	site, visitor := q.Get("site"), q.Get("v")
	if err1 != nil || err2 != nil || !s.signer.verify(q.Get("s"), site, visitor, conv, id) {
		httpError(w, http.StatusNotFound, "not_found", "no such file, or the link has expired")
		return
	}
	a, err := s.inbox.VisitorAttachment(r.Context(), conv, id)
	if errors.Is(err, inbox.ErrNotFound) {
		httpError(w, http.StatusNotFound, "not_found", "no such file, or the link has expired")
		return
	}
	if err != nil {
		s.log.Error("load attachment", "attachment_id", id, "err", err)
		httpError(w, http.StatusInternalServerError, CodeInternal, "internal error; it has been logged")
		return
	}
	f, err := s.blobs.Open(r.Context(), a.SHA256)
	if err != nil {
		s.log.Error("open attachment", "attachment_id", id, "err", err)
		httpError(w, http.StatusNotFound, "not_found", "the file is no longer available")
		return
	}
	defer f.Close()
	ctype := a.ContentType
	if !allowedTypes[ctype] {
		ctype = "application/octet-stream"
	}
	h := w.Header()
	h.Set("Content-Type", ctype)
	disp := mime.FormatMediaType("attachment", map[string]string{"filename": a.Filename})
	if disp == "" {
		disp = "attachment"
	}
	h.Set("Content-Disposition", disp)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "sandbox; default-src 'none'")
	h.Set("Cross-Origin-Resource-Policy", "same-origin")
	h.Set("Cache-Control", "private, max-age=86400")
	h.Set("Content-Length", strconv.FormatInt(a.Size, 10))
	io.Copy(w, f)
}
