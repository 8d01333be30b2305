// Command frontdesk is the Frontdesk hub: a shared live inbox for email, web chat, Slack
// and phone, with a reception bot.
//
//	frontdesk serve [--config FILE] [--data DIR] [--addr HOST:PORT] [--demo]
//	frontdesk migrate | demo | check-config | version
//	frontdesk user add|list|set-password|disable|enable
//	frontdesk token create|list|revoke
//	frontdesk classify [--eval FILE | --retrain]
//
// Without --config it runs the embedded default: SQLite and blobs in ./data, the
// in-process bus, listening on 127.0.0.1:8080.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// env is what a command may touch of the outside world, so tests can drive commands
// in-process.
type env struct {
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	getenv func(string) string
	// isTerminal reports whether stdin is an interactive terminal (for prompts).
	isTerminal func() bool
	// readPassword reads a password from the terminal without echo.
	readPassword func() (string, error)
}

// command is one subcommand.
type command struct {
	name    string
	summary string
	run     func(ctx context.Context, e *env, args []string) error
}

func commands() []command {
	return []command{
		{"serve", "run the hub (HTTP, workers)", runServe},
		{"migrate", "apply database migrations and exit", runMigrate},
		{"user", "manage users: add, list, set-password, disable, enable", runUser},
		{"token", "manage API tokens: create, list, revoke", runToken},
		{"contact", "personal data requests (GDPR): find, export, erase, audit", runContact},
		{"demo", "load the demo data (teams, users, conversations)", runDemo},
		{"classify", "classify JSON lines from stdin; --eval FILE, --retrain", runClassify},
		{"reindex", "rebuild the search index from the database", runReindex},
		{"check-config", "print the resolved configuration, secrets masked", runCheckConfig},
		{"version", "print the version", runVersion},
		{"bench", "load benchmarks against an in-process hub: ingest, webchat, search, pipeline", runBench},
	}
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	e := &env{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr, getenv: os.Getenv,
		isTerminal: stdinIsTerminal, readPassword: readTerminalPassword}
	code := run(ctx, e, os.Args[1:])
	stop()
	os.Exit(code)
}

// errUsage marks an error caused by how the command was called (exit status 2).
var errUsage = errors.New("usage")

// run dispatches args to a subcommand and returns the exit status.
func run(ctx context.Context, e *env, args []string) int {
	if len(args) == 0 {
		usage(e.stderr) // a mistake: the usage goes with errors, stdout stays for data
		return 2
	}
	if args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		usage(e.stdout)
		return 0
	}
	for _, c := range commands() {
		if c.name == args[0] {
			err := c.run(ctx, e, args[1:])
			switch {
			case err == nil:
				return 0
			case errors.Is(err, flag.ErrHelp):
				return 0
			case errors.Is(err, errUsage):
				if !errors.Is(err, errShown) {
					fmt.Fprintf(e.stderr, "frontdesk %s: %v\n", c.name, err)
				}
				return 2
			default:
				fmt.Fprintf(e.stderr, "frontdesk %s: %v\n", c.name, err)
				return 1
			}
		}
	}
	fmt.Fprintf(e.stderr, "frontdesk: unknown command %q\n\n", args[0])
	usage(e.stderr)
	return 2
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "Usage: frontdesk <command> [flags]")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Commands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-13s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Every command takes --config FILE and --data DIR; run 'frontdesk <command> -h' for its flags.")
}

// common are the flags every command takes.
type common struct {
	config string
	data   string
}

// flags returns a flag set for command name with the common flags registered.
func flags(e *env, name string, c *common) *flag.FlagSet {
	fs := flag.NewFlagSet("frontdesk "+name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	fs.StringVar(&c.config, "config", "", "configuration `file` (default: none, the embedded default)")
	fs.StringVar(&c.data, "data", "", "data `folder` (default: the config's data_dir, else ./data)")
	return fs
}

// parse parses args, turning flag errors into usage errors.
func parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return fmt.Errorf("%w: %w", errUsage, errShown) // the flag package wrote it, with the usage
	}
	if fs.NArg() > 0 {
		// No command takes words besides its flags: a stray one (a flag's value
		// without its flag) would otherwise stop the parsing, silently.
		return fmt.Errorf("%w: unexpected argument %q", errUsage, fs.Arg(0))
	}
	return nil
}

// subcommandHelp answers -h, --help or help where a subcommand is expected: the
// subcommands on stdout; true when it did.
func subcommandHelp(e *env, args []string, name, subs string) bool {
	if len(args) == 0 || (args[0] != "-h" && args[0] != "--help" && args[0] != "help") {
		return false
	}
	fmt.Fprintf(e.stdout, "usage: frontdesk %s SUBCOMMAND [flags]\nsubcommands: %s\n(frontdesk %s SUBCOMMAND -h lists a subcommand's flags)\n", name, subs, name)
	return true
}

// errShown marks a usage error already written to the user.
var errShown = errors.New("already shown")

// load resolves the configuration for c.
func (c common) load(e *env) (config, error) {
	cfg, err := loadConfig(c.config, e.getenv)
	if err != nil {
		return cfg, err
	}
	if c.data != "" {
		cfg.DataDir = c.data
	}
	return cfg, nil
}
