// Package teamqueue keeps the conversations waiting for an agent, one priority queue per
// team, together with what each agent currently holds (their load per channel), so that
// taking a conversation and counting it against the agent's capacity is one atomic step:
// two agents never get the same conversation, and an agent never goes over capacity.
//
// The contract, shared by every implementation and checked by teamqueuetest.Run:
//
//   - A conversation is in at most one place: queued in one team's queue (team 0 is the
//     shared front-desk queue), or held by one agent, or neither.
//   - Queues are ordered by priority (highest first), then by waiting time (oldest
//     first), then by conversation id.
//   - Push queues or re-queues a conversation (updating its priority, moving it to
//     another team); it refuses one that an agent holds (ErrHeld): Release it first.
//   - Claim, ClaimNext and ClaimAvailable take a queued conversation for an agent only if
//     the agent has room on its channel (load below capacity), atomically: the
//     conversation leaves the queue, the agent holds it, its load grows by one and its
//     last-assignment time is set. ClaimAvailable (auto-assignment) also checks, in the
//     same step, that the agent is available (online), and may push a new conversation
//     first.
//   - Hold records an assignment made elsewhere (by hand, a handoff); Release ends one.
//
// The queues are derived state: the SQL store is the truth, and the router rebuilds and
// reconciles them from it. MemoryQueue serves one process; RedisQueue (sorted sets and a
// few Lua scripts) serves several instances sharing one inbox.
package teamqueue

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Entry is a conversation waiting in a team's queue.
type Entry struct {
	ConversationID int64 `json:"conversation_id"`
	// Team is the team whose queue holds it; 0 is the shared front-desk queue.
	Team     int64 `json:"team"`
	Priority int   `json:"priority"`
	// Since is when the contact started waiting (kept to the millisecond).
	Since    time.Time `json:"since"`
	Channel  string    `json:"channel"`
	Language string    `json:"language,omitempty"`
	// Skills are required of the agent who takes it.
	Skills []string `json:"skills,omitempty"`
	// Previous is the agent who had this contact or conversation before (to go back to
	// them when they can), 0 if none.
	Previous int64 `json:"previous,omitempty"`
}

// Slot is an agent asking for work: their capacity per channel, the languages they
// speak and their skills.
type Slot struct {
	Agent int64
	// Capacity is how many conversations of each channel the agent may hold; a channel
	// absent from the map cannot be taken.
	Capacity map[string]int
	// Languages the agent speaks; an entry in another language is skipped (an entry
	// with no language, or "other", suits anyone). Empty: any.
	Languages []string
	// Skills the agent has; an entry's required skills must all be among them.
	Skills []string
}

// Suits reports whether the agent of s may take e, leaving capacity aside.
func (s Slot) Suits(e Entry) bool {
	if e.Language != "" && e.Language != "other" && len(s.Languages) > 0 && !slices.Contains(s.Languages, e.Language) {
		return false
	}
	for _, sk := range e.Skills {
		if !slices.Contains(s.Skills, sk) {
			return false
		}
	}
	return true
}

// Hold is a conversation held by an agent.
type Hold struct {
	ConversationID int64     `json:"conversation_id"`
	Agent          int64     `json:"agent"`
	Channel        string    `json:"channel"`
	Since          time.Time `json:"since"`
}

// Load is what an agent holds.
type Load struct {
	// Channels counts held conversations per channel.
	Channels map[string]int `json:"channels"`
	Total    int            `json:"total"`
	// LastAssigned is when the agent last got a conversation; zero if never.
	LastAssigned time.Time `json:"last_assigned"`
}

// Expected outcomes, checked with errors.Is.
var (
	// ErrEmpty: no queued conversation suits the agent (or it has no room for any).
	ErrEmpty = errors.New("teamqueue: nothing to take")
	// ErrGone: the conversation is not queued (taken by someone else, removed).
	ErrGone = errors.New("teamqueue: conversation not queued")
	// ErrFull: the agent has no room on the conversation's channel.
	ErrFull = errors.New("teamqueue: agent at capacity on this channel")
	// ErrHeld: the conversation is held by an agent; Release it before queueing it.
	ErrHeld = errors.New("teamqueue: conversation held by an agent")
	// ErrUnavailable: the availability check refused the agent (away, offline).
	ErrUnavailable = errors.New("teamqueue: agent not available")
)

// Queue is the contract of the team queues. Implementations are safe for concurrent use.
type Queue interface {
	// Push queues e, or updates it if queued (priority, team, details). It fails with
	// ErrHeld when an agent holds the conversation.
	Push(ctx context.Context, e Entry) error
	// Remove takes a conversation out of its queue and reports whether it was queued.
	Remove(ctx context.Context, conversationID int64) (bool, error)
	// Peek returns up to n entries of team's queue, best first.
	Peek(ctx context.Context, team int64, n int) ([]Entry, error)
	// Len returns the length of team's queue.
	Len(ctx context.Context, team int64) (int, error)
	// Claim gives a queued conversation to s's agent: ErrGone if it is not queued,
	// ErrFull if the agent has no room on its channel.
	Claim(ctx context.Context, conversationID int64, s Slot, now time.Time) (Entry, error)
	// ClaimNext gives s's agent the best queued conversation of teams that suits them
	// and fits their capacity, looking at the first Window entries of each queue;
	// ErrEmpty when there is none.
	ClaimNext(ctx context.Context, teams []int64, s Slot, now time.Time) (Entry, error)
	// ClaimAvailable is the claim of auto-assignment: it pushes push first (when not
	// nil; ErrHeld, changing nothing, when an agent holds it), then gives s's agent the
	// best entry of queues like ClaimNext, provided the availability check configured
	// at construction says the agent is available at now (ErrUnavailable otherwise; the
	// push stays done). It also returns how many conversations remain in queues (and
	// push's queue). Checking availability inside the claim means a stale view of
	// presence can never give work to an agent who went away.
	ClaimAvailable(ctx context.Context, push *Entry, queues []int64, s Slot, now time.Time) (Entry, int, error)
	// Hold records that agent holds the conversation on channel, taking it out of its
	// queue and from any previous holder. Holding again with the same agent and channel
	// changes nothing.
	Hold(ctx context.Context, conversationID, agent int64, channel string, now time.Time) error
	// Release ends the hold on a conversation, if any, and reports whether there was one.
	Release(ctx context.Context, conversationID int64) (bool, error)
	// Loads returns the load of each agent (an agent holding nothing has an empty Load).
	Loads(ctx context.Context, agents []int64) (map[int64]Load, error)
	// Holds lists every hold, for reconciliation with the store.
	Holds(ctx context.Context) ([]Hold, error)
}

// Window is how many entries of each queue ClaimNext considers: enough to skip the
// conversations an agent cannot take (language, skills, a full channel) without scanning
// a long backlog.
const Window = 100

// score orders entries: lower is better. Priority first (100 down to 0), then waiting
// time in milliseconds. Below 2^53, so a Redis sorted-set score (a double) holds it
// exactly until the year 2255.
func score(e Entry) float64 {
	p := max(0, min(100, e.Priority))
	return float64(100-p)*1e13 + float64(max(0, e.Since.UnixMilli()))
}

// member is the sorted-set member of a conversation: fixed width, so that equal scores
// order by id.
func member(id int64) string { return fmt.Sprintf("%019d", id) }

// encode writes the details of e as one field: team|priority|since|channel|language|
// skills|previous. Channel, language and skills never contain | or , (they are names).
func encode(e Entry) string {
	return strings.Join([]string{
		strconv.FormatInt(e.Team, 10), strconv.Itoa(e.Priority), strconv.FormatInt(e.Since.UnixMilli(), 10),
		e.Channel, e.Language, strings.Join(e.Skills, ","), strconv.FormatInt(e.Previous, 10),
	}, "|")
}

// decode parses encode's output.
func decode(id int64, s string) (Entry, error) {
	f := strings.Split(s, "|")
	if len(f) != 7 {
		return Entry{}, fmt.Errorf("teamqueue: corrupt entry %d: %q", id, s)
	}
	e := Entry{ConversationID: id, Channel: f[3], Language: f[4]}
	var err1, err2, err3, err4 error
	e.Team, err1 = strconv.ParseInt(f[0], 10, 64)
	e.Priority, err2 = strconv.Atoi(f[1])
	ms, err3 := strconv.ParseInt(f[2], 10, 64)
	e.Previous, err4 = strconv.ParseInt(f[6], 10, 64)
	if err := errors.Join(err1, err2, err3, err4); err != nil {
		return Entry{}, fmt.Errorf("teamqueue: corrupt entry %d: %q", id, s)
	}
	e.Since = time.UnixMilli(ms).UTC()
	if f[5] != "" {
		e.Skills = strings.Split(f[5], ",")
	}
	return e, nil
}

// check rejects entries whose names would break the encoding.
func check(e Entry) error {
	if e.ConversationID <= 0 {
		return fmt.Errorf("teamqueue: conversation id %d", e.ConversationID)
	}
	bad := func(s string) bool { return strings.ContainsAny(s, "|,") }
	if bad(e.Channel) || bad(e.Language) || slices.ContainsFunc(e.Skills, bad) {
		return fmt.Errorf("teamqueue: entry %d: names must not contain | or ,", e.ConversationID)
	}
	if e.Channel == "" {
		return fmt.Errorf("teamqueue: entry %d: channel is required", e.ConversationID)
	}
	return nil
}

// normalize keeps what the queue stores of e: Since to the millisecond, in UTC.
func normalize(e Entry) Entry {
	e.Since = time.UnixMilli(e.Since.UnixMilli()).UTC()
	if len(e.Skills) == 0 {
		e.Skills = nil
	}
	return e
}
