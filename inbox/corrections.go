package inbox

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// Correction is an agent's correction of a classification; empty fields stay as they are.
type Correction struct {
	Category string `json:"category,omitempty"`
	Language string `json:"language,omitempty"`
	Tension  string `json:"tension,omitempty"`
}

// label checks a correction value: a lower-case word (the router checks it against the
// configured lists before).
func label(field, v string) error {
	if v == "" {
		return nil
	}
	if len(v) > 32 || strings.ToLower(v) != v || strings.ContainsAny(v, " \t\n,|") {
		return invalid(field, "%q is not a label", v)
	}
	return nil
}

// correctedReason is the category's explanation once an agent corrected it, in the
// router's structured form (router/explain).
const correctedReason = `{"code":"category.corrected","text":"corrected by an agent"}`

// CorrectClassification applies actor's correction to conversation id: the
// conversation's labels change, the correction is stored for retraining (with the
// message that was classified), the timeline records it, and later messages no longer
// overwrite the labels.
func (s *Service) CorrectClassification(ctx context.Context, actor User, id int64, corr Correction) (Conversation, error) {
	if actor.Disabled || actor.ID == 0 {
		return Conversation{}, ErrUnauthorized
	}
	if corr.Category == "" && corr.Language == "" && corr.Tension == "" {
		return Conversation{}, invalid("category", "give at least one of category, language and tension")
	}
	if err := errors.Join(label("category", corr.Category), label("language", corr.Language), label("tension", corr.Tension)); err != nil {
		return Conversation{}, err
	}
	if _, err := s.visibleConversation(ctx, actor, id); err != nil {
		return Conversation{}, err
	}
	msg, err := s.store.LatestInbound(ctx, id)
	if err != nil && !errors.Is(err, ErrNotFound) {
		return Conversation{}, fmt.Errorf("inbox: correct %d: %w", id, err)
	}
	var out Conversation
	err = s.store.Write(ctx, func(ctx context.Context, tx Tx) error {
		c, err := tx.Conversation(ctx, id)
		if err != nil {
			return fmt.Errorf("inbox: correct %d: %w", id, err)
		}
		st, err := tx.RoutingState(ctx, id)
		if errors.Is(err, ErrNotFound) {
			st = RoutingState{ConversationID: id, Explanation: map[string]json.RawMessage{}}
		} else if err != nil {
			return fmt.Errorf("inbox: correct %d: %w", id, err)
		}
		now := s.clock()
		rec := CorrectionRecord{ConversationID: id, MessageID: st.MessageID, UserID: actor.ID,
			OldCategory: c.Category, OldLanguage: c.Language, OldTension: c.Tension, CreatedAt: now}
		if rec.MessageID == 0 {
			rec.MessageID = msg.ID
		}
		if corr.Category != "" {
			c.Category = corr.Category
		}
		if corr.Language != "" {
			c.Language = corr.Language
		}
		if corr.Tension != "" {
			c.Tension = corr.Tension
		}
		rec.Category, rec.Language, rec.Tension = c.Category, c.Language, c.Tension
		if err := tx.AddCorrection(ctx, &rec); err != nil {
			return err
		}
		if err := addEvent(ctx, tx, id, EventCorrected, actor.ID, map[string]any{
			"from": map[string]string{"category": rec.OldCategory, "language": rec.OldLanguage, "tension": rec.OldTension},
			"to":   map[string]string{"category": c.Category, "language": c.Language, "tension": c.Tension},
		}, now); err != nil {
			return err
		}
		c.UpdatedAt = now
		if err := tx.UpdateConversation(ctx, &c); err != nil {
			return fmt.Errorf("inbox: correct %d: %w", id, err)
		}
		st.Corrected, st.UpdatedAt = true, now
		if st.Explanation == nil {
			st.Explanation = map[string]json.RawMessage{}
		}
		st.Explanation["category"] = json.RawMessage(correctedReason)
		if err := tx.PutRoutingState(ctx, &st); err != nil {
			return err
		}
		out = c
		return publish(ctx, tx, TopicConversationUpdated, &c, nil, actor.ID, []string{"classification"}, now)
	})
	return out, err
}

// CorrectionSamples returns the corrected messages with their labels, for retraining
// the classifier.
func (s *Service) CorrectionSamples(ctx context.Context) ([]CorrectionSample, error) {
	l, err := s.store.CorrectionSamples(ctx)
	if err != nil {
		return nil, fmt.Errorf("inbox: correction samples: %w", err)
	}
	return l, nil
}
