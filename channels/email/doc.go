// Package email is the email channel: IMAP mailboxes imported with IDLE (or polling),
// an SMTP server for mail delivered directly, and replies sent over SMTP with correct
// threading. MIME parsing and HTML sanitising are in mailparse.
//
// # Inbound
//
// Every raw message, whichever road it came by, goes through Channel.Receive: parse
// (never fails: malformed mail is kept with warnings), recognise machine-generated mail
// (RFC 3834 Auto-Submitted, Precedence, X-Autoreply, X-Auto-Response-Suppress, list
// headers, robot senders, a null return path, delivery reports, our own Message-IDs),
// attach delivery reports to the outbound message they report on, build a
// channels.Envelope and hand it to the inbox's Ingest. Providers are acknowledged only
// after Ingest returned nil: SMTP answers 250 then (451 on a temporary failure, 554 on
// a message the inbox refuses for good); IMAP advances its checkpoint then.
//
// External id and idempotency. The envelope's ExternalID is the normalised Message-ID
// ("<local@domain>", domain lower-cased), the same whichever mailbox or server the
// message came through. The issue asks for idempotency on Message-ID + mailbox; we
// chose the stricter Message-ID alone: a message sent to two of our addresses
// (accueil@ and urbanisme@, or forwarded to the SMTP server and also read over IMAP)
// is one message from one person and must make one conversation, not two that two
// teams answer. It is stored once, under the account (mailbox) that delivered it
// first. A message without a Message-ID gets a stable id derived from the SHA-256 of
// its bytes, so an IMAP re-fetch (reconnect, UIDVALIDITY change) is still recognised.
//
// Threading. References are In-Reply-To then References newest first; the inbox
// threads by the first it knows. Our outgoing Message-IDs carry an HMAC-signed
// conversation token (fd.c<conv>.m<msg>.<mac>@domain) and, with plus addressing, so
// does Reply-To (local+fd-c<conv>-<mac>@domain): the token recovered from a recipient
// or a referenced id is the envelope's ConversationHint, which the inbox uses only
// for the same contact. Nothing is threaded on the subject.
//
// Teams. A mailbox (or the SMTP server) maps to a team slug: a new conversation is
// put in that team at once with a system actor (UpdateConversation), and TeamOf
// exposes the mapping for the router.
//
// # IMAP
//
// One Poller per mailbox keeps a session: LOGIN or AUTHENTICATE PLAIN over TLS or
// STARTTLS, SELECT, then a checkpoint (UIDVALIDITY, last UID) per mailbox in the
// store. The first sync, and any sync after UIDVALIDITY changed, searches the last
// backfill_days by date; later syncs search UID last+1:*. Messages are fetched with
// BODY.PEEK[] in UID batches (one round trip per batch), ingested concurrently (the
// store commits them together), then the checkpoint moves to the highest UID below
// the first temporary failure; \Seen is never relied on. Then IDLE (re-issued every
// idle_restart; the server's answer to DONE is the liveness check, with a timeout) or
// polling. Any error closes the session and reconnects with exponential backoff and
// jitter, forever: a mailbox is never disabled. Every IMAP command runs under a
// watchdog that closes a connection whose server stopped answering.
//
// # Loops
//
// Automatic acknowledgements (auto_ack) go only to new conversations from people,
// at most one per sender per auto_ack.per_sender, marked Auto-Submitted: auto-replied.
// Every automatic message, whoever queued it (an acknowledgement, a routing rule's
// auto_reply), counts against loop_guard's max_auto_replies_per_sender per window and
// address: an acknowledgement when Receive queues it, anything else when the Sender
// delivers it. Over the budget the Sender does not send it and returns a permanent
// ErrAutoReplySuppressed, so the outbound worker marks it failed with that reason
// instead of retrying; agents' replies are never limited. Mail recognised as
// automatic is never answered automatically (Receive for acknowledgements, the router
// for rules). The rate limits live in memory.
//
// # Senders
//
// A message whose From cannot be read takes its sender from Sender, Reply-To, the
// SMTP envelope sender or Return-Path, in that order, with a warning; with none of
// them it is kept under the placeholder unknown-sender@<domain>.invalid (RFC 2606: it
// can never be a real address, and the Sender refuses it), warning "no readable
// sender", rather than refused and lost.
package email
