package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/frontdeskhq/frontdesk/channels"
	"github.com/frontdeskhq/frontdesk/configs"
	"github.com/frontdeskhq/frontdesk/inbox"
)

// demoData is the shape of configs/demo.yaml.
type demoData struct {
	Password string `yaml:"password"`
	Teams    []struct {
		Slug string `yaml:"slug"`
		Name string `yaml:"name"`
	} `yaml:"teams"`
	Users []struct {
		Email     string   `yaml:"email"`
		Name      string   `yaml:"name"`
		Role      string   `yaml:"role"`
		Teams     []string `yaml:"teams"`
		Languages []string `yaml:"languages"`
	} `yaml:"users"`
	Conversations []demoConversation `yaml:"conversations"`
}

type demoConversation struct {
	Channel string `yaml:"channel"`
	From    struct {
		Kind  string `yaml:"kind"`
		Value string `yaml:"value"`
		Name  string `yaml:"name"`
	} `yaml:"from"`
	Subject       string   `yaml:"subject"`
	Team          string   `yaml:"team"`
	Assignee      string   `yaml:"assignee"`
	Status        string   `yaml:"status"`
	Snooze        string   `yaml:"snooze"`
	Priority      int      `yaml:"priority"`
	Tags          []string `yaml:"tags"`
	Language      string   `yaml:"language"`
	AutoSubmitted bool     `yaml:"auto_submitted"`
	Messages      []struct {
		In   string `yaml:"in"`
		Out  string `yaml:"out"`
		Note string `yaml:"note"`
		By   string `yaml:"by"`
		Ago  string `yaml:"ago"`
	} `yaml:"messages"`
}

// demoSummary says how to log in to the demo.
type demoSummary struct {
	agent, supervisor, password string
	created                     int
}

// parseDemo decodes the embedded demo file strictly.
func parseDemo() (demoData, error) {
	var d demoData
	raw, err := configs.Files.ReadFile(configs.DemoFile)
	if err != nil {
		return d, err
	}
	dec := yaml.NewDecoder(strings.NewReader(string(raw)))
	dec.KnownFields(true)
	if err := dec.Decode(&d); err != nil {
		return d, fmt.Errorf("%s: %w", configs.DemoFile, err)
	}
	return d, nil
}

// demoClock is the time the demo loader pretends it is, so that each demo message gets
// a plausible date in the past.
type demoClock struct{ t time.Time }

func (c *demoClock) now() time.Time { return c.t }

// loadDemo loads the demo data through an inbox service whose clock it moves. What exists
// already (users, messages by external id) is left alone, so loading twice changes
// nothing.
func loadDemo(ctx context.Context, a *app) (demoSummary, error) {
	clk := &demoClock{t: time.Now()}
	svc := inbox.New(a.store, a.blobs, a.cfg.Inbox, a.log, inbox.WithClock(clk.now))
	log := a.log
	d, err := parseDemo()
	if err != nil {
		return demoSummary{}, err
	}
	sum := demoSummary{password: d.Password}
	for _, t := range d.Teams {
		if _, err := svc.EnsureTeam(ctx, t.Slug, t.Name); err != nil {
			return sum, err
		}
	}
	users := map[string]inbox.User{}
	for _, u := range d.Users {
		created, err := svc.CreateUser(ctx, inbox.NewUser{Email: u.Email, Name: u.Name, Role: inbox.Role(u.Role),
			Password: d.Password, Teams: u.Teams, Languages: u.Languages})
		if errors.Is(err, inbox.ErrDuplicate) {
			created, err = svc.UserByEmail(ctx, u.Email)
		}
		if err != nil {
			return sum, fmt.Errorf("user %s: %w", u.Email, err)
		}
		users[u.Email] = created
		switch {
		case created.Role == inbox.RoleAgent && sum.agent == "":
			sum.agent = created.Email
		case created.Role == inbox.RoleSupervisor && sum.supervisor == "":
			sum.supervisor = created.Email
		}
	}
	teams, err := svc.Teams(ctx)
	if err != nil {
		return sum, err
	}
	teamID := map[string]int64{}
	for _, t := range teams {
		teamID[t.Slug] = t.ID
	}
	var admin inbox.User
	for _, u := range users {
		if u.Role == inbox.RoleAdmin {
			admin = u
		}
	}
	for i, c := range d.Conversations {
		created, err := loadDemoConversation(ctx, svc, clk, i, c, users, teamID, admin)
		if err != nil {
			return sum, fmt.Errorf("demo conversation %d: %w", i+1, err)
		}
		if created {
			sum.created++
		}
	}
	log.Info("demo data loaded", "new_conversations", sum.created, "users", len(users))
	return sum, nil
}

func loadDemoConversation(ctx context.Context, svc *inbox.Service, clk *demoClock, i int, c demoConversation,
	users map[string]inbox.User, teamID map[string]int64, admin inbox.User) (bool, error) {
	now := time.Now()
	var convID int64
	for j, m := range c.Messages {
		// A message is dated "ago" before now, or a few minutes after the one before.
		at := clk.t.Add(3 * time.Minute)
		if m.Ago != "" {
			d, err := time.ParseDuration(m.Ago)
			if err != nil {
				return false, fmt.Errorf("message %d: ago: %w", j+1, err)
			}
			at = now.Add(-d)
		}
		if at.After(now) {
			at = now
		}
		clk.t = at
		switch {
		case m.In != "":
			res, err := svc.Ingest(ctx, channels.Envelope{
				Channel:       c.Channel,
				ExternalID:    fmt.Sprintf("demo-%d-%d", i+1, j+1),
				ThreadKey:     fmt.Sprintf("demo-%d", i+1),
				From:          channels.Identity{Kind: channels.IdentityKind(c.From.Kind), Value: c.From.Value, Name: c.From.Name},
				Subject:       c.Subject,
				Text:          strings.TrimSpace(m.In),
				Language:      c.Language,
				AutoSubmitted: c.AutoSubmitted,
			})
			if err != nil {
				return false, fmt.Errorf("message %d: %w", j+1, err)
			}
			if res.Duplicate && j == 0 {
				return false, nil // loaded before
			}
			convID = res.ConversationID
		case m.Out != "" || m.Note != "":
			author, ok := users[m.By]
			if !ok {
				return false, fmt.Errorf("message %d: unknown author %q", j+1, m.By)
			}
			text := strings.TrimSpace(m.Out + m.Note)
			msg, err := svc.Reply(ctx, author, convID, inbox.ReplyInput{Text: text, Note: m.Note != ""})
			if err != nil {
				return false, fmt.Errorf("message %d: %w", j+1, err)
			}
			if m.Out != "" {
				// Demo replies were sent long ago: mark them so, before any worker runs.
				if err := svc.RecordDelivery(ctx, msg.ID, inbox.DeliverySent, fmt.Sprintf("demo-out-%d-%d", i+1, j+1), ""); err != nil {
					return false, err
				}
			}
		}
	}
	p := inbox.Patch{}
	if c.Team != "" {
		id, ok := teamID[c.Team]
		if !ok {
			return false, fmt.Errorf("unknown team %q", c.Team)
		}
		p.TeamID = &id
	}
	if c.Assignee != "" {
		u, ok := users[c.Assignee]
		if !ok {
			return false, fmt.Errorf("unknown assignee %q", c.Assignee)
		}
		p.AssigneeID = &u.ID
	}
	if c.Status != "" && c.Status != string(inbox.StatusOpen) {
		st := inbox.Status(c.Status)
		p.Status = &st
		if st == inbox.StatusSnoozed {
			d, err := time.ParseDuration(c.Snooze)
			if err != nil {
				return false, fmt.Errorf("snooze: %w", err)
			}
			until := now.Add(d)
			p.SnoozedUntil = &until
		}
	}
	if c.Priority != 0 {
		p.Priority = &c.Priority
	}
	if len(c.Tags) > 0 {
		p.Tags = &c.Tags
	}
	if _, err := svc.UpdateConversation(ctx, admin, convID, p); err != nil {
		return false, err
	}
	clk.t = now
	return true, nil
}

// runDemo loads the demo data into the configured store.
func runDemo(ctx context.Context, e *env, args []string) error {
	var c common
	if err := parse(flags(e, "demo", &c), args); err != nil {
		return err
	}
	a, err := openQuiet(ctx, e, c)
	if err != nil {
		return err
	}
	defer a.close()
	s, err := loadDemo(ctx, a)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "demo data loaded: %d new conversation(s)\nlog in as %s (agent) or %s (supervisor), password %s\n",
		s.created, s.agent, s.supervisor, s.password)
	return nil
}
