package e2e

import (
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pixelpipe/pixelpipe/internal/testenv"
)

var admins = map[string]string{
	"edge":     "http://127.0.0.1:8081",
	"enricher": "http://127.0.0.1:8082",
	"sink":     "http://127.0.0.1:8083",
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	client := &http.Client{Timeout: 10 * time.Second}
	resp, err := client.Get(url)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, string(body)
}

func TestEveryServiceServesProbesMetricsAndPprofOnItsAdminPort(t *testing.T) {
	needStack(t)
	// One hit through the whole pipeline, so every consumer has fetched a
	// record and exports its per-partition lag.
	session := testenv.UniqueID("admin")
	status, _ := fire(t, &http.Client{Timeout: 10 * time.Second}, "application=e2e&fm_session_id="+session+"&interaction=next_click&set_id=1")
	require.Equal(t, http.StatusNoContent, status)
	rowsOfSession(t, session, 1)

	families := map[string][]string{
		"edge":     {"pixelpipe_edge_requests_total", "pixelpipe_edge_produce_seconds", "go_goroutines", "process_cpu_seconds_total"},
		"enricher": {"pixelpipe_consumer_records_total", "pixelpipe_consumer_lag", "pixelpipe_enricher_duplicates_total", "pixelpipe_enricher_dedup_keys"},
		"sink":     {"pixelpipe_consumer_records_total", "pixelpipe_consumer_lag", "pixelpipe_sink_insert_seconds", "pixelpipe_sink_rows_total"},
	}
	for name, base := range admins {
		t.Run(name, func(t *testing.T) {
			status, _ := get(t, base+"/healthz")
			assert.Equal(t, http.StatusOK, status)
			status, body := get(t, base+"/readyz")
			assert.Equal(t, http.StatusOK, status, body)
			status, _ = get(t, base+"/debug/pprof/")
			assert.Equal(t, http.StatusOK, status)
			status, body = get(t, base+"/metrics")
			require.Equal(t, http.StatusOK, status)
			for _, f := range families[name] {
				assert.True(t, strings.Contains(body, "# TYPE "+f+" "), "%s exports %s", name, f)
			}
		})
	}
}

func TestEdgeCountsRequestsByStatus(t *testing.T) {
	needStack(t)
	before := edgeRequests(t)
	client := &http.Client{Timeout: 10 * time.Second}
	status, _ := fire(t, client, "application=e2e&fm_session_id="+testenv.UniqueID("metrics")+"&interaction=next_click&set_id=1")
	require.Equal(t, http.StatusNoContent, status)
	status, _ = fire(t, client, "application=e2e&interaction=next_click&set_id=1")
	require.Equal(t, http.StatusBadRequest, status)
	after := edgeRequests(t)
	// Other tests may fire too, so the counters grow by at least ours.
	assert.GreaterOrEqual(t, after["204"]-before["204"], 1.0)
	assert.GreaterOrEqual(t, after["400"]-before["400"], 1.0)
}

func TestPublicPortServesNoAdminEndpoints(t *testing.T) {
	needStack(t)
	for _, path := range []string{"/metrics", "/debug/pprof/", "/healthz"} {
		status, _ := get(t, "http://"+testenv.EdgeAddr+path)
		assert.Equal(t, http.StatusNotFound, status, path)
	}
}

func edgeRequests(t *testing.T) map[string]float64 {
	t.Helper()
	_, body := get(t, admins["edge"]+"/metrics")
	out := map[string]float64{}
	re := regexp.MustCompile(`(?m)^pixelpipe_edge_requests_total\{[^}]*status="(\d+)"[^}]*\} (\S+)$`)
	for _, m := range re.FindAllStringSubmatch(body, -1) {
		v, err := strconv.ParseFloat(m[2], 64)
		require.NoError(t, err)
		out[m[1]] += v
	}
	return out
}
