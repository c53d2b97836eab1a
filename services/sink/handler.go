package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/segmentio/kafka-go"
	"go.uber.org/zap"

	"github.com/pixelpipe/pixelpipe/pkg/message"
)

// Inserter stores events and returns once the database acknowledged them.
type Inserter interface {
	Insert(ctx context.Context, events []message.Event) error
}

// Writer delivers records and returns once the brokers acknowledged them.
type Writer interface {
	WriteMessages(ctx context.Context, msgs ...kafka.Message) error
}

// handler stores one batch of events; records it cannot decode go to the DLQ.
type handler struct {
	inserter Inserter
	dlq      Writer
	dlqTopic string
	log      *zap.Logger
	metrics  *metrics
	now      func() time.Time

	rows        []message.Event
	deadLetters []kafka.Message
}

func newHandler(ins Inserter, dlq Writer, dlqTopic string, log *zap.Logger, m *metrics) *handler {
	return &handler{inserter: ins, dlq: dlq, dlqTopic: dlqTopic, log: log, metrics: m, now: time.Now}
}

// Handle inserts the batch, then writes its dead letters. A retry after a
// failed dead-letter write inserts the rows again; the table's dedup key
// collapses them.
func (h *handler) Handle(ctx context.Context, batch []kafka.Message) error {
	h.rows, h.deadLetters = h.rows[:0], h.deadLetters[:0]
	for i := range batch {
		m := &batch[i]
		e, err := message.DecodeEvent(m.Value)
		if err != nil {
			h.deadLetters = append(h.deadLetters, h.deadLetter(m, err))
			continue
		}
		h.rows = append(h.rows, e)
	}
	if len(h.rows) > 0 {
		start := time.Now()
		if err := h.inserter.Insert(ctx, h.rows); err != nil {
			return fmt.Errorf("inserting %d rows: %w", len(h.rows), err)
		}
		h.metrics.insertSeconds.Observe(time.Since(start).Seconds())
		h.metrics.rows.Add(float64(len(h.rows)))
	}
	if len(h.deadLetters) > 0 {
		if err := h.dlq.WriteMessages(ctx, h.deadLetters...); err != nil {
			return fmt.Errorf("writing %d dead letters: %w", len(h.deadLetters), err)
		}
	}
	return nil
}

func (h *handler) deadLetter(m *kafka.Message, cause error) kafka.Message {
	reason := "undecodable"
	if errors.Is(cause, message.ErrUnsupportedVersion) {
		reason = "unsupported_version"
	}
	h.metrics.deadLetters.WithLabelValues(reason).Inc()
	dl := message.DeadLetter{
		Stage: "sink", Reason: reason + ": " + cause.Error(),
		SourceTopic: m.Topic, Partition: m.Partition, Offset: m.Offset, Key: m.Key, Value: m.Value,
	}
	value, err := message.EncodeDeadLetter(&dl, h.now())
	if err != nil {
		value = m.Value
	}
	return kafka.Message{Topic: h.dlqTopic, Key: m.Key, Value: value}
}
