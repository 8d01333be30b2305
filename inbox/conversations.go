package inbox

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"slices"
	"strings"
	"time"

	"github.com/frontdeskhq/frontdesk/channels"
)

// CanSee reports whether u may see conversation c.
func CanSee(u User, c Conversation) bool {
	if u.Disabled {
		return false
	}
	if u.Role.SeesAll() {
		return true
	}
	return c.TeamID == 0 || c.AssigneeID == u.ID || u.InTeam(c.TeamID)
}

// visibility returns the list restriction for u, nil when u sees everything.
func visibility(u User) *Visibility {
	if u.Role.SeesAll() {
		return nil
	}
	return &Visibility{UserID: u.ID, TeamIDs: u.TeamIDs}
}

// ConversationDetail is a conversation with everything an agent reads in it.
type ConversationDetail struct {
	Conversation
	Contact  Contact   `json:"contact"`
	Messages []Message `json:"messages"`
	Events   []Event   `json:"events"`
}

// Conversation returns conversation id with its contact, messages and timeline, if actor
// may see it.
func (s *Service) Conversation(ctx context.Context, actor User, id int64) (ConversationDetail, error) {
	var d ConversationDetail
	c, err := s.visibleConversation(ctx, actor, id)
	if err != nil {
		return d, err
	}
	d.Conversation = c
	if d.Contact, err = s.store.Contact(ctx, c.ContactID); err != nil {
		return d, fmt.Errorf("inbox: conversation %d: contact: %w", id, err)
	}
	if d.Messages, err = s.store.Messages(ctx, id); err != nil {
		return d, fmt.Errorf("inbox: conversation %d: messages: %w", id, err)
	}
	if d.Events, err = s.store.Events(ctx, id); err != nil {
		return d, fmt.Errorf("inbox: conversation %d: events: %w", id, err)
	}
	return d, nil
}

// visibleConversation loads conversation id, reporting ErrNotFound when actor may not see it.
func (s *Service) visibleConversation(ctx context.Context, actor User, id int64) (Conversation, error) {
	c, err := s.store.Conversation(ctx, id)
	if err != nil {
		return c, fmt.Errorf("inbox: conversation %d: %w", id, err)
	}
	if !CanSee(actor, c) {
		return Conversation{}, fmt.Errorf("inbox: conversation %d: %w", id, ErrNotFound)
	}
	return c, nil
}

// MaxPageSize bounds a conversation list page.
const MaxPageSize = 200

// DefaultPageSize is the page size when the caller gives none.
const DefaultPageSize = 50

// Conversations returns a page of the conversations actor may see, selected by q (whose
// Visible field is overwritten), and the cursor of the next page (nil on the last page).
func (s *Service) Conversations(ctx context.Context, actor User, q ConversationQuery) ([]Conversation, *Cursor, error) {
	if actor.Disabled {
		return nil, nil, ErrUnauthorized
	}
	switch q.Sort {
	case "":
		q.Sort = SortRecent
	case SortRecent, SortPriority:
	default:
		return nil, nil, invalid("sort", "must be %q or %q", SortRecent, SortPriority)
	}
	for _, st := range q.Statuses {
		if !st.Valid() {
			return nil, nil, invalid("status", "unknown status %q", st)
		}
	}
	switch {
	case q.Limit == 0:
		q.Limit = DefaultPageSize
	case q.Limit < 0 || q.Limit > MaxPageSize:
		return nil, nil, invalid("limit", "must be between 1 and %d", MaxPageSize)
	}
	q.Visible = visibility(actor)
	q.Reader = actor.ID
	want := q.Limit
	q.Limit++
	list, err := s.store.Conversations(ctx, q)
	if err != nil {
		return nil, nil, fmt.Errorf("inbox: list conversations: %w", err)
	}
	if len(list) <= want {
		return list, nil, nil
	}
	list = list[:want]
	last := list[want-1]
	cur := &Cursor{ID: last.ID, Time: last.LastMessageAt.UnixMicro()}
	if q.Sort == SortPriority {
		cur.Priority = last.Priority
		cur.Time = waitingKey(last)
	}
	return list, cur, nil
}

// waitingKey is the age key of the priority sort: when the contact started waiting, or
// for conversations nobody waits on, the last activity.
func waitingKey(c Conversation) int64 {
	if c.WaitingSince != nil {
		return c.WaitingSince.UnixMicro()
	}
	return c.LastMessageAt.UnixMicro()
}

// Patch is a partial update of a conversation; nil fields are left alone.
type Patch struct {
	Status       *Status    `json:"status,omitempty"`
	SnoozedUntil *time.Time `json:"snoozed_until,omitempty"`
	Priority     *int       `json:"priority,omitempty"`
	Tags         *[]string  `json:"tags,omitempty"`
	// AssigneeID 0 unassigns.
	AssigneeID *int64 `json:"assignee_id,omitempty"`
	// TeamID 0 returns the conversation to the shared queue.
	TeamID *int64 `json:"team_id,omitempty"`
}

// Limits of tags.
const (
	MaxTags      = 20
	MaxTagLength = 50
)

// UpdateConversation applies p to conversation id on behalf of actor, records each change
// in the timeline and publishes one conversation.updated event.
func (s *Service) UpdateConversation(ctx context.Context, actor User, id int64, p Patch) (Conversation, error) {
	if actor.Disabled {
		return Conversation{}, ErrUnauthorized
	}
	if err := s.validatePatch(ctx, &p); err != nil {
		return Conversation{}, err
	}
	var out Conversation
	err := s.store.Write(ctx, func(ctx context.Context, tx Tx) error {
		c, err := tx.Conversation(ctx, id)
		if err != nil {
			return fmt.Errorf("inbox: update conversation %d: %w", id, err)
		}
		if !CanSee(actor, c) {
			return fmt.Errorf("inbox: update conversation %d: %w", id, ErrNotFound)
		}
		now := s.clock()
		before := c
		changed, err := s.applyPatch(ctx, tx, &c, p, actor.ID, now)
		if err != nil {
			return err
		}
		out = c
		if len(changed) == 0 {
			return nil
		}
		c.UpdatedAt = now
		if err := tx.UpdateConversation(ctx, &c); err != nil {
			return fmt.Errorf("inbox: update conversation %d: %w", id, err)
		}
		out = c
		return publishEvent(ctx, tx, TopicConversationUpdated, &c, nil, actor.ID, changed, now, &before)
	})
	return out, err
}

// validatePatch checks p's values and normalises its tags.
func (s *Service) validatePatch(ctx context.Context, p *Patch) error {
	if p.Status != nil {
		if !p.Status.Valid() {
			return invalid("status", "unknown status %q", *p.Status)
		}
		if *p.Status == StatusSnoozed && (p.SnoozedUntil == nil || !p.SnoozedUntil.After(s.now())) {
			return invalid("snoozed_until", "a snoozed conversation needs a future snoozed_until")
		}
	}
	if p.SnoozedUntil != nil && (p.Status == nil || *p.Status != StatusSnoozed) {
		return invalid("snoozed_until", "only with status snoozed")
	}
	if p.SnoozedUntil != nil {
		if err := checkTime("snoozed_until", *p.SnoozedUntil); err != nil {
			return err
		}
	}
	if p.Priority != nil && (*p.Priority < 0 || *p.Priority > 100) {
		return invalid("priority", "must be between 0 and 100")
	}
	if p.Tags != nil {
		tags, err := normalizeTags(*p.Tags)
		if err != nil {
			return err
		}
		p.Tags = &tags
	}
	if p.AssigneeID != nil && *p.AssigneeID != 0 {
		u, err := s.store.User(ctx, *p.AssigneeID)
		if errors.Is(err, ErrNotFound) || (err == nil && u.Disabled) {
			return invalid("assignee_id", "no active user %d", *p.AssigneeID)
		}
		if err != nil {
			return fmt.Errorf("inbox: check assignee: %w", err)
		}
	}
	if p.TeamID != nil && *p.TeamID != 0 {
		teams, err := s.store.Teams(ctx)
		if err != nil {
			return fmt.Errorf("inbox: check team: %w", err)
		}
		if !slices.ContainsFunc(teams, func(t Team) bool { return t.ID == *p.TeamID }) {
			return invalid("team_id", "no team %d", *p.TeamID)
		}
	}
	return nil
}

// applyPatch changes c and writes a timeline event per change; it returns the changed
// field names.
func (s *Service) applyPatch(ctx context.Context, tx Tx, c *Conversation, p Patch, actor int64, now time.Time) ([]string, error) {
	var changed []string
	note := func(field, typ string, data any) error {
		changed = append(changed, field)
		return addEvent(ctx, tx, c.ID, typ, actor, data, now)
	}
	if p.Status != nil && (*p.Status != c.Status || *p.Status == StatusSnoozed) {
		from := s.setStatus(c, *p.Status, now)
		c.SnoozedUntil = nil
		c.ResolvedAt = nil
		switch c.Status {
		case StatusSnoozed:
			u := p.SnoozedUntil.UTC().Truncate(time.Microsecond)
			c.SnoozedUntil = &u
		case StatusResolved:
			c.ResolvedAt = &now
		}
		data := map[string]any{"from": from, "to": c.Status}
		if c.SnoozedUntil != nil {
			data["until"] = c.SnoozedUntil
		}
		if err := note("status", EventStatusChanged, data); err != nil {
			return nil, err
		}
	}
	if p.Priority != nil && *p.Priority != c.Priority {
		data := map[string]int{"from": c.Priority, "to": *p.Priority}
		c.Priority = *p.Priority
		if err := note("priority", EventPriority, data); err != nil {
			return nil, err
		}
	}
	if p.Tags != nil && !slices.Equal(*p.Tags, c.Tags) {
		data := map[string][]string{"from": c.Tags, "to": *p.Tags}
		c.Tags = *p.Tags
		if err := note("tags", EventTagged, data); err != nil {
			return nil, err
		}
	}
	if p.TeamID != nil && *p.TeamID != c.TeamID {
		data := map[string]int64{"from": c.TeamID, "to": *p.TeamID}
		c.TeamID = *p.TeamID
		if err := note("team", EventTeamChanged, data); err != nil {
			return nil, err
		}
	}
	if p.AssigneeID != nil && *p.AssigneeID != c.AssigneeID {
		data := map[string]int64{"from": c.AssigneeID, "to": *p.AssigneeID}
		c.AssigneeID = *p.AssigneeID
		if err := note("assignee", EventAssigned, data); err != nil {
			return nil, err
		}
	}
	return changed, nil
}

// normalizeTags lower-cases, trims, de-duplicates and sorts tags.
func normalizeTags(in []string) ([]string, error) {
	out := make([]string, 0, len(in))
	for _, t := range in {
		t = strings.ToLower(cleanLine(t, 1<<10))
		if t == "" {
			continue
		}
		if len(t) > MaxTagLength {
			return nil, invalid("tags", "tag %q is longer than %d bytes", t[:MaxTagLength], MaxTagLength)
		}
		out = append(out, t)
	}
	slices.Sort(out)
	out = slices.Compact(out)
	if len(out) > MaxTags {
		return nil, invalid("tags", "at most %d tags", MaxTags)
	}
	return out, nil
}

// ReplyInput is an agent's answer or private note.
type ReplyInput struct {
	Text string `json:"text"`
	// Note makes it a private note, never sent to the contact.
	Note bool `json:"note"`
	// Attachments are files sent with the reply (a multipart upload, not JSON): at most
	// MaxAttachments, together at most MaxAttachmentBytes (what a mailbox accepts). A
	// reply with files may have no text.
	Attachments []channels.Attachment `json:"-"`
}

// Reply adds an agent's message or private note to conversation id. A reply is queued
// for the outbound worker, which delivers it through the conversation's channel.
func (s *Service) Reply(ctx context.Context, actor User, id int64, in ReplyInput) (Message, error) {
	return s.reply(ctx, actor, id, in, nil)
}

// reply is Reply with an optional function run in the same transaction (ReplyWith).
func (s *Service) reply(ctx context.Context, actor User, id int64, in ReplyInput, also func(ctx context.Context, tx Tx, m Message) error) (Message, error) {
	if actor.Disabled {
		return Message{}, ErrUnauthorized
	}
	text, err := s.normalText(in.Text)
	if err != nil && (len(in.Attachments) == 0 || strings.TrimSpace(in.Text) != "") {
		return Message{}, err
	}
	var files []Attachment
	if len(in.Attachments) > 0 {
		// Checked before the files are stored: none is kept for a conversation the
		// actor may not see, or one whose channel cannot carry them.
		c, err := s.store.Conversation(ctx, id)
		if err != nil || !CanSee(actor, c) {
			return Message{}, fmt.Errorf("inbox: reply to %d: %w", id, ErrNotFound)
		}
		if !in.Note && (c.Channel == channels.SMS || c.Channel == channels.Telephony) {
			return Message{}, invalid("attachments", "files cannot go by SMS: send the text alone, and the files by email")
		}
		if files, err = s.replyFiles(ctx, in.Attachments); err != nil {
			return Message{}, err
		}
	}
	var m Message
	err = s.store.Write(ctx, func(ctx context.Context, tx Tx) error {
		c, err := tx.Conversation(ctx, id)
		if err != nil {
			return fmt.Errorf("inbox: reply to %d: %w", id, err)
		}
		if !CanSee(actor, c) {
			return fmt.Errorf("inbox: reply to %d: %w", id, ErrNotFound)
		}
		now := s.clock()
		m = Message{
			ConversationID: c.ID,
			Kind:           KindOut,
			Channel:        c.Channel,
			AuthorUserID:   actor.ID,
			Text:           text,
			Attachments:    files,
			DeliveryStatus: DeliveryQueued,
			CreatedAt:      now,
		}
		if in.Note {
			m.Kind, m.DeliveryStatus = KindNote, DeliveryNone
		}
		if err := tx.CreateMessage(ctx, &m); err != nil {
			return fmt.Errorf("inbox: reply to %d: %w", id, err)
		}
		c.MessageCount++
		c.UpdatedAt = now
		var changed []string
		if m.Kind == KindOut {
			c.LastMessageAt = now
			c.WaitingSince = nil
			if c.FirstResponseAt == nil {
				c.FirstResponseAt = &now
			}
			if c.Status == StatusResolved || c.Status == StatusSnoozed {
				// Writing to the contact puts the conversation back to waiting on them.
				if err := addEvent(ctx, tx, c.ID, EventStatusChanged, actor.ID, map[string]any{"from": c.Status, "to": StatusPending, "reason": "reply"}, now); err != nil {
					return err
				}
				s.setStatus(&c, StatusPending, now)
				c.SnoozedUntil, c.ResolvedAt = nil, nil
				changed = append(changed, "status")
			}
		}
		update := tx.UpdateActivity
		if changed != nil {
			update = tx.UpdateConversation
		}
		if err := update(ctx, &c); err != nil {
			return fmt.Errorf("inbox: reply to %d: %w", id, err)
		}
		if also != nil {
			if err := also(ctx, tx, m); err != nil {
				return err
			}
		}
		if changed != nil {
			if err := publish(ctx, tx, TopicConversationUpdated, &c, nil, actor.ID, changed, now); err != nil {
				return err
			}
		}
		return publish(ctx, tx, TopicMessageCreated, &c, &m, actor.ID, nil, now)
	})
	return m, err
}

// ErrFileMissing: a file of an outgoing message is no longer in the blob store, or
// not as stored (its contact's data was erased, the folder damaged): the message
// cannot be delivered as written.
var ErrFileMissing = errors.New("inbox: a file of the message is missing")

// OutgoingFiles returns the attachments of outgoing message m with their content, for
// the channel to send.
func (s *Service) OutgoingFiles(ctx context.Context, m Message) ([]channels.Attachment, error) {
	var out []channels.Attachment
	for _, a := range m.Attachments {
		r, err := s.blobs.Open(ctx, a.SHA256)
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil, fmt.Errorf("%w: %q of message %d", ErrFileMissing, a.Filename, m.ID)
			}
			return nil, fmt.Errorf("inbox: file %q of message %d: %w", a.Filename, m.ID, err)
		}
		data, err := io.ReadAll(io.LimitReader(r, a.Size+1))
		r.Close()
		if err != nil {
			return nil, fmt.Errorf("inbox: file %q of message %d: %w", a.Filename, m.ID, err)
		}
		if int64(len(data)) != a.Size {
			return nil, fmt.Errorf("%w: %q of message %d has %d bytes, %d stored", ErrFileMissing, a.Filename, m.ID, len(data), a.Size)
		}
		out = append(out, channels.Attachment{ID: a.ID, Filename: a.Filename, ContentType: a.ContentType, ContentID: a.ContentID, Data: data})
	}
	return out, nil
}

// replyFiles checks an agent's files against the limits (an error, not a warning: the
// agent is there to choose) and stores them in the blob store.
func (s *Service) replyFiles(ctx context.Context, in []channels.Attachment) ([]Attachment, error) {
	if len(in) > s.cfg.MaxAttachments {
		return nil, invalid("attachments", "%d files, at most %d", len(in), s.cfg.MaxAttachments)
	}
	var total int64
	for _, a := range in {
		if fileName(a.Filename) == "" {
			return nil, invalid("attachments", "a file has no name")
		}
		if len(a.Data) == 0 {
			return nil, invalid("attachments", "%q is empty", fileName(a.Filename))
		}
		total += int64(len(a.Data))
	}
	if total > s.cfg.MaxAttachmentBytes {
		return nil, invalid("attachments", "%d bytes in all, at most %d", total, s.cfg.MaxAttachmentBytes)
	}
	files, _, err := s.storeAttachments(ctx, in, nil)
	return files, err
}

// RecordDelivery stores the outcome of delivering outbound message id: status is
// DeliverySent, DeliveryFailed or DeliveryStored. A failure is added to the timeline.
func (s *Service) RecordDelivery(ctx context.Context, id int64, status, externalID, reason string) error {
	switch status {
	case DeliverySent, DeliveryFailed, DeliveryStored:
	default:
		return invalid("delivery_status", "unknown status %q", status)
	}
	return s.store.Write(ctx, func(ctx context.Context, tx Tx) error {
		if err := tx.UpdateDelivery(ctx, id, status, externalID, cleanLine(reason, 1000)); err != nil {
			return fmt.Errorf("inbox: record delivery of %d: %w", id, err)
		}
		m, err := tx.Message(ctx, id)
		if err != nil {
			return fmt.Errorf("inbox: record delivery of %d: %w", id, err)
		}
		c, err := tx.Conversation(ctx, m.ConversationID)
		if err != nil {
			return fmt.Errorf("inbox: record delivery of %d: %w", id, err)
		}
		now := s.clock()
		if status == DeliveryFailed {
			if err := addEvent(ctx, tx, c.ID, EventDelivery, 0, map[string]any{"message_id": id, "reason": cleanLine(reason, 1000)}, now); err != nil {
				return err
			}
		}
		return publish(ctx, tx, TopicMessageUpdated, &c, &m, 0, []string{"delivery_status"}, now)
	})
}

// Message returns message id, if actor may see its conversation.
func (s *Service) Message(ctx context.Context, actor User, id int64) (Message, error) {
	m, err := s.store.Message(ctx, id)
	if err != nil {
		return m, fmt.Errorf("inbox: message %d: %w", id, err)
	}
	if _, err := s.visibleConversation(ctx, actor, m.ConversationID); err != nil {
		return Message{}, err
	}
	return m, nil
}

// Outgoing is an outbound message with what a channel needs to deliver it.
type Outgoing struct {
	Message      Message
	Conversation Conversation
	Contact      Contact
	// Thread lists the external ids of the conversation's earlier messages (inbound and
	// delivered outbound), oldest first: email threads on them.
	Thread []string
	// Author is the agent who wrote the message, when known.
	Author User
}

// MaxReplyFiles and MaxReplyFileBytes are how many files, and how many bytes in all,
// one reply or note may carry.
func (s *Service) MaxReplyFiles() int { return s.cfg.MaxAttachments }

// MaxReplyFileBytes is how many bytes of files one reply or note may carry in all.
func (s *Service) MaxReplyFileBytes() int64 { return s.cfg.MaxAttachmentBytes }

// OutgoingMessage returns message id with its delivery context, for the outbound worker
// (no permission check: the worker acts for the hub).
func (s *Service) OutgoingMessage(ctx context.Context, id int64) (Outgoing, error) {
	var o Outgoing
	var err error
	if o.Message, err = s.store.Message(ctx, id); err != nil {
		return o, fmt.Errorf("inbox: message %d: %w", id, err)
	}
	if o.Conversation, err = s.store.Conversation(ctx, o.Message.ConversationID); err != nil {
		return o, fmt.Errorf("inbox: conversation %d: %w", o.Message.ConversationID, err)
	}
	if o.Contact, err = s.store.Contact(ctx, o.Conversation.ContactID); err != nil {
		return o, fmt.Errorf("inbox: contact %d: %w", o.Conversation.ContactID, err)
	}
	if o.Message.AuthorUserID != 0 {
		if o.Author, err = s.store.User(ctx, o.Message.AuthorUserID); err != nil && !errors.Is(err, ErrNotFound) {
			return o, fmt.Errorf("inbox: author %d: %w", o.Message.AuthorUserID, err)
		}
	}
	msgs, err := s.store.Messages(ctx, o.Conversation.ID)
	if err != nil {
		return o, fmt.Errorf("inbox: thread of %d: %w", o.Conversation.ID, err)
	}
	for _, m := range msgs {
		if m.ID == id {
			break
		}
		if m.ExternalID != "" && (m.Kind == KindIn || m.Kind == KindOut) {
			o.Thread = append(o.Thread, m.ExternalID)
		}
	}
	return o, nil
}
