// Package fault breaks the running stack (outages, kill -9) and checks that
// the pipeline loses and duplicates nothing. Each test leaves the stack
// healthy again.
package fault

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/stretchr/testify/require"

	"github.com/pixelpipe/pixelpipe/internal/testenv"
	"github.com/pixelpipe/pixelpipe/pkg/kafkax"
	"github.com/pixelpipe/pixelpipe/pkg/message"
)

const sinkAdminAddr = "127.0.0.1:8083"

// needSinkStack skips (or fails under make test) unless Kafka, ClickHouse
// and the sink run.
func needSinkStack(t *testing.T) {
	t.Helper()
	testenv.Need(t, "Kafka", testenv.KafkaAddr)
	testenv.Need(t, "ClickHouse", testenv.ClickHouseAddr)
	testenv.Need(t, "the sink", sinkAdminAddr)
}

// sinkWriter produces straight into pixel.events, so these tests exercise
// the sink alone; keys are fm_session_id, as the enricher writes them.
func sinkWriter(t *testing.T) *kafka.Writer {
	t.Helper()
	w, err := kafkax.NewWriter(kafkax.Config{Brokers: testenv.KafkaAddr, ClientID: "fault-test"},
		kafkax.WriterConfig{Linger: 5 * time.Millisecond, BatchSize: 1000, WriteTimeout: 10 * time.Second})
	require.NoError(t, err)
	t.Cleanup(func() { _ = w.Close() })
	return w
}

func eventMessages(t *testing.T, events []message.Event) []kafka.Message {
	t.Helper()
	msgs := make([]kafka.Message, 0, len(events))
	for i := range events {
		b, err := message.EncodeEvent(&events[i])
		require.NoError(t, err)
		msgs = append(msgs, kafka.Message{Topic: kafkax.TopicEvents, Key: []byte(events[i].FmSessionID), Value: b})
	}
	return msgs
}

func produce(t *testing.T, w *kafka.Writer, msgs []kafka.Message) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	require.NoError(t, w.WriteMessages(ctx, msgs...), "producing %d events", len(msgs))
}

// dlqEnd returns the end offset of each pixel.dlq partition, where this
// test's dead letters will start.
func dlqEnd(t *testing.T) map[int]int64 {
	t.Helper()
	ends := map[int]int64{}
	for _, p := range dlqPartitions(t) {
		conn, err := kafka.DialLeader(context.Background(), "tcp", testenv.KafkaAddr, kafkax.TopicDLQ, p)
		require.NoError(t, err)
		end, err := conn.ReadLastOffset()
		_ = conn.Close()
		require.NoError(t, err)
		ends[p] = end
	}
	return ends
}

func dlqPartitions(t *testing.T) []int {
	t.Helper()
	conn, err := kafka.Dial("tcp", testenv.KafkaAddr)
	require.NoError(t, err)
	defer conn.Close()
	parts, err := conn.ReadPartitions(kafkax.TopicDLQ)
	require.NoError(t, err)
	var ids []int
	for _, p := range parts {
		ids = append(ids, p.ID)
	}
	return ids
}

// deadLettersWithKeyPrefix reads pixel.dlq from the given offsets and
// returns the dead letters whose key starts with prefix.
func deadLettersWithKeyPrefix(t *testing.T, from map[int]int64, prefix string) ([]message.DeadLetter, error) {
	t.Helper()
	var out []message.DeadLetter
	for p, offset := range from {
		msgs, err := readPartition(kafkax.TopicDLQ, p, offset)
		if err != nil {
			return nil, err
		}
		for _, m := range msgs {
			if !strings.HasPrefix(string(m.Key), prefix) {
				continue
			}
			d, err := message.DecodeDeadLetter(m.Value)
			if err != nil {
				return nil, err
			}
			out = append(out, d)
		}
	}
	return out, nil
}

func readPartition(topic string, partition int, from int64) ([]kafka.Message, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	conn, err := kafka.DialLeader(ctx, "tcp", testenv.KafkaAddr, topic, partition)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	end, err := conn.ReadLastOffset()
	if err != nil || end <= from {
		return nil, err
	}
	if _, err := conn.Seek(from, kafka.SeekAbsolute); err != nil {
		return nil, err
	}
	_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	batch := conn.ReadBatch(1, 16<<20)
	var msgs []kafka.Message
	for {
		m, err := batch.ReadMessage()
		if err != nil {
			break
		}
		msgs = append(msgs, m)
		if m.Offset >= end-1 {
			break
		}
	}
	// A short read is fine: the caller polls until what it needs is there.
	_ = batch.Close()
	return msgs, nil
}
