package kafkax

import (
	"crypto/tls"
	"errors"
	"flag"
	"fmt"

	"github.com/segmentio/kafka-go/sasl"
	"github.com/segmentio/kafka-go/sasl/plain"
	"github.com/segmentio/kafka-go/sasl/scram"

	"github.com/pixelpipe/pixelpipe/pkg/tlsconf"
)

// Security is how a service authenticates to the brokers and encrypts the
// connection. The zero value is plaintext without authentication (the local stack).
type Security struct {
	SASLMechanism string // "", PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512
	SASLUser      string
	SASLPassword  string
	TLS           bool
	TLSCAFile     string // PEM bundle; empty: the system roots
	TLSServerName string
}

// RegisterFlags declares the broker, client id and security settings on fs,
// the same way for every service.
func RegisterFlags(fs *flag.FlagSet, c *Config, clientID string) {
	fs.StringVar(&c.Brokers, "kafka-brokers", "127.0.0.1:9092", "comma-separated Kafka bootstrap brokers")
	fs.StringVar(&c.ClientID, "kafka-client-id", clientID, "Kafka client id")
	fs.StringVar(&c.Security.SASLMechanism, "kafka-sasl-mechanism", "", "Kafka SASL mechanism: PLAIN, SCRAM-SHA-256, SCRAM-SHA-512 (empty: none)")
	fs.StringVar(&c.Security.SASLUser, "kafka-sasl-user", "", "Kafka SASL user")
	fs.StringVar(&c.Security.SASLPassword, "kafka-sasl-password", "", "Kafka SASL password")
	fs.BoolVar(&c.Security.TLS, "kafka-tls", false, "connect to Kafka over TLS")
	fs.StringVar(&c.Security.TLSCAFile, "kafka-tls-ca-file", "", "PEM file of the CAs that sign the brokers' certificates (empty: system roots)")
	fs.StringVar(&c.Security.TLSServerName, "kafka-tls-server-name", "", "server name to verify in the brokers' certificates (empty: the broker host)")
}

// Validate reports every problem with the security settings.
func (s Security) Validate() error {
	var errs []error
	switch s.SASLMechanism {
	case "":
		if s.SASLUser != "" || s.SASLPassword != "" {
			errs = append(errs, errors.New("kafka-sasl-user/password: set kafka-sasl-mechanism too"))
		}
	case "PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512":
		if s.SASLUser == "" {
			errs = append(errs, errors.New("kafka-sasl-user: required with a SASL mechanism"))
		}
	default:
		errs = append(errs, fmt.Errorf("kafka-sasl-mechanism: %q is not PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512", s.SASLMechanism))
	}
	if !s.TLS && (s.TLSCAFile != "" || s.TLSServerName != "") {
		errs = append(errs, errors.New("kafka-tls-ca-file/server-name: set kafka-tls too"))
	}
	if _, err := s.tlsConfig(); err != nil {
		errs = append(errs, fmt.Errorf("kafka-tls-ca-file: %w", err))
	}
	return errors.Join(errs...)
}

// resolve turns the settings into what kafka-go dials with.
func (s Security) resolve() (sasl.Mechanism, *tls.Config, error) {
	mechanism, err := s.mechanism()
	if err != nil {
		return nil, nil, err
	}
	tlsConfig, err := s.tlsConfig()
	if err != nil {
		return nil, nil, err
	}
	return mechanism, tlsConfig, nil
}

func (s Security) mechanism() (sasl.Mechanism, error) {
	switch s.SASLMechanism {
	case "":
		return nil, nil
	case "PLAIN":
		return plain.Mechanism{Username: s.SASLUser, Password: s.SASLPassword}, nil
	case "SCRAM-SHA-256":
		m, err := scram.Mechanism(scram.SHA256, s.SASLUser, s.SASLPassword)
		if err != nil {
			return nil, fmt.Errorf("preparing SCRAM-SHA-256: %w", err)
		}
		return m, nil
	case "SCRAM-SHA-512":
		m, err := scram.Mechanism(scram.SHA512, s.SASLUser, s.SASLPassword)
		if err != nil {
			return nil, fmt.Errorf("preparing SCRAM-SHA-512: %w", err)
		}
		return m, nil
	}
	return nil, fmt.Errorf("unknown SASL mechanism %q", s.SASLMechanism)
}

func (s Security) tlsConfig() (*tls.Config, error) {
	if !s.TLS {
		return nil, nil
	}
	cfg, err := tlsconf.Client(s.TLSCAFile, s.TLSServerName)
	if err != nil {
		return nil, fmt.Errorf("kafka TLS: %w", err)
	}
	return cfg, nil
}
