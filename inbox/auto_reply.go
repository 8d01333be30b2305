package inbox

import (
	"context"
	"fmt"
)

// AutoReply queues an automatic message (an acknowledgement of receipt) to the contact
// of conversation id. Unlike Reply it is not an answer: it leaves the conversation's
// status, waiting time and first response untouched, and the message is marked
// AutoSubmitted so that channels label it as automatic (email: Auto-Submitted:
// auto-replied).
func (s *Service) AutoReply(ctx context.Context, id int64, text string) (Message, error) {
	text, err := s.normalText(text)
	if err != nil {
		return Message{}, err
	}
	var m Message
	err = s.store.Write(ctx, func(ctx context.Context, tx Tx) error {
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
