package main

import "github.com/prometheus/client_golang/prometheus"

type metrics struct {
	events          prometheus.Counter
	duplicates      prometheus.Counter
	bots            prometheus.Counter
	deadLetters     *prometheus.CounterVec
	dedupKeys       prometheus.Gauge
	restoreSeconds  prometheus.Histogram
	restoredRecords prometheus.Counter
	changelogSkips  prometheus.Counter
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		events: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "pixelpipe_enricher_events_total", Help: "Events written to pixel.events.",
		}),
		duplicates: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "pixelpipe_enricher_duplicates_total", Help: "Hits dropped as repeats within the dedup window.",
		}),
		bots: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "pixelpipe_enricher_bot_events_total", Help: "Events whose user agent is a bot or crawler (kept, flagged is_bot).",
		}),
		deadLetters: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "pixelpipe_enricher_dead_letters_total", Help: "Records routed to the DLQ, by reason.",
		}, []string{"reason"}),
		dedupKeys: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "pixelpipe_enricher_dedup_keys", Help: "Keys remembered by the dedup window, all partitions.",
		}),
		restoreSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "pixelpipe_enricher_dedup_restore_seconds",
			Help:    "Time to catch a partition's dedup state up with its changelog.",
			Buckets: prometheus.ExponentialBuckets(0.001, 4, 9),
		}),
		restoredRecords: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "pixelpipe_enricher_dedup_restored_records_total", Help: "Changelog offsets read to restore dedup state.",
		}),
		changelogSkips: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "pixelpipe_enricher_dedup_changelog_skipped_total", Help: "Changelog records of an unknown layout, ignored.",
		}),
	}
	for _, reason := range deadLetterReasons {
		m.deadLetters.WithLabelValues(reason)
	}
	reg.MustRegister(m.events, m.duplicates, m.bots, m.deadLetters, m.dedupKeys,
		m.restoreSeconds, m.restoredRecords, m.changelogSkips)
	return m
}
