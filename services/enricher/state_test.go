package main

import (
	"context"
	"testing"

	"github.com/segmentio/kafka-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pixelpipe/pixelpipe/internal/specexample"
)

func TestDedupStateSurvivesARestart(t *testing.T) {
	ctx := context.Background()
	log := newMemChangelog()
	before := newTestState(log)
	require.NoError(t, before.Sync(ctx, []int{3}))
	require.NoError(t, before.Remember(ctx, 3, []dedupEntry{{key: DedupKey{1}, at: 10}, {key: DedupKey{2}, at: 11}}))

	after := newTestState(log) // a new process: empty memory, same log
	assert.False(t, after.Seen(3, DedupKey{1}, 20), "nothing known before the sync")
	require.NoError(t, after.Sync(ctx, []int{3}))
	assert.True(t, after.Seen(3, DedupKey{1}, 20))
	assert.True(t, after.Seen(3, DedupKey{2}, 20))
	assert.False(t, after.Seen(3, DedupKey{3}, 20))
	assert.False(t, after.Seen(4, DedupKey{1}, 20), "state is per partition")
}

func TestDedupStateFollowsAPartitionMovingBackAndForth(t *testing.T) {
	ctx := context.Background()
	log := newMemChangelog()
	a, b := newTestState(log), newTestState(log)
	require.NoError(t, a.Sync(ctx, []int{0}))
	require.NoError(t, a.Remember(ctx, 0, []dedupEntry{{key: DedupKey{1}, at: 10}}))

	// Partition 0 moves to b, which adds a key, then back to a.
	require.NoError(t, b.Sync(ctx, []int{0}))
	assert.True(t, b.Seen(0, DedupKey{1}, 20))
	require.NoError(t, b.Remember(ctx, 0, []dedupEntry{{key: DedupKey{2}, at: 21}}))
	require.NoError(t, a.Sync(ctx, []int{0}))
	assert.True(t, a.Seen(0, DedupKey{2}, 30), "a caught up with what b wrote while it owned the partition")
}

func TestDedupStateRereadsWhenAnotherWriterInterleaves(t *testing.T) {
	ctx := context.Background()
	log := newMemChangelog()
	a, b := newTestState(log), newTestState(log)
	require.NoError(t, a.Sync(ctx, []int{0}))
	require.NoError(t, b.Sync(ctx, []int{0}))
	// Both believe they own partition 0 for a moment (a rebalance in flight).
	require.NoError(t, b.Remember(ctx, 0, []dedupEntry{{key: DedupKey{7}, at: 1}}))
	require.NoError(t, a.Remember(ctx, 0, []dedupEntry{{key: DedupKey{8}, at: 2}}))
	assert.False(t, a.Seen(0, DedupKey{7}, 3))
	require.NoError(t, a.Sync(ctx, []int{0}))
	assert.True(t, a.Seen(0, DedupKey{7}, 3), "the gap before a's own write is read on the next sync")
}

func TestChangelogGetsKeysOnlyAfterTheEventsAreAcknowledged(t *testing.T) {
	log := newMemChangelog()
	w := &recordingWriter{failures: 1}
	h := newTestHandler(t, w, log)
	batch := []kafka.Message{{Topic: "pixel.raw", Partition: 2, Value: rawHit(specexample.ItemClick, 1)}}
	require.Error(t, h.Handle(context.Background(), batch))
	assert.Zero(t, log.keys(2), "no key is durable before its event")
	require.NoError(t, h.Handle(context.Background(), batch))
	assert.Equal(t, 1, log.keys(2))
	require.Len(t, w.written, 1)
}

func TestAFailedChangelogWriteRetriesWithoutLosingTheEvent(t *testing.T) {
	log := newMemChangelog()
	log.failures = 1
	w := &recordingWriter{}
	h := newTestHandler(t, w, log)
	batch := []kafka.Message{{Topic: "pixel.raw", Partition: 2, Value: rawHit(specexample.ItemClick, 1)}}
	require.Error(t, h.Handle(context.Background(), batch))
	require.NoError(t, h.Handle(context.Background(), batch), "the loop retries the whole batch")
	assert.Equal(t, 1, log.keys(2))
	require.Len(t, w.written, 2, "the event is written again: at least once, same event id")
	first, err := decodeEventMessage(w.written[0])
	require.NoError(t, err)
	second, err := decodeEventMessage(w.written[1])
	require.NoError(t, err)
	assert.Equal(t, first.EventID, second.EventID)
}

func TestARestartedHandlerDropsRepeatsOfWhatItsPredecessorWrote(t *testing.T) {
	log := newMemChangelog()
	w := &recordingWriter{}
	batch := []kafka.Message{{Topic: "pixel.raw", Partition: 5, Value: rawHit(specexample.ItemClick, 1)}}
	require.NoError(t, newTestHandler(t, w, log).Handle(context.Background(), batch))
	refire := []kafka.Message{{Topic: "pixel.raw", Partition: 5, Value: rawHit(specexample.ItemClick, 5_000_000)}}
	require.NoError(t, newTestHandler(t, w, log).Handle(context.Background(), refire))
	assert.Len(t, w.written, 1)
}
