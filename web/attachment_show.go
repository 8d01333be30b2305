package web

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"

	"github.com/frontdeskhq/frontdesk/inbox"
)

// Blobs reads attachment content.
type Blobs interface {
	Open(ctx context.Context, sum string) (io.ReadCloser, error)
}

// inlineTypes are the attachment types shown in the page (images that cannot carry
// script); everything else, HTML and SVG included, is only ever downloaded.
var inlineTypes = map[string]bool{"image/png": true, "image/jpeg": true, "image/gif": true, "image/webp": true}

// attachmentShow answers GET /api/v1/attachments/{id}: the file, if the caller may see
// its conversation. It is never rendered as a page: only safe image types are inline,
// with nosniff and a sandboxing policy.
func (s *Server) attachmentShow(w http.ResponseWriter, r *http.Request, u inbox.User) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	a, err := s.inbox.Attachment(r.Context(), u, id)
	if err != nil {
		return err
	}
	if s.blobs == nil {
		return errors.New("web: no blob store configured")
	}
	f, err := s.blobs.Open(r.Context(), a.SHA256)
	if err != nil {
		return fmt.Errorf("web: attachment %d: %w", id, err)
	}
	defer f.Close()
	ct, _, _ := mime.ParseMediaType(a.ContentType)
	ct = strings.ToLower(ct)
	disposition := "attachment"
	if inlineTypes[ct] {
		disposition = "inline"
	} else {
		ct = "application/octet-stream"
	}
	h := w.Header()
	h.Set("Content-Type", ct)
	h.Set("Content-Disposition", mime.FormatMediaType(disposition, map[string]string{"filename": a.Filename}))
	h.Set("Content-Security-Policy", "default-src 'none'; sandbox")
	h.Set("Cache-Control", "private, max-age=3600")
	h.Set("Content-Length", fmt.Sprint(a.Size))
	_, err = io.Copy(w, f)
	return err
}
