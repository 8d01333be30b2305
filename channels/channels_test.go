package channels

import (
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
)

func TestEnvelopeValidate(t *testing.T) {
	ok := Envelope{Channel: Email, ExternalID: "<1@x>", From: Identity{Kind: KindEmail, Value: "a@b.fr"}, Text: "Bonjour"}
	tests := []struct {
		name   string
		change func(*Envelope)
		want   string
	}{
		{"complete", func(*Envelope) {}, ""},
		{"no channel", func(e *Envelope) { e.Channel = "" }, "no channel"},
		{"no external id", func(e *Envelope) { e.ExternalID = "" }, "no external id"},
		{"no sender kind", func(e *Envelope) { e.From.Kind = "" }, "no sender"},
		{"no sender value", func(e *Envelope) { e.From.Value = "" }, "no sender"},
		{"empty", func(e *Envelope) { e.Text = "" }, "empty"},
		{"attachment only", func(e *Envelope) { e.Text = ""; e.Attachments = []Attachment{{Filename: "a.pdf"}} }, ""},
		{"subject only", func(e *Envelope) { e.Text = ""; e.Subject = "Rappel" }, ""},
		{"html only", func(e *Envelope) { e.Text = ""; e.HTML = "<p>x</p>" }, ""},
	}
	for _, tt := range tests {
		e := ok
		tt.change(&e)
		err := e.Validate()
		if (tt.want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tt.want)) {
			t.Errorf("%s: Validate() = %v, want %q", tt.name, err, tt.want)
		}
	}
}

func TestPermanent(t *testing.T) {
	base := errors.New("550 no such user")
	p := Permanent(base)
	if !IsPermanent(p) || !errors.Is(p, base) || p.Error() != base.Error() {
		t.Fatalf("Permanent(%v) = %v: IsPermanent %v, Is(base) %v", base, p, IsPermanent(p), errors.Is(p, base))
	}
	if wrapped := fmt.Errorf("email: send: %w", p); !IsPermanent(wrapped) {
		t.Fatalf("IsPermanent(wrapped permanent) = false")
	}
	if IsPermanent(base) || IsPermanent(nil) || Permanent(nil) != nil {
		t.Fatal("a plain error, or nil, counted as permanent")
	}
}

func TestLogValuesRedact(t *testing.T) {
	var b strings.Builder
	log := slog.New(slog.NewTextHandler(&b, nil))
	e := Envelope{Channel: Email, From: Identity{Kind: KindEmail, Value: "secret.person@example.fr", Name: "Secret Person"},
		Subject: "Mon dossier médical", Text: "confidential body"}
	log.Info("x", "envelope", e, "from", e.From)
	out := b.String()
	for _, leak := range []string{"secret.person", "Secret Person", "médical", "confidential"} {
		if strings.Contains(out, leak) {
			t.Errorf("log line %q leaks %q", out, leak)
		}
	}
	if !strings.Contains(out, "channel=email") || !strings.Contains(out, "text_bytes=17") {
		t.Errorf("log line %q lacks the redacted summary", out)
	}
}
