package inbox

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// This file holds the Service operations of channels whose people act from outside the
// hub (an agent answering from a Slack thread, a contact editing a Slack message).

// ReplyWith is Reply with also run in the same transaction, after the message is written
// and before the bus events are: an adapter records there what makes its own processing
// idempotent (the id of the provider's event it handled). An error from also rolls the
// whole reply back and is returned as is.
func (s *Service) ReplyWith(ctx context.Context, actor User, id int64, in ReplyInput, also func(ctx context.Context, tx Tx, m Message) error) (Message, error) {
	return s.reply(ctx, actor, id, in, also)
}

// AttachIdentity adds identity add to the contact that owns identity known, so that
// messages from either reach the same contact. It returns that contact's id. It is
// idempotent; when add already belongs to another contact it fails with ErrDuplicate
// (contacts are never merged implicitly), and when nobody owns known with ErrNotFound.
func (s *Service) AttachIdentity(ctx context.Context, known, add Identity) (int64, error) {
	known, err := NormalizeIdentity(known, s.cfg.DefaultCountryCode)
	if err != nil {
		return 0, err
	}
	if add, err = NormalizeIdentity(add, s.cfg.DefaultCountryCode); err != nil {
		return 0, err
	}
	var id int64
	err = s.store.Write(ctx, func(ctx context.Context, tx Tx) error {
		c, err := tx.ContactByIdentity(ctx, known)
		if err != nil {
			return fmt.Errorf("inbox: attach identity: %w", err)
		}
		id = c.ID
		owner, err := tx.ContactByIdentity(ctx, add)
		switch {
		case err == nil && owner.ID == c.ID:
			return nil
		case err == nil:
			return fmt.Errorf("inbox: attach %s identity: owned by another contact: %w", add.Kind, ErrDuplicate)
		case !errors.Is(err, ErrNotFound):
			return fmt.Errorf("inbox: attach identity: %w", err)
		}
		if err := tx.AddIdentity(ctx, c.ID, add); err != nil {
			return fmt.Errorf("inbox: attach identity: %w", err)
		}
		return nil
	})
	return id, err
}

// MessageChange is an edit or a deletion of an inbound message, made by its author on
// the channel.
type MessageChange struct {
	// Deleted is true for a deletion; otherwise Text is the new text.
	Deleted bool
	Text    string
	// At is when the author made the change; zero means now.
	At time.Time
}

// RecordMessageChange records in the timeline that the message of channel with
// externalID was edited or deleted by its author. The message itself keeps what was
// received first (the record of what was said); the edit's text is in the event. also,
// when set, runs in the same transaction (see ReplyWith). An unknown message is
// ErrNotFound.
func (s *Service) RecordMessageChange(ctx context.Context, channel, externalID string, ch MessageChange, also func(ctx context.Context, tx Tx, m Message) error) (Message, error) {
	text, warnings := s.capText(ch.Text, nil)
	var m Message
	err := s.store.Write(ctx, func(ctx context.Context, tx Tx) error {
		var err error
		if m, err = tx.MessageByExternalID(ctx, channel, externalID); err != nil {
			return fmt.Errorf("inbox: record change: %w", err)
		}
		c, err := tx.Conversation(ctx, m.ConversationID)
		if err != nil {
			return fmt.Errorf("inbox: record change: %w", err)
		}
		now := s.clock()
		at := now
		if !ch.At.IsZero() && ch.At.Before(now) {
			at = ch.At.UTC().Truncate(time.Microsecond)
		}
		typ, changed := EventMessageEdited, "edited"
		data := map[string]any{"message_id": m.ID, "at": at}
		if ch.Deleted {
			typ, changed = EventMessageDeleted, "deleted"
		} else {
			data["text"] = text
			if len(warnings) > 0 {
				data["warnings"] = warnings
			}
		}
		if err := addEvent(ctx, tx, c.ID, typ, 0, data, now); err != nil {
			return err
		}
		c.UpdatedAt = now
		if err := tx.UpdateConversation(ctx, &c); err != nil {
			return fmt.Errorf("inbox: record change: %w", err)
		}
		if also != nil {
			if err := also(ctx, tx, m); err != nil {
				return err
			}
		}
		return publish(ctx, tx, TopicMessageUpdated, &c, &m, 0, []string{changed}, now)
	})
	return m, err
}
