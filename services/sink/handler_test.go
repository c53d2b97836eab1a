package main

import (
	"context"
	"errors"
	"testing"

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
