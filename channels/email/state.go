package email

import (
	"context"
	"sync"
	"time"
)

// MailboxState is what admins see of one IMAP mailbox.
type MailboxState struct {
	Name string `json:"name"`
	// Connected is true while a session is logged in and the folder selected.
	Connected bool `json:"connected"`
	// Mode is idle (push) or poll, once connected.
	Mode string `json:"mode,omitempty"`
	// LastSync is when the mailbox was last fully caught up.
	LastSync *time.Time `json:"last_sync,omitempty"`
	// LastError is the last failure (connection, login, fetch, ingest), kept after recovery.
	LastError   string     `json:"last_error,omitempty"`
	LastErrorAt *time.Time `json:"last_error_at,omitempty"`
	UIDValidity uint32     `json:"uid_validity,omitempty"`
	LastUID     uint32     `json:"last_uid,omitempty"`
	// Imported counts messages handed to the inbox since the hub started (duplicates
	// included); Failures counts errors; Reconnects counts new sessions after the first.
	Imported   uint64 `json:"imported"`
	Failures   uint64 `json:"failures"`
	Reconnects uint64 `json:"reconnects"`
}

// States holds the state of every mailbox. Safe for concurrent use.
type States struct {
	mu    sync.Mutex
	order []string
	m     map[string]*MailboxState
}

func newStates(names []string) *States {
	s := &States{m: map[string]*MailboxState{}}
	for _, n := range names {
		s.order = append(s.order, n)
		s.m[n] = &MailboxState{Name: n}
	}
	return s
}

// update changes the state of mailbox name under the lock.
func (s *States) update(name string, fn func(*MailboxState)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st, ok := s.m[name]
	if !ok {
		st = &MailboxState{Name: name}
		s.m[name] = st
		s.order = append(s.order, name)
	}
	fn(st)
}

// Snapshot returns a copy of every mailbox's state, in configuration order.
func (s *States) Snapshot() []MailboxState {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]MailboxState, 0, len(s.order))
	for _, n := range s.order {
		st := *s.m[n]
		out = append(out, st)
	}
	return out
}

// MailboxStates returns the state of every configured mailbox (for the admin API and
// metrics).
func (c *Channel) MailboxStates(ctx context.Context) ([]MailboxState, error) {
	return c.states.Snapshot(), nil
}

func (c *Channel) fail(name string, err error) {
	now := c.now().UTC()
	c.states.update(name, func(st *MailboxState) {
		st.LastError = err.Error()
		st.LastErrorAt = &now
		st.Failures++
	})
}
