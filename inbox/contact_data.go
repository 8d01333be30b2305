package inbox

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/frontdeskhq/frontdesk/channels"
)

// A data subject's rights (GDPR articles 15 and 17): admins find a contact from an
// address or number the person gave, export everything kept about them, and erase it.
// Both leave an entry in the audit log, without personal data.

// CLIActor is the user the command line acts as: an administrator without an account.
var CLIActor = User{Name: "cli", Email: "cli", Role: RoleAdmin}

// MaxAuditReason bounds the reason given for an export or erasure.
const MaxAuditReason = 500

// ContactExport is everything the hub keeps about one contact.
type ContactExport struct {
	ExportedAt    time.Time            `json:"exported_at"`
	Contact       Contact              `json:"contact"`
	Conversations []ConversationDetail `json:"conversations"`
	PhoneMessages []PhoneMessage       `json:"phone_messages"`
	Visitors      []Visitor            `json:"webchat_visitors"`
}

// BlobDeleter removes attachment content; the Service's Blobs implement it to let an
// erasure delete the files too.
type BlobDeleter interface {
	Delete(ctx context.Context, sum string) error
}

// requireAdmin refuses everyone but enabled administrators.
func requireAdmin(actor User) error {
	if actor.Disabled || actor.Role != RoleAdmin {
		return ErrForbidden
	}
	return nil
}

// FindContact returns the contact owning an identity (an email address, a phone number
// in any usual form, a Slack user or website visitor id), for admins.
func (s *Service) FindContact(ctx context.Context, actor User, kind channels.IdentityKind, value string) (Contact, error) {
	if err := requireAdmin(actor); err != nil {
		return Contact{}, err
	}
	id, err := NormalizeIdentity(Identity{Kind: kind, Value: value}, s.cfg.DefaultCountryCode)
	if err != nil {
		return Contact{}, err
	}
	cid, err := s.store.ContactIDByIdentity(ctx, id)
	if err != nil {
		return Contact{}, fmt.Errorf("inbox: find contact: %w", err)
	}
	c, err := s.store.Contact(ctx, cid)
	if err != nil {
		return Contact{}, fmt.Errorf("inbox: find contact: %w", err)
	}
	return c, nil
}

// ExportContact returns everything kept about contact id, for admins, and records the
// export in the audit log.
func (s *Service) ExportContact(ctx context.Context, actor User, id int64, reason string) (ContactExport, error) {
	if err := requireAdmin(actor); err != nil {
		return ContactExport{}, err
	}
	if strings.TrimSpace(reason) == "" {
		// An access request is answered for a reason the audit log keeps.
		return ContactExport{}, invalid("reason", "say why the data is exported (the request's reference or date)")
	}
	if err := checkReason(reason); err != nil {
		return ContactExport{}, err
	}
	x := ContactExport{ExportedAt: s.clock(), Conversations: []ConversationDetail{}, PhoneMessages: []PhoneMessage{}}
	var err error
	if x.Contact, err = s.store.Contact(ctx, id); err != nil {
		return x, fmt.Errorf("inbox: export contact %d: %w", id, err)
	}
	ids, err := s.store.ContactConversationIDs(ctx, id)
	if err != nil {
		return x, fmt.Errorf("inbox: export contact %d: %w", id, err)
	}
	for _, cid := range ids {
		d, err := s.Conversation(ctx, actor, cid)
		if errors.Is(err, ErrNotFound) {
			continue // erased or moved since the list was read
		}
		if err != nil {
			return x, fmt.Errorf("inbox: export contact %d: %w", id, err)
		}
		d.Contact = Contact{ID: id, Identities: []Identity{}} // once, at the top
		x.Conversations = append(x.Conversations, d)
	}
	q := PhoneMessageQuery{ContactID: id, Limit: 200}
	for {
		page, err := s.store.PhoneMessages(ctx, q)
		if err != nil {
			return x, fmt.Errorf("inbox: export contact %d: phone messages: %w", id, err)
		}
		x.PhoneMessages = append(x.PhoneMessages, page...)
		if len(page) < q.Limit {
			break
		}
		q.BeforeID = page[len(page)-1].ID
	}
	if x.Visitors, err = s.store.ContactVisitors(ctx, id); err != nil {
		return x, fmt.Errorf("inbox: export contact %d: %w", id, err)
	}
	detail := map[string]int{"conversations": len(x.Conversations), "phone_messages": len(x.PhoneMessages)}
	err = s.store.Write(ctx, func(ctx context.Context, tx Tx) error {
		return tx.AddAudit(ctx, s.audit(actor, AuditContactExported, id, reason, detail))
	})
	if err != nil {
		return x, fmt.Errorf("inbox: export contact %d: audit: %w", id, err)
	}
	s.log.Info("contact exported", "contact_id", id, "actor_id", actor.ID, "conversations", len(x.Conversations))
	return x, nil
}

// EraseContact deletes everything kept about contact id (see ContactDataTx), for
// admins, in one transaction that also records the erasure in the audit log and
// publishes TopicContactErased for the derived stores (the search index). Attachment
// contents no longer referenced are then deleted from the blob store.
func (s *Service) EraseContact(ctx context.Context, actor User, id int64, reason string) (Erasure, error) {
	if err := requireAdmin(actor); err != nil {
		return Erasure{}, err
	}
	if strings.TrimSpace(reason) == "" {
		return Erasure{}, invalid("reason", "say why the data is erased (the request's reference or date)")
	}
	if err := checkReason(reason); err != nil {
		return Erasure{}, err
	}
	var out Erasure
	err := s.store.Write(ctx, func(ctx context.Context, tx Tx) error {
		e, err := tx.EraseContact(ctx, id)
		if err != nil {
			return err
		}
		now := s.clock()
		detail := map[string]int64{"conversations": e.Conversations, "messages": e.Messages,
			"attachments": e.Attachments, "phone_messages": e.PhoneMessages, "webchat_visitors": e.Visitors}
		if err := tx.AddAudit(ctx, s.audit(actor, AuditContactErased, id, reason, detail)); err != nil {
			return err
		}
		payload, err := json.Marshal(ContactErased{ContactID: id, At: now})
		if err != nil {
			return err
		}
		if _, err := tx.AddOutbox(ctx, OutboxRecord{Stream: Stream, Type: TopicContactErased, Payload: payload, CreatedAt: now}); err != nil {
			return err
		}
		out = e
		return nil
	})
	if err != nil {
		return Erasure{}, fmt.Errorf("inbox: erase contact %d: %w", id, err)
	}
	out.ContactID = id
	if del, ok := s.blobs.(BlobDeleter); ok {
		for _, sum := range out.Blobs {
			if err := del.Delete(ctx, sum); err != nil {
				s.log.Error("erase contact: attachment content not deleted", "contact_id", id, "sha256", sum, "err", err)
				continue
			}
			out.BlobsDeleted++
		}
	}
	s.log.Info("contact erased", "contact_id", id, "actor_id", actor.ID, "conversations", out.Conversations,
		"messages", out.Messages, "blobs", out.BlobsDeleted)
	return out, nil
}

// AuditLog returns a page of the audit log, newest first, for admins.
func (s *Service) AuditLog(ctx context.Context, actor User, q AuditQuery) ([]AuditEntry, error) {
	if err := requireAdmin(actor); err != nil {
		return nil, err
	}
	if q.Limit <= 0 || q.Limit > MaxPageSize {
		q.Limit = DefaultPageSize
	}
	out, err := s.store.AuditEntries(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("inbox: audit log: %w", err)
	}
	return out, nil
}

func checkReason(reason string) error {
	if len(reason) > MaxAuditReason || !utf8.ValidString(reason) || strings.ContainsAny(reason, "\x00\r\n") {
		return invalid("reason", "one line of at most %d bytes", MaxAuditReason)
	}
	return nil
}

// audit builds an audit entry about a contact.
func (s *Service) audit(actor User, action string, contactID int64, reason string, detail any) *AuditEntry {
	b, _ := json.Marshal(detail)
	who := actor.Email
	if who == "" {
		who = actor.Name
	}
	return &AuditEntry{At: s.clock(), ActorUserID: actor.ID, Actor: who, Action: action,
		Object: "contact:" + strconv.FormatInt(contactID, 10), Reason: strings.TrimSpace(reason), Detail: string(b)}
}
