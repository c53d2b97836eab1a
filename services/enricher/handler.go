package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/segmentio/kafka-go"
	"go.uber.org/zap"

	"github.com/pixelpipe/pixelpipe/pkg/message"
	"github.com/pixelpipe/pixelpipe/pkg/pixel"
)

// Writer delivers records and returns once the brokers acknowledged them.
type Writer interface {
	WriteMessages(ctx context.Context, msgs ...kafka.Message) error
}

// Topics the enricher writes to.
type Topics struct {
	Events string
	DLQ    string
}

// handler turns one batch of raw hits into events and dead letters. The
// consumer loop calls it from a single goroutine.
type handler struct {
	writer  Writer
	topics  Topics
	dedup   *Deduper
	ipMode  string
	log     *zap.Logger
	metrics *metrics
	now     func() time.Time

	validator pixel.Validator
	scanner   pixel.Scanner
	out       []kafka.Message
	pending   map[DedupKey]int64
}

func newHandler(w Writer, t Topics, d *Deduper, ipMode string, log *zap.Logger, m *metrics) *handler {
	return &handler{
		writer: w, topics: t, dedup: d, ipMode: ipMode, log: log, metrics: m, now: time.Now,
		pending: map[DedupKey]int64{},
	}
}

// Handle writes the batch's output and only then remembers its dedup keys, so
// a failed write retried later is not mistaken for a duplicate of itself.
func (h *handler) Handle(ctx context.Context, batch []kafka.Message) error {
	h.out = h.out[:0]
	clear(h.pending)
	var duplicates int
	for i := range batch {
		msg, dup := h.process(&batch[i])
		if dup {
			duplicates++
			continue
		}
		h.out = append(h.out, msg)
	}
	if len(h.out) > 0 {
		if err := h.writer.WriteMessages(ctx, h.out...); err != nil {
			return fmt.Errorf("writing %d records: %w", len(h.out), err)
		}
	}
	for key, at := range h.pending {
		h.dedup.Record(key, at)
	}
	for i := range h.out {
		if h.out[i].Topic == h.topics.Events {
			h.metrics.events.Inc()
		}
	}
	h.metrics.duplicates.Add(float64(duplicates))
	h.metrics.dedupKeys.Set(float64(h.dedup.Len()))
	return nil
}

// process returns the record to write for m, or dup=true for a repeat.
func (h *handler) process(m *kafka.Message) (out kafka.Message, dup bool) {
	raw, err := message.DecodeRaw(m.Value)
	if err != nil {
		reason := reasonUndecodable
		if errors.Is(err, message.ErrUnsupportedVersion) {
			reason = reasonVersion
		}
		return h.deadLetter(m, reason, err), false
	}
	event, err := buildEvent(&raw, &h.validator, &h.scanner, h.ipMode)
	if err != nil {
		return h.deadLetter(m, reasonInvalid, err), false
	}
	key := dedupKey(&event)
	if _, inBatch := h.pending[key]; inBatch || h.dedup.Seen(key, event.ReceivedAtUs) {
		return kafka.Message{}, true
	}
	h.pending[key] = event.ReceivedAtUs
	event.EventID = key.String()
	value, err := message.EncodeEvent(&event)
	if err != nil {
		return h.deadLetter(m, reasonUndecodable, err), false
	}
	return kafka.Message{Topic: h.topics.Events, Key: []byte(event.FmSessionID), Value: value}, false
}

// Dead-letter reasons, kept few so they can label a metric; the message
// carries the full error text.
const (
	reasonUndecodable = "undecodable"
	reasonVersion     = "unsupported_version"
	reasonInvalid     = "invalid_query"
)

func (h *handler) deadLetter(m *kafka.Message, reason string, cause error) kafka.Message {
	h.metrics.deadLetters.WithLabelValues(reason).Inc()
	h.log.Debug("dead letter", zap.String("reason", reason), zap.Error(cause),
		zap.Int("partition", m.Partition), zap.Int64("offset", m.Offset))
	dl := message.DeadLetter{
		Stage: "enricher", Reason: reason + ": " + cause.Error(),
		SourceTopic: m.Topic, Partition: m.Partition, Offset: m.Offset, Key: m.Key, Value: m.Value,
	}
	value, err := message.EncodeDeadLetter(&dl, h.now())
	if err != nil {
		// A DeadLetter of plain fields always encodes; keep the bytes anyway.
		value = m.Value
	}
	return kafka.Message{Topic: h.topics.DLQ, Key: m.Key, Value: value}
}
