package fault

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pixelpipe/pixelpipe/internal/testenv"
	"github.com/pixelpipe/pixelpipe/pkg/kafkax"
	"github.com/pixelpipe/pixelpipe/pkg/message"
	"github.com/pixelpipe/pixelpipe/services/enricher/enrichertest"
)

const enricherUA = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36"

func enricherHit(session, requestID, query string) []byte {
	return enrichertest.Hit{
		RequestID: requestID, At: time.Now(), IP: "192.0.2.10", UserAgent: enricherUA,
		Query: "application=fault&fm_session_id=" + session + "&" + query,
	}.Encode()
}

// enricherFireAndWait fires the look's item_click once, waits for its event
// and for the group's commit past it, so the state it left is durable.
func enricherFireAndWait(t *testing.T, k *enrichertest.Kafka, session string) (partition int, from int64) {
	t.Helper()
	partition = k.Partition(session)
	from = k.End(t, kafkax.TopicEvents, partition)
	offsets := k.Produce(t, session, enricherHit(session, "first", "interaction=item_click&set_id=look&item_id=i1&response_uuid=r"))
	enrichertest.Collect(t, kafkax.TopicEvents, partition, from, session, enrichertest.HasRequest(t, "first"))
	k.WaitCommitted(t, partition, offsets[0])
	return partition, from
}

// enricherRefireAndCount fires the same pixel four more times and a marker,
// and returns the item_click events of the session once the marker is through.
func enricherRefireAndCount(t *testing.T, k *enrichertest.Kafka, session string, partition int, from int64) []message.Event {
	t.Helper()
	var values [][]byte
	for i := range 4 {
		values = append(values, enricherHit(session, fmt.Sprintf("refire%d", i), "interaction=item_click&set_id=look&item_id=i1&response_uuid=r"))
	}
	values = append(values, enricherHit(session, "marker", "interaction=next_click&set_id=look"))
	k.Produce(t, session, values...)
	msgs := enrichertest.Collect(t, kafkax.TopicEvents, partition, from, session, enrichertest.HasRequest(t, "marker"))
	var clicks []message.Event
	for _, e := range enrichertest.Events(t, msgs) {
		if e.Interaction == "item_click" {
			clicks = append(clicks, e)
		}
	}
	return clicks
}

func TestEnricherDedupSurvivesSIGKILL(t *testing.T) {
	testenv.Need(t, "the enricher", "127.0.0.1:8082")
	k := enrichertest.Connect(t)
	session := testenv.UniqueID("fault_enr_kill")
	partition, from := enricherFireAndWait(t, k, session)

	testenv.Kill(t, "enricher")
	testenv.Stack(t, "start", "enricher")

	clicks := enricherRefireAndCount(t, k, session, partition, from)
	require.Len(t, clicks, 1, "the pixel fired 5 times around a SIGKILL is one event: %+v", clicks)
	assert.Equal(t, "first", clicks[0].RequestID)
}

func TestEnricherDedupFollowsAPartitionToAnotherInstance(t *testing.T) {
	testenv.Need(t, "the enricher", "127.0.0.1:8082")
	k := enrichertest.Connect(t)
	session := testenv.UniqueID("fault_enr_move")
	partition, from := enricherFireAndWait(t, k, session)

	// A second instance joins; the stack's leaves, so every partition,
	// this session's included, is the second instance's now.
	other := enrichertest.StartInstance(t, "127.0.0.1:18082")
	testenv.Stack(t, "stop", "enricher")
	t.Cleanup(func() { testenv.Stack(t, "start", "enricher") })

	clicks := enricherRefireAndCount(t, k, session, partition, from)
	require.Len(t, clicks, 1, "the pixel fired again after its partition moved is still one event: %+v", clicks)
	assert.Equal(t, "first", clicks[0].RequestID)
	assert.GreaterOrEqual(t, other.Metric(t, "pixelpipe_enricher_duplicates_total"), 4.0,
		"the second instance dropped the repeats (it restored the partition's state)")
}

// TestEnricherRebalanceUnderLoadLosesNothing fires a stream of pixels over
// many sessions, each fired twice, while a second instance joins the group,
// takes a share of the partitions, and leaves again. Every pixel must
// arrive; a second fire must never become an event (a record redelivered by
// the rebalance may, with the same event id: that is the at-least-once
// contract the event id makes harmless downstream).
func TestEnricherRebalanceUnderLoadLosesNothing(t *testing.T) {
	testenv.Need(t, "the enricher", "127.0.0.1:8082")
	k := enrichertest.Connect(t)
	run := testenv.UniqueID("fault_enr_load")
	sessions := make([]string, 24)
	from := map[string]int64{}
	for i := range sessions {
		sessions[i] = fmt.Sprintf("%s_%02d", run, i)
		from[sessions[i]] = k.End(t, kafkax.TopicEvents, k.Partition(sessions[i]))
	}

	load := newEnricherLoad(k, sessions)
	go load.run()
	t.Cleanup(load.stop)

	start := time.Now()
	require.NoError(t, load.waitRounds(20))
	other := enrichertest.StartInstance(t, "127.0.0.1:18083")
	t.Logf("%v: second instance ready after %d rounds", time.Since(start), load.rounds())
	require.Eventually(t, func() bool { return other.Metric(t, "pixelpipe_enricher_events_total") > 0 },
		60*time.Second, 100*time.Millisecond, "the second instance never got a partition")
	t.Logf("%v: second instance has written events after %d rounds", time.Since(start), load.rounds())
	require.NoError(t, load.waitRounds(20))
	other.Stop(t)
	t.Logf("%v: second instance stopped after %d rounds", time.Since(start), load.rounds())
	require.NoError(t, load.waitRounds(20))
	load.stop()
	rounds := load.rounds()
	t.Logf("%v: load stopped after %d rounds", time.Since(start), rounds)

	var redelivered int
	for _, s := range sessions {
		k.Produce(t, s, enricherHit(s, s+"/marker", "interaction=next_click&set_id=look"))
	}
	for _, s := range sessions {
		events := enrichertest.Events(t, enrichertest.Collect(t, kafkax.TopicEvents, k.Partition(s), from[s], s, enrichertest.HasRequest(t, s+"/marker")))
		seen := map[string]bool{}
		for _, e := range events {
			require.False(t, strings.HasSuffix(e.RequestID, "/b"), "a second fire became an event: %s", e.RequestID)
			if e.Interaction != "item_click" {
				continue
			}
			if seen[e.EventID] {
				redelivered++
			}
			seen[e.EventID] = true
		}
		assert.Len(t, seen, rounds, "session %s lost pixels", s)
	}
	t.Logf("%v: all events read", time.Since(start))
	t.Logf("%d rounds x %d sessions x 2 fires; %d events redelivered with the same event id", rounds, len(sessions), redelivered)
}

// enricherLoad fires, per round, one new pixel per session and the previous
// round's pixel again, a round every enricherLoadEvery (about 2,400 records/s
// with 24 sessions: load, without burying two shared cores).
type enricherLoad struct {
	k        *enrichertest.Kafka
	sessions []string
	quit     chan struct{}
	stopOnce sync.Once
	exited   chan struct{}

	mu   sync.Mutex
	cond *sync.Cond
	done int
	err  error
}

func newEnricherLoad(k *enrichertest.Kafka, sessions []string) *enricherLoad {
	l := &enricherLoad{k: k, sessions: sessions, quit: make(chan struct{}), exited: make(chan struct{})}
	l.cond = sync.NewCond(&l.mu)
	return l
}

const enricherLoadEvery = 20 * time.Millisecond

func (l *enricherLoad) run() {
	defer close(l.exited)
	pace := time.NewTicker(enricherLoadEvery)
	defer pace.Stop()
	for round := 0; ; round++ {
		select {
		case <-l.quit:
			return
		case <-pace.C:
		}
		err := l.round(round)
		l.mu.Lock()
		if err == nil {
			l.done = round + 1
		}
		l.err = err
		l.cond.Broadcast()
		l.mu.Unlock()
		if err != nil {
			return
		}
	}
}

func (l *enricherLoad) round(round int) error {
	for _, s := range l.sessions {
		values := [][]byte{enricherHit(s, fmt.Sprintf("%s/%d/a", s, round), fmt.Sprintf("interaction=item_click&set_id=look&item_id=%d", round))}
		if round > 0 {
			values = append(values, enricherHit(s, fmt.Sprintf("%s/%d/b", s, round-1), fmt.Sprintf("interaction=item_click&set_id=look&item_id=%d", round-1)))
		}
		if _, err := l.k.TryProduce(s, values...); err != nil {
			return err
		}
	}
	return nil
}

// stop ends the load after the round in progress.
func (l *enricherLoad) stop() {
	l.stopOnce.Do(func() { close(l.quit) })
	<-l.exited
}

func (l *enricherLoad) rounds() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.done
}

// waitRounds blocks until n more rounds were produced.
func (l *enricherLoad) waitRounds(n int) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	target := l.done + n
	for l.done < target && l.err == nil {
		l.cond.Wait()
	}
	return l.err
}
