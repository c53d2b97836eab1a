package main

import (
	"context"
	"encoding/binary"
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/segmentio/kafka-go"
	"go.uber.org/zap"

	"github.com/pixelpipe/pixelpipe/pkg/message"
)

// countingWriter acknowledges everything at once, so the benchmark times
// the enricher alone, and counts the events.
type countingWriter struct{ events int }

func (w *countingWriter) WriteMessages(_ context.Context, msgs ...kafka.Message) error {
	for i := range msgs {
		if msgs[i].Topic == "ev" {
			w.events++
		}
	}
	return nil
}

// benchBatch is 1,000 distinct pixels over 100 sessions and 4 partitions, a
// tenth of them fired twice, with a handful of user agents (as real traffic
// repeats a few).
func benchBatch(round int) []kafka.Message {
	uas := []string{uaChromeWindows, uaSafariIPhone, uaGooglebot, uaHeadless}
	batch := make([]kafka.Message, 0, 1000)
	for i := range cap(batch) {
		n := i
		if i%10 == 9 {
			n = i - 1 // a re-fired pixel
		}
		session := fmt.Sprintf("8edaaf04-019e-4019-b97e-%012d", n%100)
		q := fmt.Sprintf("application=a1s2d3&interaction=item_click&customer_id=388828042&visitor_id=09052708493180843610149618767541206783&session_id=E50D8936CE55AE890B6AAA13567A7EB6E3&item_id=%d&set_id=5048&set_item_ids=705845,676023,708919,708411&fm_session_id=%s&response_uuid=r%d-%d", n, session, round, n)
		v := message.AppendRaw(nil, []byte("req"), time.UnixMicro(int64(round*1000+n)), []byte("203.0.113.77"), []byte(uas[n%len(uas)]), []byte(q))
		batch = append(batch, kafka.Message{Topic: "pixel.raw", Partition: n % 4, Key: []byte(session), Value: v})
	}
	return batch
}

// BenchmarkHandler reports events/s of one handler (the consumer loop runs
// one per process, on one goroutine: run with -cpu 1 for a per-core figure).
// decode_only is the baseline in the same run: JSON-decoding the raw hits,
// the least any enricher must do.
func BenchmarkHandler(b *testing.B) {
	batches := [][]kafka.Message{benchBatch(0), benchBatch(1), benchBatch(2), benchBatch(3)}
	records := len(batches[0])

	b.Run("decode_only", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			for _, m := range batches[i%len(batches)] {
				if _, err := message.DecodeRaw(m.Value); err != nil {
					b.Fatal(err)
				}
			}
		}
		b.ReportMetric(float64(b.N*records)/b.Elapsed().Seconds(), "records/s")
	})
	for _, geo := range []bool{false, true} {
		b.Run(fmt.Sprintf("enrich/geoip=%v", geo), func(b *testing.B) {
			en := newTestEnricher(b, IPTruncate)
			if geo {
				g, err := openGeo(writeTestGeoDB(b))
				if err != nil {
					b.Fatal(err)
				}
				b.Cleanup(func() { _ = g.Close() })
				en.geo = g
			}
			w := &countingWriter{}
			m := newMetrics(prometheus.NewRegistry())
			h := newHandler(w, Topics{Events: "ev", DLQ: "dlq"}, nil, en, zap.NewNop(), m)
			ctx := context.Background()
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				// Fresh dedup memory (and changelog) per batch, so the batches,
				// which repeat, are new pixels each time: the figure includes
				// building that memory, so it slightly understates the rate.
				h.state = newDedupState(newMemChangelog(), time.Hour, 1000, m)
				if err := h.Handle(ctx, batches[i%len(batches)]); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N*records)/b.Elapsed().Seconds(), "records/s")
			b.ReportMetric(float64(w.events)/b.Elapsed().Seconds(), "events/s")
		})
	}
}

// BenchmarkDeduperMemory reports the heap one remembered key costs, which
// sizes -dedup-capacity (ADR 0003).
func BenchmarkDeduperMemory(b *testing.B) {
	const capacity = 200_000
	b.ReportAllocs()
	var perKey float64
	for b.Loop() {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		d := NewDeduper(time.Hour, capacity)
		for i := range capacity {
			var k DedupKey
			binary.BigEndian.PutUint64(k[:], uint64(i))
			d.Record(k, int64(i))
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		perKey = float64(after.HeapAlloc-before.HeapAlloc) / capacity
		runtime.KeepAlive(d)
	}
	b.ReportMetric(perKey, "B/key")
}
