// Package assign gives queued conversations to available agents.
//
// Who may get a conversation: an agent whose presence is online (never away or
// offline), who belongs to the conversation's team (any agent for the shared queue,
// team 0), who speaks its language (English conversations to English speakers; an
// agent with no languages configured speaks the default ones, French), who has the
// skills it requires, and who has room on its channel (capacity per channel, for example
// 3 chats and 10 emails).
//
// Algorithm of a round: the online agents are ordered least loaded first (fewest
// conversations held), then longest idle (the later of their last assignment and their
// coming online, earliest first), then by id. The first one claims the best
// conversation of their queues that suits them (priority, then waiting time) with
// teamqueue.ClaimAvailable, which checks, atomically, that they are still online and
// have room on its channel; their load grows and the order is recomputed; an agent who
// cannot take anything drops out. The round ends when the queues are empty or nobody
// is left. A new conversation is pushed by the first claim itself, so queueing and
// assigning it costs one round trip to Redis.
//
// Presence and loads are read at most once a second (a snapshot shared by the rounds of
// the process): the order may use a load a second old, but whom a conversation may go
// to is decided inside the claim, on current data. A returning contact
// goes back first to their previous agent, if that agent is online, in the team and has
// room (Sticky). Each assignment is written to the store by the Committer; if that
// fails the conversation is released and queued again.
//
// Rounds may run concurrently (several consumers, several instances): the claims are
// atomic in the queue, so a conversation goes to one agent and no agent goes over
// capacity; fairness is then approximate for the duration of the race.
package assign

import (
	"cmp"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/frontdeskhq/frontdesk/router/presence"
	"github.com/frontdeskhq/frontdesk/router/teamqueue"
)

// Config is the assignment section of the router configuration.
type Config struct {
	// Capacity is how many conversations of each channel an agent may hold at once.
	Capacity map[string]int `yaml:"capacity"`
	// DefaultLanguages are spoken by agents whose profile lists none.
	DefaultLanguages []string `yaml:"default_languages"`
	// Roles are the roles that get conversations automatically (agent by default;
	// supervisors take by hand).
	Roles []string `yaml:"roles"`
	// Agents override skills and capacity per agent, by email.
	Agents []AgentConfig `yaml:"agents"`
	// Interval is how often a round runs besides the ones events trigger (an agent comes
	// online, a conversation is resolved and frees a slot).
	Interval time.Duration `yaml:"interval"`
	// Disabled turns auto-assignment off: agents take the next conversation by hand.
	Disabled bool `yaml:"disabled"`
}

// AgentConfig is one agent's overrides.
type AgentConfig struct {
	Email    string         `yaml:"email"`
	Skills   []string       `yaml:"skills"`
	Capacity map[string]int `yaml:"capacity"`
}

// Defaults for Config.
const (
	// DefaultInterval: presence changes and freed slots are acted on within seconds.
	DefaultInterval = 3 * time.Second
)

// DefaultCapacity: live channels need attention, so few at once; written ones can pile up.
var DefaultCapacity = map[string]int{"webchat": 3, "telephony": 1, "sms": 5, "slack": 5, "email": 10, "api": 10}

// WithDefaults fills zero fields; Capacity is completed channel by channel.
func (c Config) WithDefaults() Config {
	caps := maps.Clone(DefaultCapacity)
	maps.Copy(caps, c.Capacity)
	c.Capacity = caps
	if len(c.DefaultLanguages) == 0 {
		c.DefaultLanguages = []string{"fr"}
	}
	if len(c.Roles) == 0 {
		c.Roles = []string{"agent"}
	}
	if c.Interval == 0 {
		c.Interval = DefaultInterval
	}
	return c
}

// Validate reports the first unusable setting.
func (c Config) Validate() error {
	for ch, n := range c.Capacity {
		if n < 0 || n > 1000 {
			return fmt.Errorf("router.assign.capacity.%s: %d is not between 0 and 1000", ch, n)
		}
	}
	for _, r := range c.Roles {
		if r != "agent" && r != "supervisor" && r != "admin" {
			return fmt.Errorf("router.assign.roles: %q is not agent, supervisor or admin", r)
		}
	}
	seen := map[string]bool{}
	for i, a := range c.Agents {
		e := strings.ToLower(strings.TrimSpace(a.Email))
		if !strings.Contains(e, "@") {
			return fmt.Errorf("router.assign.agents[%d]: email %q is not an address", i, a.Email)
		}
		if seen[e] {
			return fmt.Errorf("router.assign.agents[%d]: %s appears twice", i, e)
		}
		seen[e] = true
		for ch, n := range a.Capacity {
			if n < 0 || n > 1000 {
				return fmt.Errorf("router.assign.agents[%d].capacity.%s: %d is not between 0 and 1000", i, ch, n)
			}
		}
		for _, s := range a.Skills {
			if s == "" || strings.ContainsAny(s, "|, ") {
				return fmt.Errorf("router.assign.agents[%d].skills: %q is not a skill name", i, s)
			}
		}
	}
	if c.Interval < 100*time.Millisecond {
		return errors.New("router.assign.interval: must be at least 100ms")
	}
	return nil
}

// Profile returns the languages, skills and capacity of an agent with that email and
// languages, after the configuration's defaults and overrides.
func (c Config) Profile(email string, languages []string) (langs, skills []string, capacity map[string]int) {
	langs = languages
	if len(langs) == 0 {
		langs = c.DefaultLanguages
	}
	capacity = maps.Clone(c.Capacity)
	for _, a := range c.Agents {
		if strings.EqualFold(strings.TrimSpace(a.Email), email) {
			skills = a.Skills
			maps.Copy(capacity, a.Capacity)
		}
	}
	return langs, skills, capacity
}

// Agent is a candidate for assignment: their profile, presence and load.
type Agent struct {
	ID        int64
	Teams     []int64
	Languages []string
	Skills    []string
	Capacity  map[string]int
	Status    presence.Status
	// OnlineSince is when the agent's current presence status began.
	OnlineSince time.Time
	// Load is what the agent holds, as last read (the queue checks capacity itself).
	Load teamqueue.Load
}

// Slot is the agent as the queue sees them.
func (a Agent) Slot() teamqueue.Slot {
	return teamqueue.Slot{Agent: a.ID, Capacity: a.Capacity, Languages: a.Languages, Skills: a.Skills}
}

// Queues returns the queues the agent serves: the shared queue (0) and their teams'.
func (a Agent) Queues() []int64 { return append([]int64{0}, a.Teams...) }

// IdleSince is when the agent last got a conversation, or came online if later.
func (a Agent) IdleSince() time.Time {
	if a.Load.LastAssigned.After(a.OnlineSince) {
		return a.Load.LastAssigned
	}
	return a.OnlineSince
}

// CanTake reports whether the agent may get e as far as their profile and last known
// load go: online, in its team, suited (language, skills), with room on its channel.
func (a Agent) CanTake(e teamqueue.Entry) bool {
	return a.Status == presence.Online && (e.Team == 0 || slices.Contains(a.Teams, e.Team)) &&
		a.Slot().Suits(e) && a.Load.Channels[e.Channel] < a.Capacity[e.Channel]
}

// compare orders agents for assignment: least loaded, then longest idle, then id.
func compare(a, b Agent) int {
	if c := cmp.Compare(a.Load.Total, b.Load.Total); c != 0 {
		return c
	}
	if c := a.IdleSince().Compare(b.IdleSince()); c != 0 {
		return c
	}
	return cmp.Compare(a.ID, b.ID)
}
