package main

import (
	"context"
	"fmt"
	"time"
)

// Changelog is the durable copy of the dedup state: one log per input
// partition, each record a key and the receive time it was first seen at.
type Changelog interface {
	// Spans returns the first and end (next) offset of each partition's log.
	Spans(ctx context.Context, partitions []int) (map[int]LogSpan, error)
	// Read calls fn for each record of partition from offset from up to end.
	Read(ctx context.Context, partition int, from, end int64, fn func(DedupKey, int64)) error
	// Append writes entries to partition's log once all replicas have them,
	// and returns the offset of the first.
	Append(ctx context.Context, partition int, entries []dedupEntry) (int64, error)
}

// LogSpan is the range of offsets a log holds.
type LogSpan struct{ First, End int64 }

// dedupState is the dedup memory of every input partition this instance has
// consumed, each bounded by its own Deduper and backed by its changelog. The
// consumer group never tells a kafka.Reader which partitions it was given or
// lost, so instead of reacting to assignments the state checks, before each
// batch, that it has read its partitions' changelogs to their end: a
// partition that moved here (or came back after another instance wrote to
// its log) is caught up, which covers a restart, a rebalance and a move back
// alike, and costs one ListOffsets request per batch. Not safe for concurrent
// use: the handler owns it.
type dedupState struct {
	log      Changelog
	window   time.Duration
	capacity int
	metrics  *metrics
	parts    map[int]*partitionState
}

type partitionState struct {
	dedup *Deduper
	// pos is the changelog offset the dedup memory reflects the log up to.
	pos int64
}

func newDedupState(log Changelog, window time.Duration, capacity int, m *metrics) *dedupState {
	return &dedupState{log: log, window: window, capacity: capacity, metrics: m, parts: map[int]*partitionState{}}
}

// Sync brings the memory of partitions up to date with their changelogs.
func (s *dedupState) Sync(ctx context.Context, partitions []int) error {
	spans, err := s.log.Spans(ctx, partitions)
	if err != nil {
		return fmt.Errorf("reading changelog offsets: %w", err)
	}
	for _, p := range partitions {
		span, ok := spans[p]
		if !ok {
			return fmt.Errorf("changelog has no partition %d", p)
		}
		if err := s.catchUp(ctx, p, span); err != nil {
			return err
		}
	}
	return nil
}

func (s *dedupState) catchUp(ctx context.Context, p int, span LogSpan) error {
	ps := s.partition(p)
	if ps.pos > span.End {
		// The log is shorter than what was read from it: it was recreated.
		// Start over rather than trust memory the log no longer backs.
		*ps = partitionState{dedup: NewDeduper(s.window, s.capacity)}
	}
	if ps.pos >= span.End {
		return nil
	}
	start, before := time.Now(), ps.dedup.Len()
	from := max(ps.pos, span.First)
	if err := s.log.Read(ctx, p, from, span.End, ps.dedup.Record); err != nil {
		return fmt.Errorf("restoring dedup state of partition %d: %w", p, err)
	}
	ps.pos = span.End
	s.metrics.restoreSeconds.Observe(time.Since(start).Seconds())
	s.metrics.restoredRecords.Add(float64(span.End - from))
	s.metrics.dedupKeys.Add(float64(ps.dedup.Len() - before))
	return nil
}

// Seen reports whether key was recorded for partition p within the window before at.
func (s *dedupState) Seen(p int, key DedupKey, at int64) bool {
	ps, ok := s.parts[p]
	return ok && ps.dedup.Seen(key, at)
}

// Remember makes entries durable in partition p's changelog, then keeps them
// in memory. Call it only once the events they stand for are acknowledged:
// a key in the changelog whose event was never written would drop that
// event for good after a restart.
func (s *dedupState) Remember(ctx context.Context, p int, entries []dedupEntry) error {
	if len(entries) == 0 {
		return nil
	}
	base, err := s.log.Append(ctx, p, entries)
	if err != nil {
		return fmt.Errorf("writing %d keys to the changelog of partition %d: %w", len(entries), p, err)
	}
	ps := s.partition(p)
	before := ps.dedup.Len()
	for _, e := range entries {
		ps.dedup.Record(e.key, e.at)
	}
	// Another writer appended in between (a rebalance in flight): leave pos
	// where it was, so the next Sync reads that writer's keys too (ours again
	// with them, which is harmless).
	if base == ps.pos {
		ps.pos = base + int64(len(entries))
	}
	s.metrics.dedupKeys.Add(float64(ps.dedup.Len() - before))
	return nil
}

func (s *dedupState) partition(p int) *partitionState {
	ps, ok := s.parts[p]
	if !ok {
		ps = &partitionState{dedup: NewDeduper(s.window, s.capacity)}
		s.parts[p] = ps
	}
	return ps
}
