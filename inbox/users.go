package inbox

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"net/mail"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/frontdeskhq/frontdesk/inbox/password"
)

// NewUser is what it takes to create a user.
type NewUser struct {
	Email    string
	Name     string
	Role     Role
	Password string
	// Teams are team slugs; missing teams are created.
	Teams     []string
	Languages []string
}

var slugPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,62}$`)

// CreateUser adds a user. A second user with the same email fails with ErrDuplicate.
func (s *Service) CreateUser(ctx context.Context, in NewUser) (User, error) {
	addr, err := mail.ParseAddress(strings.TrimSpace(in.Email))
	if err != nil || addr.Address != strings.TrimSpace(in.Email) {
		return User{}, invalid("email", "%q is not an email address", in.Email)
	}
	name := cleanLine(in.Name, 200)
	if name == "" {
		return User{}, invalid("name", "is empty")
	}
	if !in.Role.Valid() {
		return User{}, invalid("role", "must be agent, supervisor or admin, not %q", in.Role)
	}
	if err := password.Check(in.Password); err != nil {
		return User{}, invalid("password", "%v", strings.TrimPrefix(err.Error(), "password: "))
	}
	for _, slug := range in.Teams {
		if !slugPattern.MatchString(slug) {
			return User{}, invalid("team", "%q is not a team slug (lower-case letters, digits, dashes)", slug)
		}
	}
	hash, err := password.Hash(in.Password, password.Default)
	if err != nil {
		return User{}, fmt.Errorf("inbox: create user: %w", err)
	}
	now := s.clock()
	u := User{
		Email:        strings.ToLower(addr.Address),
		Name:         name,
		Role:         in.Role,
		Languages:    normalizeLanguages(in.Languages),
		PasswordHash: hash,
		CreatedAt:    now,
	}
	err = s.store.Write(ctx, func(ctx context.Context, tx Tx) error {
		u.TeamIDs = nil
		for _, slug := range in.Teams {
			t, err := ensureTeam(ctx, tx, slug, now)
			if err != nil {
				return err
			}
			u.TeamIDs = append(u.TeamIDs, t.ID)
		}
		if err := tx.CreateUser(ctx, &u); err != nil {
			return fmt.Errorf("inbox: create user %s: %w", u.Email, err)
		}
		return nil
	})
	return u, err
}

// EnsureTeam returns the team with that slug, creating it (named name) if needed.
func (s *Service) EnsureTeam(ctx context.Context, slug, name string) (Team, error) {
	if !slugPattern.MatchString(slug) {
		return Team{}, invalid("team", "%q is not a team slug (lower-case letters, digits, dashes)", slug)
	}
	var t Team
	err := s.store.Write(ctx, func(ctx context.Context, tx Tx) error {
		var err error
		t, err = tx.TeamBySlug(ctx, slug)
		if err == nil {
			return nil
		}
		if !errors.Is(err, ErrNotFound) {
			return fmt.Errorf("inbox: team %s: %w", slug, err)
		}
		t = Team{Slug: slug, Name: firstNonEmpty(cleanLine(name, 200), slug)}
		return tx.CreateTeam(ctx, &t)
	})
	return t, err
}

// CreateTeam creates a team; a team with that slug already there is ErrDuplicate,
// where EnsureTeam would return it: an administrator creating a team learns that the
// slug is taken rather than seeing their name silently dropped.
func (s *Service) CreateTeam(ctx context.Context, slug, name string) (Team, error) {
	if !slugPattern.MatchString(slug) {
		return Team{}, invalid("slug", "%q is not a team slug (lower-case letters, digits, dashes)", slug)
	}
	t := Team{Slug: slug, Name: firstNonEmpty(cleanLine(name, 200), slug)}
	err := s.store.Write(ctx, func(ctx context.Context, tx Tx) error {
		if _, err := tx.TeamBySlug(ctx, slug); err == nil {
			return fmt.Errorf("inbox: team %s: %w", slug, ErrDuplicate)
		} else if !errors.Is(err, ErrNotFound) {
			return fmt.Errorf("inbox: team %s: %w", slug, err)
		}
		return tx.CreateTeam(ctx, &t)
	})
	return t, err
}

func ensureTeam(ctx context.Context, tx Tx, slug string, _ time.Time) (Team, error) {
	t, err := tx.TeamBySlug(ctx, slug)
	if err == nil {
		return t, nil
	}
	if !errors.Is(err, ErrNotFound) {
		return t, fmt.Errorf("inbox: team %s: %w", slug, err)
	}
	t = Team{Slug: slug, Name: slug}
	if err := tx.CreateTeam(ctx, &t); err != nil {
		return t, fmt.Errorf("inbox: create team %s: %w", slug, err)
	}
	return t, nil
}

func normalizeLanguages(in []string) []string {
	out := []string{}
	for _, l := range in {
		l = strings.ToLower(strings.TrimSpace(l))
		if l != "" && len(l) <= 8 {
			out = append(out, l)
		}
	}
	return out
}

// Users lists every user.
func (s *Service) Users(ctx context.Context) ([]User, error) {
	u, err := s.store.Users(ctx)
	if err != nil {
		return nil, fmt.Errorf("inbox: list users: %w", err)
	}
	return u, nil
}

// Teams lists every team.
func (s *Service) Teams(ctx context.Context) ([]Team, error) {
	t, err := s.store.Teams(ctx)
	if err != nil {
		return nil, fmt.Errorf("inbox: list teams: %w", err)
	}
	return t, nil
}

// UserByEmail returns the user with that email.
func (s *Service) UserByEmail(ctx context.Context, email string) (User, error) {
	u, err := s.store.UserByEmail(ctx, strings.ToLower(strings.TrimSpace(email)))
	if err != nil {
		return u, fmt.Errorf("inbox: user %s: %w", email, err)
	}
	return u, nil
}

// updateUser loads the user with that email, lets change modify it and writes it back.
func (s *Service) updateUser(ctx context.Context, email string, change func(*User) error) (User, error) {
	return s.updateUserBy(ctx, func(ctx context.Context, tx Tx) (User, error) {
		u, err := tx.UserByEmail(ctx, strings.ToLower(strings.TrimSpace(email)))
		if err != nil {
			return u, fmt.Errorf("inbox: user %s: %w", email, err)
		}
		return u, nil
	}, change)
}

// updateUserBy loads a user with find, lets change modify it and writes it back; a
// change of password, role or a disabling ends the user's sessions.
func (s *Service) updateUserBy(ctx context.Context, find func(context.Context, Tx) (User, error), change func(*User) error) (User, error) {
	var u User
	err := s.store.Write(ctx, func(ctx context.Context, tx Tx) error {
		var err error
		u, err = find(ctx, tx)
		if err != nil {
			return err
		}
		before := u
		if err := change(&u); err != nil {
			return err
		}
		if err := tx.UpdateUser(ctx, &u); err != nil {
			return err
		}
		if u.Disabled || u.PasswordHash != before.PasswordHash || u.Role != before.Role {
			// A disabled user, a new password or another role: every browser signs in again.
			if _, err := tx.DeleteSessions(ctx, u.ID); err != nil {
				return err
			}
		}
		return nil
	})
	if err == nil {
		s.tokens.forgetUser(u.ID)
	}
	return u, err
}

// SetPassword replaces a user's password.
func (s *Service) SetPassword(ctx context.Context, email, pw string) error {
	if err := password.Check(pw); err != nil {
		return invalid("password", "%v", strings.TrimPrefix(err.Error(), "password: "))
	}
	hash, err := password.Hash(pw, password.Default)
	if err != nil {
		return fmt.Errorf("inbox: set password: %w", err)
	}
	_, err = s.updateUser(ctx, email, func(u *User) error { u.PasswordHash = hash; return nil })
	return err
}

// SetDisabled disables (or re-enables) a user: a disabled user's sessions and tokens stop
// working at once.
func (s *Service) SetDisabled(ctx context.Context, email string, disabled bool) error {
	_, err := s.updateUser(ctx, email, func(u *User) error { u.Disabled = disabled; return nil })
	return err
}

// Login checks an email and password and returns the user. Every failure is
// ErrUnauthorized, so the answer does not tell which part was wrong.
func (s *Service) Login(ctx context.Context, email, pw string) (User, error) {
	u, err := s.store.UserByEmail(ctx, strings.ToLower(strings.TrimSpace(email)))
	if err != nil && !errors.Is(err, ErrNotFound) {
		return User{}, fmt.Errorf("inbox: login: %w", err)
	}
	hash := u.PasswordHash
	if hash == "" {
		// Spend the same time on unknown users as on known ones.
		hash = dummyHash
	}
	verr := password.Verify(pw, hash)
	if err != nil || u.Disabled || verr != nil {
		return User{}, ErrUnauthorized
	}
	return u, nil
}

// dummyHash is verified for unknown users, so response time does not reveal accounts.
const dummyHash = "$argon2id$v=19$m=19456,t=2,p=1$ZnJvbnRkZXNrLWR1bW15$0O1qzqgr0xCjB1bH2hC3J0cqO2Ow4yUaOtkH4KNq4Yw"

// Token format: the prefix tells a leaked secret's origin to scanners and people.
const (
	tokenPrefix = "fdk_"
	tokenBytes  = 32
	// tokenCacheTTL bounds how long a hub keeps accepting a token revoked, or a user
	// disabled, from another process (the CLI): the hub's own revocations empty its
	// cache at once. At 2 s a busy client still costs one lookup per 2 s.
	tokenCacheTTL = 2 * time.Second
)

// CreateToken makes a new API token for the user with that email and returns the secret
// (shown once; only its SHA-256 is stored).
func (s *Service) CreateToken(ctx context.Context, email, name string) (string, APIToken, error) {
	buf := make([]byte, tokenBytes)
	if _, err := rand.Read(buf); err != nil {
		return "", APIToken{}, fmt.Errorf("inbox: token: %w", err)
	}
	secret := tokenPrefix + base64.RawURLEncoding.EncodeToString(buf)
	sum := sha256.Sum256([]byte(secret))
	t := APIToken{Name: firstNonEmpty(cleanLine(name, 100), "cli"), Prefix: secret[:len(tokenPrefix)+6], CreatedAt: s.clock()}
	err := s.store.Write(ctx, func(ctx context.Context, tx Tx) error {
		u, err := tx.UserByEmail(ctx, strings.ToLower(strings.TrimSpace(email)))
		if err != nil {
			return fmt.Errorf("inbox: token for %s: %w", email, err)
		}
		if u.Disabled {
			return invalid("email", "user %s is disabled", email)
		}
		t.UserID = u.ID
		return tx.CreateToken(ctx, &t, sum[:])
	})
	if err != nil {
		return "", APIToken{}, err
	}
	return secret, t, nil
}

// RevokeTokens revokes the user's tokens whose prefix (as listed) matches, or all of
// them when prefix is empty, and returns how many.
func (s *Service) RevokeTokens(ctx context.Context, email, prefix string) (int64, error) {
	var n int64
	var uid int64
	err := s.store.Write(ctx, func(ctx context.Context, tx Tx) error {
		u, err := tx.UserByEmail(ctx, strings.ToLower(strings.TrimSpace(email)))
		if err != nil {
			return fmt.Errorf("inbox: revoke tokens of %s: %w", email, err)
		}
		uid = u.ID
		n, err = tx.RevokeTokens(ctx, u.ID, prefix, s.clock())
		return err
	})
	if err == nil {
		s.tokens.forgetUser(uid)
	}
	return n, err
}

// Tokens lists the user's tokens, live and revoked.
func (s *Service) Tokens(ctx context.Context, email string) ([]APIToken, error) {
	u, err := s.UserByEmail(ctx, email)
	if err != nil {
		return nil, err
	}
	return s.store.Tokens(ctx, u.ID)
}

// Authenticate returns the user owning the API token secret. Unknown, revoked and
// malformed tokens and disabled users all give ErrUnauthorized. Lookups are by SHA-256
// (a fast hash is right for long random secrets) and cached briefly; revoking or
// disabling through this Service clears the cache at once.
func (s *Service) Authenticate(ctx context.Context, secret string) (User, error) {
	if !strings.HasPrefix(secret, tokenPrefix) || len(secret) > 200 {
		return User{}, ErrUnauthorized
	}
	sum := sha256.Sum256([]byte(secret))
	if u, ok := s.tokens.get(sum, s.now()); ok {
		return u, nil
	}
	u, tok, err := s.store.UserByTokenHash(ctx, sum[:])
	if errors.Is(err, ErrNotFound) {
		return User{}, ErrUnauthorized
	}
	if err != nil {
		return User{}, fmt.Errorf("inbox: authenticate: %w", err)
	}
	// The store found the row by its hash; compare the whole hash once more in
	// constant time rather than trusting how the store matched it.
	if subtle.ConstantTimeCompare(tok.Hash, sum[:]) != 1 || u.Disabled {
		return User{}, ErrUnauthorized
	}
	s.tokens.put(sum, u, s.now())
	return u, nil
}

// tokenCache remembers recent token lookups. Safe for concurrent use.
type tokenCache struct {
	ttl time.Duration
	mu  sync.RWMutex
	m   map[[sha256.Size]byte]cachedUser
}

type cachedUser struct {
	user    User
	expires time.Time
}

func newTokenCache(ttl time.Duration) *tokenCache {
	return &tokenCache{ttl: ttl, m: map[[sha256.Size]byte]cachedUser{}}
}

func (c *tokenCache) get(key [sha256.Size]byte, now time.Time) (User, bool) {
	c.mu.RLock()
	e, ok := c.m[key]
	c.mu.RUnlock()
	if !ok || now.After(e.expires) {
		return User{}, false
	}
	return e.user, true
}

func (c *tokenCache) put(key [sha256.Size]byte, u User, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m) > 10000 {
		for k, e := range c.m {
			if now.After(e.expires) {
				delete(c.m, k)
			}
		}
		if len(c.m) > 10000 {
			clear(c.m)
		}
	}
	c.m[key] = cachedUser{user: u, expires: now.Add(c.ttl)}
}

func (c *tokenCache) forgetUser(id int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for k, e := range c.m {
		if e.user.ID == id {
			delete(c.m, k)
		}
	}
}
