package message

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pixelpipe/pixelpipe/internal/specexample"
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
	q := []byte(specexample.ItemClick)
	b.ReportAllocs()
	for b.Loop() {
		dst = AppendRaw(dst[:0], []byte("0123456789abcdef-1"), at, []byte("127.0.0.1"), []byte("Mozilla/5.0"), q)
	}
}

func benchEvent() *Event {
	return &Event{
		EventID: "8adeb0eab14e871104a599154766c795", RequestID: "c946f45124128750-1", ReceivedAtUs: 1796400290123456,
		Application: "a1s2d3", FmSessionID: "8edaaf04-019e-4019-b97e-3797368a6b0d", SessionID: "E50D8936CE55AE890B6AAA13567A7EB6E3",
		CustomerID: "388828042", VisitorID: "09052708493180843610149618767541206783", Interaction: "item_click",
		ResponseUUID: "1aie39-932f-2930-blf1-12031029323ja", ItemID: "101409", SetID: "5048",
		SetItemIDs: []string{"705845", "676023", "708919", "708411"}, ItemPosition: 0, ClientIP: "203.0.113.0",
		UserAgent: "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
		Browser:   "Safari", BrowserVersion: "17.5", OS: "iOS", DeviceClass: "mobile", ExtraKeys: []string{}, ExtraValues: []string{},
	}
}

func BenchmarkEncodeEvent(b *testing.B) {
	e := benchEvent()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := EncodeEvent(e); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecodeEvent(b *testing.B) {
	raw, err := EncodeEvent(benchEvent())
	require.NoError(b, err)
	b.ReportAllocs()
	b.SetBytes(int64(len(raw)))
	for b.Loop() {
		if _, err := DecodeEvent(raw); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecodeRaw(b *testing.B) {
	raw := AppendRaw(nil, []byte("c946f45124128750-1"), time.Now(), []byte("203.0.113.9"), []byte(benchEvent().UserAgent),
		[]byte(specexample.ItemClick))
	b.ReportAllocs()
	b.SetBytes(int64(len(raw)))
	for b.Loop() {
		if _, err := DecodeRaw(raw); err != nil {
			b.Fatal(err)
		}
	}
}
