package main

import (
	"strings"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pixelpipe/pixelpipe/internal/testenv"
	"github.com/pixelpipe/pixelpipe/pkg/kafkax"
	"github.com/pixelpipe/pixelpipe/pkg/message"
	"github.com/pixelpipe/pixelpipe/services/enricher/enrichertest"
)

// These tests drive the stack's enricher (`make up`) through real Kafka.

const clientIP = "198.51.100.23"

func hitOf(session, requestID, query, ua string) enrichertest.Hit {
	return enrichertest.Hit{
		RequestID: requestID, At: time.Now(), IP: clientIP, UserAgent: ua,
		Query: "application=it&fm_session_id=" + session + "&" + query,
	}
}

func TestStackEnricherDedupesFlagsBotsAndHidesTheIP(t *testing.T) {
	k := enrichertest.Connect(t)
	session := testenv.UniqueID("enr_it")
	part := k.Partition(session)
	from := k.End(t, kafkax.TopicEvents, part)

	click := "interaction=item_click&set_id=look1&item_id=b&set_item_ids=a,b,c&response_uuid=r1&campaign=spring"
	var values [][]byte
	for i := range 5 {
		values = append(values, hitOf(session, "fire"+string(rune('0'+i)), click, uaSafariIPhone).Encode())
	}
	values = append(values,
		hitOf(session, "bot", "interaction=item_click&set_id=look1&item_id=c", uaGooglebot).Encode(),
		hitOf(session, "marker", "interaction=next_click&set_id=look1", uaChromeWindows).Encode())
	k.Produce(t, session, values...)

	msgs := enrichertest.Collect(t, kafkax.TopicEvents, part, from, session, enrichertest.HasRequest(t, "marker"))
	events := map[string]message.Event{}
	for i, e := range enrichertest.Events(t, msgs) {
		assert.NotContains(t, string(msgs[i].Value), clientIP, "the raw IP reached pixel.events")
		_, dup := events[e.Interaction+"/"+e.ItemID]
		assert.False(t, dup, "a second event for %s/%s (request %s)", e.Interaction, e.ItemID, e.RequestID)
		events[e.Interaction+"/"+e.ItemID] = e
	}
	require.Len(t, events, 3, "five fires of one pixel, a bot hit and a marker")

	click1 := events["item_click/b"]
	assert.Equal(t, "fire0", click1.RequestID, "the first fire is kept")
	assert.Equal(t, "198.51.100.0", click1.ClientIP)
	assert.Equal(t, uint16(2), click1.ItemPosition)
	assert.Equal(t, "Safari", click1.Browser)
	assert.Equal(t, "iOS", click1.OS)
	assert.Equal(t, "mobile", click1.DeviceClass)
	assert.Equal(t, "mobile", click1.DeviceType, "filled from the user agent")
	assert.False(t, click1.IsBot)
	assert.Equal(t, []string{"campaign"}, click1.ExtraKeys, "unknown parameters are carried through")
	assert.Equal(t, []string{"spring"}, click1.ExtraValues)

	bot := events["item_click/c"]
	assert.True(t, bot.IsBot, "bots are kept and flagged")
	assert.Equal(t, "bot", bot.DeviceClass)
	assert.Empty(t, bot.DeviceType)
}

func TestStackEnricherRoutesEveryRejectedRecordToTheDLQ(t *testing.T) {
	k := enrichertest.Connect(t)
	session := testenv.UniqueID("enr_dlq")
	part := k.Partition(session)
	dlqFrom := k.End(t, kafkax.TopicDLQ, part)
	eventsFrom := k.End(t, kafkax.TopicEvents, part)

	bad := map[string][]byte{
		"undecodable":         []byte("not json at all \xff"),
		"unsupported_version": []byte(`{"v":2,"query":"application=it&fm_session_id=` + session + `"}`),
		"invalid_query":       hitOf(session, "bad-query", "interaction=item_click&set_id=1", uaChromeWindows).Encode(),
	}
	reasons := []string{"undecodable", "unsupported_version", "invalid_query"}
	values := make([][]byte, 0, len(bad)+1)
	for _, r := range reasons {
		values = append(values, bad[r])
	}
	values = append(values, hitOf(session, "marker", "interaction=next_click&set_id=1", uaChromeWindows).Encode())
	offsets := k.Produce(t, session, values...)

	events := enrichertest.Events(t, enrichertest.Collect(t, kafkax.TopicEvents, part, eventsFrom, session, enrichertest.HasRequest(t, "marker")))
	require.Len(t, events, 1, "only the good hit is an event")

	letters := enrichertest.Collect(t, kafkax.TopicDLQ, part, dlqFrom, session, func(m []kafka.Message) bool { return len(m) >= len(bad) })
	require.Len(t, letters, len(bad))
	for i, m := range letters {
		d, err := message.DecodeDeadLetter(m.Value)
		require.NoError(t, err)
		assert.Equal(t, "enricher", d.Stage)
		assert.Equal(t, kafkax.TopicRaw, d.SourceTopic)
		assert.Equal(t, part, d.Partition)
		assert.Equal(t, offsets[i], d.Offset)
		assert.True(t, strings.HasPrefix(d.Reason, reasons[i]+": "), "reason %q, want %s", d.Reason, reasons[i])
		assert.Equal(t, bad[reasons[i]], d.Value, "the original bytes")
		assert.Equal(t, session, string(d.Key))
	}
}
