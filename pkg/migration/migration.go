// Package migration applies the embedded ClickHouse migrations; the
// migrate command and the integration tests both use it.
package migration

import (
	"context"
	"errors"
	"fmt"

	"github.com/golang-migrate/migrate/v4"
	"github.com/golang-migrate/migrate/v4/source/iofs"

	"github.com/pixelpipe/pixelpipe/pkg/chconn"
	"github.com/pixelpipe/pixelpipe/schemas"
)

// Up creates the database if needed and applies every pending migration,
// returning the schema version reached.
func Up(ctx context.Context, cfg chconn.Config) (uint, error) {
	if err := createDatabase(ctx, cfg); err != nil {
		return 0, err
	}
	source, err := iofs.New(schemas.ClickHouse, schemas.ClickHouseDir)
	if err != nil {
		return 0, fmt.Errorf("reading embedded migrations: %w", err)
	}
	conn, err := chconn.Open(ctx, cfg)
	if err != nil {
		return 0, err
	}
	defer conn.Close()
	driver, err := newNativeDriver(conn, "schema_migrations")
	if err != nil {
		return 0, err
	}
	m, err := migrate.NewWithInstance("iofs", source, "clickhouse", driver)
	if err != nil {
		return 0, fmt.Errorf("preparing migrations: %w", err)
	}
	if err := m.Up(); err != nil && !errors.Is(err, migrate.ErrNoChange) {
		return 0, fmt.Errorf("applying migrations: %w", err)
	}
	version, dirty, err := m.Version()
	if err != nil {
		return 0, fmt.Errorf("reading schema version: %w", err)
	}
	if dirty {
		return version, fmt.Errorf("schema version %d is dirty: a migration failed half-way; fix it by hand", version)
	}
	return version, nil
}

func createDatabase(ctx context.Context, cfg chconn.Config) error {
	conn, err := chconn.OpenServer(ctx, cfg)
	if err != nil {
		return err
	}
	defer conn.Close()
	if err := conn.Exec(ctx, "CREATE DATABASE IF NOT EXISTS "+QuoteIdent(cfg.Database)); err != nil {
		return fmt.Errorf("creating database %s: %w", cfg.Database, err)
	}
	return nil
}

// QuoteIdent quotes a ClickHouse identifier.
func QuoteIdent(name string) string {
	out := []byte{'`'}
	for i := 0; i < len(name); i++ {
		if name[i] == '`' || name[i] == '\\' {
			out = append(out, '\\')
		}
		out = append(out, name[i])
	}
	return string(append(out, '`'))
}
