// Package testenv finds the local stack for integration tests: the real
// Kafka, ClickHouse and services that `make up` starts. Without them a plain
// `go test ./...` skips those tests; `make test` sets PIXELPIPE_REQUIRE_STACK
// so a missing stack fails instead.
package testenv

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net"
	"os"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/pixelpipe/pixelpipe/pkg/chconn"
)

// Addresses of the local stack (the contract in the design brief).
const (
	KafkaAddr      = "127.0.0.1:9092"
	ClickHouseAddr = "127.0.0.1:9000"
	EdgeAddr       = "127.0.0.1:8080"
	PixelURL       = "http://" + EdgeAddr + "/api/v1/analytics/pixel"
)

// Need skips (or, under make test, fails) the test unless addr accepts TCP.
func Need(t testing.TB, what, addr string) {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, 2*time.Second)
	if err == nil {
		_ = conn.Close()
		return
	}
	msg := what + " is not reachable at " + addr + " (" + err.Error() + "); start the local stack with `make up`, or run `make test`"
	if os.Getenv("PIXELPIPE_REQUIRE_STACK") == "1" {
		t.Fatal(msg)
	}
	t.Skip(msg)
}

// ClickHouseConfig is the local server as the sink sees it, in database db.
func ClickHouseConfig(db string) chconn.Config {
	return chconn.Config{Addrs: ClickHouseAddr, Database: db, User: "default", DialTimeout: 5 * time.Second}
}

// ClickHouse connects to database db of the local server.
func ClickHouse(t testing.TB, db string) driver.Conn {
	t.Helper()
	Need(t, "ClickHouse", ClickHouseAddr)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := chconn.Open(ctx, ClickHouseConfig(db))
	if err != nil {
		t.Fatalf("connecting to ClickHouse: %v", err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	return conn
}

// UniqueID returns a fresh identifier, so tests sharing the stack (and
// earlier runs of them) never see each other's rows.
func UniqueID(prefix string) string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return prefix + "_" + hex.EncodeToString(b)
}
