package telephony

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/frontdeskhq/frontdesk/channels"
	"github.com/frontdeskhq/frontdesk/inbox"
)

// Missed-call reasons recorded in the timeline.
const (
	reasonClosed = "closed"
	reasonNoDesk = "no-desk"
	reasonHungUp = "hung-up"
)

// anonymousNumbers are what the provider puts in From when the caller withholds their
// number, besides words such as "anonymous".
var anonymousNumbers = []string{"+266696687", "+7378742833", "+2562533", "+8656696", "+86282452253"}

// caller returns the caller's identity, and false when the number is withheld or not a
// number (such callers cannot be called back).
func caller(form url.Values) (channels.Identity, bool) {
	from := field(form, "From", 64)
	name := field(form, "CallerName", 100)
	n, ok := inbox.NormalizePhone(from, "")
	if !ok || slices.Contains(anonymousNumbers, n) {
		return channels.Identity{Kind: channels.KindAPI, Value: "anonymous-caller", Name: "Numéro masqué"}, false
	}
	return channels.Identity{Kind: channels.KindPhone, Value: n, Name: name}, true
}

// account returns the number that was called, normalised when it is one.
func account(form url.Values) string {
	to := field(form, "To", 64)
	if n, ok := inbox.NormalizePhone(to, ""); ok {
		return n
	}
	return to
}

// voice answers an inbound call: the greeting, then the desk numbers during office
// hours, else voicemail (and the call is recorded as missed at once).
func (h *Handler) voice(w http.ResponseWriter, r *http.Request, form url.Values) error {
	if _, err := required(form, "CallSid"); err != nil {
		return err
	}
	now := h.now()
	open := h.schedule.Open(now)
	resp := Response{Verbs: says(h.cfg.Greeting)}
	if open && len(h.desk) > 0 {
		dial := &Dial{Action: h.url("/voice/dial"), Method: http.MethodPost, Timeout: int(h.cfg.DialTimeout / time.Second)}
		for _, t := range h.desk {
			if strings.HasPrefix(t, "sip:") {
				dial.Sips = append(dial.Sips, Sip{Value: t})
			} else {
				dial.Numbers = append(dial.Numbers, Number{Value: t})
			}
		}
		resp.Verbs = append(resp.Verbs, dial)
		h.log.Info("call ringing the desk", "call", field(form, "CallSid", 64))
		h.writeTwiML(w, r, resp)
		return nil
	}
	reason, prompts := reasonClosed, h.cfg.Closed
	if open {
		reason, prompts = reasonNoDesk, h.cfg.NoAnswer
	}
	// The greeting is part of the closed prompts: say those alone.
	resp.Verbs = append(says(prompts), h.record()...)
	h.recordMissed(r.Context(), form, reason, 0)
	h.writeTwiML(w, r, resp)
	return nil
}

// record returns the verbs that take a voicemail.
func (h *Handler) record() []Verb {
	rec := &Record{
		Action: h.url("/voice/voicemail"), Method: http.MethodPost,
		MaxLength: int(h.cfg.Voicemail.MaxLength / time.Second), Timeout: 5,
		FinishOnKey: h.cfg.Voicemail.FinishOnKey, PlayBeep: true,
	}
	if *h.cfg.Voicemail.Transcribe {
		rec.Transcribe, rec.TranscribeCallback = true, h.url("/voice/transcription")
	}
	return []Verb{rec, &Hangup{}}
}

// voiceDial handles the end of the desk's Dial: an answered call is recorded; otherwise
// the caller is offered voicemail and the call recorded as missed.
func (h *Handler) voiceDial(w http.ResponseWriter, r *http.Request, form url.Values) error {
	if _, err := required(form, "CallSid"); err != nil {
		return err
	}
	status := field(form, "DialCallStatus", 32)
	secs, _ := strconv.Atoi(field(form, "DialCallDuration", 12))
	switch status {
	case "completed", "answered":
		h.recordCall(r.Context(), form, inbox.Call{Outcome: inbox.CallAnswered, AnsweredBy: "desk", Duration: time.Duration(secs) * time.Second})
		h.writeTwiML(w, r, Response{Verbs: []Verb{&Hangup{}}})
		return nil
	case "":
		return missing("DialCallStatus")
	}
	h.recordMissed(r.Context(), form, status, 0)
	if status == "canceled" {
		// The caller hung up while the desk rang.
		h.writeTwiML(w, r, Response{Verbs: []Verb{&Hangup{}}})
		return nil
	}
	h.writeTwiML(w, r, Response{Verbs: append(says(h.cfg.NoAnswer), h.record()...)})
	return nil
}

// voiceStatus handles call status callbacks: a call that ended without an outcome
// recorded (the caller hung up during the greeting, or an earlier webhook failed on our
// side) is recorded as missed. Other statuses are acknowledged and ignored.
func (h *Handler) voiceStatus(w http.ResponseWriter, r *http.Request, form url.Values) error {
	if _, err := required(form, "CallSid"); err != nil {
		return err
	}
	status := field(form, "CallStatus", 32)
	if dir := field(form, "Direction", 32); dir != "" && dir != "inbound" {
		h.writeTwiML(w, r, Response{})
		return nil
	}
	switch status {
	case "completed", "busy", "no-answer", "failed", "canceled":
		reason := status
		if status == "completed" || status == "canceled" {
			reason = reasonHungUp
		}
		secs, _ := strconv.Atoi(field(form, "CallDuration", 12))
		if _, ok := caller(form); ok {
			if err := h.missed(r.Context(), form, reason, time.Duration(secs)*time.Second); err != nil {
				return err
			}
		}
	case "":
		return missing("CallStatus")
	}
	h.writeTwiML(w, r, Response{})
	return nil
}

// recordMissed records a missed call, logging (not returning) a failure: the caller is
// still on the line and must hear the TwiML; the final status callback records the call
// again.
func (h *Handler) recordMissed(ctx context.Context, form url.Values, reason string, d time.Duration) {
	if _, ok := caller(form); !ok {
		h.log.Info("missed call from a withheld number not recorded", "call", field(form, "CallSid", 64))
		return
	}
	if err := h.missed(ctx, form, reason, d); err != nil {
		h.log.Error("record missed call; the status callback will retry", "call", field(form, "CallSid", 64), "err", err)
	}
}

func (h *Handler) missed(ctx context.Context, form url.Values, reason string, d time.Duration) error {
	return h.recordCallErr(ctx, form, inbox.Call{Outcome: inbox.CallMissed, Reason: reason, Duration: d, Priority: h.cfg.MissedCallPriority})
}

// recordCall records a call outcome, logging a failure.
func (h *Handler) recordCall(ctx context.Context, form url.Values, c inbox.Call) {
	if _, ok := caller(form); !ok {
		return
	}
	if err := h.recordCallErr(ctx, form, c); err != nil {
		h.log.Error("record call", "call", field(form, "CallSid", 64), "outcome", c.Outcome, "err", err)
	}
}

func (h *Handler) recordCallErr(ctx context.Context, form url.Values, c inbox.Call) error {
	from, _ := caller(form)
	c.Channel, c.ExternalID, c.Account, c.From = channels.Telephony, field(form, "CallSid", 200), account(form), from
	c.StartedAt = h.now()
	local := c.StartedAt.In(h.schedule.Location()).Format("02/01/2006 15:04")
	if c.Outcome == inbox.CallAnswered {
		c.Subject = "Appel"
		c.Text = fmt.Sprintf("Appel reçu le %s, répondu (%s).", local, minutes(c.Duration))
	} else {
		c.Subject = "Appel manqué"
		c.Text = fmt.Sprintf("Appel manqué le %s (%s) : rappeler l'appelant.", local, reasonText(c.Reason))
	}
	res, err := h.inbox.RecordCall(ctx, c)
	if err == nil && !res.Duplicate {
		h.log.Info("call recorded", "call", c.ExternalID, "outcome", c.Outcome, "conversation_id", res.ConversationID)
	}
	return err
}

func reasonText(reason string) string {
	switch reason {
	case reasonClosed:
		return "hors des horaires d'ouverture"
	case reasonNoDesk, "no-answer":
		return "pas de réponse"
	case "busy":
		return "poste occupé"
	case reasonHungUp, "canceled":
		return "l'appelant a raccroché"
	}
	return "échec de l'appel"
}

// minutes says a duration the way people read it: "3 min 12 s".
func minutes(d time.Duration) string {
	s := int(d / time.Second)
	if s < 60 {
		return fmt.Sprintf("%d s", s)
	}
	return fmt.Sprintf("%d min %02d s", s/60, s%60)
}
