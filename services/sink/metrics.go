package main

import "github.com/prometheus/client_golang/prometheus"

type metrics struct {
	rows          prometheus.Counter
	insertSeconds prometheus.Histogram
	deadLetters   *prometheus.CounterVec
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		rows: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "pixelpipe_sink_rows_total", Help: "Rows ClickHouse acknowledged.",
		}),
		insertSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "pixelpipe_sink_insert_seconds", Help: "Time of one acknowledged insert.",
			Buckets: prometheus.ExponentialBuckets(0.001, 4, 9),
		}),
		deadLetters: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "pixelpipe_sink_dead_letters_total", Help: "Records routed to the DLQ, by reason.",
		}, []string{"reason"}),
	}
	reg.MustRegister(m.rows, m.insertSeconds, m.deadLetters)
	return m
}
