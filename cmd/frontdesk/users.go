package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/frontdeskhq/frontdesk/inbox"
)

// openQuiet opens the app for a one-shot command, logging only warnings.
func openQuiet(ctx context.Context, e *env, c common) (*app, error) {
	cfg, err := c.load(e)
	if err != nil {
		return nil, err
	}
	cfg.Log.Level = "warn"
	return openApp(ctx, cfg, newLogger(cfg.Log, e.stderr))
}

// openExisting is openQuiet for commands that manage what a hub already holds: a data
// folder without its database (a mistyped --data) is an error, where it was silently
// made into a new, empty one that answered "nothing".
func openExisting(ctx context.Context, e *env, c common) (*app, error) {
	cfg, err := c.load(e)
	if err != nil {
		return nil, err
	}
	p := cfg.Store.File(cfg.DataDir)
	if _, err := os.Stat(p); errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("no database at %s: check --data (or data_dir in the configuration)", p)
	}
	return openQuiet(ctx, e, c)
}

// runUser manages users.
func runUser(ctx context.Context, e *env, args []string) error {
	if subcommandHelp(e, args, "user", "add, list, set-password, disable, enable") {
		return nil
	}
	if len(args) == 0 {
		return fmt.Errorf("%w: want a subcommand: add, list, set-password, disable, enable", errUsage)
	}
	sub, args := args[0], args[1:]
	var c common
	fs := flags(e, "user "+sub, &c)
	email := fs.String("email", "", "the user's `email` address")
	var name, role *string
	var teams, langs *string
	switch sub {
	case "add":
		name = fs.String("name", "", "display `name`")
		role = fs.String("role", "agent", "`role`: agent, supervisor or admin")
		teams = fs.String("team", "", "comma-separated team `slugs` (created if missing)")
		langs = fs.String("languages", "fr", "comma-separated `languages` spoken, e.g. fr,en")
	case "list", "set-password", "disable", "enable":
	default:
		return fmt.Errorf("%w: unknown subcommand %q: want add, list, set-password, disable, enable", errUsage, sub)
	}
	if err := parse(fs, args); err != nil {
		return err
	}
	if sub != "list" && *email == "" {
		return fmt.Errorf("%w: --email is required", errUsage)
	}
	if sub == "add" && !inbox.Role(*role).Valid() {
		return fmt.Errorf("%w: --role %q: agent, supervisor or admin", errUsage, *role)
	}
	open := openExisting
	if sub == "add" {
		open = openQuiet // the first administrator may be added before the first serve
	}
	a, err := open(ctx, e, c)
	if err != nil {
		return err
	}
	defer a.close()
	switch sub {
	case "add":
		pw, err := password(e)
		if err != nil {
			return err
		}
		u, err := a.inbox.CreateUser(ctx, inbox.NewUser{Email: *email, Name: *name, Role: inbox.Role(*role),
			Password: pw, Teams: splitList(*teams), Languages: splitList(*langs)})
		if errors.Is(err, inbox.ErrDuplicate) {
			return fmt.Errorf("a user with email %s already exists", *email)
		}
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "created %s user %s (id %d)\n", u.Role, u.Email, u.ID)
	case "list":
		return listUsers(ctx, e.stdout, a.inbox)
	case "set-password":
		pw, err := password(e)
		if err != nil {
			return err
		}
		if err := a.inbox.SetPassword(ctx, *email, pw); err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "password of %s changed\n", *email)
	case "disable", "enable":
		if err := a.inbox.SetDisabled(ctx, *email, sub == "disable"); err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "%s %sd\n", *email, sub)
		if sub == "disable" {
			fmt.Fprintln(e.stdout, "a running hub refuses their API tokens within 2 seconds")
		}
	}
	return nil
}

func listUsers(ctx context.Context, w io.Writer, svc *inbox.Service) error {
	users, err := svc.Users(ctx)
	if err != nil {
		return err
	}
	teams, err := svc.Teams(ctx)
	if err != nil {
		return err
	}
	slug := map[int64]string{}
	for _, t := range teams {
		slug[t.ID] = t.Slug
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tEMAIL\tNAME\tROLE\tTEAMS\tSTATE")
	for _, u := range users {
		var ts []string
		for _, id := range u.TeamIDs {
			ts = append(ts, slug[id])
		}
		state := "active"
		if u.Disabled {
			state = "disabled"
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\n", u.ID, u.Email, u.Name, u.Role, strings.Join(ts, ","), state)
	}
	return tw.Flush()
}

// password takes the new password from FRONTDESK_PASSWORD, or asks on a terminal.
func password(e *env) (string, error) {
	if pw := e.getenv("FRONTDESK_PASSWORD"); pw != "" {
		return pw, nil
	}
	if !e.isTerminal() {
		return "", fmt.Errorf("%w: set FRONTDESK_PASSWORD, or run on a terminal to be asked", errUsage)
	}
	fmt.Fprint(e.stderr, "Password: ")
	pw, err := e.readPassword()
	fmt.Fprintln(e.stderr)
	if err != nil {
		return "", fmt.Errorf("read password: %w", err)
	}
	fmt.Fprint(e.stderr, "Again: ")
	again, err := e.readPassword()
	fmt.Fprintln(e.stderr)
	if err != nil {
		return "", fmt.Errorf("read password: %w", err)
	}
	if pw != again {
		return "", errors.New("the two passwords differ")
	}
	return pw, nil
}

// runToken manages API tokens.
func runToken(ctx context.Context, e *env, args []string) error {
	if subcommandHelp(e, args, "token", "create, list, revoke") {
		return nil
	}
	if len(args) == 0 {
		return fmt.Errorf("%w: want a subcommand: create, list, revoke", errUsage)
	}
	sub, args := args[0], args[1:]
	var c common
	fs := flags(e, "token "+sub, &c)
	email := fs.String("email", "", "the token owner's `email`")
	var name, prefix *string
	switch sub {
	case "create":
		name = fs.String("name", "cli", "a `label` saying what the token is for")
	case "revoke":
		prefix = fs.String("prefix", "", "revoke only the token with this `prefix` (as listed); default all of the user's")
	case "list":
	default:
		return fmt.Errorf("%w: unknown subcommand %q: want create, list, revoke", errUsage, sub)
	}
	if err := parse(fs, args); err != nil {
		return err
	}
	if *email == "" {
		return fmt.Errorf("%w: --email is required", errUsage)
	}
	a, err := openExisting(ctx, e, c)
	if err != nil {
		return err
	}
	defer a.close()
	switch sub {
	case "create":
		secret, _, err := a.inbox.CreateToken(ctx, *email, *name)
		if err != nil {
			return err
		}
		fmt.Fprintln(e.stdout, secret) // alone on stdout, for scripts
	case "list":
		toks, err := a.inbox.Tokens(ctx, *email)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "PREFIX\tNAME\tCREATED\tSTATE")
		for _, t := range toks {
			state := "live"
			if t.RevokedAt != nil {
				state = "revoked " + t.RevokedAt.Format("2006-01-02 15:04")
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", t.Prefix, t.Name, t.CreatedAt.Format("2006-01-02 15:04"), state)
		}
		return tw.Flush()
	case "revoke":
		n, err := a.inbox.RevokeTokens(ctx, *email, *prefix)
		if err != nil {
			return err
		}
		if n == 0 {
			// A mistyped prefix must not look like a leaked token taken care of.
			return fmt.Errorf("no live token of %s with prefix %q (see: frontdesk token list --email %s)", *email, *prefix, *email)
		}
		fmt.Fprintf(e.stdout, "%d token(s) revoked; a running hub refuses them within 2 seconds\n", n)
	}
	return nil
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
