package inbox

import (
	"encoding/json"
	"log/slog"
	"time"

	"github.com/frontdeskhq/frontdesk/channels"
)

// Role is what a user may see and do.
type Role string

// Roles, from least to most powerful.
const (
	RoleAgent      Role = "agent"
	RoleSupervisor Role = "supervisor"
	RoleAdmin      Role = "admin"
)

// Valid reports whether r is a known role.
func (r Role) Valid() bool {
	return r == RoleAgent || r == RoleSupervisor || r == RoleAdmin
}

// SeesAll reports whether the role sees every conversation, whatever its team.
func (r Role) SeesAll() bool { return r == RoleSupervisor || r == RoleAdmin }

// Team is a group of agents that conversations are routed to.
type Team struct {
	ID   int64  `json:"id"`
	Slug string `json:"slug"`
	Name string `json:"name"`
}

// User is an agent, supervisor or admin.
type User struct {
	ID        int64     `json:"id"`
	Email     string    `json:"email"`
	Name      string    `json:"name"`
	Role      Role      `json:"role"`
	TeamIDs   []int64   `json:"team_ids"`
	Languages []string  `json:"languages"`
	Disabled  bool      `json:"disabled"`
	CreatedAt time.Time `json:"created_at"`
	// PasswordHash is the argon2id hash in PHC form; never serialised.
	PasswordHash string `json:"-"`
}

// LogValue redacts the user for logs: id and role only.
func (u User) LogValue() slog.Value {
	return slog.GroupValue(slog.Int64("id", u.ID), slog.String("role", string(u.Role)))
}

// InTeam reports whether the user belongs to team id.
func (u User) InTeam(id int64) bool {
	for _, t := range u.TeamIDs {
		if t == id {
			return true
		}
	}
	return false
}

// APIToken is a user's bearer token for the JSON API. Only a SHA-256 hash of the secret
// is stored.
type APIToken struct {
	ID         int64      `json:"id"`
	UserID     int64      `json:"user_id"`
	Name       string     `json:"name"`
	Prefix     string     `json:"prefix"`
	CreatedAt  time.Time  `json:"created_at"`
	RevokedAt  *time.Time `json:"revoked_at,omitempty"`
	LastUsedAt *time.Time `json:"last_used_at,omitempty"`
	// Hash is the SHA-256 of the secret; never serialised.
	Hash []byte `json:"-"`
}

// Identity is one way a contact reaches us.
type Identity struct {
	Kind  channels.IdentityKind `json:"kind"`
	Value string                `json:"value"`
	Name  string                `json:"name,omitempty"`
}

// Contact is a person or organisation who writes, calls or visits.
type Contact struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
	// Language is the preferred language (BCP 47 primary tag), if known.
	Language string `json:"language,omitempty"`
	// Accessibility notes needs to adapt to (hearing, sight, mobility...), as said by the
	// contact.
	Accessibility string `json:"accessibility,omitempty"`
	// Consent records what the contact agreed to (GDPR), free text with a date.
	Consent    string     `json:"consent,omitempty"`
	VIP        bool       `json:"vip"`
	Identities []Identity `json:"identities"`
	CreatedAt  time.Time  `json:"created_at"`
	UpdatedAt  time.Time  `json:"updated_at"`
}

// DisplayName is how lists show c: the name, else the value of its first identity by
// kind (as the conversation list's contact_name), else "".
func (c Contact) DisplayName() string {
	if c.Name != "" {
		return c.Name
	}
	var first *Identity
	for i := range c.Identities {
		if first == nil || c.Identities[i].Kind < first.Kind {
			first = &c.Identities[i]
		}
	}
	if first == nil {
		return ""
	}
	return first.Value
}

// LogValue redacts the contact for logs.
func (c Contact) LogValue() slog.Value { return slog.Int64Value(c.ID) }

// Status is where a conversation stands.
type Status string

// Conversation statuses.
const (
	StatusOpen     Status = "open"
	StatusPending  Status = "pending"
	StatusSnoozed  Status = "snoozed"
	StatusResolved Status = "resolved"
)

// Valid reports whether s is a known status.
func (s Status) Valid() bool {
	switch s {
	case StatusOpen, StatusPending, StatusSnoozed, StatusResolved:
		return true
	}
	return false
}

// Conversation is a thread with one contact on one channel.
type Conversation struct {
	ID        int64  `json:"id"`
	Channel   string `json:"channel"`
	Account   string `json:"account,omitempty"`
	ThreadKey string `json:"thread_key,omitempty"`
	ContactID int64  `json:"contact_id"`
	Subject   string `json:"subject"`
	Status    Status `json:"status"`
	// Priority runs from 0 (lowest) to 100.
	Priority int    `json:"priority"`
	Category string `json:"category,omitempty"`
	Language string `json:"language,omitempty"`
	// Tension is calm, tense or aggressive, once classified.
	Tension    string   `json:"tension,omitempty"`
	TeamID     int64    `json:"team_id,omitempty"`
	AssigneeID int64    `json:"assignee_id,omitempty"`
	Tags       []string `json:"tags"`
	// SnoozedUntil is set while the status is snoozed.
	SnoozedUntil *time.Time `json:"snoozed_until,omitempty"`
	// SLA due times, set by the router.
	FirstResponseDue *time.Time `json:"first_response_due,omitempty"`
	NextResponseDue  *time.Time `json:"next_response_due,omitempty"`
	ResolutionDue    *time.Time `json:"resolution_due,omitempty"`
	FirstResponseAt  *time.Time `json:"first_response_at,omitempty"`
	// WaitingSince is the time of the oldest inbound message not yet answered.
	WaitingSince  *time.Time `json:"waiting_since,omitempty"`
	LastMessageAt time.Time  `json:"last_message_at"`
	ResolvedAt    *time.Time `json:"resolved_at,omitempty"`
	// SLAPausedAt is when the SLA clock stopped: set while the conversation waits for
	// the contact (pending) or is snoozed (inbox/slapause.go).
	SLAPausedAt *time.Time `json:"sla_paused_at,omitempty"`
	// SLAPausedSeconds is the opening time the clock has spent stopped, in all: the
	// deadlines counted from the creation start that much later.
	SLAPausedSeconds int64 `json:"sla_paused_seconds,omitempty"`
	MessageCount     int   `json:"message_count"`
	// Unread counts inbound messages the listing user has not read (lists only).
	Unread int `json:"unread,omitempty"`
	// ContactName and Preview (the start of the last message) fill lists.
	ContactName string    `json:"contact_name,omitempty"`
	Preview     string    `json:"preview,omitempty"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
}

// LogValue redacts the conversation for logs.
func (c Conversation) LogValue() slog.Value {
	return slog.GroupValue(slog.Int64("id", c.ID), slog.String("channel", c.Channel))
}

// MessageKind says who a message is from and who may see it.
type MessageKind string

// Message kinds.
const (
	// KindIn is from the contact.
	KindIn MessageKind = "in"
	// KindOut is from an agent (or the bot) to the contact.
	KindOut MessageKind = "out"
	// KindNote is a private note between agents, never sent.
	KindNote MessageKind = "note"
	// KindSystem is a notice written by the hub itself.
	KindSystem MessageKind = "system"
)

// Delivery statuses of outbound messages.
const (
	DeliveryReceived = "received" // inbound: stored
	DeliveryQueued   = "queued"   // outbound: waiting for the outbound worker
	DeliverySent     = "sent"     // accepted by the channel's provider
	DeliveryFailed   = "failed"   // permanently refused; DeliveryError says why
	DeliveryStored   = "stored"   // nothing to send (API channel: integrations fetch replies)
	DeliveryNone     = ""         // notes and system messages
)

// Message is one message, note or system notice in a conversation.
type Message struct {
	ID             int64       `json:"id"`
	ConversationID int64       `json:"conversation_id"`
	Kind           MessageKind `json:"kind"`
	Channel        string      `json:"channel"`
	ExternalID     string      `json:"external_id,omitempty"`
	AuthorUserID   int64       `json:"author_user_id,omitempty"`
	ContactID      int64       `json:"contact_id,omitempty"`
	Subject        string      `json:"subject,omitempty"`
	Text           string      `json:"text"`
	// HTML is sanitised before storage; clients still insert it only in a sandbox.
	HTML           string       `json:"html,omitempty"`
	DeliveryStatus string       `json:"delivery_status,omitempty"`
	DeliveryError  string       `json:"delivery_error,omitempty"`
	AutoSubmitted  bool         `json:"auto_submitted,omitempty"`
	Warnings       []string     `json:"warnings,omitempty"`
	Attachments    []Attachment `json:"attachments,omitempty"`
	CreatedAt      time.Time    `json:"created_at"`
}

// LogValue redacts the message for logs.
func (m Message) LogValue() slog.Value {
	return slog.GroupValue(slog.Int64("id", m.ID), slog.String("kind", string(m.Kind)))
}

// Attachment is a file of a message, kept in the blob folder under its SHA-256.
type Attachment struct {
	ID          int64  `json:"id"`
	MessageID   int64  `json:"message_id"`
	Filename    string `json:"filename"`
	ContentType string `json:"content_type"`
	ContentID   string `json:"content_id,omitempty"`
	Size        int64  `json:"size"`
	SHA256      string `json:"sha256"`
}

// Event types of the conversation timeline.
const (
	EventCreated       = "created"
	EventReopened      = "reopened"
	EventStatusChanged = "status_changed"
	EventAssigned      = "assigned"
	EventTeamChanged   = "team_changed"
	EventHandedOff     = "handed_off"
	EventPriority      = "priority_changed"
	EventTagged        = "tags_changed"
	EventClassified    = "classified"
	EventDelivery      = "delivery_failed"
	// EventMessageEdited: the author edited a message on its channel (Slack); the
	// message keeps its first text, the event carries the new one.
	EventMessageEdited = "message_edited"
	// EventMessageDeleted: the author deleted a message on its channel; the message
	// is kept for the record.
	EventMessageDeleted = "message_deleted"
)

// Event is one entry of a conversation's timeline.
type Event struct {
	ID             int64           `json:"id"`
	ConversationID int64           `json:"conversation_id"`
	Type           string          `json:"type"`
	ActorUserID    int64           `json:"actor_user_id,omitempty"`
	Data           json.RawMessage `json:"data,omitempty"`
	CreatedAt      time.Time       `json:"created_at"`
}

// TopicContactErased is published when a contact's data is erased (GDPR): derived
// stores (the search index) must drop everything of that contact. Its payload is a
// ContactErased. The erase operation publishes it in the transaction that deletes the
// contact's conversations.
const TopicContactErased = "contact.erased"

// ContactErased is the payload of a TopicContactErased event.
type ContactErased struct {
	ContactID int64     `json:"contact_id"`
	At        time.Time `json:"at"`
}
