package main

import "github.com/prometheus/client_golang/prometheus"

type metrics struct {
	events      prometheus.Counter
	duplicates  prometheus.Counter
	deadLetters *prometheus.CounterVec
	dedupKeys   prometheus.Gauge
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		events: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "pixelpipe_enricher_events_total", Help: "Events written to pixel.events.",
		}),
		duplicates: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "pixelpipe_enricher_duplicates_total", Help: "Hits dropped as repeats within the dedup window.",
		}),
		deadLetters: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "pixelpipe_enricher_dead_letters_total", Help: "Records routed to the DLQ, by reason.",
		}, []string{"reason"}),
		dedupKeys: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "pixelpipe_enricher_dedup_keys", Help: "Keys remembered by the dedup window.",
		}),
	}
	reg.MustRegister(m.events, m.duplicates, m.deadLetters, m.dedupKeys)
	return m
}
