package telephony

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/frontdeskhq/frontdesk/channels"
	"github.com/frontdeskhq/frontdesk/inbox"
)

// Lines of a voicemail message's text; the transcription line is revised in place.
const (
	transcriptionLabel   = "Transcription : "
	transcriptionPending = transcriptionLabel + "en attente."
	transcriptionFailed  = transcriptionLabel + "indisponible."
	recordingLabel       = "Enregistrement : "
)

// voicemail handles the Record action: the voicemail becomes a message in the caller's
// telephony conversation (the missed call's callback task), then the caller hears the
// goodbye.
func (h *Handler) voicemail(w http.ResponseWriter, r *http.Request, form url.Values) error {
	if _, err := required(form, "CallSid"); err != nil {
		return err
	}
	bye := Response{Verbs: append(says(h.cfg.Goodbye), &Hangup{})}
	if field(form, "RecordingSid", 64) == "" || field(form, "RecordingUrl", 2000) == "" {
		// The caller hung up or said nothing: no recording.
		h.writeTwiML(w, r, bye)
		return nil
	}
	if _, err := h.ingestVoicemail(r.Context(), form); err != nil {
		return err
	}
	h.writeTwiML(w, r, bye)
	return nil
}

// transcription handles the transcription callback: the voicemail's message (stored now
// if its Record action never reached us) gets the transcription in place of the pending
// line.
func (h *Handler) transcription(w http.ResponseWriter, r *http.Request, form url.Values) error {
	sid, err := required(form, "RecordingSid")
	if err != nil {
		return err
	}
	if field(form, "RecordingUrl", 2000) == "" {
		return missing("RecordingUrl")
	}
	if _, err := h.ingestVoicemail(r.Context(), form); err != nil {
		return err
	}
	line := transcriptionFailed
	if field(form, "TranscriptionStatus", 32) == "completed" {
		if text := field(form, "TranscriptionText", 8000); text != "" {
			line = transcriptionLabel + "« " + text + " »"
		}
	}
	err = h.inbox.ReviseInbound(r.Context(), channels.Telephony, sid, func(old string) string { return withTranscription(old, line) })
	if err != nil {
		return fmt.Errorf("telephony: transcription: %w", err)
	}
	h.writeTwiML(w, r, Response{})
	return nil
}

// withTranscription replaces the transcription line of a voicemail text (or adds one).
func withTranscription(text, line string) string {
	lines := strings.Split(text, "\n")
	for i, l := range lines {
		if strings.HasPrefix(l, transcriptionLabel) {
			lines[i] = line
			return strings.Join(lines, "\n")
		}
	}
	return text + "\n" + line
}

// ingestVoicemail stores a voicemail (idempotent on RecordingSid).
func (h *Handler) ingestVoicemail(ctx context.Context, form url.Values) (inbox.IngestResult, error) {
	from, _ := caller(form)
	sid := field(form, "RecordingSid", 200)
	link := field(form, "RecordingUrl", 2000)
	if u, err := url.Parse(link); err != nil || (u.Scheme != "https" && u.Scheme != "http") {
		return inbox.IngestResult{}, &webhookError{Status: http.StatusBadRequest, Code: "invalid", Field: "RecordingUrl", Message: "RecordingUrl is not an http(s) URL"}
	}
	secs, _ := strconv.Atoi(field(form, "RecordingDuration", 12))
	env := channels.Envelope{
		Channel:    channels.Telephony,
		ExternalID: sid,
		Account:    account(form),
		ThreadKey:  from.Value,
		References: []string{field(form, "CallSid", 200)},
		From:       from,
		Subject:    "Message vocal",
		Text:       voicemailText(secs, link),
	}
	res, err := h.inbox.Ingest(ctx, env)
	if err != nil {
		return res, fmt.Errorf("telephony: voicemail: %w", err)
	}
	if !res.Duplicate {
		h.log.Info("voicemail stored", "recording", sid, "conversation_id", res.ConversationID)
	}
	return res, nil
}

// voicemailText is the message text of a voicemail before its transcription.
func voicemailText(secs int, link string) string {
	head := "Message vocal."
	if secs > 0 {
		head = fmt.Sprintf("Message vocal (%s).", minutes(time.Duration(secs)*time.Second))
	}
	return head + "\n" + transcriptionPending + "\n" + recordingLabel + link
}
