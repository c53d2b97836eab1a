package fault

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/pixelpipe/pixelpipe/internal/testenv"
	"github.com/pixelpipe/pixelpipe/test/analytics"
)

// Two sinks share pixel.events in one group; one crashes mid-stream and its
// partitions go back to the other. Nothing is lost, nothing counted twice.
func TestTwoSinksShareTheWorkAndACrashOfOneLosesNothing(t *testing.T) {
	needSinkStack(t)
	tr := analytics.Generate(testenv.UniqueID("sinkgroup"), 1500, 21)
	msgs := eventMessages(t, tr.Stream)
	w := sinkWriter(t)
	other := testenv.StartInstance(t, "sink", "127.0.0.1:18084", "SINK_KAFKA_CLIENT_ID=pixelpipe-sink-test")

	half, threeQuarters := len(msgs)/2, len(msgs)*3/4
	produce(t, w, msgs[:half])
	require.Eventually(t, func() bool { return other.Metric(t, "pixelpipe_sink_rows_total") > 0 },
		60*time.Second, 200*time.Millisecond, "the second sink never got a partition")
	produce(t, w, msgs[half:threeQuarters])
	other.Kill(t)
	produce(t, w, msgs[threeQuarters:])

	analytics.RequireOneRowPerInteraction(t, tr, 2*time.Minute)
	analytics.RequireDocumentedAnswers(t, tr, 30*time.Second)
}
