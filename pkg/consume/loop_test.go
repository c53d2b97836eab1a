package consume

import (
	"context"
	"errors"
	"io"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/segmentio/kafka-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/zap"
)

// fakeSource hands out n records, then blocks like an idle partition. The
// first failures fetches fail, as while the brokers are down.
type fakeSource struct {
	mu        sync.Mutex
	failures  int
	records   []kafka.Message
	committed []int64
	commits   chan struct{}
}

func newFakeSource(n int) *fakeSource {
	s := &fakeSource{commits: make(chan struct{}, 100)}
	for i := 0; i < n; i++ {
		s.records = append(s.records, kafka.Message{Offset: int64(i), Value: []byte("v")})
	}
	return s
}

func (s *fakeSource) FetchMessage(ctx context.Context) (kafka.Message, error) {
	s.mu.Lock()
	if s.failures > 0 {
		s.failures--
		s.mu.Unlock()
		return kafka.Message{}, errors.New("dial tcp 127.0.0.1:9092: connection refused")
	}
	if len(s.records) > 0 {
		m := s.records[0]
		s.records = s.records[1:]
		s.mu.Unlock()
		return m, nil
	}
	s.mu.Unlock()
	<-ctx.Done()
	return kafka.Message{}, ctx.Err()
}

func (s *fakeSource) CommitMessages(_ context.Context, msgs ...kafka.Message) error {
	s.mu.Lock()
	for _, m := range msgs {
		s.committed = append(s.committed, m.Offset)
	}
	s.mu.Unlock()
	s.commits <- struct{}{}
	return nil
}

func (s *fakeSource) committedOffsets() []int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]int64(nil), s.committed...)
}

// flakyHandler fails the first failures calls and records what it saw.
type flakyHandler struct {
	mu       sync.Mutex
	failures int
	handled  [][]int64
}

func (h *flakyHandler) Handle(_ context.Context, batch []kafka.Message) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	var offsets []int64
	for _, m := range batch {
		offsets = append(offsets, m.Offset)
	}
	h.handled = append(h.handled, offsets)
	if h.failures > 0 {
		h.failures--
		return errors.New("downstream unavailable")
	}
	return nil
}

func testConfig() Config {
	return Config{
		MaxRecords: 3, MaxBytes: 1 << 20, MaxWait: 20 * time.Millisecond,
		MinBackoff: time.Millisecond, MaxBackoff: 5 * time.Millisecond, CommitRetries: 1, StopTimeout: time.Second,
	}
}

func waitCommits(t *testing.T, s *fakeSource, n int) {
	t.Helper()
	for i := 0; i < n; i++ {
		select {
		case <-s.commits:
		case <-time.After(5 * time.Second):
			t.Fatalf("only %d of %d commits happened", i, n)
		}
	}
}

func TestLoopRetriesTheSameBatchBeforeCommitting(t *testing.T) {
	src := newFakeSource(3)
	h := &flakyHandler{failures: 2}
	loop := NewLoop(testConfig(), src, src, h, zap.NewNop(), NewMetrics(prometheus.NewRegistry()))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- loop.Run(ctx) }()

	waitCommits(t, src, 1)
	cancel()
	require.NoError(t, <-done)

	assert.Equal(t, [][]int64{{0, 1, 2}, {0, 1, 2}, {0, 1, 2}}, h.handled, "a failed batch is retried whole")
	assert.Equal(t, []int64{0, 1, 2}, src.committedOffsets())
}

func TestLoopReportsLagPerPartition(t *testing.T) {
	src := newFakeSource(0)
	src.records = []kafka.Message{
		{Topic: "pixel.raw", Partition: 2, Offset: 5, HighWaterMark: 9},
		{Topic: "pixel.raw", Partition: 4, Offset: 0, HighWaterMark: 1},
	}
	reg := prometheus.NewRegistry()
	loop := NewLoop(testConfig(), src, src, &flakyHandler{}, zap.NewNop(), NewMetrics(reg))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- loop.Run(ctx) }()
	waitCommits(t, src, 1)
	cancel()
	require.NoError(t, <-done)

	families, err := reg.Gather()
	require.NoError(t, err)
	lag := map[string]float64{}
	for _, f := range families {
		if f.GetName() != "pixelpipe_consumer_lag" {
			continue
		}
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "partition" {
					lag[l.GetValue()] = m.GetGauge().GetValue()
				}
			}
		}
	}
	assert.Equal(t, map[string]float64{"2": 3, "4": 0}, lag)
}

func TestLoopFlushesAPartialBatchWhenItAges(t *testing.T) {
	src := newFakeSource(2)
	h := &flakyHandler{}
	loop := NewLoop(testConfig(), src, src, h, zap.NewNop(), NewMetrics(prometheus.NewRegistry()))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- loop.Run(ctx) }()

	waitCommits(t, src, 1)
	cancel()
	require.NoError(t, <-done)
	assert.Equal(t, []int64{0, 1}, src.committedOffsets())
}

func TestLoopNeverCommitsWhatWasNotHandled(t *testing.T) {
	src := newFakeSource(3)
	h := &flakyHandler{failures: 1 << 30}
	loop := NewLoop(testConfig(), src, src, h, zap.NewNop(), NewMetrics(prometheus.NewRegistry()))
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	require.NoError(t, loop.Run(ctx))
	assert.Empty(t, src.committedOffsets())
	assert.Greater(t, len(h.handled), 1, "the batch was retried while downstream failed")
}

func TestLoopOutlivesUnreachableBrokers(t *testing.T) {
	src := newFakeSource(2)
	src.failures = 5
	loop := NewLoop(testConfig(), src, src, &flakyHandler{}, zap.NewNop(), NewMetrics(prometheus.NewRegistry()))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- loop.Run(ctx) }()
	waitCommits(t, src, 1)
	cancel()
	require.NoError(t, <-done)
	assert.Equal(t, []int64{0, 1}, src.committedOffsets())
}

type closedReader struct{}

func (closedReader) FetchMessage(context.Context) (kafka.Message, error) {
	return kafka.Message{}, io.EOF
}

func TestLoopEndsWhenTheReaderIsClosed(t *testing.T) {
	src := newFakeSource(0)
	loop := NewLoop(testConfig(), closedReader{}, src, &flakyHandler{}, zap.NewNop(), NewMetrics(prometheus.NewRegistry()))
	err := loop.Run(context.Background())
	assert.ErrorIs(t, err, io.EOF)
}

// stoppingHandler asks the loop to stop while it handles the first batch,
// as a SIGTERM arriving mid-insert does.
type stoppingHandler struct {
	stop    context.CancelFunc
	handled int
}

func (h *stoppingHandler) Handle(ctx context.Context, _ []kafka.Message) error {
	h.stop()
	h.handled++
	return ctx.Err()
}

func TestLoopFinishesTheBatchInFlightWhenToldToStop(t *testing.T) {
	src := newFakeSource(3)
	ctx, cancel := context.WithCancel(context.Background())
	h := &stoppingHandler{stop: cancel}
	loop := NewLoop(testConfig(), src, src, h, zap.NewNop(), NewMetrics(prometheus.NewRegistry()))
	require.NoError(t, loop.Run(ctx))
	assert.Equal(t, 1, h.handled)
	assert.Equal(t, []int64{0, 1, 2}, src.committedOffsets(), "the batch being handled at the stop is committed")
}
