package inbox

import (
	"context"
	"time"
)

// PhoneMessageReader is the read side of phone messages, part of Reader.
type PhoneMessageReader interface {
	PhoneMessage(ctx context.Context, id int64) (PhoneMessage, error)
	// PhoneMessages returns the phone messages matching q, newest first.
	PhoneMessages(ctx context.Context, q PhoneMessageQuery) ([]PhoneMessage, error)
	// PhoneMessageNotifications returns the notifications sent about a phone message,
	// oldest first.
	PhoneMessageNotifications(ctx context.Context, phoneMessageID int64) ([]PhoneMessageNotification, error)
}

// PhoneMessageTx is the write side of phone messages, part of Tx.
type PhoneMessageTx interface {
	PhoneMessage(ctx context.Context, id int64) (PhoneMessage, error)
	// PhoneMessageByKey returns the phone message author created with that idempotency key.
	PhoneMessageByKey(ctx context.Context, authorID int64, key string) (PhoneMessage, error)
	// CreatePhoneMessage inserts p and sets p.ID. A second message of the same author
	// with the same non-empty idempotency key fails with ErrDuplicate.
	CreatePhoneMessage(ctx context.Context, p *PhoneMessage) error
	// UpdatePhoneMessage writes the acknowledgement, callback and overdue fields of p.
	UpdatePhoneMessage(ctx context.Context, p *PhoneMessage) error
	// DuePhoneMessages returns up to limit phone messages whose requested callback is
	// neither done nor flagged overdue and was due at or before now, earliest due first.
	DuePhoneMessages(ctx context.Context, now time.Time, limit int) ([]PhoneMessage, error)
	// PutPhoneMessageNotification records (or replaces) the outcome of notifying one
	// user on one channel about one phone message.
	PutPhoneMessageNotification(ctx context.Context, n PhoneMessageNotification) error
}

// MessageEditTx edits stored messages, part of Tx.
type MessageEditTx interface {
	// UpdateMessageText replaces the text of message id.
	UpdateMessageText(ctx context.Context, id int64, text string) error
}

// PhoneMessageQuery selects phone messages. Every set field narrows the selection.
type PhoneMessageQuery struct {
	RecipientUserID int64
	// RecipientTeamIDs keeps messages for any of these teams; an empty non-nil slice
	// matches nothing.
	RecipientTeamIDs []int64
	AuthorID         int64
	ContactID        int64
	ConversationID   int64
	// Visible, when set, keeps what that user may see: messages they wrote or that are
	// for them or for one of their teams.
	Visible *Visibility
	// DueBy keeps messages whose requested callback is not done and was due at or
	// before this time (the overdue ones).
	DueBy *time.Time
	// Statuses keeps messages in any of these states.
	Statuses []PhoneMessageStatus
	// BeforeID continues a previous page: only ids below it.
	BeforeID int64
	Limit    int
}
