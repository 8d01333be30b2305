package mailparse

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"strings"

	"github.com/emersion/go-message/textproto"
)

// Report is what a delivery status notification (RFC 3464) says about the message it
// reports on. For several recipients, the first failed one is kept.
type Report struct {
	// Action is failed, delayed, delivered, relayed or expanded.
	Action string
	// Status is the enhanced status code, e.g. 5.1.1.
	Status string
	// Recipient is the final recipient address.
	Recipient string
	// Diagnostic is the remote server's answer, if given.
	Diagnostic string
	// OriginalEnvelopeID is the ENVID given at submission, if any.
	OriginalEnvelopeID string
	// OriginalMessageID is the Message-ID of the reported message, from the returned
	// headers.
	OriginalMessageID string
	// Explanation is the human-readable first part, cut to 2000 bytes.
	Explanation string
}

// maxReportBytes bounds what is read of the report parts.
const maxReportBytes = 256 << 10

// reportParts collects the parts of a multipart/report while it is walked.
type reportParts struct {
	status   *Report
	original string
}

// take consumes part if it is the delivery status or the returned message (headers)
// and reports whether it did.
func (r *reportParts) take(w *walker, mt string, part io.Reader) bool {
	switch mt {
	case "message/delivery-status", "message/global-delivery-status":
		raw, _ := io.ReadAll(io.LimitReader(part, maxReportBytes))
		r.status = parseDeliveryStatus(raw)
		if r.status == nil {
			w.warn("unreadable delivery status")
		}
		return true
	case "message/rfc822", "text/rfc822-headers", "message/rfc822-headers", "message/global", "message/global-headers":
		raw, _ := io.ReadAll(io.LimitReader(part, maxReportBytes))
		h, _ := textproto.ReadHeader(bufio.NewReader(bytes.NewReader(raw)))
		if ids := ParseIDs(h.Get("Message-Id")); len(ids) > 0 {
			r.original = ids[0]
		}
		return true
	}
	return false
}

// build returns the report, nil when no delivery status was found.
func (r *reportParts) build() *Report {
	if r.status == nil {
		return nil
	}
	rep := *r.status
	rep.OriginalMessageID = r.original
	return &rep
}

// parseDeliveryStatus reads the per-message and per-recipient field groups.
func parseDeliveryStatus(raw []byte) *Report {
	br := bufio.NewReader(bytes.NewReader(raw))
	var rep *Report
	envid := ""
	for group := 0; group < 100; group++ {
		// Skip blank lines between groups.
		for {
			b, err := br.Peek(1)
			if err != nil || (b[0] != '\r' && b[0] != '\n') {
				break
			}
			br.ReadByte()
		}
		h, err := textproto.ReadHeader(br)
		if h.Len() == 0 && err != nil {
			break
		}
		if group == 0 {
			envid = cleanHeaderText(h.Get("Original-Envelope-Id"))
		}
		action := strings.ToLower(strings.TrimSpace(h.Get("Action")))
		if action != "" {
			cur := &Report{
				Action:     action,
				Status:     cleanHeaderText(h.Get("Status")),
				Recipient:  typedAddress(h.Get("Final-Recipient"), h.Get("Original-Recipient")),
				Diagnostic: typedValue(h.Get("Diagnostic-Code")),
			}
			if rep == nil || (rep.Action != "failed" && action == "failed") {
				rep = cur
			}
		}
		if err != nil && !errors.Is(err, io.EOF) {
			break
		}
		if _, err := br.Peek(1); err != nil {
			break
		}
	}
	if rep != nil {
		rep.OriginalEnvelopeID = envid
	}
	return rep
}

// typedValue strips the type of "rfc822; x" or "smtp; 550 ...".
func typedValue(v string) string {
	if _, after, ok := strings.Cut(v, ";"); ok {
		v = after
	}
	v = cleanHeaderText(v)
	if len(v) > 1000 {
		v = strings.ToValidUTF8(v[:1000], "")
	}
	return v
}

func typedAddress(vals ...string) string {
	for _, v := range vals {
		if a := typedValue(v); a != "" {
			return normalizeAddr(a)
		}
	}
	return ""
}
