package migration

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pixelpipe/pixelpipe/internal/testenv"
	"github.com/pixelpipe/pixelpipe/schemas"
)

// newestVersion reads the highest NNNNNN prefix of the embedded migrations;
// versions need not be contiguous.
func newestVersion(t *testing.T) uint {
	t.Helper()
	files, err := schemas.ClickHouse.ReadDir(schemas.ClickHouseDir)
	require.NoError(t, err)
	var newest uint
	for _, f := range files {
		prefix, _, ok := strings.Cut(f.Name(), "_")
		require.True(t, ok, "migration %s has no version prefix", f.Name())
		v, err := strconv.ParseUint(prefix, 10, 32)
		require.NoError(t, err, "migration %s", f.Name())
		newest = max(newest, uint(v))
	}
	return newest
}

func TestUpAppliesTheWholeHistoryToAnEmptyDatabaseAndIsIdempotent(t *testing.T) {
	server := testenv.ClickHouse(t, "default")
	db := testenv.UniqueID("migrate_test")
	cfg := testenv.ClickHouseConfig(db)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	t.Cleanup(func() { _ = server.Exec(context.Background(), "DROP DATABASE IF EXISTS "+QuoteIdent(db)) })

	first, err := Up(ctx, cfg)
	require.NoError(t, err)
	assert.Equal(t, newestVersion(t), first)
	second, err := Up(ctx, cfg)
	require.NoError(t, err)
	assert.Equal(t, first, second)

	engines := map[string]string{}
	rows, err := server.Query(ctx, "SELECT name, engine FROM system.tables WHERE database = ?", db)
	require.NoError(t, err)
	defer rows.Close()
	for rows.Next() {
		var name, engine string
		require.NoError(t, rows.Scan(&name, &engine))
		engines[name] = engine
	}
	require.NoError(t, rows.Err())
	for name, engine := range map[string]string{
		"interactions":           "ReplacingMergeTree",
		"set_activity_hourly":    "AggregatingMergeTree",
		"set_activity_hourly_mv": "MaterializedView",
		"item_activity_daily":    "AggregatingMergeTree",
		"item_activity_daily_mv": "MaterializedView",
		"audience_daily":         "AggregatingMergeTree",
		"audience_daily_mv":      "MaterializedView",
	} {
		assert.Equal(t, engine, engines[name], "engine of %s", name)
	}
}
