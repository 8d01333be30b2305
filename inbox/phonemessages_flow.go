package inbox

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// PhoneMessageDetail is a phone message with the notifications sent about it.
type PhoneMessageDetail struct {
	PhoneMessage
	Notifications []PhoneMessageNotification `json:"notifications"`
}

// PhoneMessage returns phone message id, if actor may see it.
func (s *Service) PhoneMessage(ctx context.Context, actor User, id int64) (PhoneMessageDetail, error) {
	var d PhoneMessageDetail
	p, err := s.store.PhoneMessage(ctx, id)
	if err != nil {
		return d, fmt.Errorf("inbox: phone message %d: %w", id, err)
	}
	if !CanSeePhoneMessage(actor, p) {
		return d, fmt.Errorf("inbox: phone message %d: %w", id, ErrNotFound)
	}
	p.derive(s.clock())
	d.PhoneMessage = p
	if d.Notifications, err = s.store.PhoneMessageNotifications(ctx, id); err != nil {
		return d, fmt.Errorf("inbox: phone message %d: %w", id, err)
	}
	return d, nil
}

// Phone message boxes: which list an agent looks at.
const (
	// BoxMine: messages for the user.
	BoxMine = "mine"
	// BoxTeam: messages for the user's teams.
	BoxTeam = "team"
	// BoxSent: messages the user took.
	BoxSent = "sent"
	// BoxOverdue: overdue callbacks the user may see (all of them for supervisors).
	BoxOverdue = "overdue"
	// BoxAll: every message; supervisors and admins only.
	BoxAll = "all"
)

// PhoneMessageList selects a page of phone messages for an actor.
type PhoneMessageList struct {
	// Box is one of the Box constants; BoxMine when empty.
	Box      string
	Statuses []PhoneMessageStatus
	// ContactID keeps the messages about one contact.
	ContactID int64
	// BeforeID continues a previous page (the NextBeforeID it returned).
	BeforeID int64
	Limit    int
}

// PhoneMessages returns a page of the phone messages in actor's box, newest first, and
// the id to continue from (0 on the last page).
func (s *Service) PhoneMessages(ctx context.Context, actor User, l PhoneMessageList) ([]PhoneMessage, int64, error) {
	if actor.Disabled {
		return nil, 0, ErrUnauthorized
	}
	switch {
	case l.Limit == 0:
		l.Limit = DefaultPageSize
	case l.Limit < 0 || l.Limit > MaxPageSize:
		return nil, 0, invalid("limit", "must be between 1 and %d", MaxPageSize)
	}
	for _, st := range l.Statuses {
		if !st.Valid() {
			return nil, 0, invalid("status", "unknown status %q (new, acknowledged, done)", st)
		}
	}
	now := s.clock()
	q := PhoneMessageQuery{Statuses: l.Statuses, ContactID: l.ContactID, BeforeID: l.BeforeID, Limit: l.Limit + 1}
	switch l.Box {
	case BoxMine, "":
		q.RecipientUserID = actor.ID
	case BoxTeam:
		q.RecipientTeamIDs = append([]int64{}, actor.TeamIDs...)
	case BoxSent:
		q.AuthorID = actor.ID
	case BoxOverdue:
		q.DueBy = &now
		if !actor.Role.SeesAll() {
			q.Visible = &Visibility{UserID: actor.ID, TeamIDs: actor.TeamIDs}
		}
	case BoxAll:
		if !actor.Role.SeesAll() {
			return nil, 0, fmt.Errorf("inbox: all phone messages: %w", ErrForbidden)
		}
	default:
		return nil, 0, invalid("box", "must be mine, team, sent, overdue or all, not %q", l.Box)
	}
	list, err := s.store.PhoneMessages(ctx, q)
	if err != nil {
		return nil, 0, fmt.Errorf("inbox: list phone messages: %w", err)
	}
	var next int64
	if len(list) > l.Limit {
		list = list[:l.Limit]
		next = list[l.Limit-1].ID
	}
	for i := range list {
		list[i].derive(now)
	}
	return list, next, nil
}

// AcknowledgePhoneMessage records that actor, a recipient, has read phone message id.
// Acknowledging again changes nothing.
func (s *Service) AcknowledgePhoneMessage(ctx context.Context, actor User, id int64) (PhoneMessage, error) {
	return s.changePhoneMessage(ctx, actor, id, func(p *PhoneMessage, now time.Time) (string, error) {
		if !p.IsRecipient(actor) {
			return "", fmt.Errorf("inbox: acknowledge phone message %d: only its recipient may: %w", id, ErrForbidden)
		}
		if p.AcknowledgedAt != nil {
			return "", nil
		}
		p.AcknowledgedAt, p.AcknowledgedBy = &now, actor.ID
		return TopicPhoneMessageAcknowledged, nil
	})
}

// CompletePhoneMessageCallback records that the caller of phone message id was called
// back, with an optional note. A recipient, a supervisor or an admin may; it also
// acknowledges the message. Completing again changes nothing.
func (s *Service) CompletePhoneMessageCallback(ctx context.Context, actor User, id int64, note string) (PhoneMessage, error) {
	note = strings.TrimSpace(strings.ToValidUTF8(note, "\uFFFD"))
	if len(note) > MaxPhoneMessageText {
		return PhoneMessage{}, invalid("note", "longer than %d bytes", MaxPhoneMessageText)
	}
	return s.changePhoneMessage(ctx, actor, id, func(p *PhoneMessage, now time.Time) (string, error) {
		if !p.IsRecipient(actor) && !actor.Role.SeesAll() {
			return "", fmt.Errorf("inbox: callback of phone message %d: only its recipient or a supervisor may: %w", id, ErrForbidden)
		}
		if p.CallbackDoneAt != nil {
			return "", nil
		}
		p.CallbackDoneAt, p.CallbackDoneBy, p.CallbackNote = &now, actor.ID, note
		if p.AcknowledgedAt == nil {
			p.AcknowledgedAt, p.AcknowledgedBy = &now, actor.ID
		}
		return TopicPhoneMessageCallbackDone, nil
	})
}

// changePhoneMessage loads phone message id for actor, applies change, and writes it
// with its timeline event and bus event (change returns the topic, or "" for no change).
func (s *Service) changePhoneMessage(ctx context.Context, actor User, id int64, change func(*PhoneMessage, time.Time) (string, error)) (PhoneMessage, error) {
	if actor.Disabled {
		return PhoneMessage{}, ErrUnauthorized
	}
	var out PhoneMessage
	now := s.clock()
	err := s.store.Write(ctx, func(ctx context.Context, tx Tx) error {
		p, err := tx.PhoneMessage(ctx, id)
		if err != nil {
			return fmt.Errorf("inbox: phone message %d: %w", id, err)
		}
		if !CanSeePhoneMessage(actor, p) {
			return fmt.Errorf("inbox: phone message %d: %w", id, ErrNotFound)
		}
		topic, err := change(&p, now)
		if err != nil {
			return err
		}
		out = p
		if topic == "" {
			return nil
		}
		p.UpdatedAt = now
		if err := tx.UpdatePhoneMessage(ctx, &p); err != nil {
			return fmt.Errorf("inbox: phone message %d: %w", id, err)
		}
		out = p
		if err := phoneMessageTimeline(ctx, tx, &p, topic, actor.ID, now); err != nil {
			return err
		}
		return publishPhoneMessage(ctx, tx, topic, &p, actor.ID, now)
	})
	if err != nil {
		return PhoneMessage{}, err
	}
	out.derive(now)
	return out, nil
}

// phoneMessageTimeline records a phone message event in the timeline of the
// conversation it was taken from, if any.
func phoneMessageTimeline(ctx context.Context, tx Tx, p *PhoneMessage, topic string, actor int64, now time.Time) error {
	if p.ConversationID == 0 {
		return nil
	}
	typ := map[string]string{
		TopicPhoneMessageAcknowledged: EventPhoneMessageAcknowledged,
		TopicPhoneMessageCallbackDone: EventPhoneMessageCallbackDone,
		TopicPhoneMessageOverdue:      EventPhoneMessageOverdue,
	}[topic]
	if typ == "" {
		return nil
	}
	err := addEvent(ctx, tx, p.ConversationID, typ, actor, map[string]int64{"phone_message_id": p.ID}, now)
	if errors.Is(err, ErrNotFound) {
		return nil // the conversation was erased since
	}
	return err
}

// overdueBatch bounds the phone messages flagged in one transaction.
const overdueBatch = 200

// MarkOverduePhoneMessages flags every phone message whose requested callback is past
// due and not done, once, and publishes phone_message.overdue for each (router/notify
// tells the author and supervisors). It returns how many it flagged.
func (s *Service) MarkOverduePhoneMessages(ctx context.Context) (int, error) {
	total := 0
	for {
		n := 0
		now := s.clock()
		err := s.store.Write(ctx, func(ctx context.Context, tx Tx) error {
			n = 0
			due, err := tx.DuePhoneMessages(ctx, now, overdueBatch)
			if err != nil {
				return fmt.Errorf("inbox: due phone messages: %w", err)
			}
			for i := range due {
				p := &due[i]
				p.OverdueAt, p.UpdatedAt = &now, now
				if err := tx.UpdatePhoneMessage(ctx, p); err != nil {
					return fmt.Errorf("inbox: flag phone message %d overdue: %w", p.ID, err)
				}
				if err := phoneMessageTimeline(ctx, tx, p, TopicPhoneMessageOverdue, 0, now); err != nil {
					return err
				}
				if err := publishPhoneMessage(ctx, tx, TopicPhoneMessageOverdue, p, 0, now); err != nil {
					return err
				}
			}
			n = len(due)
			return nil
		})
		if err != nil {
			return total, err
		}
		total += n
		if n < overdueBatch {
			return total, nil
		}
	}
}

// PhoneMessageAudience returns phone message id and the active users to notify about it:
// for NoticeCreated its recipient (or every member of its team), for NoticeOverdue its
// author, its recipients and every supervisor. No permission check: the notifier acts
// for the hub.
func (s *Service) PhoneMessageAudience(ctx context.Context, id int64, kind string) (PhoneMessage, []User, error) {
	p, err := s.store.PhoneMessage(ctx, id)
	if err != nil {
		return p, nil, fmt.Errorf("inbox: phone message %d: %w", id, err)
	}
	p.derive(s.clock())
	users, err := s.store.Users(ctx)
	if err != nil {
		return p, nil, fmt.Errorf("inbox: phone message %d audience: %w", id, err)
	}
	var out []User
	for _, u := range users {
		if u.Disabled {
			continue
		}
		switch kind {
		case NoticeCreated:
			if p.IsRecipient(u) {
				out = append(out, u)
			}
		case NoticeOverdue:
			if p.IsRecipient(u) || u.ID == p.AuthorID || u.Role == RoleSupervisor {
				out = append(out, u)
			}
		default:
			return p, nil, invalid("kind", "unknown notice kind %q", kind)
		}
	}
	slices.SortFunc(out, func(a, b User) int { return int(a.ID - b.ID) })
	return p, out, nil
}

// PhoneMessageNotifications returns what was sent about phone message id so far.
func (s *Service) PhoneMessageNotifications(ctx context.Context, id int64) ([]PhoneMessageNotification, error) {
	n, err := s.store.PhoneMessageNotifications(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("inbox: notifications of phone message %d: %w", id, err)
	}
	return n, nil
}

// RecordPhoneMessageNotification stores the outcome of one notification (replacing an
// earlier one for the same message, user, channel and kind).
func (s *Service) RecordPhoneMessageNotification(ctx context.Context, n PhoneMessageNotification) error {
	if n.Status != NoticeSent && n.Status != NoticeFailed {
		return invalid("status", "unknown notification status %q", n.Status)
	}
	n.Error = cleanLine(n.Error, 1000)
	if n.At.IsZero() {
		n.At = s.clock()
	}
	return s.store.Write(ctx, func(ctx context.Context, tx Tx) error {
		if err := tx.PutPhoneMessageNotification(ctx, n); err != nil {
			return fmt.Errorf("inbox: record notification of phone message %d: %w", n.PhoneMessageID, err)
		}
		return nil
	})
}
