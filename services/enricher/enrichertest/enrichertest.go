// Package enrichertest drives the running enricher through real Kafka for
// integration and fault tests: raw hits in on pixel.raw, events and dead
// letters read back from pixel.events and pixel.dlq.
package enrichertest

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/stretchr/testify/require"

	"github.com/pixelpipe/pixelpipe/internal/testenv"
	"github.com/pixelpipe/pixelpipe/pkg/kafkax"
	"github.com/pixelpipe/pixelpipe/pkg/message"
)

// Group is the consumer group of the stack's enricher.
const Group = "pixelpipe-enricher"

// Hit is one raw pixel hit as the edge would write it.
type Hit struct {
	RequestID string
	At        time.Time
	IP        string
	UserAgent string
	Query     string
}

// Encode renders h as a pixel.raw value.
func (h Hit) Encode() []byte {
	return message.AppendRaw(nil, []byte(h.RequestID), h.At, []byte(h.IP), []byte(h.UserAgent), []byte(h.Query))
}

// Kafka is a client of the local broker.
type Kafka struct {
	client *kafka.Client
	parts  int
}

// Connect needs the local Kafka and returns a client of it.
func Connect(t testing.TB) *Kafka {
	t.Helper()
	testenv.Need(t, "Kafka", testenv.KafkaAddr)
	k := &Kafka{client: &kafka.Client{Addr: kafka.TCP(testenv.KafkaAddr), Timeout: 10 * time.Second}}
	res, err := k.client.Metadata(context.Background(), &kafka.MetadataRequest{Topics: []string{kafkax.TopicRaw}})
	require.NoError(t, err)
	require.Len(t, res.Topics, 1)
	require.NoError(t, res.Topics[0].Error)
	k.parts = len(res.Topics[0].Partitions)
	return k
}

// Partition is where key lands in every topic of the pipeline (they have
// the same number of partitions, and every stage keys by fm_session_id).
func (k *Kafka) Partition(key string) int {
	ids := make([]int, k.parts)
	for i := range ids {
		ids[i] = i
	}
	return (&kafka.Murmur2Balancer{}).Balance(kafka.Message{Key: []byte(key)}, ids...)
}

// End is the offset the next record of topic/partition will get.
func (k *Kafka) End(t testing.TB, topic string, partition int) int64 {
	t.Helper()
	res, err := k.client.ListOffsets(context.Background(), &kafka.ListOffsetsRequest{
		Topics: map[string][]kafka.OffsetRequest{topic: {kafka.LastOffsetOf(partition)}},
	})
	require.NoError(t, err)
	for _, po := range res.Topics[topic] {
		require.NoError(t, po.Error)
		return po.LastOffset
	}
	t.Fatalf("no offsets for %s/%d", topic, partition)
	return 0
}

// Produce writes values with key to pixel.raw and returns the offset of each.
func (k *Kafka) Produce(t testing.TB, key string, values ...[]byte) []int64 {
	t.Helper()
	offsets, err := k.TryProduce(key, values...)
	require.NoError(t, err)
	return offsets
}

// TryProduce is Produce for goroutines other than the test's.
func (k *Kafka) TryProduce(key string, values ...[]byte) ([]int64, error) {
	records := make([]kafka.Record, len(values))
	for i, v := range values {
		records[i] = kafka.Record{Key: kafka.NewBytes([]byte(key)), Value: kafka.NewBytes(v)}
	}
	res, err := k.client.Produce(context.Background(), &kafka.ProduceRequest{
		Topic: kafkax.TopicRaw, Partition: k.Partition(key), RequiredAcks: kafka.RequireAll,
		Records: kafka.NewRecordReader(records...),
	})
	if err == nil {
		err = res.Error
	}
	if err != nil {
		return nil, fmt.Errorf("producing to %s: %w", kafkax.TopicRaw, err)
	}
	offsets := make([]int64, len(values))
	for i := range offsets {
		offsets[i] = res.BaseOffset + int64(i)
	}
	return offsets, nil
}

// WaitCommitted waits until the enricher's group committed past offset in
// partition of pixel.raw: the record's output and dedup state are durable.
func (k *Kafka) WaitCommitted(t testing.TB, partition int, offset int64) {
	t.Helper()
	require.Eventually(t, func() bool {
		res, err := k.client.OffsetFetch(context.Background(), &kafka.OffsetFetchRequest{
			GroupID: Group, Topics: map[string][]int{kafkax.TopicRaw: {partition}},
		})
		if err != nil || res.Error != nil {
			return false
		}
		for _, p := range res.Topics[kafkax.TopicRaw] {
			if p.Partition == partition && p.CommittedOffset > offset {
				return true
			}
		}
		return false
	}, 60*time.Second, 100*time.Millisecond, "the enricher did not commit past %s/%d@%d", kafkax.TopicRaw, partition, offset)
}

// Collect reads topic/partition from offset and returns the records whose
// key is key, until done says it has what it waits for.
func Collect(t testing.TB, topic string, partition int, from int64, key string, done func([]kafka.Message) bool) []kafka.Message {
	t.Helper()
	r := kafka.NewReader(kafka.ReaderConfig{
		Brokers: []string{testenv.KafkaAddr}, Topic: topic, Partition: partition, MaxWait: 100 * time.Millisecond,
	})
	defer r.Close()
	require.NoError(t, r.SetOffset(from))
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	var got []kafka.Message
	for !done(got) {
		m, err := r.ReadMessage(ctx)
		require.NoError(t, err, "reading %s/%d: have %d records of %s", topic, partition, len(got), key)
		if string(m.Key) == key {
			got = append(got, m)
		}
	}
	return got
}

// Events decodes pixel.events records.
func Events(t testing.TB, msgs []kafka.Message) []message.Event {
	t.Helper()
	out := make([]message.Event, len(msgs))
	for i, m := range msgs {
		e, err := message.DecodeEvent(m.Value)
		require.NoError(t, err)
		out[i] = e
	}
	return out
}

// HasRequest is a done func: true once an event of requestID was read.
func HasRequest(t testing.TB, requestID string) func([]kafka.Message) bool {
	return func(msgs []kafka.Message) bool {
		return slices.ContainsFunc(Events(t, msgs), func(e message.Event) bool { return e.RequestID == requestID })
	}
}

// StartInstance runs a second enricher in the stack's group with its admin
// endpoint on admin (see testenv.StartInstance).
func StartInstance(t testing.TB, admin string) *testenv.Instance {
	t.Helper()
	return testenv.StartInstance(t, "enricher", admin, "ENRICHER_GROUP="+Group, "ENRICHER_KAFKA_CLIENT_ID=pixelpipe-enricher-test")
}
