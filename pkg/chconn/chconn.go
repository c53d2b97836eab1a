// Package chconn holds the ClickHouse connection settings the sink and the
// migrate command share.
package chconn

import (
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/pixelpipe/pixelpipe/pkg/tlsconf"
)

// Config is how a service reaches ClickHouse over the native protocol.
type Config struct {
	Addrs       string // comma-separated host:port list
	Database    string
	User        string
	Password    string
	DialTimeout time.Duration
	TLS         bool
	TLSCAFile   string
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
	if !c.TLS && c.TLSCAFile != "" {
		errs = append(errs, errors.New("clickhouse-tls-ca-file: set clickhouse-tls too"))
	}
	if _, err := c.tlsConfig(); err != nil {
		errs = append(errs, err)
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

func (c Config) options(database string) (*clickhouse.Options, error) {
	tlsConfig, err := c.tlsConfig()
	if err != nil {
		return nil, err
	}
	return &clickhouse.Options{
		Addr:        c.addrList(),
		Auth:        clickhouse.Auth{Database: database, Username: c.User, Password: c.Password},
		DialTimeout: c.DialTimeout,
		Compression: &clickhouse.Compression{Method: clickhouse.CompressionLZ4},
		TLS:         tlsConfig,
	}, nil
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
	opts, err := c.options(database)
	if err != nil {
		return nil, err
	}
	conn, err := clickhouse.Open(opts)
	if err != nil {
		return nil, fmt.Errorf("opening clickhouse %s: %w", c.Addrs, err)
	}
	if err := conn.Ping(ctx); err != nil {
		_ = conn.Close()
		return nil, fmt.Errorf("pinging clickhouse %s: %w", c.Addrs, err)
	}
	return conn, nil
}

// RegisterFlags declares the ClickHouse settings on fs, the same way for
// every command that talks to ClickHouse.
func RegisterFlags(fs *flag.FlagSet, c *Config) {
	fs.StringVar(&c.Addrs, "clickhouse-addr", "127.0.0.1:9000", "comma-separated ClickHouse native addresses")
	fs.StringVar(&c.Database, "clickhouse-database", "pixel", "database holding the pipeline's tables")
	fs.StringVar(&c.User, "clickhouse-user", "default", "ClickHouse user")
	fs.StringVar(&c.Password, "clickhouse-password", "", "ClickHouse password")
	fs.DurationVar(&c.DialTimeout, "clickhouse-dial-timeout", 5*time.Second, "longest wait to connect to ClickHouse")
	fs.BoolVar(&c.TLS, "clickhouse-tls", false, "connect to ClickHouse over TLS (the secure native port, usually 9440)")
	fs.StringVar(&c.TLSCAFile, "clickhouse-tls-ca-file", "", "PEM file of the CAs that sign ClickHouse's certificate (empty: system roots)")
}

func (c Config) tlsConfig() (*tls.Config, error) {
	if !c.TLS {
		return nil, nil
	}
	cfg, err := tlsconf.Client(c.TLSCAFile, "")
	if err != nil {
		return nil, fmt.Errorf("clickhouse TLS: %w", err)
	}
	return cfg, nil
}
