package main

import (
	"errors"
	"flag"
	"fmt"
	"time"

	"github.com/peterbourgon/ff/v3"

	"github.com/pixelpipe/pixelpipe/pkg/kafkax"
)

// Config is every setting of the enricher; each is a flag and an ENRICHER_* variable.
type Config struct {
	AdminListen   string
	Kafka         kafkax.Config
	Group         string
	InputTopic    string
	Topics        Topics
	BatchRecords  int
	BatchWait     time.Duration
	Linger        time.Duration
	DedupWindow   time.Duration
	DedupCapacity int
	IPMode        string
	StopTimeout   time.Duration
	LogLevel      string
}

func parseConfig(args []string) (Config, error) {
	var c Config
	fs := flag.NewFlagSet("enricher", flag.ContinueOnError)
	fs.StringVar(&c.AdminListen, "admin-listen", "127.0.0.1:8082", "address of /healthz, /readyz, /metrics and pprof")
	fs.StringVar(&c.Kafka.Brokers, "kafka-brokers", "127.0.0.1:9092", "comma-separated Kafka bootstrap brokers")
	fs.StringVar(&c.Kafka.ClientID, "kafka-client-id", "pixelpipe-enricher", "Kafka client id")
	fs.StringVar(&c.Group, "group", "pixelpipe-enricher", "consumer group")
	fs.StringVar(&c.InputTopic, "input-topic", kafkax.TopicRaw, "topic of raw hits")
	fs.StringVar(&c.Topics.Events, "events-topic", kafkax.TopicEvents, "topic of enriched events")
	fs.StringVar(&c.Topics.DLQ, "dlq-topic", kafkax.TopicDLQ, "topic of rejected records")
	fs.IntVar(&c.BatchRecords, "batch-records", 1000, "most records handled as one batch")
	fs.DurationVar(&c.BatchWait, "batch-wait", 100*time.Millisecond, "longest a record waits for its batch to fill")
	fs.DurationVar(&c.Linger, "linger", 5*time.Millisecond, "how long a produce batch waits for more records")
	fs.DurationVar(&c.DedupWindow, "dedup-window", 24*time.Hour, "a repeat of an interaction within this time is dropped")
	fs.IntVar(&c.DedupCapacity, "dedup-capacity", 500_000, "most interactions remembered for dedup")
	fs.StringVar(&c.IPMode, "ip-mode", IPTruncate, "client IP kept in events: truncate (IPv4 /24, IPv6 /48) or raw")
	fs.DurationVar(&c.StopTimeout, "stop-timeout", 20*time.Second, "longest flush of the last batch on stop")
	fs.StringVar(&c.LogLevel, "log-level", "info", "debug, info, warn or error")
	if err := ff.Parse(fs, args, ff.WithEnvVarPrefix("ENRICHER")); err != nil {
		return c, fmt.Errorf("parsing enricher settings: %w", err)
	}
	return c, nil
}

// Validate reports every invalid setting at once.
func (c Config) Validate() error {
	errs := []error{c.Kafka.Validate()}
	for name, v := range map[string]string{
		"admin-listen": c.AdminListen, "group": c.Group, "input-topic": c.InputTopic,
		"events-topic": c.Topics.Events, "dlq-topic": c.Topics.DLQ,
	} {
		if v == "" {
			errs = append(errs, fmt.Errorf("%s: must not be empty", name))
		}
	}
	if c.BatchRecords < 1 {
		errs = append(errs, errors.New("batch-records: must be at least 1"))
	}
	if c.DedupCapacity < 1 {
		errs = append(errs, errors.New("dedup-capacity: must be at least 1"))
	}
	for name, d := range map[string]time.Duration{
		"batch-wait": c.BatchWait, "dedup-window": c.DedupWindow, "stop-timeout": c.StopTimeout,
	} {
		if d <= 0 {
			errs = append(errs, fmt.Errorf("%s: must be positive", name))
		}
	}
	if c.Linger < 0 {
		errs = append(errs, errors.New("linger: must not be negative"))
	}
	if c.IPMode != IPTruncate && c.IPMode != IPRaw {
		errs = append(errs, fmt.Errorf("ip-mode: %q is not truncate or raw", c.IPMode))
	}
	return errors.Join(errs...)
}
