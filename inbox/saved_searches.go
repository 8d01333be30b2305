package inbox

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"time"
)

// SavedSearch is a search a user keeps to run again: a name and the query parameters of
// GET /api/v1/search (q, filters, sort), kept as a URL query string.
type SavedSearch struct {
	ID        int64     `json:"id"`
	UserID    int64     `json:"user_id"`
	Name      string    `json:"name"`
	Params    string    `json:"params"`
	CreatedAt time.Time `json:"created_at"`
}

// SavedSearchReader lists saved searches.
type SavedSearchReader interface {
	// SavedSearches returns the user's saved searches, by name.
	SavedSearches(ctx context.Context, userID int64) ([]SavedSearch, error)
}

// SavedSearchWriter changes saved searches.
type SavedSearchWriter interface {
	// CreateSavedSearch inserts s and sets its ID; a second search of the same user with
	// the same name fails with ErrDuplicate.
	CreateSavedSearch(ctx context.Context, s *SavedSearch) error
	// DeleteSavedSearch deletes the user's saved search id; ErrNotFound when the user
	// has none with that id.
	DeleteSavedSearch(ctx context.Context, userID, id int64) error
}

// Limits of saved searches.
const (
	MaxSavedSearches       = 100
	MaxSavedSearchName     = 100
	MaxSavedSearchParams   = 2000
	savedSearchParamsLimit = 50 // distinct parameters
)

// SavedSearches returns actor's saved searches.
func (s *Service) SavedSearches(ctx context.Context, actor User) ([]SavedSearch, error) {
	if actor.Disabled {
		return nil, ErrUnauthorized
	}
	list, err := s.store.SavedSearches(ctx, actor.ID)
	if err != nil {
		return nil, fmt.Errorf("inbox: saved searches: %w", err)
	}
	return list, nil
}

// SaveSearch keeps a search under name for actor. params is the URL query string of the
// search (q=…&channel=…); it is checked for form, not for meaning, since the search
// options may grow.
func (s *Service) SaveSearch(ctx context.Context, actor User, name, params string) (SavedSearch, error) {
	if actor.Disabled {
		return SavedSearch{}, ErrUnauthorized
	}
	name = cleanLine(name, 1<<10)
	switch {
	case name == "":
		return SavedSearch{}, invalid("name", "is required")
	case len([]rune(name)) > MaxSavedSearchName:
		return SavedSearch{}, invalid("name", "longer than %d characters", MaxSavedSearchName)
	case len(params) > MaxSavedSearchParams:
		return SavedSearch{}, invalid("params", "longer than %d bytes", MaxSavedSearchParams)
	}
	params = strings.TrimPrefix(params, "?")
	v, err := url.ParseQuery(params)
	if err != nil {
		return SavedSearch{}, invalid("params", "not a URL query string: %v", err)
	}
	if len(v) > savedSearchParamsLimit {
		return SavedSearch{}, invalid("params", "more than %d parameters", savedSearchParamsLimit)
	}
	v.Del("cursor") // a saved search starts from the first page
	out := SavedSearch{UserID: actor.ID, Name: name, Params: v.Encode(), CreatedAt: s.clock()}
	err = s.store.Write(ctx, func(ctx context.Context, tx Tx) error {
		existing, err := s.store.SavedSearches(ctx, actor.ID)
		if err != nil {
			return err
		}
		if len(existing) >= MaxSavedSearches {
			return invalid("name", "at most %d saved searches; delete some first", MaxSavedSearches)
		}
		return tx.CreateSavedSearch(ctx, &out)
	})
	if err != nil {
		return SavedSearch{}, fmt.Errorf("inbox: save search: %w", err)
	}
	return out, nil
}

// DeleteSavedSearch deletes actor's saved search id.
func (s *Service) DeleteSavedSearch(ctx context.Context, actor User, id int64) error {
	if actor.Disabled {
		return ErrUnauthorized
	}
	err := s.store.Write(ctx, func(ctx context.Context, tx Tx) error {
		return tx.DeleteSavedSearch(ctx, actor.ID, id)
	})
	if err != nil {
		return fmt.Errorf("inbox: delete saved search %d: %w", id, err)
	}
	return nil
}
