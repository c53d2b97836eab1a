package fault

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/pixelpipe/pixelpipe/internal/testenv"
	"github.com/pixelpipe/pixelpipe/test/analytics"
)

func TestSinkKilledMidBatchLosesAndDuplicatesNothing(t *testing.T) {
	needSinkStack(t)
	tr := analytics.Generate(testenv.UniqueID("sinkkill"), 1500, 13)
	msgs := eventMessages(t, tr.Stream)
	w := sinkWriter(t)

	// A steady stream, so the kill lands while batches are being filled,
	// inserted and committed.
	const chunks = 20
	size := len(msgs)/chunks + 1
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	killed := false
	for start := 0; start < len(msgs); start += size {
		<-tick.C
		produce(t, w, msgs[start:min(start+size, len(msgs))])
		if !killed && start >= len(msgs)/2 {
			requireSomeRows(t, tr.App)
			testenv.Kill(t, "sink")
			killed = true
		}
	}
	require.True(t, killed)
	testenv.Stack(t, "start", "sink")

	analytics.RequireOneRowPerInteraction(t, tr, 2*time.Minute)
	analytics.RequireDocumentedAnswers(t, tr, 30*time.Second)
	raw, err := analytics.Query(t.Context(), "SELECT count() FROM pixel.interactions WHERE application = '"+tr.App+"'")
	require.NoError(t, err)
	t.Logf("%d distinct events, %d messages, %s rows before FINAL", len(tr.Events), len(msgs), strings.TrimSpace(raw))
}
