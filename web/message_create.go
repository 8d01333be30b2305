package web

import (
	"errors"
	"io"
	"mime"
	"net/http"
	"strings"

	"github.com/frontdeskhq/frontdesk/channels"
	"github.com/frontdeskhq/frontdesk/inbox"
)

// messageCreate answers POST /api/v1/conversations/{id}/messages: an agent's reply
// ({"text": …}), queued for delivery, or a private note ({"text": …, "note": true}).
// A reply with files is a multipart/form-data body: fields text and note ("true"),
// and one "file" part per file.
func (s *Server) messageCreate(w http.ResponseWriter, r *http.Request, u inbox.User) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var in inbox.ReplyInput
	if ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); ct == "multipart/form-data" {
		r.Body = http.MaxBytesReader(w, r.Body, s.cfg.MaxUploadBytes)
		if in, err = readReplyForm(r); err != nil {
			return err
		}
	} else if err := decodeJSON(w, r, s.cfg.MaxBodyBytes, &in); err != nil {
		return err
	}
	m, err := s.inbox.Reply(r.Context(), u, id, in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, m)
	return nil
}

// maxReplyField caps the text fields of a reply form (the inbox caps the text itself).
const maxReplyField = 1 << 20

// readReplyForm reads a reply sent as multipart/form-data.
func readReplyForm(r *http.Request) (inbox.ReplyInput, error) {
	var in inbox.ReplyInput
	mr, err := r.MultipartReader()
	if err != nil {
		return in, apiError(http.StatusBadRequest, "invalid_form", "send a multipart/form-data body with a boundary")
	}
	for parts := 0; ; parts++ {
		p, err := mr.NextPart()
		if errors.Is(err, io.EOF) && parts == 0 {
			return in, apiError(http.StatusBadRequest, "invalid_form", "the form has no field (is the boundary right?)")
		}
		if errors.Is(err, io.EOF) {
			return in, nil
		}
		if err != nil {
			return in, formError(err)
		}
		switch p.FormName() {
		case "text", "note":
			b, err := io.ReadAll(io.LimitReader(p, maxReplyField+1))
			if err != nil {
				return in, formError(err)
			}
			if len(b) > maxReplyField {
				return in, apiError(http.StatusRequestEntityTooLarge, "payload_too_large", "the %s field is over %d bytes", p.FormName(), maxReplyField)
			}
			if p.FormName() == "text" {
				in.Text = string(b)
			} else if in.Note, err = formBool(string(b)); err != nil {
				return in, err
			}
		case "file":
			data, err := io.ReadAll(p)
			if err != nil {
				return in, formError(err)
			}
			ct := p.Header.Get("Content-Type")
			if ct == "" || ct == "application/octet-stream" {
				ct = http.DetectContentType(data)
			}
			in.Attachments = append(in.Attachments, channels.Attachment{Filename: p.FileName(), ContentType: ct, Data: data})
		default:
			return in, apiError(http.StatusBadRequest, "invalid_form", "unknown form field %q", strings.ToValidUTF8(p.FormName(), "?"))
		}
	}
}

// formError names what went wrong reading a multipart body.
func formError(err error) error {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return apiError(http.StatusRequestEntityTooLarge, "payload_too_large", "request body larger than %d bytes", mbe.Limit)
	}
	return apiError(http.StatusBadRequest, "invalid_form", "malformed multipart body")
}

func formBool(v string) (bool, error) {
	switch strings.TrimSpace(v) {
	case "true", "1", "on":
		return true, nil
	case "", "false", "0", "off":
		return false, nil
	}
	return false, apiError(http.StatusBadRequest, "invalid_form", "note must be true or false")
}
