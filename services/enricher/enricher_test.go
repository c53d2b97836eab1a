package main

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pixelpipe/pixelpipe/internal/specexample"
	"github.com/pixelpipe/pixelpipe/pkg/message"
	"github.com/pixelpipe/pixelpipe/pkg/pixel"
)

func rawHit(query string, at int64) []byte {
	return message.AppendRaw(nil, []byte("req"), time.UnixMicro(at), []byte("203.0.113.77"), []byte("Mozilla/5.0"), []byte(query))
}

func TestBuildEventFromSpecExample(t *testing.T) {
	raw, err := message.DecodeRaw(rawHit(specexample.ItemClick+"&order_id=42", 1_000_000))
	require.NoError(t, err)
	e, err := buildEvent(&raw, new(pixel.Validator), new(pixel.Scanner))
	require.NoError(t, err)
	assert.Equal(t, "a1s2d3", e.Application)
	assert.Equal(t, "item_click", e.Interaction)
	assert.Equal(t, "388828042", e.CustomerID)
	assert.Equal(t, "09052708493180843610149618767541206783", e.VisitorID)
	assert.Equal(t, "E50D8936CE55AE890B6AAA13567A7EB6E3", e.SessionID)
	assert.Equal(t, "101409", e.ItemID)
	assert.Equal(t, "5048", e.SetID)
	assert.Equal(t, []string{"705845", "676023", "708919", "708411"}, e.SetItemIDs)
	assert.Equal(t, "8edaaf04-019e-4019-b97e-3797368a6b0d", e.FmSessionID)
	assert.Equal(t, "1aie39-932f-2930-blf1-12031029323ja", e.ResponseUUID)
	assert.Equal(t, []string{"order_id"}, e.ExtraKeys)
	assert.Equal(t, []string{"42"}, e.ExtraValues)
	assert.Empty(t, e.ClientIP, "the address is the enricher's to anonymise")
	assert.Zero(t, e.ItemPosition, "101409 is not among the look's items")
	assert.Equal(t, int64(1_000_000), e.ReceivedAtUs)
}

func TestDedupKeySeparatesFields(t *testing.T) {
	a := message.Event{Application: "ab", FmSessionID: "c"}
	b := message.Event{Application: "a", FmSessionID: "bc"}
	assert.NotEqual(t, dedupKey(&a), dedupKey(&b))
	c := a
	c.RequestID, c.ReceivedAtUs, c.ClientIP = "other", 99, "x"
	assert.Equal(t, dedupKey(&a), dedupKey(&c), "only the dedup fields decide")
}

func TestDeduperWindowAndCapacity(t *testing.T) {
	hour := time.Hour.Microseconds()
	d := NewDeduper(time.Hour, 2)
	k1, k2, k3 := DedupKey{1}, DedupKey{2}, DedupKey{3}
	d.Record(k1, 0)
	assert.True(t, d.Seen(k1, hour-1))
	assert.False(t, d.Seen(k1, hour), "outside the window")
	d.Record(k2, 10)
	d.Record(k3, 20)
	assert.False(t, d.Seen(k1, 30), "evicted past capacity")
	assert.True(t, d.Seen(k2, 30))
	assert.True(t, d.Seen(k3, 30))
	assert.Equal(t, 2, d.Len())
}

// recordingWriter fails the first failures writes and keeps the rest.
type recordingWriter struct {
	failures int
	written  []kafka.Message
}

func (w *recordingWriter) WriteMessages(_ context.Context, msgs ...kafka.Message) error {
	if w.failures > 0 {
		w.failures--
		return errors.New("broker unavailable")
	}
	w.written = append(w.written, msgs...)
	return nil
}

func TestHandlerDropsRepeatsAndRoutesBadRecords(t *testing.T) {
	w := &recordingWriter{}
	h := newTestHandler(t, w, newMemChangelog())
	batch := []kafka.Message{
		{Topic: "pixel.raw", Partition: 1, Offset: 10, Value: rawHit(specexample.ItemClick, 1)},
		{Topic: "pixel.raw", Partition: 1, Offset: 11, Value: rawHit(specexample.ItemClick, 2)},
		{Topic: "pixel.raw", Partition: 1, Offset: 12, Value: []byte("garbage")},
		{Topic: "pixel.raw", Partition: 1, Offset: 13, Value: []byte(`{"v":9}`)},
		{Topic: "pixel.raw", Partition: 1, Offset: 14, Value: rawHit("application=a", 3)},
	}
	require.NoError(t, h.Handle(context.Background(), batch))
	require.NoError(t, h.Handle(context.Background(), batch[:1]), "a later batch")

	var events []message.Event
	reasons := map[int64]string{}
	for _, m := range w.written {
		switch m.Topic {
		case "ev":
			e, err := message.DecodeEvent(m.Value)
			require.NoError(t, err)
			events = append(events, e)
		case "dlq":
			d, err := message.DecodeDeadLetter(m.Value)
			require.NoError(t, err)
			assert.Equal(t, "pixel.raw", d.SourceTopic)
			assert.Equal(t, 1, d.Partition)
			assert.Equal(t, batch[d.Offset-10].Value, d.Value, "the original bytes")
			reasons[d.Offset] = d.Reason
		}
	}
	require.Len(t, events, 1, "five fires of one pixel across batches are one event")
	assert.Len(t, events[0].EventID, 32)
	assert.Contains(t, reasons[12], "undecodable")
	assert.Contains(t, reasons[13], "unsupported_version")
	assert.Contains(t, reasons[14], "invalid_query: parameter fm_session_id is required")
}

func TestHandlerRetryIsNotMistakenForADuplicate(t *testing.T) {
	w := &recordingWriter{failures: 1}
	h := newTestHandler(t, w, newMemChangelog())
	batch := []kafka.Message{{Topic: "pixel.raw", Value: rawHit(specexample.ItemClick, 1)}}
	require.Error(t, h.Handle(context.Background(), batch))
	require.NoError(t, h.Handle(context.Background(), batch))
	require.Len(t, w.written, 1)
	assert.Equal(t, "ev", w.written[0].Topic)
}
