package webchat

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"path"
	"strings"
	"unicode"

	"github.com/frontdeskhq/frontdesk/channels"
	"github.com/frontdeskhq/frontdesk/inbox"
)

// allowedTypes are the attachment types a visitor may send, as sniffed from content.
// SVG and HTML never pass: they could carry script.
var allowedTypes = map[string]bool{
	"image/png": true, "image/jpeg": true, "image/gif": true, "image/webp": true, "application/pdf": true,
}

// uploadResult answers an upload: the stored message, as the ack and message frames
// would describe it.
type uploadResult struct {
	Seq         int64            `json:"seq"`
	Conv        int64            `json:"conv"`
	ClientID    string           `json:"cid"`
	Duplicate   bool             `json:"duplicate,omitempty"`
	Attachments []FileDescriptor `json:"attachments"`
}

// uploadCreate serves POST /chat/upload?site=KEY: a multipart form with a "cid" field
// then a "file" part, authenticated by "Authorization: Bearer <visitor token>". The
// type is sniffed from the content; only images and PDF are kept.
func (s *Server) uploadCreate(w http.ResponseWriter, r *http.Request) {
	site := s.site(r.URL.Query().Get("site"))
	if site == nil {
		httpError(w, http.StatusNotFound, "unknown_site", "no chat is configured for this site key")
		return
	}
	if o := r.Header.Get("Origin"); o != "" && !s.originAllowed(r, site, o) {
		httpError(w, http.StatusForbidden, "origin_refused", "this page's origin may not post to this chat")
		return
	}
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || !validToken(tok) {
		httpError(w, http.StatusUnauthorized, CodeUnauthorized, "send the visitor token as Authorization: Bearer <token>")
		return
	}
	k := visitorKey{site: site.Key, visitor: visitorID(tok)}
	if ok, _ := s.visitorLimit.allow(k.site + "\x00" + k.visitor); !ok {
		httpError(w, http.StatusTooManyRequests, CodeRateLimited, "too many messages; wait a moment")
		return
	}
	if ok, _ := s.ipLimit.allow(clientIP(r)); !ok {
		httpError(w, http.StatusTooManyRequests, CodeRateLimited, "too many messages from your address; wait a moment")
		return
	}
	max := s.cfg.Limits.MaxUploadBytes
	r.Body = http.MaxBytesReader(w, r.Body, max+16<<10)
	cid, name, data, status, err := readUpload(r, max)
	if err != nil {
		httpError(w, status, map[int]string{413: "payload_too_large", 415: "unsupported_media_type"}[status]+orInvalid(status), err.Error())
		return
	}
	ctype := http.DetectContentType(data)
	if !allowedTypes[ctype] {
		httpError(w, http.StatusUnsupportedMediaType, "unsupported_media_type", "only images (PNG, JPEG, GIF, WebP) and PDF files can be sent")
		return
	}
	if _, err := s.inbox.SaveVisitor(r.Context(), inbox.Visitor{ID: k.visitor, Site: k.site}); err != nil {
		s.log.Error("save visitor", "err", err)
		httpError(w, http.StatusInternalServerError, CodeInternal, "could not store the file; try again")
		return
	}
	res, err := s.ingest(r.Context(), k, "", "", cid, "", []channels.Attachment{{Filename: name, ContentType: ctype, Data: data}})
	if err != nil {
		if inbox.IsInvalid(err) {
			httpError(w, http.StatusUnprocessableEntity, "invalid", strings.TrimPrefix(err.Error(), "inbox: "))
			return
		}
		s.log.Error("ingest upload", "site", k.site, "err", err)
		httpError(w, http.StatusInternalServerError, CodeInternal, "could not store the file; try again")
		return
	}
	msgs, err := s.inbox.VisitorMessages(r.Context(), res.ConversationID, res.MessageID-1, 1)
	if err != nil || len(msgs) != 1 || msgs[0].ID != res.MessageID {
		s.log.Error("read back upload", "site", k.site, "err", err)
		httpError(w, http.StatusInternalServerError, CodeInternal, "the file is stored but could not be shown; reload")
		return
	}
	out := uploadResult{Seq: res.MessageID, Conv: res.ConversationID, ClientID: cid, Duplicate: res.Duplicate}
	for _, a := range msgs[0].Attachments {
		out.Attachments = append(out.Attachments, s.fileDescriptor(k, res.ConversationID, a))
	}
	if !res.Duplicate {
		frame := s.messageFrames(r.Context(), k, msgs, false)[0]
		for _, c := range s.hub.sockets(k) {
			c.setConv(res.ConversationID)
			c.pushMessage(res.MessageID, frame)
		}
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	if !res.Duplicate {
		w.WriteHeader(http.StatusCreated)
	}
	json.NewEncoder(w).Encode(out)
}

func orInvalid(status int) string {
	if status == http.StatusBadRequest {
		return "invalid"
	}
	return ""
}

// readUpload reads the cid field and the file part of a multipart upload.
func readUpload(r *http.Request, max int64) (cid, name string, data []byte, status int, err error) {
	mr, err := r.MultipartReader()
	if err != nil {
		return "", "", nil, http.StatusBadRequest, errors.New("send a multipart/form-data body with cid and file")
	}
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			return "", "", nil, uploadStatus(err), uploadErr(err)
		}
		switch p.FormName() {
		case "cid":
			b, err := io.ReadAll(io.LimitReader(p, 65))
			if err != nil {
				return "", "", nil, uploadStatus(err), uploadErr(err)
			}
			cid = string(b)
		case "file":
			if data != nil {
				return "", "", nil, http.StatusBadRequest, errors.New("one file per upload")
			}
			name = cleanFilename(p.FileName())
			data, err = io.ReadAll(io.LimitReader(p, max+1))
			if err != nil {
				return "", "", nil, uploadStatus(err), uploadErr(err)
			}
			if int64(len(data)) > max {
				return "", "", nil, http.StatusRequestEntityTooLarge, errors.New("the file is larger than the limit")
			}
		default:
			return "", "", nil, http.StatusBadRequest, errors.New("unknown form field " + strings.ToValidUTF8(p.FormName(), "?"))
		}
	}
	switch {
	case !clientIDRe.MatchString(cid):
		return "", "", nil, http.StatusBadRequest, errors.New("cid must be 1 to 64 letters, digits, - or _")
	case len(data) == 0:
		return "", "", nil, http.StatusBadRequest, errors.New("the file is missing or empty")
	}
	return cid, name, data, 0, nil
}

func uploadStatus(err error) int {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return http.StatusRequestEntityTooLarge
	}
	return http.StatusBadRequest
}

func uploadErr(err error) error {
	if uploadStatus(err) == http.StatusRequestEntityTooLarge {
		return errors.New("the upload is larger than the limit")
	}
	return errors.New("malformed multipart body")
}

// cleanFilename keeps the base name, without control characters, at most 100 bytes.
func cleanFilename(n string) string {
	n = path.Base(strings.ReplaceAll(n, "\\", "/"))
	n = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || r == '"' {
			return -1
		}
		return r
	}, strings.ToValidUTF8(n, ""))
	if len(n) > 100 {
		n = strings.ToValidUTF8(n[:100], "")
	}
	if n == "" || n == "." || n == "/" {
		n = "fichier"
	}
	return n
}
