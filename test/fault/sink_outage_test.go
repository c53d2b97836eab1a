package fault

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/pixelpipe/pixelpipe/internal/testenv"
	"github.com/pixelpipe/pixelpipe/test/analytics"
)

// outage is how long ClickHouse stays down: long enough for several
// failed inserts and backoff steps of the sink.
const outage = 30 * time.Second

func TestSinkStoresEveryEventThroughAClickHouseOutage(t *testing.T) {
	needSinkStack(t)
	tr := analytics.Generate(testenv.UniqueID("outage"), 600, 11)
	msgs := eventMessages(t, tr.Stream)
	third := len(msgs) / 3
	w := sinkWriter(t)

	produce(t, w, msgs[:third])
	requireSomeRows(t, tr.App)

	testenv.Stack(t, "stop", "clickhouse")
	t.Cleanup(func() { testenv.Stack(t, "start", "clickhouse") })
	down := time.Now()
	produce(t, w, msgs[third:2*third])
	// The outage itself, not a wait for something: the sink keeps failing
	// and backing off for its whole length.
	time.Sleep(time.Until(down.Add(outage)))
	requireSinkAlive(t)
	testenv.Stack(t, "start", "clickhouse")

	produce(t, w, msgs[2*third:])
	analytics.RequireOneRowPerInteraction(t, tr, 2*time.Minute)
	analytics.RequireDocumentedAnswers(t, tr, 30*time.Second)
}

// requireSomeRows waits until the sink stored part of the traffic, so the
// fault hits a stream in flight.
func requireSomeRows(t *testing.T, app string) {
	t.Helper()
	require.Eventually(t, func() bool {
		out, err := analytics.Query(t.Context(), "SELECT count() FROM pixel.interactions WHERE application = '"+app+"'")
		return err == nil && out != "0\n"
	}, time.Minute, 100*time.Millisecond, "the sink stores the first events of %s", app)
}

// requireSinkAlive checks the sink process still answers: an outage must
// make it retry, not exit.
func requireSinkAlive(t *testing.T) {
	t.Helper()
	resp, err := http.Get("http://" + sinkAdminAddr + "/healthz")
	require.NoError(t, err, "the sink survives the outage")
	_ = resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
}
