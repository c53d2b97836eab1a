// Package kafkax holds the Kafka settings and client construction the
// services share, so every stage talks to the brokers the same way.
package kafkax

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/segmentio/kafka-go"
)

// The topics of the pipeline (see the contract in the design brief).
const (
	TopicRaw    = "pixel.raw"
	TopicEvents = "pixel.events"
	TopicDLQ    = "pixel.dlq"
)

// Config is how a service reaches the brokers.
type Config struct {
	Brokers  string // comma-separated host:port list
	ClientID string
	Security Security
}

// BrokerList splits Brokers into addresses.
func (c Config) BrokerList() []string {
	var out []string
	for _, b := range strings.Split(c.Brokers, ",") {
		if b = strings.TrimSpace(b); b != "" {
			out = append(out, b)
		}
	}
	return out
}

// Validate reports every problem with the settings.
func (c Config) Validate() error {
	var errs []error
	brokers := c.BrokerList()
	if len(brokers) == 0 {
		errs = append(errs, errors.New("kafka brokers: at least one host:port is required"))
	}
	for _, b := range brokers {
		if _, _, err := net.SplitHostPort(b); err != nil {
			errs = append(errs, fmt.Errorf("kafka broker %q: %w", b, err))
		}
	}
	if c.ClientID == "" {
		errs = append(errs, errors.New("kafka client id: must not be empty"))
	}
	errs = append(errs, c.Security.Validate())
	return errors.Join(errs...)
}

// transport is how writers and request-level clients of c dial the brokers.
func (c Config) transport() (*kafka.Transport, error) {
	mechanism, tlsConfig, err := c.Security.resolve()
	if err != nil {
		return nil, err
	}
	return &kafka.Transport{ClientID: c.ClientID, DialTimeout: 5 * time.Second, SASL: mechanism, TLS: tlsConfig}, nil
}

// dialer is how readers and the probe of c dial the brokers.
func (c Config) dialer() (*kafka.Dialer, error) {
	mechanism, tlsConfig, err := c.Security.resolve()
	if err != nil {
		return nil, err
	}
	return &kafka.Dialer{ClientID: c.ClientID, Timeout: 5 * time.Second, DualStack: true, SASLMechanism: mechanism, TLS: tlsConfig}, nil
}

// NewClient returns a request-level client (metadata, offsets, raw produce).
func NewClient(c Config) (*kafka.Client, error) {
	t, err := c.transport()
	if err != nil {
		return nil, fmt.Errorf("preparing kafka client: %w", err)
	}
	return &kafka.Client{Addr: kafka.TCP(c.BrokerList()...), Timeout: 10 * time.Second, Transport: t}, nil
}

// WriterConfig tunes a producer.
type WriterConfig struct {
	// Linger is how long a batch waits for more messages before it is sent.
	Linger       time.Duration
	BatchSize    int
	WriteTimeout time.Duration
}

// NewWriter returns a producer that waits for all in-sync replicas and
// partitions by key like the Java client, so a session stays on one partition
// whichever client wrote it. Messages name their own topic.
func NewWriter(c Config, w WriterConfig) (*kafka.Writer, error) {
	t, err := c.transport()
	if err != nil {
		return nil, fmt.Errorf("preparing kafka writer: %w", err)
	}
	return &kafka.Writer{
		Addr:                   kafka.TCP(c.BrokerList()...),
		Balancer:               &kafka.Murmur2Balancer{},
		RequiredAcks:           kafka.RequireAll,
		BatchTimeout:           w.Linger,
		BatchSize:              w.BatchSize,
		WriteTimeout:           w.WriteTimeout,
		ReadTimeout:            w.WriteTimeout,
		AllowAutoTopicCreation: false,
		Compression:            kafka.Lz4,
		Transport:              t,
	}, nil
}

// ReaderConfig tunes a consumer-group member.
type ReaderConfig struct {
	Group string
	Topic string
}

// NewReader returns a consumer-group member that commits only when told to
// (CommitMessages is synchronous), never on a timer.
func NewReader(c Config, r ReaderConfig) (*kafka.Reader, error) {
	d, err := c.dialer()
	if err != nil {
		return nil, fmt.Errorf("preparing kafka reader: %w", err)
	}
	return kafka.NewReader(kafka.ReaderConfig{
		Brokers:           c.BrokerList(),
		GroupID:           r.Group,
		Topic:             r.Topic,
		Dialer:            d,
		MinBytes:          1,
		MaxBytes:          16 << 20,
		MaxWait:           250 * time.Millisecond,
		CommitInterval:    0,
		StartOffset:       kafka.FirstOffset,
		HeartbeatInterval: 3 * time.Second,
		// A killed member's partitions move after this long; short enough
		// that a crash costs seconds of lag, long enough for GC pauses.
		SessionTimeout:   10 * time.Second,
		RebalanceTimeout: 30 * time.Second,
		ReadBackoffMin:   50 * time.Millisecond,
		ReadBackoffMax:   time.Second,
	}), nil
}

// Probe answers whether a broker accepts connections, remembering the
// answer briefly so a busy readiness endpoint does not hammer the brokers.
type Probe struct {
	brokers []string
	dialer  *kafka.Dialer
	ttl     time.Duration

	mu      sync.Mutex
	checked time.Time
	last    error
}

// NewProbe checks the brokers of c.
func NewProbe(c Config) (*Probe, error) {
	d, err := c.dialer()
	if err != nil {
		return nil, fmt.Errorf("preparing kafka probe: %w", err)
	}
	return &Probe{brokers: c.BrokerList(), dialer: d, ttl: 2 * time.Second}, nil
}

// Check dials the brokers until one answers.
func (p *Probe) Check() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if time.Since(p.checked) < p.ttl {
		return p.last
	}
	p.checked = time.Now()
	p.last = p.dial()
	return p.last
}

func (p *Probe) dial() error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	var errs []error
	for _, b := range p.brokers {
		conn, err := p.dialer.DialContext(ctx, "tcp", b)
		if err == nil {
			_ = conn.Close()
			return nil
		}
		errs = append(errs, err)
	}
	return fmt.Errorf("no kafka broker answered: %w", errors.Join(errs...))
}
