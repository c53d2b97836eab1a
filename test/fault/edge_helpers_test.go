package fault

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pixelpipe/pixelpipe/internal/testenv"
	"github.com/pixelpipe/pixelpipe/pkg/kafkax"
)

const edgeAdminURL = "http://127.0.0.1:8081"

func edgeNeedStack(t *testing.T) {
	t.Helper()
	testenv.Need(t, "Kafka", testenv.KafkaAddr)
	testenv.Need(t, "ClickHouse", testenv.ClickHouseAddr)
	testenv.Need(t, "the edge", testenv.EdgeAddr)
}

// edgeFirer fires pixels at the edge from a few paced workers, each hit with
// its own fm_session_id (run_N), and remembers which ones were answered 204.
type edgeFirer struct {
	run    string
	client *http.Client
	stop   chan struct{}
	wg     sync.WaitGroup

	mu       sync.Mutex
	next     int
	accepted []string
	other    map[string]int // answers other than 204, by status or error
}

func startEdgeFirer(run string, workers int, every time.Duration) *edgeFirer {
	f := &edgeFirer{
		run:    run,
		client: &http.Client{Timeout: 15 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: workers}},
		stop:   make(chan struct{}),
		other:  map[string]int{},
	}
	for range workers {
		f.wg.Add(1)
		go f.work(every)
	}
	return f
}

func (f *edgeFirer) work(every time.Duration) {
	defer f.wg.Done()
	pace := time.NewTicker(every)
	defer pace.Stop()
	for {
		select {
		case <-f.stop:
			return
		case <-pace.C:
		}
		f.fireOne()
	}
}

func (f *edgeFirer) fireOne() {
	f.mu.Lock()
	session := f.run + "_" + strconv.Itoa(f.next)
	f.next++
	f.mu.Unlock()
	q := fmt.Sprintf("application=fault&fm_session_id=%s&interaction=item_click&set_id=look&item_id=%s&response_uuid=%s", session, session, session)
	outcome := f.get(q)
	f.mu.Lock()
	defer f.mu.Unlock()
	if outcome == "204" {
		f.accepted = append(f.accepted, session)
		return
	}
	f.other[outcome]++
}

func (f *edgeFirer) get(query string) string {
	resp, err := f.client.Get(testenv.PixelURL + "?" + query)
	if err != nil {
		return "error"
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return strconv.Itoa(resp.StatusCode)
}

func (f *edgeFirer) acceptedCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.accepted)
}

// waitAccepted waits until n more hits than now were answered 204.
func (f *edgeFirer) waitAccepted(t *testing.T, n int, why string) {
	t.Helper()
	target := f.acceptedCount() + n
	require.Eventually(t, func() bool { return f.acceptedCount() >= target }, 90*time.Second, 20*time.Millisecond,
		"waiting for %d more 204s %s", n, why)
}

// finish stops firing and returns the sessions answered 204 and the count of
// every other outcome.
func (f *edgeFirer) finish() ([]string, map[string]int) {
	select {
	case <-f.stop:
	default:
		close(f.stop)
	}
	f.wg.Wait()
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.accepted...), f.other
}

// edgeMetric reads one unlabelled metric from the edge's /metrics.
func edgeMetric(name string) (float64, error) {
	resp, err := http.Get(edgeAdminURL + "/metrics")
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		line := sc.Text()
		if v, ok := strings.CutPrefix(line, name+" "); ok {
			return strconv.ParseFloat(v, 64)
		}
	}
	return 0, fmt.Errorf("metric %s not found", name)
}

func edgeSpoolDepth() float64 {
	v, err := edgeMetric("pixelpipe_edge_spool_depth")
	if err != nil {
		return -1
	}
	return v
}

// rawEnds returns the end offset of every pixel.raw partition: where the
// hits of this test will start.
func rawEnds(t *testing.T) map[int]int64 {
	t.Helper()
	conn, err := kafka.Dial("tcp", testenv.KafkaAddr)
	require.NoError(t, err)
	defer conn.Close()
	parts, err := conn.ReadPartitions(kafkax.TopicRaw)
	require.NoError(t, err)
	ends := map[int]int64{}
	for _, p := range parts {
		leader, err := kafka.DialLeader(context.Background(), "tcp", testenv.KafkaAddr, kafkax.TopicRaw, p.ID)
		require.NoError(t, err)
		end, err := leader.ReadLastOffset()
		_ = leader.Close()
		require.NoError(t, err)
		ends[p.ID] = end
	}
	return ends
}

// rawKeysWithPrefix counts, per key, the pixel.raw messages written since
// from whose key starts with prefix.
func rawKeysWithPrefix(t *testing.T, from map[int]int64, prefix string) map[string]int {
	t.Helper()
	to := rawEnds(t)
	counts := map[string]int{}
	for p, start := range from {
		if to[p] <= start {
			continue
		}
		r := kafka.NewReader(kafka.ReaderConfig{
			Brokers: []string{testenv.KafkaAddr}, Topic: kafkax.TopicRaw, Partition: p, MaxWait: 100 * time.Millisecond,
		})
		require.NoError(t, r.SetOffset(start))
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		for {
			m, err := r.ReadMessage(ctx)
			require.NoError(t, err, "reading pixel.raw partition %d", p)
			if strings.HasPrefix(string(m.Key), prefix) {
				counts[string(m.Key)]++
			}
			if m.Offset >= to[p]-1 {
				break
			}
		}
		cancel()
		_ = r.Close()
	}
	return counts
}

// requireStoredOnce checks that every accepted hit reached pixel.raw at
// least once and pixel.interactions exactly once.
func requireStoredOnce(t *testing.T, run string, from map[int]int64, accepted []string) {
	t.Helper()
	raw := rawKeysWithPrefix(t, from, run+"_")
	var missingRaw []string
	for _, s := range accepted {
		if raw[s] == 0 {
			missingRaw = append(missingRaw, s)
		}
	}
	require.Empty(t, missingRaw, "hits answered 204 but absent from pixel.raw")

	conn := testenv.ClickHouse(t, "pixel")
	rows := map[string]uint64{}
	require.Eventually(t, func() bool {
		r, err := conn.Query(context.Background(),
			"SELECT fm_session_id, count() FROM interactions FINAL WHERE application = 'fault' AND set_id = 'look' AND fm_session_id LIKE ? GROUP BY fm_session_id",
			run+"_%")
		if err != nil {
			t.Logf("querying ClickHouse: %v", err)
			return false
		}
		defer r.Close()
		clear(rows)
		for r.Next() {
			var s string
			var n uint64
			if err := r.Scan(&s, &n); err != nil {
				t.Logf("scanning: %v", err)
				return false
			}
			rows[s] = n
		}
		for _, s := range accepted {
			if rows[s] == 0 {
				return false
			}
		}
		return true
	}, 120*time.Second, 500*time.Millisecond, "waiting for %d accepted hits in pixel.interactions", len(accepted))
	for _, s := range accepted {
		assert.Equal(t, uint64(1), rows[s], "rows of %s in pixel.interactions FINAL", s)
	}
}
