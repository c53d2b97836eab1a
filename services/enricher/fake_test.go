package main

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/segmentio/kafka-go"
	"github.com/stretchr/testify/require"
	"go.uber.org/zap"

	"github.com/pixelpipe/pixelpipe/pkg/message"
)

// memChangelog is an in-memory Changelog for unit tests of the state logic;
// the Kafka one is tested against the real broker.
type memChangelog struct {
	parts    map[int][]dedupEntry
	failures int // Appends left to fail
}

func newMemChangelog() *memChangelog { return &memChangelog{parts: map[int][]dedupEntry{}} }

func (c *memChangelog) Spans(_ context.Context, partitions []int) (map[int]LogSpan, error) {
	spans := map[int]LogSpan{}
	for _, p := range partitions {
		spans[p] = LogSpan{End: int64(len(c.parts[p]))}
	}
	return spans, nil
}

func (c *memChangelog) Read(_ context.Context, p int, from, end int64, fn func(DedupKey, int64)) error {
	for _, e := range c.parts[p][from:end] {
		fn(e.key, e.at)
	}
	return nil
}

func (c *memChangelog) Append(_ context.Context, p int, entries []dedupEntry) (int64, error) {
	if c.failures > 0 {
		c.failures--
		return 0, errors.New("broker unavailable")
	}
	base := int64(len(c.parts[p]))
	c.parts[p] = append(c.parts[p], entries...)
	return base, nil
}

func (c *memChangelog) keys(p int) int { return len(c.parts[p]) }

func testMetrics() *metrics { return newMetrics(prometheus.NewRegistry()) }

func newTestState(log Changelog) *dedupState {
	return newDedupState(log, time.Hour, 100, testMetrics())
}

func newTestEnricher(t testing.TB, ipMode string) *enricher {
	t.Helper()
	ua, err := newUAClassifier(100)
	require.NoError(t, err)
	return &enricher{ip: newIPAnonymizer(ipMode, "0123456789abcdef-test"), geo: &geoLookup{}, ua: ua}
}

func newTestHandler(t testing.TB, w Writer, log Changelog) *handler {
	t.Helper()
	return newHandler(w, Topics{Events: "ev", DLQ: "dlq"}, newTestState(log), newTestEnricher(t, IPTruncate), zap.NewNop(), testMetrics())
}

func decodeEventMessage(m kafka.Message) (message.Event, error) { return message.DecodeEvent(m.Value) }
