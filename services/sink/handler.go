package main

import (
	"context"
	"errors"
	"fmt"
	"slices"
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

// handler stores one batch of events. Records it cannot use go to the DLQ
// with the reason, and the rest of the batch goes on: undecodable ones,
// events that would be stored wrongly, and rows ClickHouse refuses for their
// values. Everything else (ClickHouse down, too many parts, timeouts) fails
// the batch, which the consumer loop retries whole.
type handler struct {
	inserter Inserter
	dlq      Writer
	dlqTopic string
	log      *zap.Logger
	metrics  *metrics
	now      func() time.Time

	rows        []message.Event
	sources     []int // index in the batch of each row
	deadLetters []kafka.Message
}

func newHandler(ins Inserter, dlq Writer, dlqTopic string, log *zap.Logger, m *metrics) *handler {
	return &handler{inserter: ins, dlq: dlq, dlqTopic: dlqTopic, log: log, metrics: m, now: time.Now}
}

// Dead-letter reason codes of the sink (schemas/kafka/README.md).
const (
	reasonUndecodable        = "undecodable"
	reasonUnsupportedVersion = "unsupported_version"
	reasonRejected           = "rejected"
)

// Handle inserts the batch, then writes its dead letters. A retry after a
// failed dead-letter write inserts the rows again; the table's dedup key
// collapses them.
func (h *handler) Handle(ctx context.Context, batch []kafka.Message) error {
	h.decode(batch)
	if err := h.store(ctx, batch, h.rows, h.sources); err != nil {
		return err
	}
	if len(h.deadLetters) > 0 {
		if err := h.dlq.WriteMessages(ctx, h.deadLetters...); err != nil {
			return fmt.Errorf("writing %d dead letters: %w", len(h.deadLetters), err)
		}
	}
	return nil
}

// decode turns the batch into rows, setting aside what cannot be stored.
func (h *handler) decode(batch []kafka.Message) {
	h.rows, h.sources, h.deadLetters = h.rows[:0], h.sources[:0], h.deadLetters[:0]
	for i := range batch {
		m := &batch[i]
		e, err := message.DecodeEvent(m.Value)
		if err != nil {
			reason := reasonUndecodable
			if errors.Is(err, message.ErrUnsupportedVersion) {
				reason = reasonUnsupportedVersion
			}
			h.reject(m, reason, err)
			continue
		}
		if err := checkRow(&e); err != nil {
			h.reject(m, reasonRejected, err)
			continue
		}
		h.rows = append(h.rows, e)
		h.sources = append(h.sources, i)
	}
}

// store inserts rows, isolating the rows ClickHouse refuses for their values:
// a row the client cannot encode is dropped and the rest re-sent; a block the
// server refuses for its data is split in halves until the refused rows
// stand alone. Re-sending rows that were already stored is harmless (the
// dedup key), and a batch's split is the same on every retry.
func (h *handler) store(ctx context.Context, batch []kafka.Message, rows []message.Event, sources []int) error {
	for len(rows) > 0 {
		err := h.insert(ctx, rows)
		var re *rowError
		switch {
		case err == nil:
			return nil
		case errors.As(err, &re):
			h.reject(&batch[sources[re.index]], reasonRejected, re.err)
			rows = slices.Delete(slices.Clone(rows), re.index, re.index+1)
			sources = slices.Delete(slices.Clone(sources), re.index, re.index+1)
		case isDataError(err) && len(rows) > 1:
			mid := len(rows) / 2
			if err := h.store(ctx, batch, rows[:mid], sources[:mid]); err != nil {
				return err
			}
			return h.store(ctx, batch, rows[mid:], sources[mid:])
		case isDataError(err):
			h.reject(&batch[sources[0]], reasonRejected, err)
			return nil
		default:
			return fmt.Errorf("inserting %d rows: %w", len(rows), err)
		}
	}
	return nil
}

func (h *handler) insert(ctx context.Context, rows []message.Event) error {
	start := time.Now()
	if err := h.inserter.Insert(ctx, rows); err != nil {
		return err
	}
	h.metrics.insertSeconds.Observe(time.Since(start).Seconds())
	h.metrics.rows.Add(float64(len(rows)))
	return nil
}

// reject queues m for the DLQ with the reason, keeping its original bytes.
func (h *handler) reject(m *kafka.Message, reason string, cause error) {
	h.metrics.deadLetters.WithLabelValues(reason).Inc()
	h.log.Warn("record sent to the dead-letter topic", zap.String("reason", reason), zap.Error(cause),
		zap.Int("partition", m.Partition), zap.Int64("offset", m.Offset))
	dl := message.DeadLetter{
		Stage: "sink", Reason: reason + ": " + cause.Error(),
		SourceTopic: m.Topic, Partition: m.Partition, Offset: m.Offset, Key: m.Key, Value: m.Value,
	}
	value, err := message.EncodeDeadLetter(&dl, h.now())
	if err != nil {
		value = m.Value
	}
	h.deadLetters = append(h.deadLetters, kafka.Message{Topic: h.dlqTopic, Key: m.Key, Value: value})
}
