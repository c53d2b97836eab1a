package fault

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pixelpipe/pixelpipe/internal/testenv"
)

// Kafka dies (SIGKILL) in the middle of a stream of pixels: the edge keeps
// answering 204 from its spool, replays it once Kafka is back, and every hit
// it answered 204 reaches pixel.raw at least once and pixel.interactions
// exactly once.
func TestEdgeKeepsEveryAcceptedHitThroughAKafkaKill(t *testing.T) {
	edgeNeedStack(t)
	run := testenv.UniqueID("edgekill")
	from := rawEnds(t)
	replayedBefore, err := edgeMetric("pixelpipe_edge_spool_replayed_total")
	require.NoError(t, err)

	f := startEdgeFirer(run, 4, 10*time.Millisecond)
	t.Cleanup(func() { f.finish() })
	f.waitAccepted(t, 200, "before the kill")

	testenv.Kill(t, "kafka")
	f.waitAccepted(t, 300, "while Kafka is dead")
	require.Eventually(t, func() bool { return edgeSpoolDepth() > 0 }, 30*time.Second, 20*time.Millisecond,
		"the edge should be spooling while Kafka is dead")

	testenv.Stack(t, "start", "kafka")
	require.Eventually(t, func() bool { return edgeSpoolDepth() == 0 }, 90*time.Second, 100*time.Millisecond,
		"the spool should drain once Kafka is back")
	f.waitAccepted(t, 200, "after Kafka is back")
	accepted, other := f.finish()
	t.Logf("%d hits answered 204; other outcomes: %v", len(accepted), other)

	replayed, err := edgeMetric("pixelpipe_edge_spool_replayed_total")
	require.NoError(t, err)
	assert.Greater(t, replayed, replayedBefore, "hits went through the spool")
	assert.Zero(t, other["500"], "no 500 while the spool has room")
	requireStoredOnce(t, run, from, accepted)
}
