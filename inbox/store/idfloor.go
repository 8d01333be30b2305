package store

import (
	"context"
	"fmt"
)

// The tables whose ids people see (in links, the API and the audit log) and an erasure
// deletes rows of: their new rows take ids above every id they ever held (see
// migration 0012).
var floorTables = []string{"contacts", "conversations", "messages", "attachments", "events", "handoffs", "phone_messages"}

// newID is the SQL expression of a new row's id in a table of floorTables: above the
// highest id it holds and above its floor.
func newID(table string) string {
	return "(SELECT max(coalesce((SELECT max(id) FROM " + table + "), 0), coalesce((SELECT floor FROM id_floors WHERE name = '" +
		table + "'), 0)) + 1)"
}

// The ids of new rows, one expression per table.
var (
	newContactID      = newID("contacts")
	newConversationID = newID("conversations")
	newMessageID      = newID("messages")
	newAttachmentID   = newID("attachments")
	newEventID        = newID("events")
	newHandoffID      = newID("handoffs")
	newPhoneMessageID = newID("phone_messages")
)

// keepIDFloors records the highest id each table of floorTables holds, before an
// erasure deletes rows of them.
func (t *tx) keepIDFloors(ctx context.Context) error {
	for _, table := range floorTables {
		if _, err := t.exec(ctx, `INSERT INTO id_floors (name, floor) SELECT ?, coalesce(max(id), 0) FROM `+table+` WHERE true
			ON CONFLICT (name) DO UPDATE SET floor = max(floor, excluded.floor)`, table); err != nil {
			return fmt.Errorf("store: keep the id floor of %s: %w", table, err)
		}
	}
	return nil
}
