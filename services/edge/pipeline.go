package main

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/segmentio/kafka-go"
	"go.uber.org/zap"
)

// errStopping answers a hit that arrives after the pipeline was closed.
var errStopping = errors.New("edge is stopping")

// hit is one accepted request's bytes, copied out of fasthttp's buffers, and
// the signal that tells its handler the hit is durable. Hits are pooled.
type hit struct {
	key   []byte
	value []byte
	done  chan error // buffered 1: the batcher never waits on a handler
	// kept is false once kafka-go may still read key/value after the batch
	// returned (a timed-out write goes on in the background): such a hit
	// must not go back to the pool.
	kept bool
}

func newHit() *hit {
	return &hit{key: make([]byte, 0, 64), value: make([]byte, 0, 1024), done: make(chan error, 1), kept: true}
}

// kafkaWriter is the part of kafka.Writer the pipeline uses.
type kafkaWriter interface {
	WriteMessages(ctx context.Context, msgs ...kafka.Message) error
}

// pipeline batches hits from all handlers into one Kafka write per linger
// period; a batch Kafka does not acknowledge within the timeout goes to the
// spool. While the spool holds anything, hits go to the spool too, so the
// replayer delivers them in the order they were accepted.
type pipeline struct {
	in       chan *hit
	writer   kafkaWriter
	topic    string
	spool    *spool
	replay   *replayer
	linger   time.Duration
	maxBatch int
	timeout  time.Duration
	log      *zap.Logger
	metrics  *metrics

	closeMu sync.RWMutex
	closed  bool
	stopped chan struct{}

	msgs []kafka.Message // reused by the batcher
}

type pipelineConfig struct {
	Writer   kafkaWriter
	Topic    string
	Spool    *spool
	Replay   *replayer
	Linger   time.Duration
	MaxBatch int
	Timeout  time.Duration
	Log      *zap.Logger
	Metrics  *metrics
}

func newPipeline(c pipelineConfig) *pipeline {
	return &pipeline{
		in: make(chan *hit, c.MaxBatch), writer: c.Writer, topic: c.Topic, spool: c.Spool, replay: c.Replay,
		linger: c.Linger, maxBatch: c.MaxBatch, timeout: c.Timeout, log: c.Log, metrics: c.Metrics,
		stopped: make(chan struct{}), msgs: make([]kafka.Message, 0, c.MaxBatch),
	}
}

// Store blocks until h is durable (Kafka acknowledged it, or it is fsynced
// in the spool) and returns nil, or returns why it is not.
func (p *pipeline) Store(h *hit) error {
	p.closeMu.RLock()
	if p.closed {
		p.closeMu.RUnlock()
		return errStopping
	}
	p.in <- h
	p.closeMu.RUnlock()
	return <-h.done
}

// Run batches until Close; it returns once the last batch is durable.
func (p *pipeline) Run() {
	defer close(p.stopped)
	batch := make([]*hit, 0, p.maxBatch)
	linger := time.NewTimer(time.Hour)
	linger.Stop()
	for {
		h, ok := <-p.in
		if !ok {
			return
		}
		batch, ok = p.fill(append(batch[:0], h), linger)
		p.flush(batch)
		clear(batch)
		if !ok {
			return
		}
	}
}

// fill adds what is already queued (hits that arrived while the previous
// batch was being written), then waits up to the linger period for more
// unless the batch is full; ok is false when the input was closed.
func (p *pipeline) fill(batch []*hit, linger *time.Timer) ([]*hit, bool) {
	for len(batch) < p.maxBatch {
		select {
		case h, ok := <-p.in:
			if !ok {
				return batch, false
			}
			batch = append(batch, h)
			continue
		default:
		}
		break
	}
	if len(batch) == p.maxBatch || p.linger == 0 {
		return batch, true
	}
	linger.Reset(p.linger)
	defer linger.Stop()
	for len(batch) < p.maxBatch {
		select {
		case h, ok := <-p.in:
			if !ok {
				return batch, false
			}
			batch = append(batch, h)
		case <-linger.C:
			return batch, true
		}
	}
	return batch, true
}

// Close stops accepting hits and waits until every accepted one is durable.
func (p *pipeline) Close() error {
	p.closeMu.Lock()
	if !p.closed {
		p.closed = true
		close(p.in)
	}
	p.closeMu.Unlock()
	<-p.stopped
	return nil
}

// flush makes one batch durable and answers each of its hits.
func (p *pipeline) flush(batch []*hit) {
	p.metrics.batchSize.Observe(float64(len(batch)))
	if p.spool.Depth() == 0 {
		failed := p.produce(batch)
		if len(failed) == 0 {
			return
		}
		batch = failed
	}
	p.toSpool(batch)
}

// produce writes the batch to Kafka, answers the hits Kafka acknowledged and
// returns the ones it did not (in their order).
func (p *pipeline) produce(batch []*hit) []*hit {
	p.msgs = p.msgs[:0]
	for _, h := range batch {
		p.msgs = append(p.msgs, kafka.Message{Topic: p.topic, Key: h.key, Value: h.value})
	}
	start := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), p.timeout)
	err := p.writer.WriteMessages(ctx, p.msgs...)
	cancel()
	p.metrics.produceSeconds.Observe(time.Since(start).Seconds())
	clear(p.msgs)
	if err == nil {
		answer(batch, nil)
		return nil
	}
	p.metrics.produceFailures.Inc()
	p.log.Warn("kafka did not take a batch; spooling it", zap.Int("hits", len(batch)), zap.Error(err))
	var perMessage kafka.WriteErrors
	if !errors.As(err, &perMessage) || len(perMessage) != len(batch) {
		for _, h := range batch {
			h.kept = false
		}
		return batch
	}
	return splitFailed(batch, perMessage)
}

// splitFailed answers the hits Kafka took and returns the others, which
// kafka-go no longer holds once WriteMessages returned per-message errors.
func splitFailed(batch []*hit, errs kafka.WriteErrors) []*hit {
	failed := batch[:0]
	for i, h := range batch {
		if errs[i] == nil {
			h.done <- nil
			continue
		}
		failed = append(failed, h)
	}
	return failed
}

// toSpool appends the hits to the spool; those past its bound get an error.
func (p *pipeline) toSpool(batch []*hit) {
	n, err := p.spool.Append(batch, time.Now())
	if err != nil {
		p.log.Error("spool append failed", zap.Int("hits", len(batch)), zap.Error(err))
		answer(batch, fmt.Errorf("spooling: %w", err))
		return
	}
	p.metrics.spooled.Add(float64(n))
	answer(batch[:n], nil)
	if n < len(batch) {
		p.metrics.spoolRejected.Add(float64(len(batch) - n))
		answer(batch[n:], errSpoolFull)
	}
	if n > 0 {
		p.replay.Wake()
	}
}

func answer(hits []*hit, err error) {
	for _, h := range hits {
		h.done <- err
	}
}
