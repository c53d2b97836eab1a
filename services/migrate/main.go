// Command migrate brings the ClickHouse schema to the newest version: it
// creates the database when missing and applies the embedded migrations in
// order. Running it again is a no-op.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/peterbourgon/ff/v3"

	"github.com/pixelpipe/pixelpipe/pkg/chconn"
	"github.com/pixelpipe/pixelpipe/pkg/migration"
)

func main() {
	err := run(os.Args[1:])
	if errors.Is(err, flag.ErrHelp) {
		return
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "migrate:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	cfg, err := parseConfig(args)
	if err != nil {
		return err
	}
	if err := cfg.Validate(); err != nil {
		return fmt.Errorf("invalid settings:\n%w", err)
	}
	if cfg.CheckConfig {
		fmt.Println("migrate: settings are valid")
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	version, err := migration.Up(ctx, cfg.ClickHouse)
	if err != nil {
		return err
	}
	fmt.Printf("migrate: %s is at schema version %d\n", cfg.ClickHouse.Database, version)
	return nil
}

// Config is every setting of migrate; each is a flag and a MIGRATE_* variable.
type Config struct {
	CheckConfig bool
	ClickHouse  chconn.Config
}

// Validate reports every invalid setting at once.
func (c Config) Validate() error { return c.ClickHouse.Validate() }

func parseConfig(args []string) (Config, error) {
	var c Config
	fs := flag.NewFlagSet("migrate", flag.ContinueOnError)
	chconn.RegisterFlags(fs, &c.ClickHouse)
	fs.BoolVar(&c.CheckConfig, "check-config", false, "validate the settings, report every problem and exit")
	if err := ff.Parse(fs, args, ff.WithEnvVarPrefix("MIGRATE")); err != nil {
		return c, fmt.Errorf("parsing migrate settings: %w", err)
	}
	return c, nil
}
