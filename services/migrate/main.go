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
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	version, err := migration.Up(ctx, cfg)
	if err != nil {
		return err
	}
	fmt.Printf("migrate: %s is at schema version %d\n", cfg.Database, version)
	return nil
}

func parseConfig(args []string) (chconn.Config, error) {
	var c chconn.Config
	fs := flag.NewFlagSet("migrate", flag.ContinueOnError)
	fs.StringVar(&c.Addrs, "clickhouse-addr", "127.0.0.1:9000", "comma-separated ClickHouse native addresses")
	fs.StringVar(&c.Database, "clickhouse-database", "pixel", "database holding the pipeline's tables")
	fs.StringVar(&c.User, "clickhouse-user", "default", "ClickHouse user")
	fs.StringVar(&c.Password, "clickhouse-password", "", "ClickHouse password")
	fs.DurationVar(&c.DialTimeout, "clickhouse-dial-timeout", 5*time.Second, "longest wait to connect to ClickHouse")
	if err := ff.Parse(fs, args, ff.WithEnvVarPrefix("MIGRATE")); err != nil {
		return c, fmt.Errorf("parsing migrate settings: %w", err)
	}
	return c, nil
}
