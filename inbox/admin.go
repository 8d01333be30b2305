package inbox

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/frontdeskhq/frontdesk/inbox/password"
)

// UserPatch is a partial update of a user by an admin; nil fields are left alone.
type UserPatch struct {
	Name      *string   `json:"name,omitempty"`
	Role      *Role     `json:"role,omitempty"`
	TeamIDs   *[]int64  `json:"team_ids,omitempty"`
	Languages *[]string `json:"languages,omitempty"`
	Disabled  *bool     `json:"disabled,omitempty"`
	Password  *string   `json:"password,omitempty"`
}

// UpdateUser applies p to user id. Changing the password or the role, or disabling the
// user, ends their sessions and forgets their cached tokens.
func (s *Service) UpdateUser(ctx context.Context, id int64, p UserPatch) (User, error) {
	var hash string
	if p.Password != nil {
		if err := password.Check(*p.Password); err != nil {
			return User{}, invalid("password", "%v", strings.TrimPrefix(err.Error(), "password: "))
		}
		var err error
		if hash, err = password.Hash(*p.Password, password.Default); err != nil {
			return User{}, fmt.Errorf("inbox: update user %d: %w", id, err)
		}
	}
	if p.Name != nil && cleanLine(*p.Name, 200) == "" {
		return User{}, invalid("name", "is empty")
	}
	if p.Role != nil && !p.Role.Valid() {
		return User{}, invalid("role", "must be agent, supervisor or admin, not %q", *p.Role)
	}
	if p.TeamIDs != nil {
		teams, err := s.store.Teams(ctx)
		if err != nil {
			return User{}, fmt.Errorf("inbox: update user %d: %w", id, err)
		}
		for _, tid := range *p.TeamIDs {
			if !slices.ContainsFunc(teams, func(t Team) bool { return t.ID == tid }) {
				return User{}, invalid("team_ids", "no team %d", tid)
			}
		}
	}
	u, err := s.updateUserBy(ctx, func(ctx context.Context, tx Tx) (User, error) {
		u, err := tx.UserByID(ctx, id)
		if err != nil {
			return u, fmt.Errorf("inbox: user %d: %w", id, err)
		}
		return u, nil
	}, func(u *User) error {
		if p.Name != nil {
			u.Name = cleanLine(*p.Name, 200)
		}
		if p.Role != nil {
			u.Role = *p.Role
		}
		if p.TeamIDs != nil {
			u.TeamIDs = slices.Compact(slices.Sorted(slices.Values(*p.TeamIDs)))
		}
		if p.Languages != nil {
			u.Languages = normalizeLanguages(*p.Languages)
		}
		if p.Disabled != nil {
			u.Disabled = *p.Disabled
		}
		if hash != "" {
			u.PasswordHash = hash
		}
		return nil
	})
	return u, err
}

// Attachment returns attachment id, if actor may see its conversation.
func (s *Service) Attachment(ctx context.Context, actor User, id int64) (Attachment, error) {
	a, conv, _, err := s.store.Attachment(ctx, id)
	if err != nil {
		return a, fmt.Errorf("inbox: attachment %d: %w", id, err)
	}
	if _, err := s.visibleConversation(ctx, actor, conv); err != nil {
		return Attachment{}, err
	}
	return a, nil
}
