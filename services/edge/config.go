package main

import (
	"errors"
	"flag"
	"fmt"
	"strings"
	"time"

	"github.com/peterbourgon/ff/v3"

	"github.com/pixelpipe/pixelpipe/pkg/kafkax"
)

// Config is every setting of the edge; each is a flag and an EDGE_* variable.
type Config struct {
	CheckConfig     bool
	Listen          string
	AdminListen     string
	Kafka           kafkax.Config
	Topic           string
	Linger          time.Duration
	BatchSize       int
	ProduceTimeout  time.Duration
	ReadTimeout     time.Duration
	WriteTimeout    time.Duration
	IdleTimeout     time.Duration
	ShutdownTimeout time.Duration
	StopDelay       time.Duration
	MaxHeaderBytes  int
	MaxBodyBytes    int
	Applications    string
	SpoolDir        string
	SpoolMaxBytes   int64
	SpoolReadyBytes int64
	LogLevel        string
}

// ApplicationList splits Applications into ids; empty accepts any.
func (c Config) ApplicationList() []string {
	var out []string
	for _, a := range strings.Split(c.Applications, ",") {
		if a = strings.TrimSpace(a); a != "" {
			out = append(out, a)
		}
	}
	return out
}

func parseConfig(args []string) (Config, error) {
	var c Config
	fs := flag.NewFlagSet("edge", flag.ContinueOnError)
	fs.StringVar(&c.Listen, "listen", "127.0.0.1:8080", "address of the public pixel endpoint")
	fs.StringVar(&c.AdminListen, "admin-listen", "127.0.0.1:8081", "address of /healthz, /readyz, /metrics and pprof")
	kafkax.RegisterFlags(fs, &c.Kafka, "pixelpipe-edge")
	fs.StringVar(&c.Topic, "topic", kafkax.TopicRaw, "topic the hits are written to")
	fs.DurationVar(&c.Linger, "linger", 0, "extra wait for more hits before a batch is sent (a batch already gathers while the previous one is in flight)")
	fs.IntVar(&c.BatchSize, "batch-size", 256, "most hits in one produce batch (kafka-go preallocates this many messages per partition batch)")
	fs.DurationVar(&c.ProduceTimeout, "produce-timeout", 2*time.Second, "longest wait for Kafka's ack of a batch before it goes to the spool")
	fs.DurationVar(&c.ReadTimeout, "read-timeout", 5*time.Second, "longest time to read a request")
	fs.DurationVar(&c.WriteTimeout, "write-timeout", 10*time.Second, "longest time to handle and answer a request")
	fs.DurationVar(&c.IdleTimeout, "idle-timeout", 60*time.Second, "how long an idle keep-alive connection stays open")
	fs.DurationVar(&c.ShutdownTimeout, "shutdown-timeout", 20*time.Second, "longest graceful stop once the listener closes")
	fs.DurationVar(&c.StopDelay, "stop-delay", 3*time.Second, "on SIGTERM, how long /readyz fails before the listener closes")
	fs.IntVar(&c.MaxHeaderBytes, "max-header-bytes", 16<<10, "largest request line plus headers (larger: 431, before the handler)")
	fs.IntVar(&c.MaxBodyBytes, "max-body-bytes", 8<<10, "largest POST body (larger: rejected before the handler)")
	fs.StringVar(&c.Applications, "applications", "", "comma-separated known application ids; others get 400 (empty: any)")
	fs.StringVar(&c.SpoolDir, "spool-dir", defaultSpoolDir, "directory of the on-disk spool used while Kafka is unreachable")
	fs.Int64Var(&c.SpoolMaxBytes, "spool-max-bytes", 1<<30, "spool size bound; past it hits are answered 500")
	fs.Int64Var(&c.SpoolReadyBytes, "spool-ready-bytes", 64<<20, "/readyz fails while the spool is larger than this")
	fs.StringVar(&c.LogLevel, "log-level", "info", "debug, info, warn or error")
	fs.BoolVar(&c.CheckConfig, "check-config", false, "validate the settings, report every problem and exit")
	if err := ff.Parse(fs, args, ff.WithEnvVarPrefix("EDGE")); err != nil {
		return c, fmt.Errorf("parsing edge settings: %w", err)
	}
	return c, nil
}

// Validate reports every invalid setting at once.
func (c Config) Validate() error {
	var errs []error
	if c.Listen == "" {
		errs = append(errs, errors.New("listen: must not be empty"))
	}
	if c.AdminListen == "" {
		errs = append(errs, errors.New("admin-listen: must not be empty"))
	}
	if c.Listen != "" && c.Listen == c.AdminListen {
		errs = append(errs, errors.New("admin-listen: must differ from listen"))
	}
	errs = append(errs, c.Kafka.Validate())
	if c.Topic == "" {
		errs = append(errs, errors.New("topic: must not be empty"))
	}
	if c.Linger < 0 {
		errs = append(errs, errors.New("linger: must not be negative"))
	}
	if c.BatchSize < 1 {
		errs = append(errs, errors.New("batch-size: must be at least 1"))
	}
	if c.StopDelay < 0 {
		errs = append(errs, errors.New("stop-delay: must not be negative"))
	}
	if c.MaxHeaderBytes < 1024 {
		errs = append(errs, errors.New("max-header-bytes: must be at least 1024"))
	}
	if c.MaxBodyBytes < 1 {
		errs = append(errs, errors.New("max-body-bytes: must be at least 1"))
	}
	if c.SpoolDir == "" {
		errs = append(errs, errors.New("spool-dir: must not be empty"))
	}
	if c.SpoolMaxBytes < 1<<20 {
		errs = append(errs, errors.New("spool-max-bytes: must be at least 1 MiB"))
	}
	if c.SpoolReadyBytes < 1 || c.SpoolReadyBytes > c.SpoolMaxBytes {
		errs = append(errs, errors.New("spool-ready-bytes: must be positive and at most spool-max-bytes"))
	}
	for name, d := range map[string]time.Duration{
		"produce-timeout": c.ProduceTimeout, "read-timeout": c.ReadTimeout, "write-timeout": c.WriteTimeout,
		"idle-timeout": c.IdleTimeout, "shutdown-timeout": c.ShutdownTimeout,
	} {
		if d <= 0 {
			errs = append(errs, fmt.Errorf("%s: must be positive", name))
		}
	}
	if c.WriteTimeout > 0 && c.ProduceTimeout >= c.WriteTimeout {
		errs = append(errs, errors.New("produce-timeout: must be shorter than write-timeout, or clients see a reset instead of a 500"))
	}
	return errors.Join(errs...)
}
