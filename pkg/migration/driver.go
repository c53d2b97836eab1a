package migration

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync/atomic"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/golang-migrate/migrate/v4/database"
	"github.com/golang-migrate/migrate/v4/database/multistmt"
)

// nativeDriver is a golang-migrate database driver over clickhouse-go's
// native API. The library's own ClickHouse driver records versions with a
// database/sql INSERT ... VALUES, which hangs against ClickHouse 18.16 (the
// server waits for a data block the client never sends); a native batch
// with an explicit column list works on 18.16 and on current releases.
// golang-migrate still owns ordering, sources and dirty-state handling.
type nativeDriver struct {
	conn    driver.Conn
	table   string
	timeout time.Duration
	locked  atomic.Bool
}

var errOpenUnsupported = errors.New("open the native driver with newNativeDriver, not by URL")

func newNativeDriver(conn driver.Conn, table string) (*nativeDriver, error) {
	d := &nativeDriver{conn: conn, table: table, timeout: time.Minute}
	ctx, cancel := d.ctx()
	defer cancel()
	err := conn.Exec(ctx, "CREATE TABLE IF NOT EXISTS "+QuoteIdent(table)+
		" (version Int64, dirty UInt8, sequence UInt64) ENGINE = TinyLog")
	if err != nil {
		return nil, fmt.Errorf("creating %s: %w", table, err)
	}
	return d, nil
}

func (d *nativeDriver) ctx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), d.timeout)
}

func (d *nativeDriver) Open(string) (database.Driver, error) { return nil, errOpenUnsupported }

func (d *nativeDriver) Close() error { return nil }

// Lock is process-local, as in the library's ClickHouse driver: ClickHouse
// has no advisory locks. Run one migrate at a time (make up, a Job).
func (d *nativeDriver) Lock() error {
	if !d.locked.CompareAndSwap(false, true) {
		return database.ErrLocked
	}
	return nil
}

func (d *nativeDriver) Unlock() error {
	if !d.locked.CompareAndSwap(true, false) {
		return database.ErrNotLocked
	}
	return nil
}

// Run executes each ';'-separated statement of a migration in order.
func (d *nativeDriver) Run(migration io.Reader) error {
	var runErr error
	err := multistmt.Parse(migration, []byte(";"), 10<<20, func(stmt []byte) bool {
		if len(trimSpace(stmt)) == 0 {
			return true
		}
		ctx, cancel := d.ctx()
		defer cancel()
		if err := d.conn.Exec(ctx, string(stmt)); err != nil {
			runErr = &database.Error{OrigErr: err, Err: "migration failed", Query: stmt}
			return false
		}
		return true
	})
	if err != nil {
		return fmt.Errorf("reading migration: %w", err)
	}
	return runErr
}

func (d *nativeDriver) SetVersion(version int, dirty bool) error {
	ctx, cancel := d.ctx()
	defer cancel()
	batch, err := d.conn.PrepareBatch(ctx, "INSERT INTO "+QuoteIdent(d.table)+" (version, dirty, sequence)")
	if err != nil {
		return fmt.Errorf("preparing version record: %w", err)
	}
	var dirtyFlag uint8
	if dirty {
		dirtyFlag = 1
	}
	if err := batch.Append(int64(version), dirtyFlag, uint64(time.Now().UnixNano())); err != nil {
		_ = batch.Abort()
		return fmt.Errorf("recording version %d: %w", version, err)
	}
	if err := batch.Send(); err != nil {
		return fmt.Errorf("recording version %d: %w", version, err)
	}
	return nil
}

func (d *nativeDriver) Version() (int, bool, error) {
	ctx, cancel := d.ctx()
	defer cancel()
	rows, err := d.conn.Query(ctx, "SELECT version, dirty FROM "+QuoteIdent(d.table)+" ORDER BY sequence DESC LIMIT 1")
	if err != nil {
		return 0, false, fmt.Errorf("reading schema version: %w", err)
	}
	defer rows.Close()
	if !rows.Next() {
		return database.NilVersion, false, rows.Err()
	}
	var (
		version int64
		dirty   uint8
	)
	if err := rows.Scan(&version, &dirty); err != nil {
		return 0, false, fmt.Errorf("reading schema version: %w", err)
	}
	return int(version), dirty == 1, nil
}

// Drop is refused: this tool never empties an analytics database.
func (d *nativeDriver) Drop() error {
	return errors.New("drop is not supported; drop the database by hand")
}

func trimSpace(b []byte) []byte {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\n' || b[0] == '\t' || b[0] == '\r') {
		b = b[1:]
	}
	return b
}
