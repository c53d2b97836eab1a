package main

import (
	"errors"
	"flag"
	"fmt"
	"time"

	"github.com/peterbourgon/ff/v3"

	"github.com/pixelpipe/pixelpipe/pkg/kafkax"
)

// TopicDedup is the compacted changelog of the dedup state (ADR 0003).
const TopicDedup = "pixel.dedup"

// minIPHashSecret is the shortest secret accepted for ip-mode=hash: the IPv4
// space is small, so the hash is only as private as its key is unguessable.
const minIPHashSecret = 16

// Config is every setting of the enricher; each is a flag and an ENRICHER_* variable.
type Config struct {
	CheckConfig   bool
	AdminListen   string
	Kafka         kafkax.Config
	Group         string
	InputTopic    string
	Topics        Topics
	DedupTopic    string
	BatchRecords  int
	BatchWait     time.Duration
	Linger        time.Duration
	DedupWindow   time.Duration
	DedupCapacity int
	IPMode        string
	IPHashSecret  string
	GeoIPDB       string
	UACacheSize   int
	StopTimeout   time.Duration
	LogLevel      string
}

func parseConfig(args []string) (Config, error) {
	var c Config
	fs := flag.NewFlagSet("enricher", flag.ContinueOnError)
	fs.StringVar(&c.AdminListen, "admin-listen", "127.0.0.1:8082", "address of /healthz, /readyz, /metrics and pprof")
	kafkax.RegisterFlags(fs, &c.Kafka, "pixelpipe-enricher")
	fs.StringVar(&c.Group, "group", "pixelpipe-enricher", "consumer group")
	fs.StringVar(&c.InputTopic, "input-topic", kafkax.TopicRaw, "topic of raw hits")
	fs.StringVar(&c.Topics.Events, "events-topic", kafkax.TopicEvents, "topic of enriched events")
	fs.StringVar(&c.Topics.DLQ, "dlq-topic", kafkax.TopicDLQ, "topic of rejected records")
	fs.StringVar(&c.DedupTopic, "dedup-topic", TopicDedup, "compacted changelog of the dedup state, at least as many partitions as the input topic")
	fs.IntVar(&c.BatchRecords, "batch-records", 1000, "most records handled as one batch")
	fs.DurationVar(&c.BatchWait, "batch-wait", 100*time.Millisecond, "longest a record waits for its batch to fill")
	fs.DurationVar(&c.Linger, "linger", 5*time.Millisecond, "how long a produce batch waits for more records")
	fs.DurationVar(&c.DedupWindow, "dedup-window", 24*time.Hour, "a repeat of an interaction within this time is dropped")
	fs.IntVar(&c.DedupCapacity, "dedup-capacity", 200_000, "most interactions remembered for dedup, per input partition")
	fs.StringVar(&c.IPMode, "ip-mode", IPTruncate, "client IP kept in events: truncate (IPv4 /24, IPv6 /48), hash (keyed hash, salt rotated daily) or raw")
	fs.StringVar(&c.IPHashSecret, "ip-hash-secret", "", "secret the daily IP-hash salt is derived from (ip-mode=hash; at least 16 bytes; prefer the environment variable)")
	fs.StringVar(&c.GeoIPDB, "geoip-db", "", "MaxMind-format .mmdb file for country, region and city; empty: no GeoIP")
	fs.IntVar(&c.UACacheSize, "ua-cache-size", 10_000, "distinct user agents whose parse result is cached")
	fs.DurationVar(&c.StopTimeout, "stop-timeout", 20*time.Second, "longest flush of the last batch on stop")
	fs.StringVar(&c.LogLevel, "log-level", "info", "debug, info, warn or error")
	fs.BoolVar(&c.CheckConfig, "check-config", false, "validate the settings, report every problem and exit")
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
		"events-topic": c.Topics.Events, "dlq-topic": c.Topics.DLQ, "dedup-topic": c.DedupTopic,
	} {
		if v == "" {
			errs = append(errs, fmt.Errorf("%s: must not be empty", name))
		}
	}
	for name, n := range map[string]int{
		"batch-records": c.BatchRecords, "dedup-capacity": c.DedupCapacity, "ua-cache-size": c.UACacheSize,
	} {
		if n < 1 {
			errs = append(errs, fmt.Errorf("%s: must be at least 1", name))
		}
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
	return errors.Join(append(errs, c.validateIP())...)
}

func (c Config) validateIP() error {
	switch c.IPMode {
	case IPTruncate, IPRaw:
		return nil
	case IPHash:
		if len(c.IPHashSecret) < minIPHashSecret {
			return fmt.Errorf("ip-hash-secret: ip-mode=hash needs a secret of at least %d bytes", minIPHashSecret)
		}
		return nil
	default:
		return fmt.Errorf("ip-mode: %q is not truncate, hash or raw", c.IPMode)
	}
}
