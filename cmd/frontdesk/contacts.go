package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/frontdeskhq/frontdesk/channels"
	"github.com/frontdeskhq/frontdesk/inbox"
)

// runContact serves a data subject's requests (GDPR): find the contact, export or
// erase their data, read the audit log of those operations.
func runContact(ctx context.Context, e *env, args []string) error {
	const subs = "find, export, erase, audit"
	if subcommandHelp(e, args, "contact", subs) {
		return nil
	}
	if len(args) == 0 {
		return fmt.Errorf("%w: want a subcommand: %s", errUsage, subs)
	}
	sub, args := args[0], args[1:]
	var c common
	fs := flags(e, "contact "+sub, &c)
	var email, phone, reason, out *string
	var id *int64
	var yes *bool
	var limit *int
	switch sub {
	case "find":
		email = fs.String("email", "", "the person's email `address`")
		phone = fs.String("phone", "", "the person's phone `number`, in any usual form")
	case "export":
		id = fs.Int64("id", 0, "the contact's `id` (see contact find)")
		reason = fs.String("reason", "", "`why`, for the audit log (required: the request's reference or date)")
		out = fs.String("out", "", "write the JSON to this `file` (default: standard output)")
	case "erase":
		id = fs.Int64("id", 0, "the contact's `id` (see contact find)")
		reason = fs.String("reason", "", "`why`, for the audit log (required: the request's reference or date)")
		yes = fs.Bool("yes", false, "do not ask for confirmation (required when not on a terminal)")
	case "audit":
		limit = fs.Int("limit", 50, "how many entries, newest first (1 to 200)")
	default:
		return fmt.Errorf("%w: unknown subcommand %q: want %s", errUsage, sub, subs)
	}
	if err := parse(fs, args); err != nil {
		return err
	}
	switch {
	case sub == "find" && (*email == "") == (*phone == ""):
		return fmt.Errorf("%w: give --email or --phone", errUsage)
	case (sub == "export" || sub == "erase") && *id == 0:
		return fmt.Errorf("%w: --id is required", errUsage)
	case (sub == "export" || sub == "erase") && *id < 0:
		return fmt.Errorf("%w: --id %d: a contact id is positive", errUsage, *id)
	case (sub == "export" || sub == "erase") && strings.TrimSpace(*reason) == "":
		return fmt.Errorf("%w: --reason is required: it goes to the audit log", errUsage)
	case sub == "audit" && (*limit < 1 || *limit > 200):
		return fmt.Errorf("%w: --limit %d: from 1 to 200", errUsage, *limit)
	case sub == "erase" && !*yes && !e.isTerminal():
		return fmt.Errorf("%w: erasing cannot be undone: add --yes when not on a terminal", errUsage)
	}
	a, err := openExisting(ctx, e, c)
	if err != nil {
		return err
	}
	defer a.close()
	switch sub {
	case "find":
		kind, value := channels.KindEmail, *email
		if *phone != "" {
			kind, value = channels.KindPhone, *phone
		}
		ct, err := a.inbox.FindContact(ctx, inbox.CLIActor, kind, value)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintf(tw, "ID\t%d\nNAME\t%s\nCREATED\t%s\n", ct.ID, ct.Name, ct.CreatedAt.Format("2006-01-02 15:04"))
		for _, i := range ct.Identities {
			fmt.Fprintf(tw, "%s\t%s\n", strings.ToUpper(string(i.Kind)), i.Value)
		}
		return tw.Flush()
	case "export":
		// The file first: an export that cannot be written must not be in the audit
		// log as done.
		w := e.stdout
		if *out != "" {
			f, err := os.OpenFile(*out, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
			if err != nil {
				return fmt.Errorf("export: %w", err)
			}
			defer f.Close()
			w = f
		}
		x, err := a.inbox.ExportContact(ctx, inbox.CLIActor, *id, *reason)
		if err != nil {
			if *out != "" {
				os.Remove(*out) // nothing exported: no empty file left behind
			}
			return err
		}
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		if err := enc.Encode(x); err != nil {
			return fmt.Errorf("export: %w", err)
		}
		if *out != "" {
			fmt.Fprintf(e.stderr, "contact %d: %d conversation(s), %d phone message(s) written to %s\n",
				*id, len(x.Conversations), len(x.PhoneMessages), *out)
		}
	case "erase":
		if !*yes {
			fmt.Fprintf(e.stderr, "Erase everything kept about contact %d? This cannot be undone. Type the contact id to confirm: ", *id)
			line, _ := bufio.NewReader(e.stdin).ReadString('\n')
			if strings.TrimSpace(line) != fmt.Sprint(*id) {
				return fmt.Errorf("not confirmed: nothing erased")
			}
		}
		r, err := a.inbox.EraseContact(ctx, inbox.CLIActor, *id, *reason)
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "contact %d erased: %d conversation(s), %d message(s), %d attachment(s) (%d file(s) deleted), %d phone message(s), %d chat profile(s)\n",
			*id, r.Conversations, r.Messages, r.Attachments, r.BlobsDeleted, r.PhoneMessages, r.Visitors)
	case "audit":
		list, err := a.inbox.AuditLog(ctx, inbox.CLIActor, inbox.AuditQuery{Limit: *limit})
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "WHEN\tWHO\tACTION\tOBJECT\tREASON\tDETAIL")
		for _, l := range list {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", l.At.Local().Format("2006-01-02 15:04"), l.Actor, l.Action, l.Object, l.Reason, l.Detail)
		}
		return tw.Flush()
	}
	return nil
}
