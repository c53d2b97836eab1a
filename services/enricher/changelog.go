package main

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/segmentio/kafka-go"
)

// changelogVersion leads every changelog value, so a later layout can be
// told apart (and skipped by this code) instead of misread.
const changelogVersion = 1

// changelogValueLen is the version byte plus the first-seen time (µs, big endian).
const changelogValueLen = 9

// kafkaChangelog keeps the dedup state in a compacted topic whose partition
// p holds the keys of input partition p. It talks to the brokers with
// kafka.Client rather than a Writer because Produce reports the offset it
// wrote at, which tells whether anyone else wrote to the log in between.
type kafkaChangelog struct {
	client  *kafka.Client
	topic   string
	skipped func() // counts records of an unknown layout
}

func newKafkaChangelog(client *kafka.Client, topic string, skipped func()) *kafkaChangelog {
	return &kafkaChangelog{client: client, topic: topic, skipped: skipped}
}

// Spans lists the first and end offsets of partitions in one request.
func (c *kafkaChangelog) Spans(ctx context.Context, partitions []int) (map[int]LogSpan, error) {
	reqs := make([]kafka.OffsetRequest, 0, 2*len(partitions))
	for _, p := range partitions {
		reqs = append(reqs, kafka.FirstOffsetOf(p), kafka.LastOffsetOf(p))
	}
	res, err := c.client.ListOffsets(ctx, &kafka.ListOffsetsRequest{Topics: map[string][]kafka.OffsetRequest{c.topic: reqs}})
	if err != nil {
		return nil, fmt.Errorf("listing offsets of %s: %w", c.topic, err)
	}
	spans := make(map[int]LogSpan, len(partitions))
	for _, po := range res.Topics[c.topic] {
		if po.Error != nil {
			return nil, fmt.Errorf("listing offsets of %s/%d: %w", c.topic, po.Partition, po.Error)
		}
		spans[po.Partition] = LogSpan{First: po.FirstOffset, End: po.LastOffset}
	}
	return spans, nil
}

// Read fetches partition from offset from until end. Compaction leaves gaps,
// and retention may have removed the tail of what was listed a moment ago, so
// an empty fetch ends the read too.
func (c *kafkaChangelog) Read(ctx context.Context, partition int, from, end int64, fn func(DedupKey, int64)) error {
	for from < end {
		res, err := c.client.Fetch(ctx, &kafka.FetchRequest{
			Topic: c.topic, Partition: partition, Offset: from,
			MinBytes: 1, MaxBytes: 8 << 20, MaxWait: 100 * time.Millisecond,
		})
		if err != nil {
			return fmt.Errorf("fetching %s/%d at %d: %w", c.topic, partition, from, err)
		}
		if res.Error != nil {
			return fmt.Errorf("fetching %s/%d at %d: %w", c.topic, partition, from, res.Error)
		}
		next, err := c.apply(res.Records, from, end, fn)
		if err != nil {
			return fmt.Errorf("reading %s/%d at %d: %w", c.topic, partition, from, err)
		}
		if next == from {
			return nil
		}
		from = next
	}
	return nil
}

// apply feeds the records of one fetch to fn and returns the offset after
// the last one read.
func (c *kafkaChangelog) apply(records kafka.RecordReader, from, end int64, fn func(DedupKey, int64)) (int64, error) {
	defer func() {
		if closer, ok := records.(interface{ Close() error }); ok {
			_ = closer.Close()
		}
	}()
	next := from
	for {
		r, err := records.ReadRecord()
		if errors.Is(err, io.EOF) {
			return next, nil
		}
		if err != nil {
			return next, err
		}
		if r.Offset < from {
			continue // a fetch starts at the batch holding from
		}
		if r.Offset >= end {
			return end, nil
		}
		next = r.Offset + 1
		key, at, ok := decodeChangelogRecord(r)
		if !ok {
			c.skipped()
			continue
		}
		fn(key, at)
	}
}

func decodeChangelogRecord(r *kafka.Record) (DedupKey, int64, bool) {
	var key DedupKey
	if r.Key == nil || r.Value == nil {
		return key, 0, false
	}
	k, err := kafka.ReadAll(r.Key)
	if err != nil || len(k) != len(key) {
		return key, 0, false
	}
	v, err := kafka.ReadAll(r.Value)
	if err != nil || len(v) != changelogValueLen || v[0] != changelogVersion {
		return key, 0, false
	}
	copy(key[:], k)
	return key, int64(binary.BigEndian.Uint64(v[1:])), true
}

// Append produces entries to partition, acknowledged by all in-sync replicas.
func (c *kafkaChangelog) Append(ctx context.Context, partition int, entries []dedupEntry) (int64, error) {
	records := make([]kafka.Record, len(entries))
	for i, e := range entries {
		value := make([]byte, changelogValueLen)
		value[0] = changelogVersion
		binary.BigEndian.PutUint64(value[1:], uint64(e.at))
		key := e.key
		records[i] = kafka.Record{Key: kafka.NewBytes(key[:]), Value: kafka.NewBytes(value)}
	}
	res, err := c.client.Produce(ctx, &kafka.ProduceRequest{
		Topic: c.topic, Partition: partition, RequiredAcks: kafka.RequireAll,
		Records: kafka.NewRecordReader(records...), Compression: kafka.Lz4,
	})
	if err != nil {
		return 0, fmt.Errorf("producing to %s/%d: %w", c.topic, partition, err)
	}
	if res.Error != nil {
		return 0, fmt.Errorf("producing to %s/%d: %w", c.topic, partition, res.Error)
	}
	for _, rerr := range res.RecordErrors {
		return 0, fmt.Errorf("producing to %s/%d: %w", c.topic, partition, rerr)
	}
	return res.BaseOffset, nil
}
