package telephony_test

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"github.com/frontdeskhq/frontdesk/channels"
	"github.com/frontdeskhq/frontdesk/channels/telephony"
	"github.com/frontdeskhq/frontdesk/inbox"
	"github.com/frontdeskhq/frontdesk/router/outbound"
	"github.com/frontdeskhq/frontdesk/router/queue"
)

func inboundSMS(sid, body string) url.Values {
	return url.Values{"MessageSid": {sid}, "SmsSid": {sid}, "AccountSid": {accountID}, "From": {caller}, "To": {ourNumber},
		"Body": {body}, "NumMedia": {"0"}, "ApiVersion": {"2010-04-01"}}
}

func TestInboundSMS(t *testing.T) {
	f := newFixture(t)
	for range 2 { // a replay stores nothing new
		r := f.post(t, "/hooks/telephony/sms", inboundSMS("SM1", "Bonjour, la mairie est-elle ouverte samedi ?"))
		if r.status != 200 || r.body != twimlHeader+"<Response></Response>" {
			t.Fatalf("POST /sms = %d %s", r.status, r.body)
		}
	}
	mms := inboundSMS("SM2", "")
	mms.Set("NumMedia", "2")
	mms.Set("MediaUrl0", "https://api.example/Media/ME1")
	mms.Set("MediaUrl1", "javascript:alert(1)")
	if r := f.post(t, "/hooks/telephony/sms", mms); r.status != 200 {
		t.Fatalf("POST /sms (MMS) = %d %s", r.status, r.body)
	}
	convs := f.conversations(t)
	if len(convs) != 1 {
		t.Fatalf("SMS made %d conversations, want 1", len(convs))
	}
	c := convs[0]
	if c.Channel != channels.SMS || c.ThreadKey != caller || c.Account != ourNumber || len(c.Messages) != 2 ||
		c.Messages[1].Text != "Pièce jointe : https://api.example/Media/ME1" {
		t.Fatalf("SMS conversation = %+v %+v", c.Conversation, c.Messages)
	}
	alpha := inboundSMS("SM3", "Votre code : 1234")
	alpha.Set("From", "ORANGE")
	if r := f.post(t, "/hooks/telephony/sms", alpha); r.status != 200 {
		t.Fatalf("POST /sms from an alphanumeric sender = %d %s", r.status, r.body)
	}
	noSid := inboundSMS("", "x")
	noSid.Del("MessageSid")
	noSid.Del("SmsSid")
	if r := f.post(t, "/hooks/telephony/sms", noSid); r.status != 400 || r.errorCode() != "missing_field" {
		t.Fatalf("POST /sms without MessageSid = %d %s", r.status, r.body)
	}
}

// deliveries turns the outbox's outbound message events into bus deliveries.
func (f *fixture) deliveries(t *testing.T, attempt int) []queue.Delivery {
	t.Helper()
	recs, err := f.store.OutboxAfter(context.Background(), 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	var out []queue.Delivery
	for _, r := range recs {
		if r.Type == inbox.TopicMessageCreated {
			out = append(out, queue.Delivery{Message: queue.Message{ID: r.ID, Type: r.Type, Payload: r.Payload}, Attempt: attempt})
		}
	}
	return out
}

func (f *fixture) message(t *testing.T, id int64) inbox.Message {
	t.Helper()
	m, err := f.store.Message(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestReplyBySMSWithRetriesAndStatus: an SMS comes in, an agent answers, the outbound
// worker delivers through the REST API across a server error and a dropped connection,
// replays send nothing twice, and status callbacks track delivery.
func TestReplyBySMSWithRetriesAndStatus(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	if r := f.post(t, "/hooks/telephony/sms", inboundSMS("SMin", "Bonjour")); r.status != 200 {
		t.Fatalf("POST /sms = %d %s", r.status, r.body)
	}
	convs := f.conversations(t)
	agent, err := f.svc.CreateUser(ctx, inbox.NewUser{Email: "agent@x.fr", Name: "Léa", Role: inbox.RoleAgent, Password: "motdepasse-solide"})
	if err != nil {
		t.Fatal(err)
	}
	m, err := f.svc.Reply(ctx, agent, convs[0].ID, inbox.ReplyInput{Text: "Oui, de 9 h à 12 h."})
	if err != nil {
		t.Fatal(err)
	}
	api := newRESTServer(t, 500, -1)
	sender := newSender(t, api.URL)
	worker := outbound.New(f.svc, map[string]channels.Sender{channels.SMS: sender}, 8, quiet())
	for attempt := 1; attempt <= 2; attempt++ {
		errs := worker.Handle(ctx, f.deliveries(t, attempt))
		if errs == nil || errs[len(errs)-1] == nil {
			t.Fatalf("attempt %d: Handle() = %v, want a retryable error", attempt, errs)
		}
		if got := f.message(t, m.ID); got.DeliveryStatus != inbox.DeliveryQueued {
			t.Fatalf("attempt %d: status %s, want still queued", attempt, got.DeliveryStatus)
		}
	}
	if errs := worker.Handle(ctx, f.deliveries(t, 3)); errs != nil {
		t.Fatalf("attempt 3: Handle() = %v", errs)
	}
	got := f.message(t, m.ID)
	if got.DeliveryStatus != inbox.DeliverySent || !strings.HasPrefix(got.ExternalID, "SM") {
		t.Fatalf("after delivery: %s %q, want sent with the provider's id", got.DeliveryStatus, got.ExternalID)
	}
	// A replayed event sends nothing again.
	if errs := worker.Handle(ctx, f.deliveries(t, 4)); errs != nil {
		t.Fatal(errs)
	}
	reqs := api.sent()
	if len(reqs) != 3 || reqs[2].form.Get("Body") != "Oui, de 9 h à 12 h." || reqs[2].form.Get("To") != caller || reqs[2].form.Get("From") != ourNumber {
		t.Fatalf("REST requests = %v, want 3 tries of the reply", reqs)
	}
	// Status callbacks, signed over the callback URL the sender gave.
	cb := reqs[2].form.Get("StatusCallback")
	path := strings.TrimPrefix(cb, publicURL)
	status := func(st string) reply {
		form := url.Values{"MessageSid": {got.ExternalID}, "MessageStatus": {st}, "AccountSid": {accountID}, "To": {caller}}
		return f.postSigned(t, path, form, telephony.Signature(token, cb, form))
	}
	for _, st := range []string{"sending", "sent", "delivered", "sent"} {
		if r := status(st); r.status != 200 {
			t.Fatalf("status callback %s = %d %s", st, r.status, r.body)
		}
	}
	if got := f.message(t, m.ID); got.DeliveryStatus != inbox.DeliveryDelivered {
		t.Fatalf("after the callbacks: %s, want delivered", got.DeliveryStatus)
	}
	// A status callback for a message we do not know.
	form := url.Values{"MessageSid": {"SMunknown"}, "MessageStatus": {"delivered"}}
	if r := f.post(t, "/hooks/telephony/sms/status", form); r.status != 404 || r.errorCode() != "not_found" {
		t.Fatalf("status of an unknown message = %d %s, want 404", r.status, r.body)
	}
}

func TestReplyRefusedAndFailedDelivery(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.post(t, "/hooks/telephony/sms", inboundSMS("SMin", "Bonjour"))
	convs := f.conversations(t)
	m, err := f.svc.Reply(ctx, f.sup, convs[0].ID, inbox.ReplyInput{Text: "Bien reçu"})
	if err != nil {
		t.Fatal(err)
	}
	api := newRESTServer(t, 400)
	worker := outbound.New(f.svc, map[string]channels.Sender{channels.SMS: newSender(t, api.URL)}, 8, quiet())
	if errs := worker.Handle(ctx, f.deliveries(t, 1)); errs != nil {
		t.Fatalf("Handle() = %v, want the refusal recorded, not retried", errs)
	}
	got := f.message(t, m.ID)
	if got.DeliveryStatus != inbox.DeliveryFailed || !strings.Contains(got.DeliveryError, "21211") {
		t.Fatalf("refused SMS = %s %q, want failed with the provider's code", got.DeliveryStatus, got.DeliveryError)
	}
	// A sent message that the carrier fails later.
	m2, _ := f.svc.Reply(ctx, f.sup, convs[0].ID, inbox.ReplyInput{Text: "Encore"})
	worker = outbound.New(f.svc, map[string]channels.Sender{channels.SMS: newSender(t, newRESTServer(t).URL)}, 8, quiet())
	worker.Handle(ctx, f.deliveries(t, 1))
	sent := f.message(t, m2.ID)
	form := url.Values{"MessageSid": {sent.ExternalID}, "MessageStatus": {"undelivered"}, "ErrorCode": {"30003"}}
	if r := f.post(t, "/hooks/telephony/sms/status", form); r.status != 200 {
		t.Fatalf("status callback undelivered = %d %s", r.status, r.body)
	}
	if got := f.message(t, m2.ID); got.DeliveryStatus != inbox.DeliveryFailed || !strings.Contains(got.DeliveryError, "30003") {
		t.Fatalf("undelivered SMS = %s %q", got.DeliveryStatus, got.DeliveryError)
	}
	d, _ := f.svc.Conversation(ctx, f.sup, convs[0].ID)
	if !hasEvent(d.Events, inbox.EventDelivery) {
		t.Fatal("no delivery_failed event in the timeline")
	}
}

func hasEvent(events []inbox.Event, typ string) bool {
	for _, e := range events {
		if e.Type == typ {
			return true
		}
	}
	return false
}
