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
	state   *dedupState
	enrich  *enricher
	log     *zap.Logger
	metrics *metrics
	now     func() time.Time

	validator pixel.Validator
	scanner   pixel.Scanner
	out       []kafka.Message
	inBatch   map[DedupKey]struct{}
	rejected  map[string]int       // dead letters of the batch, by reason
	pending   map[int][]dedupEntry // per input partition, in batch order
	parts     []int
}

func newHandler(w Writer, t Topics, s *dedupState, en *enricher, log *zap.Logger, m *metrics) *handler {
	return &handler{
		writer: w, topics: t, state: s, enrich: en, log: log, metrics: m, now: time.Now,
		inBatch: map[DedupKey]struct{}{}, rejected: map[string]int{}, pending: map[int][]dedupEntry{},
	}
}

// Handle brings the dedup state of the batch's partitions up to date, writes
// the batch's output, and only once that is acknowledged makes its dedup keys
// durable: a failed write retried later is not mistaken for a duplicate of
// itself, and a key is never durable without its event.
func (h *handler) Handle(ctx context.Context, batch []kafka.Message) error {
	h.reset(batch)
	if err := h.state.Sync(ctx, h.parts); err != nil {
		return err
	}
	var duplicates, bots int
	for i := range batch {
		msg, dup, bot := h.process(&batch[i])
		if dup {
			duplicates++
			continue
		}
		if bot {
			bots++
		}
		h.out = append(h.out, msg)
	}
	if len(h.out) > 0 {
		if err := h.writer.WriteMessages(ctx, h.out...); err != nil {
			return fmt.Errorf("writing %d records: %w", len(h.out), err)
		}
	}
	for _, p := range h.parts {
		if err := h.state.Remember(ctx, p, h.pending[p]); err != nil {
			return err
		}
	}
	h.count(duplicates, bots)
	return nil
}

func (h *handler) reset(batch []kafka.Message) {
	h.out = h.out[:0]
	h.parts = h.parts[:0]
	clear(h.inBatch)
	clear(h.rejected)
	for p, entries := range h.pending {
		h.pending[p] = entries[:0]
	}
	for i := range batch {
		if !slices.Contains(h.parts, batch[i].Partition) {
			h.parts = append(h.parts, batch[i].Partition)
		}
	}
}

// count updates the metrics once the batch is done, so a retried batch
// counts once.
func (h *handler) count(duplicates, bots int) {
	for i := range h.out {
		if h.out[i].Topic == h.topics.Events {
			h.metrics.events.Inc()
		}
	}
	for reason, n := range h.rejected {
		h.metrics.deadLetters.WithLabelValues(reason).Add(float64(n))
	}
	h.metrics.duplicates.Add(float64(duplicates))
	h.metrics.bots.Add(float64(bots))
}

// process returns the record to write for m, or dup=true for a repeat; bot
// tells an event of a bot or crawler.
func (h *handler) process(m *kafka.Message) (out kafka.Message, dup, bot bool) {
	raw, err := message.DecodeRaw(m.Value)
	if err != nil {
		reason := reasonUndecodable
		if errors.Is(err, message.ErrUnsupportedVersion) {
			reason = reasonVersion
		}
		return h.deadLetter(m, reason, err), false, false
	}
	event, err := buildEvent(&raw, &h.validator, &h.scanner)
	if err != nil {
		return h.deadLetter(m, reasonInvalid, err), false, false
	}
	key := dedupKey(&event)
	if _, seen := h.inBatch[key]; seen || h.state.Seen(m.Partition, key, event.ReceivedAtUs) {
		return kafka.Message{}, true, false
	}
	h.enrich.Enrich(&event, &raw)
	event.EventID = key.String()
	value, err := message.EncodeEvent(&event)
	if err != nil {
		return h.deadLetter(m, reasonUnencodable, err), false, false
	}
	h.inBatch[key] = struct{}{}
	h.pending[m.Partition] = append(h.pending[m.Partition], dedupEntry{key: key, at: event.ReceivedAtUs})
	return kafka.Message{Topic: h.topics.Events, Key: []byte(event.FmSessionID), Value: value}, false, event.IsBot
}

// Dead-letter reasons, kept few so they can label a metric; the message
// carries the full error text.
const (
	reasonUndecodable = "undecodable"
	reasonVersion     = "unsupported_version"
	reasonInvalid     = "invalid_query"
	reasonUnencodable = "unencodable"
)

// deadLetterReasons are registered at start, so each counter exists at 0.
var deadLetterReasons = []string{reasonUndecodable, reasonVersion, reasonInvalid, reasonUnencodable}

func (h *handler) deadLetter(m *kafka.Message, reason string, cause error) kafka.Message {
	h.rejected[reason]++
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
