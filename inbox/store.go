package inbox

import (
	"context"
	"time"
)

// Store is the SQL persistence the Service needs. inbox/store provides the SQLite
// implementation; storetest.Run is the contract every implementation passes.
type Store interface {
	Reader
	// Write runs fn in a transaction and commits it. Implementations may commit several
	// callers' functions in one transaction (group commit), each isolated by a savepoint:
	// when fn returns an error only its own changes are rolled back and that error is
	// returned. fn may run only once and must not keep tx after it returns. When Write
	// returns nil the changes are durable.
	Write(ctx context.Context, fn func(ctx context.Context, tx Tx) error) error
	// DeleteOutboxBelow deletes outbox records with an ID below id, once every consumer
	// group has acknowledged them, and returns how many went.
	DeleteOutboxBelow(ctx context.Context, id uint64) (int64, error)
	// Ping reports whether the store answers.
	Ping(ctx context.Context) error
	// Close waits for pending writes and releases the store.
	Close() error
}

// Reader is the read side of the Store, served outside the writer's transactions.
type Reader interface {
	SessionReader
	PipelineReader
	SnoozeStore
	SlackReader
	PhoneMessageReader
	MailboxCheckpointReader
	VisitorReader
	RoutingReader
	BulkReader
	SavedSearchReader
	ContactDataReader
	Conversation(ctx context.Context, id int64) (Conversation, error)
	Conversations(ctx context.Context, q ConversationQuery) ([]Conversation, error)
	// Messages returns the conversation's messages, oldest first, with attachments.
	Messages(ctx context.Context, conversationID int64) ([]Message, error)
	Message(ctx context.Context, id int64) (Message, error)
	// Events returns the conversation's timeline, oldest first.
	Events(ctx context.Context, conversationID int64) ([]Event, error)
	Contact(ctx context.Context, id int64) (Contact, error)
	User(ctx context.Context, id int64) (User, error)
	UserByEmail(ctx context.Context, email string) (User, error)
	Users(ctx context.Context) ([]User, error)
	Teams(ctx context.Context) ([]Team, error)
	// UserByTokenHash returns the live token with that SHA-256 hash and its user.
	UserByTokenHash(ctx context.Context, hash []byte) (User, APIToken, error)
	Tokens(ctx context.Context, userID int64) ([]APIToken, error)
	// OutboxAfter returns up to limit outbox records with an ID above after, in order.
	OutboxAfter(ctx context.Context, after uint64, limit int) ([]OutboxRecord, error)
}

// Tx is the write side, valid only inside Store.Write. Reads through Tx see the
// transaction's own writes.
type Tx interface {
	SessionTx
	PipelineTx
	SlackTx
	PhoneMessageTx
	MessageEditTx
	MailboxCheckpointWriter
	VisitorTx
	RoutingTx
	SavedSearchWriter
	ContactDataTx
	MessageByExternalID(ctx context.Context, channel, externalID string) (Message, error)
	// Message returns message id without its attachments.
	Message(ctx context.Context, id int64) (Message, error)
	// ConversationByExternalIDs returns the conversation of the first message of channel
	// whose external id is in ids, trying ids in order.
	ConversationByExternalIDs(ctx context.Context, channel string, ids []string) (Conversation, error)
	// LatestConversationByThread returns the newest conversation of channel, account and
	// thread key.
	LatestConversationByThread(ctx context.Context, channel, account, threadKey string) (Conversation, error)
	Conversation(ctx context.Context, id int64) (Conversation, error)
	// ContactByIdentity returns the contact owning id, without its Identities (the hot
	// path of ingest needs only the contact's own fields).
	ContactByIdentity(ctx context.Context, id Identity) (Contact, error)
	// CreateContact inserts c with its identities and sets c.ID.
	CreateContact(ctx context.Context, c *Contact) error
	AddIdentity(ctx context.Context, contactID int64, id Identity) error
	// CreateConversation inserts c and sets c.ID.
	CreateConversation(ctx context.Context, c *Conversation) error
	// UpdateConversation writes every mutable field of c.
	UpdateConversation(ctx context.Context, c *Conversation) error
	// UpdateActivity writes only the fields a new message changes when the status stays:
	// waiting_since, first_response_at, last_message_at, message_count and updated_at.
	// It is UpdateConversation for the hot path: indexes on other columns are left
	// untouched. A status change goes through UpdateConversation.
	UpdateActivity(ctx context.Context, c *Conversation) error
	// CreateMessage inserts m with its attachments and sets the ids. A second message
	// with the same channel and external id fails with ErrDuplicate.
	CreateMessage(ctx context.Context, m *Message) error
	// UpdateDelivery records a delivery attempt's outcome for an outbound message.
	UpdateDelivery(ctx context.Context, messageID int64, status, externalID, errText string) error
	// AddEvent appends e to its conversation's timeline and sets e.ID.
	AddEvent(ctx context.Context, e *Event) error
	// AddOutbox appends an event for the bus and returns its ID. IDs only grow, even
	// after records are deleted.
	AddOutbox(ctx context.Context, r OutboxRecord) (uint64, error)

	TeamBySlug(ctx context.Context, slug string) (Team, error)
	CreateTeam(ctx context.Context, t *Team) error
	UserByEmail(ctx context.Context, email string) (User, error)
	UserByID(ctx context.Context, id int64) (User, error)
	// CreateUser inserts u (with its team memberships) and sets u.ID. A second user
	// with the same email fails with ErrDuplicate.
	CreateUser(ctx context.Context, u *User) error
	// UpdateUser writes name, role, password hash, disabled flag, languages and teams.
	UpdateUser(ctx context.Context, u *User) error
	CreateToken(ctx context.Context, t *APIToken, hash []byte) error
	// RevokeTokens revokes the user's live tokens whose prefix matches (all when
	// prefix is empty) and returns how many.
	RevokeTokens(ctx context.Context, userID int64, prefix string, at time.Time) (int64, error)
}

// OutboxRecord is an event written with the change it describes, waiting to be published
// on the bus by the outbox relay.
type OutboxRecord struct {
	ID        uint64
	Stream    string
	Type      string
	Payload   []byte
	CreatedAt time.Time
}

// Sort orders of a conversation list.
const (
	// SortRecent: most recent activity first.
	SortRecent = "recent"
	// SortPriority: highest priority first, then longest waiting.
	SortPriority = "priority"
)

// ConversationQuery selects a page of conversations.
type ConversationQuery struct {
	Statuses []Status
	Channel  string
	TeamID   int64
	// TeamIDs keeps conversations of any of these teams.
	TeamIDs    []int64
	AssigneeID int64
	Unassigned bool
	Tag        string
	ContactID  int64
	// MinPriority keeps conversations at or above it.
	MinPriority int
	// Visible, when set, restricts the list to what an agent may see.
	Visible *Visibility
	// Reader, when set, fills each conversation's Unread count for that user.
	Reader int64
	Sort   string
	// After continues a previous page.
	After *Cursor
	Limit int
}

// Visibility is what an agent may see: conversations of their teams, conversations with
// no team yet (the shared front-desk queue) and conversations assigned to them.
type Visibility struct {
	UserID  int64
	TeamIDs []int64
}

// Cursor is the position of the last row of a page in the query's sort order.
type Cursor struct {
	Priority int   `json:"p,omitempty"`
	Time     int64 `json:"t"`
	ID       int64 `json:"i"`
}
