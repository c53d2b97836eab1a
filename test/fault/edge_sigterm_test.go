package fault

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pixelpipe/pixelpipe/internal/testenv"
)

func edgeReadyStatus() int {
	resp, err := http.Get(edgeAdminURL + "/readyz")
	if err != nil {
		return 0
	}
	_ = resp.Body.Close()
	return resp.StatusCode
}

// The edge is stopped with SIGTERM under load: readiness fails first while
// hits are still accepted, then the listener closes, and every hit answered
// 204 before, during and after the stop is stored exactly once.
func TestEdgeSIGTERMUnderLoadLosesNoAcceptedHit(t *testing.T) {
	edgeNeedStack(t)
	run := testenv.UniqueID("edgeterm")
	from := rawEnds(t)

	f := startEdgeFirer(run, 4, 5*time.Millisecond)
	t.Cleanup(func() { f.finish() })
	t.Cleanup(func() { testenv.Stack(t, "start", "edge") })
	f.waitAccepted(t, 200, "before the stop")

	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		testenv.Stack(t, "stop", "edge") // SIGTERM, waits for the exit
	}()
	require.Eventually(t, func() bool { return edgeReadyStatus() == http.StatusServiceUnavailable }, 10*time.Second,
		10*time.Millisecond, "readiness fails first")
	f.waitAccepted(t, 50, "after readiness failed, before the listener closes")
	<-stopped

	testenv.Stack(t, "start", "edge")
	f.waitAccepted(t, 200, "after the restart")
	accepted, other := f.finish()
	t.Logf("%d hits answered 204; other outcomes: %v", len(accepted), other)
	assert.Zero(t, other["500"], "a graceful stop answers no 500")
	requireStoredOnce(t, run, from, accepted)
}
