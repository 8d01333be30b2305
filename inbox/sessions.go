package inbox

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"time"
)

// Session is an agent's signed-in browser. The cookie holds a random secret; the store
// keeps only its SHA-256, so a copy of the database opens no session.
type Session struct {
	UserID    int64
	CSRF      string
	UserAgent string
	CreatedAt time.Time
	ExpiresAt time.Time
}

// SessionReader is the read side of sessions and read markers.
type SessionReader interface {
	// SessionByHash returns the unexpired session with that secret hash and its user.
	SessionByHash(ctx context.Context, hash []byte, now time.Time) (Session, User, error)
	// UnreadConversations counts the conversations selected by q (Visible applied) that
	// hold inbound messages reader has not read.
	UnreadConversations(ctx context.Context, q ConversationQuery, reader int64) (int, error)
}

// SessionTx is the write side of sessions and read markers.
type SessionTx interface {
	CreateSession(ctx context.Context, hash []byte, s Session) error
	DeleteSession(ctx context.Context, hash []byte) error
	// DeleteSessions removes every session of a user and returns how many.
	DeleteSessions(ctx context.Context, userID int64) (int64, error)
	// DeleteExpiredSessions removes sessions expired at now and returns how many.
	DeleteExpiredSessions(ctx context.Context, now time.Time) (int64, error)
	// MarkRead records that userID has read conversationID up to messageID; a marker
	// never moves backwards. It returns ErrNotFound, and records nothing, when messageID
	// is not a message of conversationID.
	MarkRead(ctx context.Context, userID, conversationID, messageID int64) error
}

// Session lifetimes.
const (
	// DefaultSessionTTL: a working week; the desk should not log in again every morning,
	// and a forgotten session still ends.
	DefaultSessionTTL = 7 * 24 * time.Hour
	sessionBytes      = 32
)

// NewSession signs userID in: it returns the cookie secret and the session (with its
// CSRF token) valid for ttl.
func (s *Service) NewSession(ctx context.Context, userID int64, userAgent string, ttl time.Duration) (string, Session, error) {
	if ttl <= 0 {
		ttl = DefaultSessionTTL
	}
	secret, err := randomToken(sessionBytes)
	if err != nil {
		return "", Session{}, err
	}
	csrf, err := randomToken(sessionBytes)
	if err != nil {
		return "", Session{}, err
	}
	now := s.clock()
	sess := Session{UserID: userID, CSRF: csrf, UserAgent: cleanLine(userAgent, 300), CreatedAt: now, ExpiresAt: now.Add(ttl)}
	sum := sha256.Sum256([]byte(secret))
	err = s.store.Write(ctx, func(ctx context.Context, tx Tx) error {
		return tx.CreateSession(ctx, sum[:], sess)
	})
	if err != nil {
		return "", Session{}, fmt.Errorf("inbox: new session: %w", err)
	}
	return secret, sess, nil
}

// SessionUser returns the session with that cookie secret and its user; expired or
// unknown sessions and disabled users give ErrUnauthorized.
func (s *Service) SessionUser(ctx context.Context, secret string) (Session, User, error) {
	if secret == "" || len(secret) > 100 {
		return Session{}, User{}, ErrUnauthorized
	}
	sum := sha256.Sum256([]byte(secret))
	sess, u, err := s.store.SessionByHash(ctx, sum[:], s.clock())
	if errors.Is(err, ErrNotFound) {
		return Session{}, User{}, ErrUnauthorized
	}
	if err != nil {
		return Session{}, User{}, fmt.Errorf("inbox: session: %w", err)
	}
	if u.Disabled {
		return Session{}, User{}, ErrUnauthorized
	}
	return sess, u, nil
}

// EndSession signs a session out.
func (s *Service) EndSession(ctx context.Context, secret string) error {
	sum := sha256.Sum256([]byte(secret))
	return s.store.Write(ctx, func(ctx context.Context, tx Tx) error {
		return tx.DeleteSession(ctx, sum[:])
	})
}

// PurgeSessions deletes expired sessions and returns how many went.
func (s *Service) PurgeSessions(ctx context.Context) (int64, error) {
	var n int64
	err := s.store.Write(ctx, func(ctx context.Context, tx Tx) error {
		var err error
		n, err = tx.DeleteExpiredSessions(ctx, s.clock())
		return err
	})
	return n, err
}

// MarkRead records that actor has read conversation id up to message messageID.
func (s *Service) MarkRead(ctx context.Context, actor User, id, messageID int64) error {
	if _, err := s.visibleConversation(ctx, actor, id); err != nil {
		return err
	}
	if messageID <= 0 {
		return invalid("message_id", "must be a positive message id")
	}
	err := s.store.Write(ctx, func(ctx context.Context, tx Tx) error {
		return tx.MarkRead(ctx, actor.ID, id, messageID)
	})
	if errors.Is(err, ErrNotFound) {
		return invalid("message_id", "not a message of this conversation")
	}
	return err
}

// View names a slice of the inbox an agent works from.
type View string

// The inbox views.
const (
	ViewMine       View = "mine"
	ViewUnassigned View = "unassigned"
	ViewTeams      View = "teams"
	ViewAll        View = "all"
)

// Apply narrows q to the view for actor. "teams" is the conversations of actor's teams
// (for supervisors without a team: all); "all" is everything actor may see.
func (v View) Apply(q *ConversationQuery, actor User) error {
	switch v {
	case ViewMine:
		q.AssigneeID = actor.ID
	case ViewUnassigned:
		q.Unassigned = true
	case ViewTeams:
		q.TeamIDs = actor.TeamIDs
		if len(actor.TeamIDs) == 0 {
			if !actor.Role.SeesAll() {
				q.TeamIDs = []int64{-1} // no team: nothing
			} else {
				q.TeamIDs = nil
			}
		}
	case ViewAll, "":
	default:
		return invalid("view", "must be mine, unassigned, teams or all")
	}
	return nil
}

// UnreadCounts returns, for each view, how many open or pending conversations actor may
// see hold messages actor has not read.
func (s *Service) UnreadCounts(ctx context.Context, actor User) (map[View]int, error) {
	out := map[View]int{}
	for _, v := range []View{ViewMine, ViewUnassigned, ViewTeams, ViewAll} {
		q := ConversationQuery{Statuses: []Status{StatusOpen, StatusPending}, Visible: visibility(actor)}
		if err := v.Apply(&q, actor); err != nil {
			return nil, err
		}
		n, err := s.store.UnreadConversations(ctx, q, actor.ID)
		if err != nil {
			return nil, fmt.Errorf("inbox: unread counts: %w", err)
		}
		out[v] = n
	}
	return out, nil
}

func randomToken(n int) (string, error) {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("inbox: random: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}
