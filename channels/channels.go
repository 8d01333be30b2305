// Package channels is the plug-in contract between the inbox and the channel adapters
// (email, webchat, slack, telephony, the JSON API).
//
// Inbound: an adapter turns whatever its provider sends into an Envelope and hands it to
// the inbox's Ingest. Ingest is idempotent on (Channel, ExternalID): the adapter may hand
// the same Envelope over again (an IMAP re-fetch, a Slack retry, a webhook replay) and gets
// the same message back, never a second one. An adapter acknowledges its provider (IMAP
// \Seen, SMTP 250, HTTP 200) only after Ingest returned without error: that is the moment
// the message is durable.
//
// Outbound: an adapter that can deliver replies implements Sender. The outbound worker
// calls Send at least once per Outbound (retrying after crashes and temporary errors), so
// Send must tolerate being called again for the same MessageID. Send reports a permanent
// failure by wrapping its error with Permanent; every other error is retried with backoff.
//
// This package imports only the standard library.
package channels

import (
	"context"
	"errors"
	"log/slog"
	"time"
)

// Channel names, as stored with every conversation and message.
const (
	Email     = "email"
	Webchat   = "webchat"
	Slack     = "slack"
	Telephony = "telephony"
	SMS       = "sms"
	API       = "api"
)

// IdentityKind says what an identity's Value is.
type IdentityKind string

// Identity kinds. A contact may own several identities of several kinds.
const (
	KindEmail   IdentityKind = "email"
	KindPhone   IdentityKind = "phone"
	KindSlack   IdentityKind = "slack"
	KindVisitor IdentityKind = "visitor"
	KindAPI     IdentityKind = "api"
)

// Identity is how a channel knows a person: an email address, an E.164 phone number, a
// Slack user id, a webchat visitor id or an integration's own sender key.
type Identity struct {
	Kind  IdentityKind
	Value string
	// Name is the display name the channel gave, if any.
	Name string
}

// LogValue redacts the identity for logs: its kind only.
func (i Identity) LogValue() slog.Value {
	return slog.GroupValue(slog.String("kind", string(i.Kind)))
}

// Attachment is a file carried by a message.
type Attachment struct {
	// ID is the inbox's id of an outbound message's file (0 for inbound ones), for
	// channels that link to it rather than carry it (web chat).
	ID          int64
	Filename    string
	ContentType string
	// ContentID is the MIME Content-ID of an inline part (without angle brackets).
	ContentID string
	Data      []byte
}

// Envelope is one normalised inbound message.
type Envelope struct {
	// Channel is one of the channel names above.
	Channel string
	// ExternalID is the provider's unique id for this message (Message-ID, Slack event
	// ts, CallSid, the webchat client id...). Required: it makes Ingest idempotent.
	ExternalID string
	// Account names the receiving mailbox, workspace, site or number, when the channel
	// has several; routing may use it.
	Account string
	// ThreadKey groups messages into one conversation within a channel (a Slack
	// channel+thread, a phone number's SMS thread, a webchat conversation). Optional.
	ThreadKey string
	// References lists ExternalIDs of earlier messages this one answers, most relevant
	// first (email In-Reply-To then References). Optional.
	References []string
	// ConversationHint is a conversation id the adapter recovered from our own token
	// (an address tag, our Message-ID); it is used only if that conversation belongs to
	// the same contact.
	ConversationHint int64
	From             Identity
	Subject          string
	// Text is the plain-text body.
	Text string
	// HTML is the sanitised HTML body, if the channel had one. Adapters sanitise before
	// handing it over; the inbox never trusts it further than that.
	HTML        string
	Attachments []Attachment
	// Language is the adapter's hint (BCP 47 primary tag, e.g. "fr"), if it knows one.
	Language string
	// ReceivedAt is when the provider received the message; zero means now.
	ReceivedAt time.Time
	// AutoSubmitted marks machine-generated mail (auto-replies, bounces, lists): stored,
	// never answered automatically.
	AutoSubmitted bool
	// Warnings lists what the adapter could not parse cleanly; the message is still kept.
	Warnings []string
}

// LogValue redacts the envelope for logs: no body, subject or address.
func (e Envelope) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("channel", e.Channel),
		slog.String("account", e.Account),
		slog.Int("text_bytes", len(e.Text)),
		slog.Int("attachments", len(e.Attachments)),
	)
}

// Validate reports the first missing or inconsistent field.
func (e Envelope) Validate() error {
	switch {
	case e.Channel == "":
		return errors.New("channels: envelope has no channel")
	case e.ExternalID == "":
		return errors.New("channels: envelope has no external id")
	case e.From.Kind == "" || e.From.Value == "":
		return errors.New("channels: envelope has no sender identity")
	case e.Text == "" && e.HTML == "" && len(e.Attachments) == 0 && e.Subject == "":
		return errors.New("channels: envelope is empty")
	}
	return nil
}

// Outbound is one message to deliver through a channel.
type Outbound struct {
	// MessageID is the inbox's id of the message; Send may be called more than once for it.
	MessageID      int64
	ConversationID int64
	Channel        string
	Account        string
	ThreadKey      string
	// To is the contact's identity on this channel.
	To      Identity
	Subject string
	Text    string
	HTML    string
	// InReplyTo and References are the ExternalIDs of earlier messages in the thread,
	// newest last, for channels that thread by reference (email).
	InReplyTo   string
	References  []string
	Attachments []Attachment
	// AuthorName is the agent's display name, for channels that show it.
	AuthorName string
	// AutoSubmitted marks an automatic message (an acknowledgement of receipt), which
	// channels label as such (email: Auto-Submitted: auto-replied) so that it never
	// triggers another automatic reply.
	AutoSubmitted bool
	// CreatedAt is when the agent wrote the message.
	CreatedAt time.Time
	// Retry says that an earlier Send of this message may have reached the provider
	// (its outcome was never recorded): a Sender whose provider cannot deduplicate
	// looks for that delivery before sending again.
	Retry bool
}

// Sender delivers outbound messages on one channel.
type Sender interface {
	// Send delivers out and returns the provider's id for it. An error wrapped with
	// Permanent is not retried.
	Send(ctx context.Context, out Outbound) (externalID string, err error)
}

// permanentError marks an error that retrying cannot fix.
type permanentError struct{ err error }

func (p permanentError) Error() string { return p.err.Error() }
func (p permanentError) Unwrap() error { return p.err }

// Permanent wraps err to say that retrying cannot succeed (an unknown recipient, an SMTP
// 5xx, a revoked token).
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return permanentError{err}
}

// IsPermanent reports whether err, or an error it wraps, was marked with Permanent.
func IsPermanent(err error) bool {
	var p permanentError
	return errors.As(err, &p)
}
