package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"

	"github.com/frontdeskhq/frontdesk/channels"
	"github.com/frontdeskhq/frontdesk/inbox"
)

// routingInputQuery reads a conversation with its contact, the contact's identities (as
// a JSON array of [kind, value, name]), the inbound message that arrived last (the
// highest id: a walk back along the (conversation_id, id) index that stops at the first
// inbound row, where ordering by date sorted every message of the conversation, which
// grew with long chats), the routing state
// and the previous agent in one statement; the message and state columns are
// coalesced, since either may be missing.
const routingInputQuery = `SELECT c.id, c.channel, c.account, c.thread_key, c.contact_id, c.subject, c.status, c.priority,
	c.category, c.language, c.tension, coalesce(c.team_id, 0), coalesce(c.assignee_id, 0), c.tags, c.snoozed_until,
	c.first_response_due, c.next_response_due, c.resolution_due, c.first_response_at, c.waiting_since,
	c.last_message_at, c.resolved_at, c.message_count, c.created_at, c.updated_at, c.sla_paused_at, c.sla_paused_seconds,
	ct.id, ct.name, ct.language, ct.accessibility, ct.consent, ct.vip, ct.created_at, ct.updated_at,
	(SELECT json_group_array(json_array(kind, value, name)) FROM
		(SELECT kind, value, name FROM contact_identities WHERE contact_id = ct.id ORDER BY kind, value)),
	coalesce(m.id, 0), coalesce(m.conversation_id, 0), coalesce(m.kind, ''), coalesce(m.channel, ''),
	coalesce(m.external_id, ''), coalesce(m.author_user_id, 0), coalesce(m.contact_id, 0), coalesce(m.subject, ''),
	coalesce(m.text, ''), coalesce(m.html, ''), coalesce(m.delivery_status, ''), coalesce(m.delivery_error, ''),
	coalesce(m.auto_submitted, 0), coalesce(m.warnings, '[]'), coalesce(m.created_at, 0),
	coalesce(rs.conversation_id, 0), coalesce(rs.message_id, 0), coalesce(rs.category_confidence, 0),
	coalesce(rs.category_rule, ''), coalesce(rs.urgency, ''), coalesce(rs.explanation, '{}'), coalesce(rs.rules, '[]'),
	coalesce(rs.skills, '[]'), coalesce(rs.no_assign, 0), rs.priority_fixed, coalesce(rs.priority_adjust, 0),
	coalesce(rs.sla_policy, ''), coalesce(rs.last_agent_id, 0), coalesce(rs.corrected, 0), coalesce(rs.updated_at, 0),
	CASE WHEN coalesce(rs.last_agent_id, 0) <> 0 THEN rs.last_agent_id ELSE coalesce((
		SELECT coalesce(c2.assignee_id, rs2.last_agent_id, 0) FROM conversations c2
		LEFT JOIN routing_state rs2 ON rs2.conversation_id = c2.id
		WHERE c2.contact_id = c.contact_id AND c2.id <> c.id AND coalesce(c2.assignee_id, rs2.last_agent_id) IS NOT NULL
		ORDER BY c2.last_message_at DESC, c2.id DESC LIMIT 1), 0) END
FROM conversations c
JOIN contacts ct ON ct.id = c.contact_id
LEFT JOIN messages m ON m.id = (SELECT id FROM messages WHERE conversation_id = c.id AND kind = 'in'
	ORDER BY id DESC LIMIT 1)
LEFT JOIN routing_state rs ON rs.conversation_id = c.id
WHERE c.id = ?`

// RoutingInput implements inbox.PipelineReader.
func (s *SQLite) RoutingInput(ctx context.Context, id int64) (inbox.RoutingInput, error) {
	var in inbox.RoutingInput
	err := one(ctx, s.q(), func(r *sql.Rows) error { return scanRoutingInput(r, &in) }, routingInputQuery, id)
	return in, wrap(err, "routing input of %d", id)
}

func scanRoutingInput(r *sql.Rows, in *inbox.RoutingInput) error {
	ct, m, st := &in.Contact, &in.Message, &in.State
	var ctCreated, ctUpdated, mCreated, stUpdated int64
	var idents, warnings, expl, rules, skills string
	var fixed sql.NullInt64
	if err := scanConversation(r, &in.Conversation,
		&ct.ID, &ct.Name, &ct.Language, &ct.Accessibility, &ct.Consent, &ct.VIP, &ctCreated, &ctUpdated, &idents,
		&m.ID, &m.ConversationID, &m.Kind, &m.Channel, &m.ExternalID, &m.AuthorUserID, &m.ContactID, &m.Subject,
		&m.Text, &m.HTML, &m.DeliveryStatus, &m.DeliveryError, &m.AutoSubmitted, &warnings, &mCreated,
		&st.ConversationID, &st.MessageID, &st.CategoryConfidence, &st.CategoryRule, &st.Urgency, &expl, &rules,
		&skills, &st.NoAssign, &fixed, &st.PriorityAdjust, &st.SLAPolicy, &st.LastAgentID, &st.Corrected, &stUpdated,
		&in.PreviousAgent); err != nil {
		return err
	}
	ct.CreatedAt, ct.UpdatedAt = fromMicro(ctCreated), fromMicro(ctUpdated)
	var raw [][3]string
	if err := json.Unmarshal([]byte(idents), &raw); err != nil {
		return fmt.Errorf("identities: %w", err)
	}
	ct.Identities = make([]inbox.Identity, len(raw))
	for i, v := range raw {
		ct.Identities[i] = inbox.Identity{Kind: channels.IdentityKind(v[0]), Value: v[1], Name: v[2]}
	}
	if m.ID == 0 {
		*m = inbox.Message{}
	} else {
		if warnings != "[]" {
			m.Warnings = parseList(warnings)
		}
		m.CreatedAt = fromMicro(mCreated)
	}
	if st.ConversationID == 0 {
		*st = inbox.RoutingState{}
		return nil
	}
	decodeRoutingColumns(st, expl, rules, skills, fixed, stUpdated)
	return nil
}

// UpdateClassification implements inbox.PipelineTx.
func (t *tx) UpdateClassification(ctx context.Context, c *inbox.Conversation) error {
	res, err := t.s.execKeep(ctx, `UPDATE conversations SET priority = ?, category = ?, language = ?, tension = ?,
		team_id = ?, tags = ?, first_response_due = ?, next_response_due = ?, resolution_due = ?, message_count = ?,
		updated_at = ? WHERE id = ?`,
		c.Priority, c.Category, c.Language, c.Tension, nullID(c.TeamID), jsonList(c.Tags),
		nullMicro(c.FirstResponseDue), nullMicro(c.NextResponseDue), nullMicro(c.ResolutionDue), c.MessageCount,
		micro(c.UpdatedAt), c.ID)
	if err != nil {
		return fmt.Errorf("store: update classification of conversation %d: %w", c.ID, err)
	}
	t.s.cache.classified(c)
	return mustAffect(res, "conversation", c.ID)
}
