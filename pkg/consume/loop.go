// Package consume runs the consumer loop the enricher and the sink share:
// fetch records, batch them by count, bytes and age, hand each batch to a
// Handler, and commit the offsets only after the Handler made it durable.
package consume

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/segmentio/kafka-go"
	"go.uber.org/zap"
)

// Fetcher yields records one by one (kafka.Reader in a consumer group).
type Fetcher interface {
	FetchMessage(ctx context.Context) (kafka.Message, error)
}

// Committer marks records as done (kafka.Reader in a consumer group).
type Committer interface {
	CommitMessages(ctx context.Context, msgs ...kafka.Message) error
}

// Handler makes the output of one batch durable. It returns nil only once
// everything derived from the batch is acknowledged downstream; an error
// means "retry the same batch".
type Handler interface {
	Handle(ctx context.Context, batch []kafka.Message) error
}

// Config sizes the batches and the retry policy.
type Config struct {
	MaxRecords    int
	MaxBytes      int
	MaxWait       time.Duration
	MinBackoff    time.Duration
	MaxBackoff    time.Duration
	CommitRetries int
	// StopTimeout bounds the last flush after the context is cancelled.
	StopTimeout time.Duration
}

// Loop is one consumer: a single goroutine selects over records, the
// context and the batch-age timer.
type Loop struct {
	cfg       Config
	fetcher   Fetcher
	committer Committer
	handler   Handler
	log       *zap.Logger
	metrics   *Metrics
}

// NewLoop wires a consumer loop.
func NewLoop(cfg Config, f Fetcher, c Committer, h Handler, log *zap.Logger, m *Metrics) *Loop {
	return &Loop{cfg: cfg, fetcher: f, committer: c, handler: h, log: log, metrics: m}
}

// Run consumes until ctx is cancelled, then flushes and commits what it
// holds. It returns an error only when fetching fails for good.
func (l *Loop) Run(ctx context.Context) error {
	records := make(chan kafka.Message, l.cfg.MaxRecords)
	fetchErr := make(chan error, 1)
	fetchCtx, stopFetch := context.WithCancel(ctx)
	defer stopFetch()
	go l.fetch(fetchCtx, records, fetchErr)

	// Batches are handled under work, which outlives ctx by StopTimeout: a
	// batch in flight when the stop comes still finishes and commits instead
	// of being abandoned half-way.
	work, cancelWork := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelWork()
	stopWork := context.AfterFunc(ctx, func() { time.AfterFunc(l.cfg.StopTimeout, cancelWork) })
	defer stopWork()

	age := time.NewTimer(l.cfg.MaxWait)
	age.Stop()
	batch := make([]kafka.Message, 0, l.cfg.MaxRecords)
	bytes := 0
	flush := func() error {
		age.Stop()
		if len(batch) == 0 {
			return nil
		}
		err := l.flush(work, batch)
		batch, bytes = batch[:0], 0
		return err
	}
	for {
		var err error
		select {
		case m := <-records:
			if len(batch) == 0 {
				age.Reset(l.cfg.MaxWait)
			}
			batch = append(batch, m)
			bytes += len(m.Key) + len(m.Value)
			if len(batch) >= l.cfg.MaxRecords || bytes >= l.cfg.MaxBytes {
				err = flush()
			}
		case <-age.C:
			err = flush()
		case err := <-fetchErr:
			return fmt.Errorf("fetching records: %w", err)
		case <-ctx.Done():
			if err := flush(); err != nil {
				l.log.Warn("stopped with an uncommitted batch; it will be redelivered", zap.Error(err))
			}
			return nil
		}
		if err != nil {
			// Only the stop timeout ends a flush's retries.
			l.log.Warn("stop timeout passed with an uncommitted batch; it will be redelivered", zap.Error(err))
			return nil
		}
	}
}

// fetch feeds records to the loop. A failed fetch (brokers unreachable, a
// rebalance) is retried with backoff: the reader reconnects by itself, and a
// consumer that exits on a broker outage would turn an outage into an
// incident. Only a closed reader ends it.
func (l *Loop) fetch(ctx context.Context, out chan<- kafka.Message, errs chan<- error) {
	lag := l.metrics.newLagGauges()
	backoff := l.cfg.MinBackoff
	for {
		m, err := l.fetcher.FetchMessage(ctx)
		switch {
		case ctx.Err() != nil:
			return
		case errors.Is(err, io.EOF):
			errs <- err
			return
		case err != nil:
			l.metrics.fetchErrors.Inc()
			l.log.Warn("fetching records failed; retrying", zap.Error(err), zap.Duration("backoff", backoff))
			if wait(ctx, backoff) != nil {
				return
			}
			backoff = min(2*backoff, l.cfg.MaxBackoff)
			continue
		}
		backoff = l.cfg.MinBackoff
		lag.observe(m.Topic, m.Partition, m.Offset, m.HighWaterMark)
		select {
		case out <- m:
		case <-ctx.Done():
			return
		}
	}
}

// flush hands the batch to the handler until it succeeds, then commits.
// Only cancellation ends the retries: lag grows, nothing is skipped.
func (l *Loop) flush(ctx context.Context, batch []kafka.Message) error {
	start := time.Now()
	if err := l.retry(ctx, "handling batch", func() error { return l.handler.Handle(ctx, batch) }); err != nil {
		return err
	}
	l.metrics.observeBatch(len(batch), time.Since(start))
	if err := l.commit(ctx, batch); err != nil {
		return err
	}
	return nil
}

// commit retries a bounded number of times: a commit lost to a rebalance
// only means the batch is delivered again, which the dedup key makes harmless.
func (l *Loop) commit(ctx context.Context, batch []kafka.Message) error {
	var err error
	backoff := l.cfg.MinBackoff
	for attempt := 0; attempt <= l.cfg.CommitRetries; attempt++ {
		if err = l.committer.CommitMessages(ctx, batch...); err == nil {
			return nil
		}
		l.metrics.commitErrors.Inc()
		l.log.Warn("committing offsets failed", zap.Error(err), zap.Int("attempt", attempt+1))
		if werr := wait(ctx, backoff); werr != nil {
			return werr
		}
		backoff = min(2*backoff, l.cfg.MaxBackoff)
	}
	l.log.Error("giving up committing offsets; the batch will be redelivered", zap.Error(err))
	return nil
}

func (l *Loop) retry(ctx context.Context, what string, op func() error) error {
	backoff := l.cfg.MinBackoff
	for attempt := 1; ; attempt++ {
		err := op()
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return fmt.Errorf("%s: %w", what, ctx.Err())
		}
		l.metrics.handleErrors.Inc()
		l.log.Warn(what+" failed; retrying", zap.Error(err), zap.Int("attempt", attempt), zap.Duration("backoff", backoff))
		if werr := wait(ctx, backoff); werr != nil {
			return fmt.Errorf("%s: %w", what, werr)
		}
		backoff = min(2*backoff, l.cfg.MaxBackoff)
	}
}

func wait(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
