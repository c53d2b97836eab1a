package migration

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pixelpipe/pixelpipe/internal/testenv"
	"github.com/pixelpipe/pixelpipe/schemas"
)

func TestUpAppliesTheWholeHistoryToAnEmptyDatabaseAndIsIdempotent(t *testing.T) {
	server := testenv.ClickHouse(t, "default")
	db := testenv.UniqueID("migrate_test")
	cfg := testenv.ClickHouseConfig(db)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	t.Cleanup(func() { _ = server.Exec(context.Background(), "DROP DATABASE IF EXISTS "+QuoteIdent(db)) })

	files, err := schemas.ClickHouse.ReadDir(schemas.ClickHouseDir)
	require.NoError(t, err)
	newest := uint(len(files) / 2) // one .up.sql and one .down.sql per version

	first, err := Up(ctx, cfg)
	require.NoError(t, err)
	assert.Equal(t, newest, first)
	second, err := Up(ctx, cfg)
	require.NoError(t, err)
	assert.Equal(t, first, second)

	var tables uint64
	require.NoError(t, server.QueryRow(ctx, "SELECT count() FROM system.tables WHERE database = ? AND name = 'interactions'", db).Scan(&tables))
	assert.Equal(t, uint64(1), tables)
	var engine string
	require.NoError(t, server.QueryRow(ctx, "SELECT engine FROM system.tables WHERE database = ? AND name = 'interactions'", db).Scan(&engine))
	assert.Equal(t, "ReplacingMergeTree", engine)
}
