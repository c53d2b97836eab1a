package main

import (
	"context"
	"fmt"
	"time"

	"github.com/segmentio/kafka-go"
	"go.uber.org/zap"
)

// Replay backoff after a failed attempt: Kafka is probably down, and a
// retry storm would only slow its recovery.
const (
	replayBackoffMin = 100 * time.Millisecond
	replayBackoffMax = 2 * time.Second
)

// replayer drains the spool into Kafka, oldest first, one batch at a time,
// and removes a batch from the spool only after Kafka acknowledged all of it.
type replayer struct {
	spool   *spool
	writer  kafkaWriter
	topic   string
	batch   int
	timeout time.Duration
	log     *zap.Logger
	metrics *metrics

	wake    chan struct{}
	stop    chan struct{}
	stopped chan struct{}
}

type replayerConfig struct {
	Spool   *spool
	Writer  kafkaWriter
	Topic   string
	Batch   int
	Timeout time.Duration
	Log     *zap.Logger
	Metrics *metrics
}

func newReplayer(c replayerConfig) *replayer {
	return &replayer{
		spool: c.Spool, writer: c.Writer, topic: c.Topic, batch: c.Batch, timeout: c.Timeout,
		log: c.Log, metrics: c.Metrics,
		wake: make(chan struct{}, 1), stop: make(chan struct{}), stopped: make(chan struct{}),
	}
}

// Wake tells the replayer the spool has new entries; it never blocks.
func (r *replayer) Wake() {
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

// Run replays until Stop. A batch being written when Stop is called is
// finished (bounded by the timeout), so what Kafka took leaves the spool.
func (r *replayer) Run() {
	defer close(r.stopped)
	backoff := replayBackoffMin
	failing := false
	var buf []spooled
	for {
		if r.spool.Depth() == 0 {
			if !r.wait(nil) {
				return
			}
			continue
		}
		var err error
		buf, err = r.replayOnce(buf[:0])
		switch {
		case err == nil && failing:
			r.log.Info("replaying the spool into kafka again", zap.Uint64("waiting", r.spool.Depth()))
			failing, backoff = false, replayBackoffMin
		case err != nil && !failing:
			r.log.Warn("cannot replay the spool yet; retrying with backoff", zap.Uint64("waiting", r.spool.Depth()), zap.Error(err))
			failing = true
		}
		if err != nil {
			if !r.wait(time.After(backoff)) {
				return
			}
			backoff = min(2*backoff, replayBackoffMax)
		}
	}
}

// wait blocks until woken, the timer (when not nil) fires, or Stop; it
// returns false on Stop.
func (r *replayer) wait(timer <-chan time.Time) bool {
	select {
	case <-r.stop:
		return false
	case <-r.wake:
		return timer == nil || r.waitTimer(timer)
	case <-timer:
		return true
	}
}

// waitTimer finishes a backoff that a wake-up interrupted: new entries do
// not make a down Kafka come back sooner.
func (r *replayer) waitTimer(timer <-chan time.Time) bool {
	select {
	case <-r.stop:
		return false
	case <-timer:
		return true
	}
}

// replayOnce writes the oldest batch of the spool to Kafka and removes it.
func (r *replayer) replayOnce(buf []spooled) ([]spooled, error) {
	buf, err := r.spool.ReadFront(buf, r.batch)
	if err != nil {
		return buf, err
	}
	if len(buf) == 0 {
		return buf, nil
	}
	msgs := make([]kafka.Message, len(buf))
	for i, e := range buf {
		msgs[i] = kafka.Message{Topic: r.topic, Key: e.key, Value: e.value}
	}
	ctx, cancel := context.WithTimeout(context.Background(), r.timeout)
	defer cancel()
	if err := r.writer.WriteMessages(ctx, msgs...); err != nil {
		return buf, fmt.Errorf("replaying %d spooled hits: %w", len(buf), err)
	}
	if err := r.spool.Ack(buf[len(buf)-1].index); err != nil {
		return buf, err
	}
	r.metrics.replayed.Add(float64(len(buf)))
	return buf, nil
}

// Stop ends Run after the batch in flight, if any.
func (r *replayer) Stop() error {
	close(r.stop)
	<-r.stopped
	return nil
}
