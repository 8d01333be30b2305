package inbox_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/frontdeskhq/frontdesk/channels"
	"github.com/frontdeskhq/frontdesk/inbox"
)

func missedCall(id, from string, priority int) inbox.Call {
	return inbox.Call{Channel: channels.Telephony, ExternalID: id, Account: "+33140000000",
		From: channels.Identity{Kind: channels.KindPhone, Value: from}, Outcome: inbox.CallMissed, Reason: "no-answer",
		Subject: "Appel manqué", Text: "Appel manqué", Priority: priority}
}

func TestRecordCallMissedMakesOneCallbackTask(t *testing.T) {
	f := newFixture(t, inbox.Config{})
	ctx := context.Background()
	sup := f.user(t, "sup@x.fr", inbox.RoleSupervisor)
	first, err := f.svc.RecordCall(ctx, missedCall("CA1", "06 12 34 56 78", 70))
	if err != nil || !first.NewConversation || first.Duplicate {
		t.Fatalf("RecordCall(missed) = %+v, %v", first, err)
	}
	again, err := f.svc.RecordCall(ctx, missedCall("CA1", "06 12 34 56 78", 70))
	if err != nil || !again.Duplicate || again.MessageID != first.MessageID {
		t.Fatalf("RecordCall(same call) = %+v, %v; want the first, duplicate", again, err)
	}
	second, err := f.svc.RecordCall(ctx, missedCall("CA2", "+33612345678", 50))
	if err != nil || second.ConversationID != first.ConversationID || second.NewConversation {
		t.Fatalf("RecordCall(second missed call) = %+v, %v; want the same conversation", second, err)
	}
	c, err := f.svc.Conversation(ctx, sup, first.ConversationID)
	if err != nil {
		t.Fatal(err)
	}
	if c.Status != inbox.StatusOpen || c.Priority != 70 || !slices.Equal(c.Tags, []string{inbox.TagCallback}) || c.ThreadKey != "+33612345678" ||
		c.WaitingSince == nil || len(c.Messages) != 2 || c.Messages[0].Kind != inbox.KindIn {
		t.Fatalf("callback task = %+v, want open, priority 70, tagged, waiting, two inbound messages", c.Conversation)
	}
	for _, typ := range []string{inbox.EventCallMissed, inbox.EventPriority, inbox.EventTagged} {
		if !hasEvent(c.Events, typ) {
			t.Errorf("timeline lacks %s: %+v", typ, c.Events)
		}
	}
	// Resolved, then missed again within the reopen window: reopened.
	resolved := inbox.StatusResolved
	if _, err := f.svc.UpdateConversation(ctx, sup, c.ID, inbox.Patch{Status: &resolved}); err != nil {
		t.Fatal(err)
	}
	third, err := f.svc.RecordCall(ctx, missedCall("CA3", "+33612345678", 70))
	if err != nil || third.ConversationID != c.ID || !third.Reopened {
		t.Fatalf("RecordCall(after resolve) = %+v, %v; want the conversation reopened", third, err)
	}
}

func TestRecordCallAnswered(t *testing.T) {
	f := newFixture(t, inbox.Config{})
	ctx := context.Background()
	sup := f.user(t, "sup@x.fr", inbox.RoleSupervisor)
	call := inbox.Call{Channel: channels.Telephony, ExternalID: "CA10", Account: "+33140000000",
		From: channels.Identity{Kind: channels.KindPhone, Value: "+33699999999"}, Outcome: inbox.CallAnswered,
		AnsweredBy: "+33140000001", Duration: 3 * time.Minute, Subject: "Appel", Text: "Appel répondu (3 min)"}
	res, err := f.svc.RecordCall(ctx, call)
	if err != nil || !res.NewConversation {
		t.Fatalf("RecordCall(answered) = %+v, %v", res, err)
	}
	c, err := f.svc.Conversation(ctx, sup, res.ConversationID)
	if err != nil {
		t.Fatal(err)
	}
	if c.Status != inbox.StatusResolved || len(c.Messages) != 1 || c.Messages[0].Kind != inbox.KindSystem || !hasEvent(c.Events, inbox.EventCallAnswered) || c.WaitingSince != nil {
		t.Fatalf("answered call = %+v, want a resolved conversation with a system message and a call_answered event", c)
	}
	// The caller's next missed call reopens the same thread (resolved within the window).
	res2, err := f.svc.RecordCall(ctx, missedCall("CA11", "+33699999999", 70))
	if err != nil || res2.ConversationID != res.ConversationID {
		t.Fatalf("RecordCall(missed after answered) = %+v, %v; want the same thread", res2, err)
	}
	// An answered call on an open callback task is recorded without changing its status.
	call.ExternalID = "CA12"
	res3, err := f.svc.RecordCall(ctx, call)
	if err != nil || res3.ConversationID != res.ConversationID {
		t.Fatal(err)
	}
	c, _ = f.svc.Conversation(ctx, sup, res.ConversationID)
	if c.Status != inbox.StatusOpen || c.MessageCount != 3 {
		t.Fatalf("after an answered call: status %s, %d messages; want open, 3", c.Status, c.MessageCount)
	}
	f.clock.add(8 * 24 * time.Hour)
	resolved := inbox.StatusResolved
	if _, err := f.svc.UpdateConversation(ctx, sup, c.ID, inbox.Patch{Status: &resolved}); err != nil {
		t.Fatal(err)
	}
	f.clock.add(8 * 24 * time.Hour)
	call.ExternalID = "CA13"
	res4, err := f.svc.RecordCall(ctx, call)
	if err != nil || res4.ConversationID == res.ConversationID || !res4.NewConversation {
		t.Fatalf("RecordCall(long after resolve) = %+v, %v; want a new conversation", res4, err)
	}
}

func TestRecordCallRefusesBadInput(t *testing.T) {
	f := newFixture(t, inbox.Config{})
	tests := map[string]func(*inbox.Call){
		"no id":        func(c *inbox.Call) { c.ExternalID = "" },
		"bad outcome":  func(c *inbox.Call) { c.Outcome = "maybe" },
		"bad priority": func(c *inbox.Call) { c.Priority = 101 },
		"not a number": func(c *inbox.Call) { c.From.Value = "anonymous" },
		"email caller": func(c *inbox.Call) { c.From = channels.Identity{Kind: channels.KindEmail, Value: "a@b.fr"} },
		"long id":      func(c *inbox.Call) { c.ExternalID = strings.Repeat("x", 1000) },
		// Before 1970: the message would be dated where the index and JSON cannot follow.
		"year 0": func(c *inbox.Call) { c.StartedAt = time.Date(0, 1, 1, 0, 0, 0, 0, time.FixedZone("", 3600)) },
		"1500":   func(c *inbox.Call) { c.StartedAt = time.Date(1500, 1, 1, 0, 0, 0, 0, time.UTC) },
	}
	for name, edit := range tests {
		c := missedCall("CA1", "+33612345678", 70)
		edit(&c)
		if _, err := f.svc.RecordCall(context.Background(), c); !inbox.IsInvalid(err) {
			t.Errorf("%s: RecordCall() = %v, want invalid", name, err)
		}
	}
}

func TestReviseInbound(t *testing.T) {
	f := newFixture(t, inbox.Config{})
	ctx := context.Background()
	env := channels.Envelope{Channel: channels.Telephony, ExternalID: "RE1", ThreadKey: "+33612345678",
		From: channels.Identity{Kind: channels.KindPhone, Value: "+33612345678"}, Text: "Message vocal. Transcription en attente."}
	res := f.ingest(t, env)
	err := f.svc.ReviseInbound(ctx, channels.Telephony, "RE1", func(old string) string {
		return strings.Replace(old, "Transcription en attente.", "« Bonjour »", 1)
	})
	if err != nil {
		t.Fatalf("ReviseInbound() = %v", err)
	}
	m, err := f.store.Message(ctx, res.MessageID)
	if err != nil || m.Text != "Message vocal. « Bonjour »" {
		t.Fatalf("message after ReviseInbound = %q, %v", m.Text, err)
	}
	if err := f.svc.ReviseInbound(ctx, channels.Telephony, "RE2", strings.ToUpper); !errors.Is(err, inbox.ErrNotFound) {
		t.Fatalf("ReviseInbound(unknown) = %v, want ErrNotFound", err)
	}
}
