package kafkax

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/segmentio/kafka-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSecurityValidate(t *testing.T) {
	assert.NoError(t, Security{}.Validate(), "plaintext without auth, the local stack")
	for _, m := range []string{"PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"} {
		assert.NoError(t, Security{SASLMechanism: m, SASLUser: "u", SASLPassword: "p"}.Validate(), m)
	}
	err := Security{SASLMechanism: "GSSAPI", TLSCAFile: "/nonexistent"}.Validate()
	require.Error(t, err)
	assert.Contains(t, err.Error(), "kafka-sasl-mechanism")
	assert.Contains(t, err.Error(), "set kafka-tls too")
	assert.ErrorContains(t, Security{SASLMechanism: "PLAIN"}.Validate(), "kafka-sasl-user")
	assert.ErrorContains(t, Security{SASLUser: "u"}.Validate(), "set kafka-sasl-mechanism")
	assert.ErrorContains(t, Security{TLS: true, TLSCAFile: "/nonexistent"}.Validate(), "kafka-tls-ca-file")
}

func TestClientsCarryTheSecuritySettings(t *testing.T) {
	c := Config{Brokers: "127.0.0.1:9092", ClientID: "x", Security: Security{SASLMechanism: "SCRAM-SHA-512", SASLUser: "u", SASLPassword: "p", TLS: true, TLSServerName: "kafka.internal"}}
	require.NoError(t, c.Validate())
	w, err := NewWriter(c, WriterConfig{})
	require.NoError(t, err)
	tr, ok := w.Transport.(*kafka.Transport)
	require.True(t, ok)
	require.NotNil(t, tr.SASL)
	assert.Equal(t, "SCRAM-SHA-512", tr.SASL.Name())
	require.NotNil(t, tr.TLS)
	assert.Equal(t, "kafka.internal", tr.TLS.ServerName)
}

func TestBadCAFileIsAnError(t *testing.T) {
	ca := filepath.Join(t.TempDir(), "ca.pem")
	require.NoError(t, os.WriteFile(ca, []byte("not a certificate"), 0o600))
	c := Config{Brokers: "127.0.0.1:9092", ClientID: "x", Security: Security{TLS: true, TLSCAFile: ca}}
	_, err := NewReader(c, ReaderConfig{Group: "g", Topic: "t"})
	assert.ErrorContains(t, err, "holds no PEM certificate")
}
