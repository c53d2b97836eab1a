package main

import (
	"strconv"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/valyala/fasthttp"
)

type metrics struct {
	// requests is keyed by every status the handler answers, bound once so the
	// request path does not look up label values.
	requests       map[int]prometheus.Counter
	produceSeconds prometheus.Histogram
}

func newMetrics(reg prometheus.Registerer) *metrics {
	byStatus := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "pixelpipe_edge_requests_total", Help: "Pixel requests by HTTP status.",
	}, []string{"status"})
	m := &metrics{
		requests: map[int]prometheus.Counter{},
		produceSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "pixelpipe_edge_produce_seconds", Help: "Time until Kafka acknowledged a hit.",
			Buckets: prometheus.ExponentialBuckets(0.0005, 2, 14),
		}),
	}
	for _, status := range []int{
		fasthttp.StatusNoContent, fasthttp.StatusBadRequest, fasthttp.StatusNotFound,
		fasthttp.StatusMethodNotAllowed, fasthttp.StatusInternalServerError,
	} {
		m.requests[status] = byStatus.WithLabelValues(strconv.Itoa(status))
	}
	reg.MustRegister(byStatus, m.produceSeconds)
	return m
}
