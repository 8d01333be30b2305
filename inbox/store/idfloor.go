package store

import (
	"context"
	"database/sql"
	"fmt"
)

// The tables whose ids people see (in links, the API and the audit log) and an erasure
// deletes rows of: a new row never takes an id an erased row had (migration 0012).
var floorTables = []string{"contacts", "conversations", "messages", "attachments", "events", "handoffs", "phone_messages"}

// floorState is what the writer knows of the id floors: the tables whose next row
// must be given an id above the floor an erasure recorded. Every other insert leaves
// the id to SQLite (the highest plus one), which is then above any floor already, so
// the common insert costs nothing more. Only the writer goroutine uses it.
type floorState struct {
	// known: pending is what the database says. A rollback, or another process's
	// commit (the CLI's erase), makes it unknown, and it is read again.
	known   bool
	pending map[string]int64 // table: floor
}

// forget makes the state unknown.
func (f *floorState) forget() { f.known, f.pending = false, nil }

// newID returns the id of table's next row: nil (SQLite gives the highest id plus
// one) unless an erasure left a floor not passed yet, then an id above the floor and
// every row. The caller reports the insert with idTaken.
func (t *tx) newID(ctx context.Context, table string) (any, error) {
	f := &t.s.floors
	if !f.known {
		f.pending = map[string]int64{}
		err := all(ctx, t.q(), func(r *sql.Rows) error {
			var name string
			var floor int64
			if err := r.Scan(&name, &floor); err != nil {
				return err
			}
			f.pending[name] = floor
			return nil
		}, `SELECT name, floor FROM id_floors`)
		if err != nil {
			f.forget()
			return nil, fmt.Errorf("store: read the id floors: %w", err)
		}
		f.known = true
	}
	floor, ok := f.pending[table]
	if !ok {
		return nil, nil
	}
	var id int64
	err := one(ctx, t.q(), func(r *sql.Rows) error { return r.Scan(&id) },
		`SELECT max(coalesce((SELECT max(id) FROM `+table+`), 0), ?) + 1`, floor)
	if err != nil {
		return nil, fmt.Errorf("store: new id of %s: %w", table, err)
	}
	return id, nil
}

// idTaken notes that a row of table was inserted: its id is above the floor, and so
// will be the next ones SQLite gives. Should the transaction roll back, the state is
// forgotten and read again.
func (t *tx) idTaken(table string) {
	delete(t.s.floors.pending, table)
}

// keepIDFloors records the highest id each table of floorTables holds, before an
// erasure deletes rows of them.
func (t *tx) keepIDFloors(ctx context.Context) error {
	for _, table := range floorTables {
		if _, err := t.exec(ctx, `INSERT INTO id_floors (name, floor) SELECT ?, coalesce(max(id), 0) FROM `+table+` WHERE true
			ON CONFLICT (name) DO UPDATE SET floor = max(floor, excluded.floor)`, table); err != nil {
			return fmt.Errorf("store: keep the id floor of %s: %w", table, err)
		}
	}
	t.s.floors.forget() // read again, with this transaction's floors, at the next insert
	return nil
}
