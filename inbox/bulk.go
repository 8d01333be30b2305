package inbox

import (
	"context"
	"fmt"
	"time"
)

// ContactNames returns the display names (Contact.DisplayName) of the contacts among
// ids that exist, in one read.
func (s *Service) ContactNames(ctx context.Context, ids []int64) (map[int64]string, error) {
	out := make(map[int64]string, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	cs, err := s.store.ContactsByID(ctx, ids)
	if err != nil {
		return nil, fmt.Errorf("inbox: contact names: %w", err)
	}
	for _, c := range cs {
		out[c.ID] = c.DisplayName()
	}
	return out, nil
}

// BulkReader reads many records at once and lists what changed since a time, for
// derived indexes (the search index) that follow the store and catch up with it.
type BulkReader interface {
	// ConversationsChanged returns up to limit conversations whose updated_at is at or
	// after since, ordered by (updated_at, id), starting after the position after (nil:
	// from the first). Every new message updates its conversation, so this lists the
	// conversations with new messages too.
	ConversationsChanged(ctx context.Context, since time.Time, after *Cursor, limit int) ([]Conversation, error)
	// ConversationsByID returns the conversations among ids that exist, in no order.
	ConversationsByID(ctx context.Context, ids []int64) ([]Conversation, error)
	// MessagesByID returns the messages among ids that exist, without attachments, in
	// no order.
	MessagesByID(ctx context.Context, ids []int64) ([]Message, error)
	// MessagesOf returns every message of the conversations ids, without attachments,
	// ordered by conversation then id.
	MessagesOf(ctx context.Context, conversationIDs []int64) ([]Message, error)
	// ContactsByID returns the contacts among ids that exist, with their identities, in
	// no order.
	ContactsByID(ctx context.Context, ids []int64) ([]Contact, error)
	// CountMessages returns how many messages the store holds.
	CountMessages(ctx context.Context) (int64, error)
}

// MaxBulkIDs bounds the ids of one bulk read.
const MaxBulkIDs = 500
