package router

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/frontdeskhq/frontdesk/inbox"
	"github.com/frontdeskhq/frontdesk/router/assign"
)

// directoryTTL is how long the user and team lists are cached: a new agent or team is
// seen within this delay, and assignment rounds cost no store read.
const directoryTTL = 15 * time.Second

// directory caches users (as assignment profiles) and teams. Safe for concurrent use.
type directory struct {
	in  Inbox
	cfg assign.Config
	now func() time.Time

	mu      sync.Mutex
	loaded  time.Time
	users   map[int64]inbox.User
	agents  []assign.Agent
	teams   []inbox.Team
	bySlug  map[string]int64
	refresh bool
}

func newDirectory(in Inbox, cfg assign.Config, now func() time.Time) *directory {
	return &directory{in: in, cfg: cfg, now: now}
}

// load refreshes the lists when they are older than directoryTTL or invalidated; the
// caller holds the lock.
func (d *directory) load(ctx context.Context) error {
	if !d.refresh && !d.loaded.IsZero() && d.now().Sub(d.loaded) < directoryTTL {
		return nil
	}
	users, err := d.in.Users(ctx)
	if err != nil {
		return fmt.Errorf("router: users: %w", err)
	}
	teams, err := d.in.Teams(ctx)
	if err != nil {
		return fmt.Errorf("router: teams: %w", err)
	}
	d.users = make(map[int64]inbox.User, len(users))
	d.agents = d.agents[:0]
	for _, u := range users {
		d.users[u.ID] = u
		if u.Disabled || !slices.Contains(d.cfg.Roles, string(u.Role)) {
			continue
		}
		d.agents = append(d.agents, d.profile(u))
	}
	d.teams = teams
	d.bySlug = make(map[string]int64, len(teams))
	for _, t := range teams {
		d.bySlug[t.Slug] = t.ID
	}
	d.loaded, d.refresh = d.now(), false
	return nil
}

// profile is u as an assignment candidate.
func (d *directory) profile(u inbox.User) assign.Agent {
	langs, skills, caps := d.cfg.Profile(u.Email, u.Languages)
	return assign.Agent{ID: u.ID, Teams: slices.Clone(u.TeamIDs), Languages: langs, Skills: skills, Capacity: caps}
}

// Agents implements assign.Directory.
func (d *directory) Agents(ctx context.Context) ([]assign.Agent, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if err := d.load(ctx); err != nil {
		return nil, err
	}
	out := make([]assign.Agent, len(d.agents))
	copy(out, d.agents)
	return out, nil
}

// User returns a cached user.
func (d *directory) User(ctx context.Context, id int64) (inbox.User, bool, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if err := d.load(ctx); err != nil {
		return inbox.User{}, false, err
	}
	u, ok := d.users[id]
	return u, ok, nil
}

// Users returns every cached user.
func (d *directory) Users(ctx context.Context) ([]inbox.User, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if err := d.load(ctx); err != nil {
		return nil, err
	}
	out := make([]inbox.User, 0, len(d.users))
	for _, u := range d.users {
		out = append(out, u)
	}
	slices.SortFunc(out, func(a, b inbox.User) int { return int(a.ID - b.ID) })
	return out, nil
}

// Teams returns the cached teams.
func (d *directory) Teams(ctx context.Context) ([]inbox.Team, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if err := d.load(ctx); err != nil {
		return nil, err
	}
	return slices.Clone(d.teams), nil
}

// TeamID resolves a team slug, creating the team when it does not exist.
func (d *directory) TeamID(ctx context.Context, slug string) (int64, error) {
	d.mu.Lock()
	if err := d.load(ctx); err != nil {
		d.mu.Unlock()
		return 0, err
	}
	id, ok := d.bySlug[slug]
	d.mu.Unlock()
	if ok {
		return id, nil
	}
	t, err := d.in.EnsureTeam(ctx, slug, slug)
	if err != nil {
		return 0, fmt.Errorf("router: team %s: %w", slug, err)
	}
	d.mu.Lock()
	d.refresh = true
	d.mu.Unlock()
	return t.ID, nil
}

// Invalidate makes the next read reload the lists.
func (d *directory) Invalidate() {
	d.mu.Lock()
	d.refresh = true
	d.mu.Unlock()
}
