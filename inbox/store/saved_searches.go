package store

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/frontdeskhq/frontdesk/inbox"
)

// SavedSearches implements inbox.SavedSearchReader.
func (s *SQLite) SavedSearches(ctx context.Context, userID int64) ([]inbox.SavedSearch, error) {
	out := []inbox.SavedSearch{}
	err := all(ctx, s.q(), func(r *sql.Rows) error {
		var v inbox.SavedSearch
		var created int64
		if err := r.Scan(&v.ID, &v.UserID, &v.Name, &v.Params, &created); err != nil {
			return err
		}
		v.CreatedAt = fromMicro(created)
		out = append(out, v)
		return nil
	}, `SELECT id, user_id, name, params, created_at FROM saved_searches WHERE user_id = ? ORDER BY name, id`, userID)
	return out, wrap(err, "saved searches of user %d", userID)
}

func (t *tx) CreateSavedSearch(ctx context.Context, v *inbox.SavedSearch) error {
	res, err := t.exec(ctx, `INSERT INTO saved_searches (user_id, name, params, created_at) VALUES (?, ?, ?, ?)`,
		v.UserID, v.Name, v.Params, micro(v.CreatedAt))
	if isUnique(err) {
		return fmt.Errorf("store: create saved search: %w", inbox.ErrDuplicate)
	}
	if err != nil {
		return fmt.Errorf("store: create saved search: %w", err)
	}
	v.ID, err = res.LastInsertId()
	return err
}

func (t *tx) DeleteSavedSearch(ctx context.Context, userID, id int64) error {
	res, err := t.exec(ctx, `DELETE FROM saved_searches WHERE id = ? AND user_id = ?`, id, userID)
	if err != nil {
		return fmt.Errorf("store: delete saved search %d: %w", id, err)
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return notFound("saved search", id)
	}
	return nil
}
