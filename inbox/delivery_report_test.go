package inbox_test

import (
	"context"
	"errors"
	"testing"

	"github.com/frontdeskhq/frontdesk/channels"
	"github.com/frontdeskhq/frontdesk/inbox"
)

func TestReportDelivery(t *testing.T) {
	f := newFixture(t, inbox.Config{})
	ctx := context.Background()
	agent := f.user(t, "agent@x.fr", inbox.RoleAgent)
	res := f.ingest(t, channels.Envelope{Channel: channels.SMS, ExternalID: "SMin", ThreadKey: "+33612345678",
		From: channels.Identity{Kind: channels.KindPhone, Value: "+33612345678"}, Text: "Bonjour"})
	out := func() inbox.Message {
		m, err := f.svc.Reply(ctx, agent, res.ConversationID, inbox.ReplyInput{Text: "Bonjour !"})
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	status := func(id int64) (string, string) {
		m, err := f.store.Message(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		return m.DeliveryStatus, m.ExternalID
	}
	m := out()
	// Found by our id before the provider id is recorded.
	if err := f.svc.ReportDelivery(ctx, inbox.DeliveryReport{Channel: channels.SMS, ExternalID: "SM1", MessageID: m.ID, Status: inbox.DeliverySent}); err != nil {
		t.Fatalf("ReportDelivery(sent, by id) = %v", err)
	}
	if st, ext := status(m.ID); st != inbox.DeliverySent || ext != "SM1" {
		t.Fatalf("after sent: %s %s", st, ext)
	}
	steps := []struct {
		report inbox.DeliveryReport
		want   string
	}{
		{inbox.DeliveryReport{Channel: channels.SMS, ExternalID: "SM1", Status: inbox.DeliveryDelivered}, inbox.DeliveryDelivered},
		{inbox.DeliveryReport{Channel: channels.SMS, ExternalID: "SM1", Status: inbox.DeliverySent}, inbox.DeliveryDelivered},
		{inbox.DeliveryReport{Channel: channels.SMS, ExternalID: "SM1", Status: inbox.DeliveryFailed}, inbox.DeliveryDelivered},
	}
	for _, s := range steps {
		if err := f.svc.ReportDelivery(ctx, s.report); err != nil {
			t.Fatalf("ReportDelivery(%+v) = %v", s.report, err)
		}
		if st, _ := status(m.ID); st != s.want {
			t.Fatalf("after %s: status %s, want %s", s.report.Status, st, s.want)
		}
	}
	m2 := out()
	if err := f.svc.RecordDelivery(ctx, m2.ID, inbox.DeliverySent, "SM2", ""); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.ReportDelivery(ctx, inbox.DeliveryReport{Channel: channels.SMS, ExternalID: "SM2", Status: inbox.DeliveryFailed, Reason: "30003 unreachable"}); err != nil {
		t.Fatal(err)
	}
	if st, _ := status(m2.ID); st != inbox.DeliveryFailed {
		t.Fatalf("after failed: %s", st)
	}
	bad := []inbox.DeliveryReport{
		{Channel: channels.SMS, ExternalID: "SM404", Status: inbox.DeliverySent},
		{Channel: channels.SMS, ExternalID: "SM9", MessageID: m2.ID, Status: inbox.DeliverySent}, // m2 has another provider id
		{Channel: channels.Email, ExternalID: "SM1", Status: inbox.DeliverySent},
		{Channel: channels.SMS, ExternalID: "SMin", Status: inbox.DeliverySent}, // inbound
	}
	for _, r := range bad {
		if err := f.svc.ReportDelivery(ctx, r); !errors.Is(err, inbox.ErrNotFound) {
			t.Errorf("ReportDelivery(%+v) = %v, want ErrNotFound", r, err)
		}
	}
	for _, r := range []inbox.DeliveryReport{{Channel: channels.SMS, ExternalID: "SM1", Status: "read"}, {Channel: channels.SMS, Status: inbox.DeliverySent}} {
		if err := f.svc.ReportDelivery(ctx, r); !inbox.IsInvalid(err) {
			t.Errorf("ReportDelivery(%+v) = %v, want invalid", r, err)
		}
	}
}
