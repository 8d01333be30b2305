package inbox

import (
	"context"
	"errors"
	"fmt"
)

// DeliveryDelivered is the delivery status of an outbound message whose provider
// confirmed delivery to the recipient's device (SMS delivery receipts).
const DeliveryDelivered = "delivered"

// DeliveryReport is a provider's later news about an outbound message (an SMS status
// callback): accepted, delivered to the handset, or failed.
type DeliveryReport struct {
	Channel string
	// ExternalID is the provider's id of the message (Twilio's MessageSid).
	ExternalID string
	// MessageID is our id of the message when the provider echoes it back (it is in the
	// status callback URL we gave); it finds messages whose provider id is not recorded
	// yet. Optional.
	MessageID int64
	// Status is DeliverySent, DeliveryDelivered or DeliveryFailed.
	Status string
	// Reason says why it failed (the provider's error code).
	Reason string
}

// deliveryRank orders delivery statuses: a report never moves a message backwards (a
// late "sent" after "delivered" is ignored) and failed and delivered are final.
var deliveryRank = map[string]int{DeliveryQueued: 0, DeliveryStored: 0, DeliverySent: 1, DeliveryDelivered: 2, DeliveryFailed: 2}

// ReportDelivery applies a delivery report to the outbound message it is about, found by
// provider id, else by our id (then of the same channel and without another provider
// id). It returns ErrNotFound for an unknown message; a report that would move the
// message backwards changes nothing. A failure is added to the timeline.
func (s *Service) ReportDelivery(ctx context.Context, r DeliveryReport) error {
	_, err := s.reportDelivery(ctx, r)
	return err
}

// RecordDeliveryReport marks the outbound message that channel knows as externalID
// failed, with reason shown to agents in the thread and the timeline: a bounce that
// arrived after the provider had accepted the message (email delivery status
// notifications). It returns the message; ErrNotFound when no outbound message has that
// external id. A message already failed is left as it is.
func (s *Service) RecordDeliveryReport(ctx context.Context, channel, externalID, reason string) (Message, error) {
	return s.reportDelivery(ctx, DeliveryReport{Channel: channel, ExternalID: externalID, Status: DeliveryFailed, Reason: reason})
}

// reportDelivery applies r and returns the message as it stands afterwards.
func (s *Service) reportDelivery(ctx context.Context, r DeliveryReport) (Message, error) {
	switch r.Status {
	case DeliverySent, DeliveryDelivered, DeliveryFailed:
	default:
		return Message{}, invalid("status", "unknown delivery status %q", r.Status)
	}
	if r.ExternalID == "" && r.MessageID == 0 {
		return Message{}, invalid("external_id", "a delivery report needs the provider's id or ours")
	}
	var out Message
	err := s.store.Write(ctx, func(ctx context.Context, tx Tx) error {
		m, err := tx.MessageByExternalID(ctx, r.Channel, r.ExternalID)
		if errors.Is(err, ErrNotFound) && r.MessageID > 0 {
			m, err = tx.Message(ctx, r.MessageID)
			if err == nil && (m.Channel != r.Channel || (m.ExternalID != "" && m.ExternalID != r.ExternalID)) {
				err = ErrNotFound
			}
		}
		if err != nil {
			return fmt.Errorf("inbox: delivery report: %w", err)
		}
		if m.Kind != KindOut {
			return fmt.Errorf("inbox: delivery report for message %d: not outbound: %w", m.ID, ErrNotFound)
		}
		out = m
		cur, ok := deliveryRank[m.DeliveryStatus]
		if !ok || cur >= deliveryRank[r.Status] {
			return nil
		}
		reason := cleanLine(r.Reason, 1000)
		if err := tx.UpdateDelivery(ctx, m.ID, r.Status, r.ExternalID, reason); err != nil {
			return fmt.Errorf("inbox: delivery report for message %d: %w", m.ID, err)
		}
		out.DeliveryStatus, out.DeliveryError = r.Status, reason
		c, err := tx.Conversation(ctx, m.ConversationID)
		if err != nil {
			return fmt.Errorf("inbox: delivery report for message %d: %w", m.ID, err)
		}
		now := s.clock()
		if r.Status == DeliveryFailed {
			if err := addEvent(ctx, tx, c.ID, EventDelivery, 0, map[string]any{"message_id": m.ID, "reason": reason}, now); err != nil {
				return err
			}
		}
		return publish(ctx, tx, TopicMessageUpdated, &c, &m, 0, []string{"delivery_status"}, now)
	})
	return out, err
}
