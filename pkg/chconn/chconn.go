// Package chconn holds the ClickHouse connection settings the sink and the
// migrate command share.
package chconn

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
)

// Config is how a service reaches ClickHouse over the native protocol.
type Config struct {
	Addrs       string // comma-separated host:port list
	Database    string
	User        string
	Password    string
	DialTimeout time.Duration
}

// Validate reports every problem with the settings.
func (c Config) Validate() error {
	var errs []error
	addrs := c.addrList()
	if len(addrs) == 0 {
		errs = append(errs, errors.New("clickhouse addresses: at least one host:port is required"))
	}
	for _, a := range addrs {
		if _, _, err := net.SplitHostPort(a); err != nil {
			errs = append(errs, fmt.Errorf("clickhouse address %q: %w", a, err))
		}
	}
	if c.Database == "" {
		errs = append(errs, errors.New("clickhouse database: must not be empty"))
	}
	if c.User == "" {
		errs = append(errs, errors.New("clickhouse user: must not be empty"))
	}
	if c.DialTimeout <= 0 {
		errs = append(errs, errors.New("clickhouse dial timeout: must be positive"))
	}
	return errors.Join(errs...)
}

func (c Config) addrList() []string {
	var out []string
	for _, a := range strings.Split(c.Addrs, ",") {
		if a = strings.TrimSpace(a); a != "" {
			out = append(out, a)
		}
	}
	return out
}

func (c Config) options(database string) *clickhouse.Options {
	return &clickhouse.Options{
		Addr:        c.addrList(),
		Auth:        clickhouse.Auth{Database: database, Username: c.User, Password: c.Password},
		DialTimeout: c.DialTimeout,
		Compression: &clickhouse.Compression{Method: clickhouse.CompressionLZ4},
	}
}

// Open connects to the configured database and checks that it answers.
func Open(ctx context.Context, c Config) (driver.Conn, error) {
	return open(ctx, c, c.Database)
}

// OpenServer connects without selecting the configured database, for the
// step that creates it.
func OpenServer(ctx context.Context, c Config) (driver.Conn, error) {
	return open(ctx, c, "default")
}

func open(ctx context.Context, c Config, database string) (driver.Conn, error) {
	conn, err := clickhouse.Open(c.options(database))
	if err != nil {
		return nil, fmt.Errorf("opening clickhouse %s: %w", c.Addrs, err)
	}
	if err := conn.Ping(ctx); err != nil {
		_ = conn.Close()
		return nil, fmt.Errorf("pinging clickhouse %s: %w", c.Addrs, err)
	}
	return conn, nil
}
