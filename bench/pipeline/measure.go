package main

import (
	"bufio"
	"context"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/segmentio/kafka-go"
	"github.com/valyala/fasthttp"
)

// prober sends one uniquely marked pixel per interval and times how long
// each takes to become visible in pixel.interactions: freshness as an
// analyst sees it, to within the polling interval.
type prober struct {
	url, app string
	conn     driver.Conn
	client   fasthttp.Client

	mu      sync.Mutex
	sent    map[string]time.Time
	latency []time.Duration
}

func newProber(pixelURL, app string, conn driver.Conn) *prober {
	return &prober{url: pixelURL, app: app, conn: conn, sent: map[string]time.Time{}}
}

func (p *prober) run(ctx context.Context, every time.Duration) {
	fire := time.NewTicker(every)
	defer fire.Stop()
	poll := time.NewTicker(100 * time.Millisecond)
	defer poll.Stop()
	for i := 0; ; i++ {
		select {
		case <-ctx.Done():
			return
		case <-fire.C:
			p.fire(i)
		case <-poll.C:
			p.poll(ctx)
		}
	}
}

func (p *prober) fire(i int) {
	session := fmt.Sprintf("%s-%d", p.app, i)
	q := url.Values{"application": {p.app}, "fm_session_id": {session}, "interaction": {"probe"}, "set_id": {"probe"}}
	start := time.Now()
	status, _, err := p.client.GetTimeout(nil, p.url+"?"+q.Encode(), 10*time.Second)
	if err != nil || status != fasthttp.StatusNoContent {
		return
	}
	p.mu.Lock()
	p.sent[session] = start
	p.mu.Unlock()
}

func (p *prober) poll(ctx context.Context) {
	rows, err := p.conn.Query(ctx, "SELECT DISTINCT fm_session_id FROM interactions WHERE application = ?", p.app)
	if err != nil {
		return
	}
	defer rows.Close()
	now := time.Now()
	p.mu.Lock()
	defer p.mu.Unlock()
	for rows.Next() {
		var session string
		if rows.Scan(&session) != nil {
			return
		}
		if at, pending := p.sent[session]; pending {
			p.latency = append(p.latency, now.Sub(at))
			delete(p.sent, session)
		}
	}
}

func (p *prober) count() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.latency)
}

func (p *prober) percentile(q float64) time.Duration {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.latency) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), p.latency...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[min(len(s)-1, int(q*float64(len(s))))]
}

// process is one running part of the stack, found by its pid file.
type process struct {
	name   string
	pid    int
	before float64 // CPU seconds at the last snapshot
}

const clockTicks = 100 // USER_HZ on Linux

func stackProcesses(runDir string) []*process {
	var out []*process
	for _, name := range []string{"edge", "enricher", "sink", "kafka", "clickhouse"} {
		b, err := os.ReadFile(filepath.Join(runDir, name+".pid"))
		if err != nil {
			continue
		}
		if pid, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil {
			out = append(out, &process{name: name, pid: pid})
		}
	}
	return out
}

func (p *process) cpuSeconds() (float64, bool) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", p.pid))
	if err != nil {
		return 0, false
	}
	// Fields after the parenthesised command name; utime and stime are the
	// 14th and 15th fields of the line.
	f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
	if len(f) < 13 {
		return 0, false
	}
	utime, err1 := strconv.ParseFloat(f[11], 64)
	stime, err2 := strconv.ParseFloat(f[12], 64)
	if err1 != nil || err2 != nil {
		return 0, false
	}
	return (utime + stime) / clockTicks, true
}

func (p *process) snapshot() { p.before, _ = p.cpuSeconds() }

func (p *process) cpuSince() (float64, bool) {
	now, ok := p.cpuSeconds()
	return now - p.before, ok
}

// peakMemoryMiB is the process's resident high-water mark (VmHWM).
func (p *process) peakMemoryMiB() (float64, bool) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", p.pid))
	if err != nil {
		return 0, false
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if fields := strings.Fields(s.Text()); len(fields) >= 2 && fields[0] == "VmHWM:" {
			kb, err := strconv.ParseFloat(fields[1], 64)
			return kb / 1024, err == nil
		}
	}
	return 0, false
}

// consumerLag is the records not yet committed by the enricher and the sink.
func consumerLag(ctx context.Context, brokers string) (map[string]int64, error) {
	client := &kafka.Client{Addr: kafka.TCP(brokers), Timeout: 10 * time.Second}
	out := map[string]int64{}
	for group, topic := range map[string]string{"pixelpipe-enricher": "pixel.raw", "pixelpipe-sink": "pixel.events"} {
		lag, err := groupLag(ctx, client, group, topic)
		if err != nil {
			return nil, fmt.Errorf("lag of %s: %w", group, err)
		}
		out[group] = lag
	}
	return out, nil
}

func groupLag(ctx context.Context, client *kafka.Client, group, topic string) (int64, error) {
	meta, err := client.Metadata(ctx, &kafka.MetadataRequest{Topics: []string{topic}})
	if err != nil || len(meta.Topics) != 1 {
		return 0, fmt.Errorf("reading partitions of %s: %w", topic, err)
	}
	var parts []int
	var ends []kafka.OffsetRequest
	for _, p := range meta.Topics[0].Partitions {
		parts = append(parts, p.ID)
		ends = append(ends, kafka.LastOffsetOf(p.ID))
	}
	committed, err := client.OffsetFetch(ctx, &kafka.OffsetFetchRequest{GroupID: group, Topics: map[string][]int{topic: parts}})
	if err != nil {
		return 0, fmt.Errorf("reading committed offsets: %w", err)
	}
	latest, err := client.ListOffsets(ctx, &kafka.ListOffsetsRequest{Topics: map[string][]kafka.OffsetRequest{topic: ends}})
	if err != nil {
		return 0, fmt.Errorf("reading end offsets: %w", err)
	}
	end := map[int]int64{}
	for _, po := range latest.Topics[topic] {
		end[po.Partition] = po.LastOffset
	}
	var lag int64
	for _, po := range committed.Topics[topic] {
		if po.CommittedOffset >= 0 {
			lag += end[po.Partition] - po.CommittedOffset
		} else {
			lag += end[po.Partition]
		}
	}
	return lag, nil
}
