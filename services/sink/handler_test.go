package main

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/proto"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/segmentio/kafka-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/zap"

	"github.com/pixelpipe/pixelpipe/pkg/message"
)

type fakeInserter struct {
	err  error
	rows []message.Event
}

func (f *fakeInserter) Insert(_ context.Context, events []message.Event) error {
	if f.err != nil {
		return f.err
	}
	f.rows = append(f.rows, events...)
	return nil
}

type fakeWriter struct{ written []kafka.Message }

func (f *fakeWriter) WriteMessages(_ context.Context, msgs ...kafka.Message) error {
	f.written = append(f.written, msgs...)
	return nil
}

func eventBytes(t *testing.T, id string) []byte {
	t.Helper()
	b, err := message.EncodeEvent(&message.Event{EventID: id, Application: "a"})
	require.NoError(t, err)
	return b
}

func TestHandleInsertsEventsAndDeadLettersTheRest(t *testing.T) {
	ins, dlq := &fakeInserter{}, &fakeWriter{}
	h := newHandler(ins, dlq, "pixel.dlq", zap.NewNop(), newMetrics(prometheus.NewRegistry()))
	batch := []kafka.Message{
		{Topic: "pixel.events", Offset: 1, Value: eventBytes(t, "e1")},
		{Topic: "pixel.events", Offset: 2, Value: []byte("{broken")},
		{Topic: "pixel.events", Offset: 3, Value: eventBytes(t, "e3")},
	}
	require.NoError(t, h.Handle(context.Background(), batch))
	require.Len(t, ins.rows, 2)
	assert.Equal(t, "e1", ins.rows[0].EventID)
	assert.Equal(t, "e3", ins.rows[1].EventID)
	require.Len(t, dlq.written, 1)
	d, err := message.DecodeDeadLetter(dlq.written[0].Value)
	require.NoError(t, err)
	assert.Equal(t, int64(2), d.Offset)
	assert.Equal(t, "sink", d.Stage)
	assert.Contains(t, d.Reason, "undecodable")
	assert.Equal(t, []byte("{broken"), d.Value)
}

func TestHandleFailsWhenClickHouseDoes(t *testing.T) {
	ins, dlq := &fakeInserter{err: errors.New("connection refused")}, &fakeWriter{}
	h := newHandler(ins, dlq, "pixel.dlq", zap.NewNop(), newMetrics(prometheus.NewRegistry()))
	err := h.Handle(context.Background(), []kafka.Message{{Value: eventBytes(t, "e1")}})
	assert.ErrorContains(t, err, "connection refused")
}

// refusingInserter refuses every block holding a poison event the way
// ClickHouse does: the whole block, naming no row.
type refusingInserter struct {
	poison map[string]bool
	refuse error
	stored map[string]int
	calls  int
}

func (f *refusingInserter) Insert(_ context.Context, events []message.Event) error {
	f.calls++
	for _, e := range events {
		if f.poison[e.EventID] {
			return f.refuse
		}
	}
	for _, e := range events {
		f.stored[e.EventID]++
	}
	return nil
}

func batchOf(t *testing.T, ids ...string) []kafka.Message {
	t.Helper()
	var batch []kafka.Message
	for i, id := range ids {
		batch = append(batch, kafka.Message{Topic: "pixel.events", Partition: 2, Offset: int64(i), Value: eventBytes(t, id)})
	}
	return batch
}

func deadLetterOffsets(t *testing.T, msgs []kafka.Message, reason string) []int64 {
	t.Helper()
	var offsets []int64
	for _, m := range msgs {
		d, err := message.DecodeDeadLetter(m.Value)
		require.NoError(t, err)
		assert.Contains(t, d.Reason, reason)
		offsets = append(offsets, d.Offset)
	}
	return offsets
}

func TestHandleIsolatesRowsClickHouseRefusesAndStoresTheRest(t *testing.T) {
	ins := &refusingInserter{
		poison: map[string]bool{"e3": true, "e12": true},
		refuse: fmt.Errorf("sending: %w", &proto.Exception{Code: 53, Message: "Type mismatch"}),
		stored: map[string]int{},
	}
	dlq := &fakeWriter{}
	h := newHandler(ins, dlq, "pixel.dlq", zap.NewNop(), newMetrics(prometheus.NewRegistry()))
	var ids []string
	for i := 0; i < 16; i++ {
		ids = append(ids, fmt.Sprintf("e%d", i))
	}
	require.NoError(t, h.Handle(context.Background(), batchOf(t, ids...)))

	assert.Len(t, ins.stored, 14, "every other row is stored")
	assert.NotContains(t, ins.stored, "e3")
	assert.NotContains(t, ins.stored, "e12")
	assert.Equal(t, []int64{3, 12}, deadLetterOffsets(t, dlq.written, "rejected: "))
	assert.LessOrEqual(t, ins.calls, 1+2*2*4, "splitting costs about two inserts per level for each refused row")
}

func TestHandleRetriesTransientErrorsWithTheWholeBatch(t *testing.T) {
	for name, refuse := range map[string]error{
		"too many parts": &proto.Exception{Code: 252, Message: "Too many parts (300). Merges are processing significantly slower than inserts"},
		"timeout":        &proto.Exception{Code: 159, Message: "Timeout exceeded"},
		"unknown table":  &proto.Exception{Code: 60, Message: "Table pixel.interactions doesn't exist"},
		"network":        errors.New("dial tcp 127.0.0.1:9000: connect: connection refused"),
	} {
		t.Run(name, func(t *testing.T) {
			ins := &refusingInserter{poison: map[string]bool{"e1": true}, refuse: refuse, stored: map[string]int{}}
			dlq := &fakeWriter{}
			h := newHandler(ins, dlq, "pixel.dlq", zap.NewNop(), newMetrics(prometheus.NewRegistry()))
			err := h.Handle(context.Background(), batchOf(t, "e0", "e1", "e2"))
			assert.ErrorIs(t, err, refuse)
			assert.Equal(t, 1, ins.calls, "no split: the batch is retried whole by the loop")
			assert.Empty(t, dlq.written)
		})
	}
}

func TestHandleSplitsABlockSpanningTooManyPartitions(t *testing.T) {
	ins := &refusingInserter{
		poison: map[string]bool{"e0": true},
		refuse: &proto.Exception{Code: 252, Message: "Too many partitions for single INSERT block (more than 100)"},
		stored: map[string]int{},
	}
	h := newHandler(ins, &fakeWriter{}, "pixel.dlq", zap.NewNop(), newMetrics(prometheus.NewRegistry()))
	require.NoError(t, h.Handle(context.Background(), batchOf(t, "e0", "e1", "e2", "e3")))
	assert.Len(t, ins.stored, 3)
}

// encodingInserter fails to encode one row, as clickhouse-go's Append does.
type encodingInserter struct {
	bad    string
	stored []string
}

func (f *encodingInserter) Insert(_ context.Context, events []message.Event) error {
	for i, e := range events {
		if e.EventID == f.bad {
			return &rowError{index: i, err: errors.New("cannot encode")}
		}
	}
	for _, e := range events {
		f.stored = append(f.stored, e.EventID)
	}
	return nil
}

func TestHandleDropsARowTheClientCannotEncodeAndResendsTheRest(t *testing.T) {
	ins, dlq := &encodingInserter{bad: "e1"}, &fakeWriter{}
	h := newHandler(ins, dlq, "pixel.dlq", zap.NewNop(), newMetrics(prometheus.NewRegistry()))
	require.NoError(t, h.Handle(context.Background(), batchOf(t, "e0", "e1", "e2")))
	assert.Equal(t, []string{"e0", "e2"}, ins.stored)
	assert.Equal(t, []int64{1}, deadLetterOffsets(t, dlq.written, "rejected: cannot encode"))
}

func TestHandleRejectsEventsThatWouldBeStoredWrongly(t *testing.T) {
	future, err := message.EncodeEvent(&message.Event{EventID: "late", Application: "a",
		ReceivedAtUs: time.Date(2200, 1, 1, 0, 0, 0, 0, time.UTC).UnixMicro()})
	require.NoError(t, err)
	noKey, err := message.EncodeEvent(&message.Event{Application: "a"})
	require.NoError(t, err)
	ins, dlq := &fakeInserter{}, &fakeWriter{}
	h := newHandler(ins, dlq, "pixel.dlq", zap.NewNop(), newMetrics(prometheus.NewRegistry()))
	batch := append(batchOf(t, "e0"),
		kafka.Message{Offset: 1, Value: future}, kafka.Message{Offset: 2, Value: noKey})
	require.NoError(t, h.Handle(context.Background(), batch))
	require.Len(t, ins.rows, 1)
	assert.Equal(t, []int64{1, 2}, deadLetterOffsets(t, dlq.written, "rejected: "))
	d, err := message.DecodeDeadLetter(dlq.written[0].Value)
	require.NoError(t, err)
	assert.Contains(t, d.Reason, "outside ClickHouse DateTime")
}
