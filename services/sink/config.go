package main

import (
	"errors"
	"flag"
	"fmt"
	"time"

	"github.com/peterbourgon/ff/v3"

	"github.com/pixelpipe/pixelpipe/pkg/chconn"
	"github.com/pixelpipe/pixelpipe/pkg/kafkax"
)

// Config is every setting of the sink; each is a flag and a SINK_* variable.
type Config struct {
	CheckConfig  bool
	AdminListen  string
	Kafka        kafkax.Config
	Group        string
	InputTopic   string
	DLQTopic     string
	ClickHouse   chconn.Config
	BatchRecords int
	BatchBytes   int
	BatchWait    time.Duration
	StopTimeout  time.Duration
	LogLevel     string
}

func parseConfig(args []string) (Config, error) {
	var c Config
	fs := flag.NewFlagSet("sink", flag.ContinueOnError)
	fs.StringVar(&c.AdminListen, "admin-listen", "127.0.0.1:8083", "address of /healthz, /readyz, /metrics and pprof")
	kafkax.RegisterFlags(fs, &c.Kafka, "pixelpipe-sink")
	fs.StringVar(&c.Group, "group", "pixelpipe-sink", "consumer group")
	fs.StringVar(&c.InputTopic, "input-topic", kafkax.TopicEvents, "topic of enriched events")
	fs.StringVar(&c.DLQTopic, "dlq-topic", kafkax.TopicDLQ, "topic of rejected records")
	chconn.RegisterFlags(fs, &c.ClickHouse)
	fs.IntVar(&c.BatchRecords, "batch-records", 10000, "most rows in one insert")
	fs.IntVar(&c.BatchBytes, "batch-bytes", 16<<20, "most message bytes in one insert")
	fs.DurationVar(&c.BatchWait, "batch-wait", time.Second, "longest a row waits for its insert")
	fs.DurationVar(&c.StopTimeout, "stop-timeout", 20*time.Second, "longest flush of the last batch on stop")
	fs.StringVar(&c.LogLevel, "log-level", "info", "debug, info, warn or error")
	fs.BoolVar(&c.CheckConfig, "check-config", false, "validate the settings, report every problem and exit")
	if err := ff.Parse(fs, args, ff.WithEnvVarPrefix("SINK")); err != nil {
		return c, fmt.Errorf("parsing sink settings: %w", err)
	}
	return c, nil
}

// Validate reports every invalid setting at once.
func (c Config) Validate() error {
	errs := []error{c.Kafka.Validate(), c.ClickHouse.Validate()}
	for name, v := range map[string]string{
		"admin-listen": c.AdminListen, "group": c.Group, "input-topic": c.InputTopic, "dlq-topic": c.DLQTopic,
	} {
		if v == "" {
			errs = append(errs, fmt.Errorf("%s: must not be empty", name))
		}
	}
	if c.BatchRecords < 1 {
		errs = append(errs, errors.New("batch-records: must be at least 1"))
	}
	if c.BatchBytes < 1 {
		errs = append(errs, errors.New("batch-bytes: must be at least 1"))
	}
	if c.BatchWait <= 0 {
		errs = append(errs, errors.New("batch-wait: must be positive"))
	}
	if c.StopTimeout <= 0 {
		errs = append(errs, errors.New("stop-timeout: must be positive"))
	}
	return errors.Join(errs...)
}
