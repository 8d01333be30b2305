package inbox

import "context"

// PipelineReader holds the store reads that the workers' hot paths need in one query.
type PipelineReader interface {
	// RoutingInput returns in one read what the router needs to route conversation
	// id: the conversation, its contact with identities, its newest inbound message
	// (zero if none), its routing state (zero before the first routing) and the
	// previous agent (the state's last agent, else LastAgentOfContact's answer).
	// ErrNotFound if the conversation or its contact does not exist.
	RoutingInput(ctx context.Context, id int64) (RoutingInput, error)
}

// PipelineTx holds the narrow writes of the workers' hot paths.
type PipelineTx interface {
	// UpdateClassification writes only what routing a message changes: category,
	// language, tension, priority, team, tags, the three SLA due times, the message
	// count (an automatic reply) and updated_at. Indexes on other columns are left
	// untouched; anything else goes through UpdateConversation.
	UpdateClassification(ctx context.Context, c *Conversation) error
}
