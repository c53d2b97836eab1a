package main

import (
	"bytes"
	"context"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/segmentio/kafka-go"
	"github.com/stretchr/testify/require"
	"go.uber.org/zap"

	"github.com/pixelpipe/pixelpipe/internal/testenv"
	"github.com/pixelpipe/pixelpipe/pkg/consume"
	"github.com/pixelpipe/pixelpipe/pkg/kafkax"
	"github.com/pixelpipe/pixelpipe/pkg/message"
	"github.com/pixelpipe/pixelpipe/pkg/migration"
	"github.com/pixelpipe/pixelpipe/test/analytics"
)

// benchSessions makes about 200k events: sized for a 2-core machine.
const benchSessions = 45000

// benchSinkArgs are the sink settings under test (defaults when empty).
var benchSinkArgs = []string{"-batch-records", "100000", "-batch-bytes", "134217728"}

// BenchmarkSinkBacklog drains a prepared backlog of pixel.events through the
// sink's own loop, handler and inserter into ClickHouse, and inserts the same
// rows with clickhouse-client, in the same run; "ratio" is sink rows/s over
// clickhouse-client rows/s. It uses its own topic, group and databases, so
// the shared stack is not disturbed. One sized run per call (-benchtime 1x).
func BenchmarkSinkBacklog(b *testing.B) {
	testenv.Need(b, "Kafka", testenv.KafkaAddr)
	testenv.Need(b, "ClickHouse", testenv.ClickHouseAddr)
	client, err := exec.LookPath("clickhouse-client")
	if err != nil {
		b.Skip("clickhouse-client is not installed: `make up` installs it")
	}
	b.ReportAllocs()
	tr := analytics.Generate(testenv.UniqueID("bench"), benchSessions, 17)
	id := testenv.UniqueID("bench")
	topic := "pixel.bench." + id
	createTopic(b, topic)
	sinkDB, clientDB := benchDatabase(b, id+"_sink"), benchDatabase(b, id+"_client")

	w, err := kafkax.NewWriter(kafkax.Config{Brokers: testenv.KafkaAddr, ClientID: "bench"},
		kafkax.WriterConfig{Linger: 10 * time.Millisecond, BatchSize: 10000, WriteTimeout: 30 * time.Second})
	require.NoError(b, err)
	defer w.Close()
	msgs := make([]kafka.Message, len(tr.Events))
	for i := range tr.Events {
		v, err := message.EncodeEvent(&tr.Events[i])
		require.NoError(b, err)
		msgs[i] = kafka.Message{Topic: topic, Key: []byte(tr.Events[i].FmSessionID), Value: v}
	}
	require.NoError(b, w.WriteMessages(context.Background(), msgs...), "preparing the backlog")
	rows, err := analytics.JSONEachRow(tr.Events)
	require.NoError(b, err)

	b.ResetTimer()
	sinkTook := drainWithSink(b, topic, sinkDB, len(msgs))
	clientTook := insertWithClient(b, client, clientDB, rows)
	b.StopTimer()

	n := float64(len(msgs))
	sinkRate, clientRate := n/sinkTook.Seconds(), n/clientTook.Seconds()
	b.ReportMetric(sinkRate, "sink-rows/s")
	b.ReportMetric(clientRate, "client-rows/s")
	b.ReportMetric(sinkRate/clientRate, "ratio")
	b.Logf("sink settings %v", benchSinkArgs)
	b.Logf("%d rows: sink %.0f rows/s (%s), clickhouse-client %.0f rows/s (%s), ratio %.2f (goal >= 0.7)",
		len(msgs), sinkRate, sinkTook.Round(time.Millisecond), clientRate, clientTook.Round(time.Millisecond), sinkRate/clientRate)
}

func createTopic(b *testing.B, topic string) {
	conn, err := kafka.Dial("tcp", testenv.KafkaAddr)
	require.NoError(b, err)
	defer conn.Close()
	controller, err := conn.Controller()
	require.NoError(b, err)
	cc, err := kafka.Dial("tcp", controller.Host+":"+strconv.Itoa(controller.Port))
	require.NoError(b, err)
	defer cc.Close()
	require.NoError(b, cc.CreateTopics(kafka.TopicConfig{Topic: topic, NumPartitions: 6, ReplicationFactor: 1}))
	b.Cleanup(func() {
		if c, err := kafka.Dial("tcp", controller.Host+":"+strconv.Itoa(controller.Port)); err == nil {
			_ = c.DeleteTopics(topic)
			_ = c.Close()
		}
	})
}

func benchDatabase(b *testing.B, db string) string {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	_, err := migration.Up(ctx, testenv.ClickHouseConfig(db))
	require.NoError(b, err)
	server := testenv.ClickHouse(b, "default")
	b.Cleanup(func() { _ = server.Exec(context.Background(), "DROP DATABASE IF EXISTS "+migration.QuoteIdent(db)) })
	return db
}

// drainWithSink runs the sink's consumer loop over the backlog and times it
// from the first record fetched to the last offset committed (joining the
// group is not the sink's throughput).
func drainWithSink(b *testing.B, topic, db string, want int) time.Duration {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	conn := testenv.ClickHouse(b, db)
	reader, err := kafkax.NewReader(kafkax.Config{Brokers: testenv.KafkaAddr, ClientID: "bench"},
		kafkax.ReaderConfig{Group: topic, Topic: topic})
	require.NoError(b, err)
	defer reader.Close()
	src := &timedSource{Reader: reader, want: want, done: make(chan struct{})}
	cfg, err := parseConfig(benchSinkArgs)
	require.NoError(b, err)
	h := newHandler(&chInserter{conn: conn}, &discardWriter{}, "unused", zap.NewNop(), newMetrics(prometheus.NewRegistry()))
	loop := consume.NewLoop(consume.Config{
		MaxRecords: cfg.BatchRecords, MaxBytes: cfg.BatchBytes, MaxWait: cfg.BatchWait,
		MinBackoff: 200 * time.Millisecond, MaxBackoff: 10 * time.Second, CommitRetries: 3, StopTimeout: cfg.StopTimeout,
	}, src, src, h, zap.NewNop(), consume.NewMetrics(prometheus.NewRegistry()))
	loopCtx, stop := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); _ = loop.Run(loopCtx) }()
	select {
	case <-src.done:
	case <-ctx.Done():
		b.Fatalf("the sink committed %d of %d records in time", src.committed.Load(), want)
	}
	stop()
	wg.Wait()
	return src.last.Sub(src.first)
}

// timedSource notes when the first record was fetched and when the last
// wanted one was committed.
type timedSource struct {
	*kafka.Reader
	want      int
	firstOnce sync.Once
	first     time.Time
	last      time.Time
	committed atomic.Int64
	done      chan struct{}
}

func (s *timedSource) FetchMessage(ctx context.Context) (kafka.Message, error) {
	m, err := s.Reader.FetchMessage(ctx)
	if err == nil {
		s.firstOnce.Do(func() { s.first = time.Now() })
	}
	return m, err
}

func (s *timedSource) CommitMessages(ctx context.Context, msgs ...kafka.Message) error {
	if err := s.Reader.CommitMessages(ctx, msgs...); err != nil {
		return err
	}
	if s.committed.Add(int64(len(msgs))) == int64(s.want) {
		s.last = time.Now()
		close(s.done)
	}
	return nil
}

type discardWriter struct{}

func (discardWriter) WriteMessages(context.Context, ...kafka.Message) error { return nil }

func insertWithClient(b *testing.B, client, db string, rows []byte) time.Duration {
	cmd := exec.Command(client, "--database", db, "--query",
		"INSERT INTO interactions ("+strings.Join(analytics.Columns, ", ")+") FORMAT JSONEachRow")
	cmd.Stdin = bytes.NewReader(rows)
	start := time.Now()
	out, err := cmd.CombinedOutput()
	took := time.Since(start)
	require.NoError(b, err, "clickhouse-client: %s", out)
	return took
}
