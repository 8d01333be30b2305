package inbox

import (
	"context"
	"fmt"
	"strings"
)

// RecordDeliveryReport marks the outbound message that channel knows as externalID
// failed, with reason shown to agents in the thread and the timeline. It is for bounces
// that arrive after the provider had accepted the message (email delivery status
// notifications). A message already failed is left as it is. It returns the message;
// ErrNotFound when no outbound message has that external id.
func (s *Service) RecordDeliveryReport(ctx context.Context, channel, externalID, reason string) (Message, error) {
	var out Message
	err := s.store.Write(ctx, func(ctx context.Context, tx Tx) error {
		m, err := tx.MessageByExternalID(ctx, channel, externalID)
		if err != nil {
			return fmt.Errorf("inbox: delivery report: %w", err)
		}
		if m.Kind != KindOut {
			return fmt.Errorf("inbox: delivery report: message %d is not outbound: %w", m.ID, ErrNotFound)
		}
		out = m
		if m.DeliveryStatus == DeliveryFailed {
			return nil
		}
		reason = cleanLine(reason, 1000)
		if err := tx.UpdateDelivery(ctx, m.ID, DeliveryFailed, "", reason); err != nil {
			return fmt.Errorf("inbox: delivery report of %d: %w", m.ID, err)
		}
		out.DeliveryStatus, out.DeliveryError = DeliveryFailed, reason
		c, err := tx.Conversation(ctx, m.ConversationID)
		if err != nil {
			return fmt.Errorf("inbox: delivery report of %d: %w", m.ID, err)
		}
		now := s.clock()
		if err := addEvent(ctx, tx, c.ID, EventDelivery, 0, map[string]any{"message_id": m.ID, "reason": reason, "source": "delivery_report"}, now); err != nil {
			return err
		}
		return publish(ctx, tx, TopicMessageUpdated, &c, &m, 0, []string{"delivery_status"}, now)
	})
	return out, err
}

// AutoReply queues an automatic message (an acknowledgement of receipt) to the contact
// of conversation id. Unlike Reply it is not an answer: it leaves the conversation's
// status, waiting time and first response untouched, and the message is marked
// AutoSubmitted so that channels label it as automatic (email: Auto-Submitted:
// auto-replied).
func (s *Service) AutoReply(ctx context.Context, id int64, text string) (Message, error) {
	text = strings.TrimSpace(strings.ToValidUTF8(text, "\uFFFD"))
	if text == "" {
		return Message{}, invalid("text", "is empty")
	}
	if len(text) > s.cfg.MaxTextBytes {
		return Message{}, invalid("text", "longer than %d bytes", s.cfg.MaxTextBytes)
	}
	var m Message
	err := s.store.Write(ctx, func(ctx context.Context, tx Tx) error {
		c, err := tx.Conversation(ctx, id)
		if err != nil {
			return fmt.Errorf("inbox: auto reply to %d: %w", id, err)
		}
		now := s.clock()
		m = Message{
			ConversationID: c.ID,
			Kind:           KindOut,
			Channel:        c.Channel,
			Text:           text,
			DeliveryStatus: DeliveryQueued,
			AutoSubmitted:  true,
			CreatedAt:      now,
		}
		if err := tx.CreateMessage(ctx, &m); err != nil {
			return fmt.Errorf("inbox: auto reply to %d: %w", id, err)
		}
		c.MessageCount++
		c.UpdatedAt = now
		if err := tx.UpdateConversation(ctx, &c); err != nil {
			return fmt.Errorf("inbox: auto reply to %d: %w", id, err)
		}
		return publish(ctx, tx, TopicMessageCreated, &c, &m, 0, nil, now)
	})
	return m, err
}
