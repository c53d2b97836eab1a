package main

import (
	"context"
	"fmt"

	"github.com/segmentio/kafka-go"
)

// kafkaProducer writes hits to one topic and returns once all in-sync
// replicas have them. Concurrent calls share batches inside the writer.
type kafkaProducer struct {
	writer *kafka.Writer
	topic  string
}

func (p *kafkaProducer) Produce(ctx context.Context, key, value []byte) error {
	if err := p.writer.WriteMessages(ctx, kafka.Message{Topic: p.topic, Key: key, Value: value}); err != nil {
		return fmt.Errorf("producing to %s: %w", p.topic, err)
	}
	return nil
}
