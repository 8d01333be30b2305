package inbox

import (
	"context"
	"time"
)

// SlackEvent is one Slack Events API delivery, stored before Slack is acknowledged and
// processed afterwards by channels/slack.
type SlackEvent struct {
	// EventID is Slack's event_id, unique per event across retries.
	EventID string
	// TeamID is the workspace the event came from.
	TeamID string
	// Body is the verified request body, as received.
	Body       []byte
	ReceivedAt time.Time
	// Attempts counts the processing attempts that failed so far.
	Attempts int
	// NextAttemptAt is when the event is due for (another) processing attempt.
	NextAttemptAt time.Time
	// DoneAt is set once the event is processed (or given up on, with LastError).
	DoneAt    *time.Time
	LastError string
}

// SlackThread links a conversation to the Slack thread that mirrors it.
type SlackThread struct {
	ConversationID int64
	TeamID         string
	ChannelID      string
	ThreadTS       string
	CreatedAt      time.Time
}

// SlackMessage links an inbox message to a message of a Slack mirror thread: one the hub
// posted there, or one an agent wrote there that became a note or a reply.
type SlackMessage struct {
	MessageID int64
	TeamID    string
	ChannelID string
	TS        string
}

// SlackReader is the read side of the Slack tables.
type SlackReader interface {
	// PendingSlackEvents returns up to limit events not done whose next attempt is due
	// at now, oldest first.
	PendingSlackEvents(ctx context.Context, now time.Time, limit int) ([]SlackEvent, error)
	// SlackThreadByConversation returns the mirror thread of a conversation.
	SlackThreadByConversation(ctx context.Context, conversationID int64) (SlackThread, error)
	// SlackThreadByTS returns the mirror thread rooted at (team, channel, thread ts).
	SlackThreadByTS(ctx context.Context, teamID, channelID, threadTS string) (SlackThread, error)
	// SlackMessageByID returns the Slack message linked to an inbox message.
	SlackMessageByID(ctx context.Context, messageID int64) (SlackMessage, error)
}

// SlackTx is the write side of the Slack tables, inside Store.Write.
type SlackTx interface {
	// AddSlackEvent stores e; an event id already stored fails with ErrDuplicate.
	AddSlackEvent(ctx context.Context, e SlackEvent) error
	// FinishSlackEvent marks event id done at at, with errText when it was given up
	// on. An event already done fails with ErrDuplicate, an unknown one ErrNotFound.
	FinishSlackEvent(ctx context.Context, id string, at time.Time, errText string) error
	// RetrySlackEvent records a failed attempt and when to try again.
	RetrySlackEvent(ctx context.Context, id string, next time.Time, errText string) error
	// AddSlackThread links a conversation to its thread; a conversation or a thread
	// already linked fails with ErrDuplicate.
	AddSlackThread(ctx context.Context, t SlackThread) error
	// PurgeSlackEvents deletes events done before before and returns how many.
	PurgeSlackEvents(ctx context.Context, before time.Time) (int64, error)
	// AddSlackMessage links a message to a Slack message; a message or a Slack
	// message already linked fails with ErrDuplicate.
	AddSlackMessage(ctx context.Context, m SlackMessage) error
}
