// Package mailparse reads an Internet message (RFC 5322 with MIME) into what the inbox
// keeps of it: sender, threading headers, plain text, sanitised HTML, attachments and,
// for delivery status notifications, the report.
//
// Everything it reads is untrusted. Parse never fails and never panics on malformed
// input: it keeps what it could read and says what it could not in Message.Warnings.
// Hard limits bound the work one message can cause: header block size, line length,
// number of MIME parts, multipart nesting depth, decoded bytes kept per part.
//
// Algorithm: the MIME tree is walked depth first. The first text/plain and text/html
// leaves that are not attachments become the bodies (in multipart/alternative only the
// first of each type counts; in multipart/mixed further inline text parts are
// appended); multipart/report yields a Report; every other leaf, and every part with a
// filename or an attachment disposition, becomes an Attachment (inline images keep
// their Content-ID for cid: links). Transfer encodings (base64, quoted-printable) are
// decoded leniently; charsets are converted to UTF-8, an unknown or undeclared one is
// decoded best-effort (UTF-8 when valid, else Windows-1252) and flagged. HTML is
// sanitised with an allowlist (no script, no style sheets, no remote images, no event
// handlers); the quoted history of a reply is separated from the new text and, in HTML,
// folded into a <details> element.
package mailparse
