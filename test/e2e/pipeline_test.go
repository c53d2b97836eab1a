// Package e2e drives the running pipeline from the outside: pixels in at the
// edge, rows out of ClickHouse. It needs the local stack (`make up`).
package e2e

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pixelpipe/pixelpipe/internal/specexample"
	"github.com/pixelpipe/pixelpipe/internal/testenv"
	"github.com/pixelpipe/pixelpipe/pkg/kafkax"
	"github.com/pixelpipe/pixelpipe/pkg/message"
)

// userAgent marks this suite's hits; each run replaces the examples'
// fm_session_id so its rows are its own.
const userAgent = "Mozilla/5.0 (pixelpipe e2e)"

func needStack(t *testing.T) {
	testenv.Need(t, "the edge", testenv.EdgeAddr)
	testenv.Need(t, "Kafka", testenv.KafkaAddr)
	testenv.Need(t, "ClickHouse", testenv.ClickHouseAddr)
}

func fire(t *testing.T, client *http.Client, query string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, testenv.PixelURL+"?"+query, nil)
	require.NoError(t, err)
	req.Header.Set("User-Agent", userAgent)
	resp, err := client.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, string(body)
}

type row struct {
	EventID, RequestID, Application, FmSessionID, SessionID, CustomerID, VisitorID string
	DeviceType, DeviceID, DeviceUser, Interaction, ResponseUUID, ItemID, SetID     string
	SetItemIDs                                                                     []string
	Size, ClientIP, UserAgent                                                      string
	ExtraKeys, ExtraValues                                                         []string
	ReceivedAt                                                                     time.Time
}

func rowsOfSession(t *testing.T, session string, want int) map[string]row {
	t.Helper()
	conn := testenv.ClickHouse(t, "pixel")
	ctx := context.Background()
	got := map[string]row{}
	require.Eventually(t, func() bool {
		rows, err := conn.Query(ctx, `SELECT event_id, request_id, application, fm_session_id, session_id,
			customer_id, visitor_id, device_type, device_id, device_user, interaction, response_uuid,
			item_id, set_id, set_item_ids, size, client_ip, user_agent, extra_keys, extra_values, received_at
			FROM interactions FINAL WHERE fm_session_id = ?`, session)
		if err != nil {
			t.Logf("querying ClickHouse: %v", err)
			return false
		}
		defer rows.Close()
		clear(got)
		for rows.Next() {
			var r row
			if err := rows.Scan(&r.EventID, &r.RequestID, &r.Application, &r.FmSessionID, &r.SessionID,
				&r.CustomerID, &r.VisitorID, &r.DeviceType, &r.DeviceID, &r.DeviceUser, &r.Interaction,
				&r.ResponseUUID, &r.ItemID, &r.SetID, &r.SetItemIDs, &r.Size, &r.ClientIP, &r.UserAgent,
				&r.ExtraKeys, &r.ExtraValues, &r.ReceivedAt); err != nil {
				t.Logf("scanning row: %v", err)
				return false
			}
			got[r.Interaction+"/"+r.ItemID] = r
		}
		return len(got) >= want
	}, 90*time.Second, 200*time.Millisecond, "waiting for %d rows of session %s in pixel.interactions", want, session)
	return got
}

func TestSpecExamplesArriveInClickHouseIntact(t *testing.T) {
	needStack(t)
	session := testenv.UniqueID("e2e")
	client := &http.Client{Timeout: 10 * time.Second}
	before := time.Now().Add(-time.Second).Truncate(time.Second)
	for _, q := range []string{specexample.ItemClick, specexample.NextClick} {
		status, body := fire(t, client, strings.ReplaceAll(q, specexample.Session, session))
		require.Equal(t, http.StatusNoContent, status, body)
		assert.Empty(t, body)
	}

	rows := rowsOfSession(t, session, 2)
	require.Len(t, rows, 2)
	common := func(t *testing.T, r row) {
		assert.Equal(t, "a1s2d3", r.Application)
		assert.Equal(t, session, r.FmSessionID)
		assert.Equal(t, "388828042", r.CustomerID)
		assert.Equal(t, "09052708493180843610149618767541206783", r.VisitorID)
		assert.Equal(t, "E50D8936CE55AE890B6AAA13567A7EB6E3", r.SessionID)
		assert.Equal(t, "5048", r.SetID)
		assert.Equal(t, []string{"705845", "676023", "708919", "708411"}, r.SetItemIDs)
		assert.Equal(t, "127.0.0.0", r.ClientIP, "the loopback client, truncated to /24")
		assert.Equal(t, userAgent, r.UserAgent)
		assert.NotEmpty(t, r.RequestID)
		assert.Len(t, r.EventID, 32)
		assert.Empty(t, r.DeviceType)
		assert.Empty(t, r.ExtraKeys)
		assert.Empty(t, r.ExtraValues)
		assert.False(t, r.ReceivedAt.Before(before), "received_at %s is before the test started", r.ReceivedAt)
		assert.WithinDuration(t, time.Now(), r.ReceivedAt, 2*time.Minute)
	}
	item, ok := rows["item_click/101409"]
	require.True(t, ok, "item_click row: %v", rows)
	common(t, item)
	assert.Equal(t, "1aie39-932f-2930-blf1-12031029323ja", item.ResponseUUID)

	next, ok := rows["next_click/"]
	require.True(t, ok, "next_click row: %v", rows)
	common(t, next)
	assert.Empty(t, next.ResponseUUID)
	assert.NotEqual(t, item.EventID, next.EventID)
}

func TestEveryAcceptedHitIsStoredOnce(t *testing.T) {
	needStack(t)
	const hits = 300
	session := testenv.UniqueID("e2e_load")
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 16}}
	var wg sync.WaitGroup
	statuses := make([]int, hits)
	for w := 0; w < 16; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := w; i < hits; i += 16 {
				q := fmt.Sprintf("application=e2e&fm_session_id=%s&interaction=item_click&set_id=look&item_id=item%d", session, i)
				statuses[i], _ = fire(t, client, q)
			}
		}(w)
	}
	wg.Wait()
	accepted := 0
	for _, s := range statuses {
		if s == http.StatusNoContent {
			accepted++
		}
	}
	require.Equal(t, hits, accepted, "every valid hit answers 204 while Kafka is up")

	// The same pixels again: a re-rendered page must not add rows.
	status, _ := fire(t, client, fmt.Sprintf("application=e2e&fm_session_id=%s&interaction=item_click&set_id=look&item_id=item0", session))
	require.Equal(t, http.StatusNoContent, status)

	rows := rowsOfSession(t, session, hits)
	assert.Len(t, rows, hits)

	conn := testenv.ClickHouse(t, "pixel")
	var total, unique uint64
	require.NoError(t, conn.QueryRow(context.Background(),
		"SELECT count(), uniqExact(event_id) FROM interactions FINAL WHERE fm_session_id = ?", session).Scan(&total, &unique))
	assert.Equal(t, uint64(hits), total)
	assert.Equal(t, uint64(hits), unique)
}

func TestRejectedHitsNeverReachKafka(t *testing.T) {
	needStack(t)
	session := testenv.UniqueID("e2e_bad")
	partition, start := partitionEnd(t, session)

	client := &http.Client{Timeout: 10 * time.Second}
	bad := []string{
		"application=e2e&fm_session_id=" + session + "&interaction=next_click&marker=bad1",
		"application=e2e&fm_session_id=" + session + "&interaction=next_click&set_id=1&device_type=tv&marker=bad2",
		"application=e2e&fm_session_id=" + session + "&interaction=item_click&set_id=1&marker=bad3",
		"application=e2e&fm_session_id=" + session + "&interaction=next_click&set_id=1&size=%ZZ&marker=bad4",
	}
	for _, q := range bad {
		status, body := fire(t, client, q)
		assert.Equal(t, http.StatusBadRequest, status, q)
		assert.NotEmpty(t, strings.TrimSpace(body), "400 carries the reason")
	}
	good := "application=e2e&fm_session_id=" + session + "&interaction=next_click&set_id=1&marker=good"
	status, _ := fire(t, client, good)
	require.Equal(t, http.StatusNoContent, status)

	// Same key, same partition, in order: anything the edge had let through
	// would sit before the good hit.
	reader := kafka.NewReader(kafka.ReaderConfig{
		Brokers: []string{testenv.KafkaAddr}, Topic: kafkax.TopicRaw, Partition: partition, MaxWait: 100 * time.Millisecond,
	})
	defer reader.Close()
	require.NoError(t, reader.SetOffset(start))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for {
		m, err := reader.ReadMessage(ctx)
		require.NoError(t, err, "the good hit never appeared in pixel.raw")
		if string(m.Key) != session {
			continue
		}
		raw, err := message.DecodeRaw(m.Value)
		require.NoError(t, err)
		values, err := url.ParseQuery(raw.Query)
		require.NoError(t, err)
		require.Equal(t, "good", values.Get("marker"), "a rejected hit reached pixel.raw: %s", raw.Query)
		return
	}
}

// partitionEnd returns the partition that key is produced to and its
// current end offset.
func partitionEnd(t *testing.T, key string) (int, int64) {
	t.Helper()
	conn, err := kafka.Dial("tcp", testenv.KafkaAddr)
	require.NoError(t, err)
	defer conn.Close()
	parts, err := conn.ReadPartitions(kafkax.TopicRaw)
	require.NoError(t, err)
	ids := make([]int, len(parts))
	for i, p := range parts {
		ids[i] = p.ID
	}
	slices.Sort(ids) // the writer balances over the sorted partition list
	partition := (&kafka.Murmur2Balancer{}).Balance(kafka.Message{Key: []byte(key)}, ids...)
	leader, err := kafka.DialLeader(context.Background(), "tcp", testenv.KafkaAddr, kafkax.TopicRaw, partition)
	require.NoError(t, err)
	defer leader.Close()
	end, err := leader.ReadLastOffset()
	require.NoError(t, err)
	return partition, end
}
