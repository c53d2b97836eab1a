package main

import (
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/valyala/fasthttp"
)

type metrics struct {
	// requests is keyed by every status the handler answers, bound once so the
	// request path does not look up label values.
	requests        map[int]prometheus.Counter
	preflights      prometheus.Counter
	cookieSessions  prometheus.Counter
	produceSeconds  prometheus.Histogram
	batchSize       prometheus.Histogram
	produceFailures prometheus.Counter
	spooled         prometheus.Counter
	spoolRejected   prometheus.Counter
	replayed        prometheus.Counter
}

// answeredStatuses are the statuses the pixel handler itself answers.
var answeredStatuses = []int{
	fasthttp.StatusNoContent, fasthttp.StatusBadRequest, fasthttp.StatusNotFound,
	fasthttp.StatusMethodNotAllowed, fasthttp.StatusUnsupportedMediaType,
	fasthttp.StatusTooManyRequests, fasthttp.StatusInternalServerError,
}

func newMetrics(reg prometheus.Registerer) *metrics {
	byStatus := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "pixelpipe_edge_requests_total", Help: "Pixel requests by HTTP status (CORS preflights apart).",
	}, []string{"status"})
	m := &metrics{
		requests: map[int]prometheus.Counter{},
		preflights: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "pixelpipe_edge_preflights_total", Help: "CORS preflight (OPTIONS) requests answered.",
		}),
		cookieSessions: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "pixelpipe_edge_cookie_sessions_total", Help: "Hits whose fm_session_id came from the _fmSession cookie.",
		}),
		produceSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "pixelpipe_edge_produce_seconds", Help: "Time until Kafka acknowledged (or failed) a batch of hits.",
			Buckets: prometheus.ExponentialBuckets(0.0005, 2, 14),
		}),
		batchSize: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "pixelpipe_edge_batch_hits", Help: "Hits per produce batch.",
			Buckets: prometheus.ExponentialBuckets(1, 2, 12),
		}),
		produceFailures: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "pixelpipe_edge_produce_failures_total", Help: "Batches Kafka did not acknowledge in time (they went to the spool).",
		}),
		spooled: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "pixelpipe_edge_spooled_total", Help: "Hits made durable in the local spool instead of Kafka.",
		}),
		spoolRejected: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "pixelpipe_edge_spool_rejected_total", Help: "Hits answered 500 because the spool was at its size bound.",
		}),
		replayed: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "pixelpipe_edge_spool_replayed_total", Help: "Spooled hits replayed into Kafka (rate() is the replay rate).",
		}),
	}
	for _, status := range answeredStatuses {
		m.requests[status] = byStatus.WithLabelValues(strconv.Itoa(status))
	}
	reg.MustRegister(byStatus, m.preflights, m.cookieSessions, m.produceSeconds, m.batchSize,
		m.produceFailures, m.spooled, m.spoolRejected, m.replayed)
	return m
}

// registerSpoolGauges exposes the spool's state, read at scrape time.
func registerSpoolGauges(reg prometheus.Registerer, s *spool) {
	reg.MustRegister(
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "pixelpipe_edge_spool_depth", Help: "Hits waiting in the spool for Kafka.",
		}, func() float64 { return float64(s.Depth()) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "pixelpipe_edge_spool_bytes", Help: "Size of the spool on disk.",
		}, func() float64 { return float64(s.Bytes()) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "pixelpipe_edge_spool_oldest_age_seconds", Help: "How long the oldest spooled hit has waited (0 when empty).",
		}, func() float64 { return s.OldestAge(time.Now()).Seconds() }),
	)
}
