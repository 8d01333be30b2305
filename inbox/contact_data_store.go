package inbox

import (
	"context"
	"time"
)

// ContactDataReader reads what a data subject's request needs (GDPR right of access),
// part of Reader.
type ContactDataReader interface {
	// ContactIDByIdentity returns the id of the contact owning the (normalised) identity.
	ContactIDByIdentity(ctx context.Context, id Identity) (int64, error)
	// ContactConversationIDs returns the ids of the contact's conversations, oldest first.
	ContactConversationIDs(ctx context.Context, contactID int64) ([]int64, error)
	// ContactVisitors returns the website chat profiles behind the contact's visitor
	// identities.
	ContactVisitors(ctx context.Context, contactID int64) ([]Visitor, error)
	// AuditEntries returns audit entries, newest first.
	AuditEntries(ctx context.Context, q AuditQuery) ([]AuditEntry, error)
}

// ContactDataTx erases a contact and keeps the audit log, part of Tx.
type ContactDataTx interface {
	// EraseContact deletes the contact with its identities, its conversations (with
	// their messages, attachments, timelines, routing state and links), the phone
	// messages about it and its website chat profiles. Messages the contact wrote in
	// other contacts' conversations lose their link to it. It fails with ErrNotFound
	// for an unknown contact.
	EraseContact(ctx context.Context, contactID int64) (Erasure, error)
	// AddAudit appends e to the audit log and sets e.ID.
	AddAudit(ctx context.Context, e *AuditEntry) error
}

// Erasure counts what erasing a contact deleted.
type Erasure struct {
	ContactID     int64 `json:"contact_id"`
	Conversations int64 `json:"conversations"`
	Messages      int64 `json:"messages"`
	Attachments   int64 `json:"attachments"`
	PhoneMessages int64 `json:"phone_messages"`
	Visitors      int64 `json:"visitors"`
	// Blobs are the SHA-256 of attachment contents no other attachment refers to any
	// more: the caller deletes them from the blob store once the erasure is committed.
	Blobs []string `json:"-"`
	// BlobsDeleted counts the contents actually removed from the blob store.
	BlobsDeleted int `json:"blobs_deleted"`
}

// Audit actions.
const (
	AuditContactExported = "contact.exported"
	AuditContactErased   = "contact.erased"
)

// AuditEntry records who did what to personal data, and when. It holds no personal data
// itself: ids, counts and the reason given.
type AuditEntry struct {
	ID int64     `json:"id"`
	At time.Time `json:"at"`
	// ActorUserID is the user who acted; zero for the command line.
	ActorUserID int64 `json:"actor_user_id,omitempty"`
	// Actor names the actor as it was then (the user's email, or "cli").
	Actor  string `json:"actor"`
	Action string `json:"action"`
	// Object is what was acted on, such as "contact:42".
	Object string `json:"object"`
	// Reason is why, as the actor typed it (a request's reference, a date).
	Reason string `json:"reason,omitempty"`
	// Detail is a JSON object of counts.
	Detail string `json:"detail,omitempty"`
}

// AuditQuery selects audit entries.
type AuditQuery struct {
	Action string
	Object string
	// BeforeID continues a previous page: only ids below it.
	BeforeID int64
	Limit    int
}
