package email

import (
	"bytes"
	"context"
	"sync"

	"github.com/frontdeskhq/frontdesk/channels"
	"github.com/frontdeskhq/frontdesk/inbox"
)

// memInbox is an in-memory Inbox for the fake-clock test, where SQLite's own
// goroutines would live outside the bubble. Everything else uses the real inbox.
type memInbox struct {
	mu    sync.Mutex
	msgs  map[string]int64
	cps   map[string]inbox.MailboxCheckpoint
	teams []inbox.Team
}

func newMemInbox() *memInbox {
	return &memInbox{msgs: map[string]int64{}, cps: map[string]inbox.MailboxCheckpoint{}}
}

func (m *memInbox) has(id string) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	_, ok := m.msgs[id]
	return ok
}

func (m *memInbox) Ingest(_ context.Context, env channels.Envelope) (inbox.IngestResult, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if id, ok := m.msgs[env.ExternalID]; ok {
		return inbox.IngestResult{MessageID: id, ConversationID: id, Duplicate: true}, nil
	}
	id := int64(len(m.msgs) + 1)
	m.msgs[env.ExternalID] = id
	return inbox.IngestResult{MessageID: id, ConversationID: id, NewConversation: true}, nil
}

func (m *memInbox) RecordDeliveryReport(context.Context, string, string, string) (inbox.Message, error) {
	return inbox.Message{}, inbox.ErrNotFound
}

func (m *memInbox) AutoReply(context.Context, int64, string) (inbox.Message, error) {
	return inbox.Message{}, nil
}

func (m *memInbox) Teams(context.Context) ([]inbox.Team, error) { return m.teams, nil }

func (m *memInbox) UpdateConversation(context.Context, inbox.User, int64, inbox.Patch) (inbox.Conversation, error) {
	return inbox.Conversation{}, nil
}

func (m *memInbox) MailboxCheckpoint(_ context.Context, name string) (inbox.MailboxCheckpoint, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	cp, ok := m.cps[name]
	if !ok {
		cp.Mailbox = name
	}
	return cp, nil
}

func (m *memInbox) SaveMailboxCheckpoint(_ context.Context, cp inbox.MailboxCheckpoint) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.cps[cp.Mailbox] = cp
	return nil
}

func literalOf(b []byte) literal { return literal{bytes.NewReader(b)} }
