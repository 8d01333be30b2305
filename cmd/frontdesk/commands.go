package main

import (
	"context"
	"fmt"
	"runtime"
	"runtime/debug"

	"go.yaml.in/yaml/v3"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

// runVersion prints the version, the Go version and the commit it was built from.
func runVersion(_ context.Context, e *env, args []string) error {
	var c common
	if err := parse(flags(e, "version", &c), args); err != nil {
		return err
	}
	rev := ""
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" && len(s.Value) >= 12 {
				rev = " " + s.Value[:12]
			}
		}
	}
	fmt.Fprintf(e.stdout, "frontdesk %s%s (%s %s/%s)\n", version, rev, runtime.Version(), runtime.GOOS, runtime.GOARCH)
	return nil
}

// runMigrate applies pending migrations.
func runMigrate(ctx context.Context, e *env, args []string) error {
	var c common
	if err := parse(flags(e, "migrate", &c), args); err != nil {
		return err
	}
	a, err := openQuiet(ctx, e, c)
	if err != nil {
		return err
	}
	defer a.close()
	// Opening the store applied what was pending; say where it stands.
	fmt.Fprintf(e.stdout, "database %s is up to date\n", a.cfg.Store.Path)
	return nil
}

// runCheckConfig prints the resolved configuration with secrets masked.
func runCheckConfig(_ context.Context, e *env, args []string) error {
	var c common
	if err := parse(flags(e, "check-config", &c), args); err != nil {
		return err
	}
	cfg, err := c.load(e)
	if err != nil {
		return err
	}
	out, err := yaml.Marshal(cfg.masked())
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "# resolved configuration (defaults applied, secrets masked)\n%s", out)
	return nil
}
