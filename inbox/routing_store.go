package inbox

import (
	"context"
	"encoding/json"
	"time"
)

// RoutingReader is the read side of the routing data: embedded in Reader.
type RoutingReader interface {
	// RoutingState returns what the router recorded about a conversation
	// (ErrNotFound before the first classification).
	RoutingState(ctx context.Context, conversationID int64) (RoutingState, error)
	// ActiveConversations returns up to limit open or pending conversations with an id
	// above afterID, by id.
	ActiveConversations(ctx context.Context, afterID int64, limit int) ([]Conversation, error)
	// AssignedConversations returns the open or pending conversations assigned to user.
	AssignedConversations(ctx context.Context, userID int64) ([]Conversation, error)
	// LastAgentOfContact returns the last agent assigned to another conversation of the
	// contact (0 when none).
	LastAgentOfContact(ctx context.Context, contactID, exceptConversationID int64) (int64, error)
	// LatestInbound returns the conversation's inbound message that arrived last.
	LatestInbound(ctx context.Context, conversationID int64) (Message, error)
	Handoff(ctx context.Context, id int64) (Handoff, error)
	// Handoffs returns the handoffs matching q, newest first.
	Handoffs(ctx context.Context, q HandoffQuery) ([]Handoff, error)
	// CorrectionSamples returns, for each corrected message still stored, its text and
	// the labels of its latest correction, oldest first.
	CorrectionSamples(ctx context.Context) ([]CorrectionSample, error)
}

// RoutingTx is the write side of the routing data: embedded in Tx.
type RoutingTx interface {
	RoutingState(ctx context.Context, conversationID int64) (RoutingState, error)
	// PutRoutingState inserts or replaces the routing state of its conversation.
	PutRoutingState(ctx context.Context, st *RoutingState) error
	// AddSLAEvent records an SLA warning or breach once: it reports false when the same
	// (conversation, target, stage, due) was recorded before.
	AddSLAEvent(ctx context.Context, e SLAEvent) (bool, error)
	// CreateHandoff inserts h and sets h.ID. A second pending handoff of the same
	// conversation fails with ErrDuplicate.
	CreateHandoff(ctx context.Context, h *Handoff) error
	// UpdateHandoff writes h's status and answer.
	UpdateHandoff(ctx context.Context, h *Handoff) error
	Handoff(ctx context.Context, id int64) (Handoff, error)
	// PendingHandoff returns the conversation's pending handoff (ErrNotFound if none).
	PendingHandoff(ctx context.Context, conversationID int64) (Handoff, error)
	// ExpiredHandoffs returns up to limit pending handoffs whose expiry is at or before now.
	ExpiredHandoffs(ctx context.Context, now time.Time, limit int) ([]Handoff, error)
	// AddCorrection records an agent's correction of a classification.
	AddCorrection(ctx context.Context, c *CorrectionRecord) error
}

// RoutingState is what the router recorded about a conversation besides the
// conversation's own fields (category, language, tension, priority, team, SLA due times).
type RoutingState struct {
	ConversationID int64 `json:"conversation_id"`
	// MessageID is the last inbound message routed: a redelivered event for it, or an
	// older one, changes nothing.
	MessageID          int64   `json:"message_id"`
	CategoryConfidence float64 `json:"category_confidence"`
	CategoryRule       string  `json:"category_rule,omitempty"`
	Urgency            string  `json:"urgency"`
	// Explanation says per field what decided it, for the agent (see Routing).
	Explanation map[string]json.RawMessage `json:"explanation"`
	// Rules are the routing rules that matched.
	Rules  []string `json:"rules"`
	Skills []string `json:"skills"`
	// NoAssign keeps the conversation out of auto-assignment.
	NoAssign bool `json:"no_assign"`
	// PriorityFixed and PriorityAdjust are the rules' say on the priority, kept so that
	// ageing recomputes it the same way.
	PriorityFixed  *int   `json:"priority_fixed,omitempty"`
	PriorityAdjust int    `json:"priority_adjust"`
	SLAPolicy      string `json:"sla_policy"`
	// LastAgentID is the agent who held the conversation last (to go back to them).
	LastAgentID int64 `json:"last_agent_id,omitempty"`
	// Corrected is set once an agent corrected the classification; later messages do
	// not overwrite it.
	Corrected bool      `json:"corrected"`
	UpdatedAt time.Time `json:"updated_at"`
}

// SLA targets and stages.
const (
	SLAFirstResponse = "first_response"
	SLANextResponse  = "next_response"
	SLAResolution    = "resolution"
	SLAWarning       = "warning"
	SLABreached      = "breached"
)

// SLAEvent is an SLA warning or breach.
type SLAEvent struct {
	ConversationID int64     `json:"conversation_id"`
	Target         string    `json:"target"`
	Stage          string    `json:"stage"`
	Due            time.Time `json:"due"`
	At             time.Time `json:"at"`
}

// HandoffKind is who a handoff goes to.
type HandoffKind string

// Handoff kinds.
const (
	// HandoffAgent transfers to a colleague, who accepts or declines.
	HandoffAgent HandoffKind = "agent"
	// HandoffTeam sends the conversation to a team's queue; it is accepted when an
	// agent of the team gets it.
	HandoffTeam HandoffKind = "team"
	// HandoffSupervisor escalates to a supervisor (one, or any).
	HandoffSupervisor HandoffKind = "supervisor"
)

// HandoffStatus is where a handoff stands.
type HandoffStatus string

// Handoff statuses.
const (
	HandoffPending   HandoffStatus = "pending"
	HandoffAccepted  HandoffStatus = "accepted"
	HandoffDeclined  HandoffStatus = "declined"
	HandoffTimedOut  HandoffStatus = "timed_out"
	HandoffCancelled HandoffStatus = "cancelled"
)

// Handoff is one entry of the handoff ledger.
type Handoff struct {
	ID             int64       `json:"id"`
	ConversationID int64       `json:"conversation_id"`
	Kind           HandoffKind `json:"kind"`
	// FromUserID is the agent who handed off; 0 for the hub itself (the reception bot,
	// a routing rule), then FromLabel says which.
	FromUserID int64         `json:"from_user_id,omitempty"`
	FromLabel  string        `json:"from_label,omitempty"`
	ToUserID   int64         `json:"to_user_id,omitempty"`
	ToTeamID   int64         `json:"to_team_id,omitempty"`
	Reason     string        `json:"reason"`
	Note       string        `json:"note"`
	Status     HandoffStatus `json:"status"`
	// PreviousAssigneeID is who held the conversation when the handoff was requested.
	PreviousAssigneeID int64      `json:"previous_assignee_id,omitempty"`
	RequestedAt        time.Time  `json:"requested_at"`
	ExpiresAt          time.Time  `json:"expires_at"`
	AnsweredAt         *time.Time `json:"answered_at,omitempty"`
	AnsweredBy         int64      `json:"answered_by,omitempty"`
	// AnswerNote is the receiver's word when declining.
	AnswerNote string `json:"answer_note,omitempty"`
}

// TimeToAccept is how long the handoff waited before being accepted, or nil.
func (h Handoff) TimeToAccept() *time.Duration {
	if h.Status != HandoffAccepted || h.AnsweredAt == nil {
		return nil
	}
	d := h.AnsweredAt.Sub(h.RequestedAt)
	return &d
}

// HandoffQuery selects handoffs.
type HandoffQuery struct {
	ConversationID int64
	// Involving keeps handoffs from or to this user (or to one of Teams, or, with
	// Supervisors, escalations to any supervisor).
	Involving   int64
	Teams       []int64
	Supervisors bool
	Status      HandoffStatus
	// Since keeps handoffs requested at or after it.
	Since time.Time
	Limit int
}

// CorrectionRecord is an agent's correction of a classification, as stored.
type CorrectionRecord struct {
	ID             int64
	ConversationID int64
	// MessageID is the inbound message whose classification was corrected.
	MessageID int64
	UserID    int64
	// Category, Language and Tension are the labels after the correction; the Old ones
	// what the router had said.
	Category, Language, Tension          string
	OldCategory, OldLanguage, OldTension string
	CreatedAt                            time.Time
}

// CorrectionSample is a corrected message with its labels, for retraining.
type CorrectionSample struct {
	MessageID                   int64
	Subject, Text, Channel      string
	Category, Language, Tension string
}
