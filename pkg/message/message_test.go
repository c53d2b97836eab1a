package message

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestAppendRawRoundTrips(t *testing.T) {
	at := time.Date(2026, 12, 4, 15, 42, 8, 123456000, time.UTC)
	ua := "Mozilla/5.0 \"quoted\" back\\slash tab\t nul\x00 é \xff"
	query := `application=a1s2d3&size="x"`
	b := AppendRaw(nil, []byte("req-1"), at, []byte("203.0.113.9"), []byte(ua), []byte(query))
	require.True(t, json.Valid(b), string(b))

	raw, err := DecodeRaw(b)
	require.NoError(t, err)
	assert.Equal(t, RawVersion, raw.V)
	assert.Equal(t, "req-1", raw.RequestID)
	assert.Equal(t, at, raw.ReceivedAt())
	assert.Equal(t, "203.0.113.9", raw.ClientIP)
	assert.Equal(t, "Mozilla/5.0 \"quoted\" back\\slash tab\t nul\x00 é \ufffd", raw.UserAgent)
	assert.Equal(t, query, raw.Query)
}

func TestAppendRawMatchesEncodingJSON(t *testing.T) {
	ua := "agent \u2028 <b> & \x1f"
	b := AppendRaw(nil, []byte("r"), time.UnixMicro(42), []byte("::1"), []byte(ua), []byte("q=1"))
	var got, want map[string]any
	require.NoError(t, json.Unmarshal(b, &got))
	std, err := json.Marshal(Raw{V: RawVersion, RequestID: "r", ReceivedAtUs: 42, ClientIP: "::1", UserAgent: ua, Query: "q=1"})
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(std, &want))
	assert.Equal(t, want, got)
}

func TestDecodeRejectsUnknownVersions(t *testing.T) {
	_, err := DecodeRaw([]byte(`{"v":2,"query":"a=1"}`))
	assert.ErrorIs(t, err, ErrUnsupportedVersion)
	_, err = DecodeEvent([]byte(`{"v":99}`))
	assert.ErrorIs(t, err, ErrUnsupportedVersion)
	_, err = DecodeRaw([]byte(`not json`))
	assert.Error(t, err)
	assert.NotErrorIs(t, err, ErrUnsupportedVersion)
}

func TestEventRoundTrips(t *testing.T) {
	e := Event{EventID: "id", ReceivedAtUs: 7, Application: "a", SetItemIDs: []string{"1", "2"}, ExtraKeys: []string{"k"}, ExtraValues: []string{"v"}}
	b, err := EncodeEvent(&e)
	require.NoError(t, err)
	got, err := DecodeEvent(b)
	require.NoError(t, err)
	assert.Equal(t, e, got)
}

func TestDeadLetterKeepsOriginalBytes(t *testing.T) {
	original := []byte{0xff, 0x00, '{'}
	d := DeadLetter{Stage: "enricher", Reason: "undecodable: x", SourceTopic: "pixel.raw", Partition: 3, Offset: 9, Value: original}
	b, err := EncodeDeadLetter(&d, time.UnixMicro(5))
	require.NoError(t, err)
	got, err := DecodeDeadLetter(b)
	require.NoError(t, err)
	assert.Equal(t, original, got.Value)
	assert.Equal(t, int64(5), got.FailedAtUs)
	assert.Equal(t, DeadLetterVersion, got.V)
}

func BenchmarkAppendRaw(b *testing.B) {
	dst := make([]byte, 0, 1024)
	at := time.Now()
	q := []byte("application=a1s2d3&interaction=item_click&customer_id=388828042&item_id=101409&set_id=5048&fm_session_id=8edaaf04-019e-4019-b97e-3797368a6b0d")
	b.ReportAllocs()
	for b.Loop() {
		dst = AppendRaw(dst[:0], []byte("0123456789abcdef-1"), at, []byte("127.0.0.1"), []byte("Mozilla/5.0"), q)
	}
}
