package inbox

import (
	"context"
	"fmt"
	"time"
)

// SnoozeStore finds conversations whose snooze has ended.
type SnoozeStore interface {
	// SnoozedUntil returns up to limit ids of snoozed conversations whose snoozed_until
	// is at or before t, oldest first.
	SnoozedUntil(ctx context.Context, t time.Time, limit int) ([]int64, error)
}

// WakeSnoozed reopens the conversations whose snooze has ended and returns how many. A
// conversation changed meanwhile (answered, resolved, snoozed again for later) is left
// as it is.
func (s *Service) WakeSnoozed(ctx context.Context) (int, error) {
	now := s.clock()
	ids, err := s.store.SnoozedUntil(ctx, now, 500)
	if err != nil {
		return 0, fmt.Errorf("inbox: wake snoozed: %w", err)
	}
	woken := 0
	for _, id := range ids {
		err := s.store.Write(ctx, func(ctx context.Context, tx Tx) error {
			c, err := tx.Conversation(ctx, id)
			if err != nil {
				return err
			}
			if c.Status != StatusSnoozed || c.SnoozedUntil == nil || c.SnoozedUntil.After(now) {
				return nil
			}
			before := c
			s.setStatus(&c, StatusOpen, now)
			c.SnoozedUntil, c.UpdatedAt = nil, now
			if err := addEvent(ctx, tx, id, EventStatusChanged, 0, map[string]any{"from": StatusSnoozed, "to": StatusOpen, "reason": "snooze_ended"}, now); err != nil {
				return err
			}
			if err := tx.UpdateConversation(ctx, &c); err != nil {
				return err
			}
			woken++
			return publishEvent(ctx, tx, TopicConversationUpdated, &c, nil, 0, []string{"status"}, now, &before)
		})
		if err != nil {
			return woken, fmt.Errorf("inbox: wake conversation %d: %w", id, err)
		}
	}
	return woken, nil
}
