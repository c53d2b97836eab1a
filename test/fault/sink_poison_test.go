package fault

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
	"github.com/pixelpipe/pixelpipe/test/analytics"
)

func TestSinkPoisonRecordsGoToTheDLQWithoutStallingThePartition(t *testing.T) {
	needSinkStack(t)
	tr := analytics.Generate(testenv.UniqueID("poison"), 1, 7)
	session := tr.App + "-fm-0"
	require.Greater(t, len(tr.Events), 1, "good events before and after the poison")
	from := dlqEnd(t)

	// One key: the poison sits on the same partition, between good events.
	good := eventMessages(t, tr.Events)
	late := tr.Events[0]
	late.EventID, late.ReceivedAtUs = "late-"+late.EventID, time.Date(2200, 1, 1, 0, 0, 0, 0, time.UTC).UnixMicro()
	poison := append(eventMessages(t, []message.Event{late}),
		kafka.Message{Topic: kafkax.TopicEvents, Key: []byte(session), Value: []byte(`{"v":1,"event_id":`)})
	w := sinkWriter(t)
	produce(t, w, good[:1])
	produce(t, w, poison)
	produce(t, w, good[1:])

	analytics.RequireOneRowPerInteraction(t, tr, 60*time.Second)
	var letters []message.DeadLetter
	require.Eventually(t, func() bool {
		got, err := deadLettersWithKeyPrefix(t, from, session)
		if err != nil {
			t.Logf("reading pixel.dlq: %v", err)
			return false
		}
		letters = got
		return len(letters) >= 2
	}, 30*time.Second, 250*time.Millisecond, "both poison records reach pixel.dlq")
	require.Len(t, letters, 2)
	reasons := map[string]message.DeadLetter{}
	for _, d := range letters {
		code, _, _ := strings.Cut(d.Reason, ":")
		reasons[code] = d
		assert.Equal(t, "sink", d.Stage)
		assert.Equal(t, kafkax.TopicEvents, d.SourceTopic)
		assert.Equal(t, session, string(d.Key))
	}
	require.Contains(t, reasons, "rejected")
	require.Contains(t, reasons, "undecodable")
	assert.Contains(t, reasons["rejected"].Reason, "outside ClickHouse DateTime")
	assert.Equal(t, poison[0].Value, reasons["rejected"].Value, "the original bytes, untouched")
	assert.Equal(t, poison[1].Value, reasons["undecodable"].Value)
}
