package main

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/segmentio/kafka-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/zap"
)

// fakeWriter stands in for kafka-go in unit tests of the batching and spool
// logic; fail decides per call whether Kafka "is down".
type fakeWriter struct {
	mu    sync.Mutex
	fail  func(msgs []kafka.Message) error
	calls int
	got   []string // values, in the order Kafka acknowledged them
}

func (w *fakeWriter) WriteMessages(_ context.Context, msgs ...kafka.Message) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.calls++
	if w.fail != nil {
		if err := w.fail(msgs); err != nil {
			return err
		}
	}
	for _, m := range msgs {
		w.got = append(w.got, string(m.Value))
	}
	return nil
}

func (w *fakeWriter) setFail(f func([]kafka.Message) error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.fail = f
}

func (w *fakeWriter) values() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]string(nil), w.got...)
}

var errDown = errors.New("kafka is down")

type testPipeline struct {
	*pipeline
	writer  *fakeWriter
	spool   *spool
	replay  *replayer
	metrics *metrics
}

func startPipeline(t testing.TB, maxSpool int64) *testPipeline {
	t.Helper()
	s, err := openSpool(t.TempDir(), maxSpool, 64<<10)
	require.NoError(t, err)
	w := &fakeWriter{}
	m := newMetrics(prometheus.NewRegistry())
	r := newReplayer(replayerConfig{Spool: s, Writer: w, Topic: "t", Batch: 50, Timeout: time.Second, Log: zap.NewNop(), Metrics: m})
	p := newPipeline(pipelineConfig{Writer: w, Topic: "t", Spool: s, Replay: r, Linger: time.Millisecond,
		MaxBatch: 100, Timeout: time.Second, Log: zap.NewNop(), Metrics: m})
	go p.Run()
	go r.Run()
	t.Cleanup(func() {
		_ = p.Close()
		_ = r.Stop()
		_ = s.Close()
	})
	return &testPipeline{pipeline: p, writer: w, spool: s, replay: r, metrics: m}
}

// fire stores n hits valued prefix-0, prefix-1, ... one after the other and
// returns each one's outcome.
func (p *testPipeline) fire(prefix string, n int) []error {
	out := make([]error, n)
	for i := range out {
		h := newHit()
		h.key = append(h.key, "session"...)
		h.value = fmt.Appendf(h.value, "%s-%d", prefix, i)
		out[i] = p.Store(h)
	}
	return out
}

func values(prefix string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("%s-%d", prefix, i)
	}
	return out
}

func TestPipelineDeliversToKafkaDirectly(t *testing.T) {
	p := startPipeline(t, 1<<20)
	for _, err := range p.fire("a", 20) {
		require.NoError(t, err)
	}
	assert.Equal(t, values("a", 20), p.writer.values())
	assert.Zero(t, p.spool.Depth())
	assert.Zero(t, testutil.ToFloat64(p.metrics.spooled))
}

func TestPipelineBatchesConcurrentHits(t *testing.T) {
	p := startPipeline(t, 1<<20)
	var wg sync.WaitGroup
	for g := range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for _, err := range p.fire(fmt.Sprint(g), 10) {
				assert.NoError(t, err)
			}
		}()
	}
	wg.Wait()
	assert.Len(t, p.writer.values(), 500)
	p.writer.mu.Lock()
	defer p.writer.mu.Unlock()
	assert.Less(t, p.writer.calls, 500, "concurrent hits share Kafka writes")
}

func TestPipelineSpoolsWhileKafkaIsDownAndReplaysInOrder(t *testing.T) {
	p := startPipeline(t, 1<<20)
	require.Empty(t, errorsIn(p.fire("before", 5)))
	p.writer.setFail(func([]kafka.Message) error { return errDown })

	require.Empty(t, errorsIn(p.fire("during", 30)), "a spooled hit is durable: 204")
	assert.Equal(t, values("before", 5), p.writer.values())
	assert.Equal(t, uint64(30), p.spool.Depth())
	assert.Positive(t, p.spool.Bytes())
	assert.Equal(t, 30.0, testutil.ToFloat64(p.metrics.spooled))

	p.writer.setFail(nil)
	p.replay.Wake()
	require.Eventually(t, func() bool { return p.spool.Depth() == 0 }, 10*time.Second, 10*time.Millisecond)
	require.Empty(t, errorsIn(p.fire("after", 5)))
	want := append(append(values("before", 5), values("during", 30)...), values("after", 5)...)
	assert.Equal(t, want, p.writer.values(), "replayed in order, once each, before newer hits")
	assert.Equal(t, 30.0, testutil.ToFloat64(p.metrics.replayed))
}

func TestPipelineSpoolsOnlyWhatKafkaRejected(t *testing.T) {
	p := startPipeline(t, 1<<20)
	p.writer.setFail(func(msgs []kafka.Message) error {
		errs := make(kafka.WriteErrors, len(msgs))
		errs[0] = errDown
		return errs
	})
	require.Empty(t, errorsIn(p.fire("x", 1)))
	assert.Equal(t, uint64(1), p.spool.Depth(), "the one rejected message waits in the spool")
}

func TestPipelineAnswers500PastTheSpoolBound(t *testing.T) {
	p := startPipeline(t, 2<<10)
	p.writer.setFail(func([]kafka.Message) error { return errDown })
	errs := p.fire("x", 200)
	var stored, full int
	for _, err := range errs {
		switch {
		case err == nil:
			stored++
		case errors.Is(err, errSpoolFull):
			full++
		default:
			t.Fatalf("unexpected error: %v", err)
		}
	}
	assert.Positive(t, stored)
	assert.Positive(t, full)
	assert.Equal(t, uint64(stored), p.spool.Depth())
	assert.Equal(t, float64(full), testutil.ToFloat64(p.metrics.spoolRejected))
	assert.LessOrEqual(t, p.spool.Bytes(), int64(2<<10))
}

func TestPipelineRefusesHitsAfterClose(t *testing.T) {
	p := startPipeline(t, 1<<20)
	require.NoError(t, p.Close())
	assert.ErrorIs(t, p.Store(newHit()), errStopping)
}

func TestSpoolSurvivesReopen(t *testing.T) {
	dir := t.TempDir()
	s, err := openSpool(dir, 1<<20, 64<<10)
	require.NoError(t, err)
	hits := []*hit{newHit(), newHit(), newHit()}
	for i, h := range hits {
		h.key = fmt.Appendf(h.key, "k%d", i)
		h.value = fmt.Appendf(h.value, "v%d", i)
	}
	at := time.Now().Add(-time.Minute)
	n, err := s.Append(hits, at)
	require.NoError(t, err)
	require.Equal(t, 3, n)
	require.NoError(t, s.Ack(1), "the first entry was replayed")
	require.NoError(t, s.Close())

	s, err = openSpool(dir, 1<<20, 64<<10)
	require.NoError(t, err)
	defer s.Close()
	assert.Equal(t, uint64(2), s.Depth())
	assert.InDelta(t, time.Minute.Seconds(), s.OldestAge(time.Now()).Seconds(), 5)
	got, err := s.ReadFront(nil, 10)
	require.NoError(t, err)
	require.Len(t, got, 2)
	assert.Equal(t, "k1", string(got[0].key))
	assert.Equal(t, "v1", string(got[0].value))
	assert.Equal(t, "v2", string(got[1].value))
	require.NoError(t, s.Ack(got[1].index))
	assert.Zero(t, s.Depth())
	assert.Zero(t, s.OldestAge(time.Now()))
}

func TestParseSpoolEntryRejectsGarbage(t *testing.T) {
	for _, b := range [][]byte{nil, []byte("short"), append(make([]byte, 8), 0x7f)} {
		_, _, _, err := parseSpoolEntry(b)
		assert.Error(t, err)
	}
}

func errorsIn(errs []error) []error {
	var out []error
	for _, err := range errs {
		if err != nil {
			out = append(out, err)
		}
	}
	return out
}
