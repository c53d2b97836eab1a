package consume

import (
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics of one consumer loop.
type Metrics struct {
	batches       prometheus.Counter
	records       prometheus.Counter
	batchSize     prometheus.Histogram
	flushDuration prometheus.Histogram
	handleErrors  prometheus.Counter
	commitErrors  prometheus.Counter
	fetchErrors   prometheus.Counter
	lag           *prometheus.GaugeVec
}

// NewMetrics registers the loop's metrics on reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		batches: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "pixelpipe_consumer_batches_total", Help: "Batches made durable and committed.",
		}),
		records: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "pixelpipe_consumer_records_total", Help: "Records made durable and committed.",
		}),
		batchSize: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "pixelpipe_consumer_batch_records", Help: "Records per batch.",
			Buckets: prometheus.ExponentialBuckets(1, 4, 8),
		}),
		flushDuration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "pixelpipe_consumer_flush_seconds", Help: "Time to make a batch durable, retries included.",
			Buckets: prometheus.ExponentialBuckets(0.001, 4, 9),
		}),
		handleErrors: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "pixelpipe_consumer_handle_errors_total", Help: "Failed attempts to make a batch durable (retried).",
		}),
		commitErrors: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "pixelpipe_consumer_commit_errors_total", Help: "Failed offset commits.",
		}),
		fetchErrors: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "pixelpipe_consumer_fetch_errors_total", Help: "Failed fetches (retried), e.g. while the brokers are unreachable.",
		}),
		lag: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "pixelpipe_consumer_lag",
			Help: "Records behind the partition's high-water mark, as of the last record fetched from it.",
		}, []string{"topic", "partition"}),
	}
	reg.MustRegister(m.batches, m.records, m.batchSize, m.flushDuration, m.handleErrors, m.commitErrors, m.fetchErrors, m.lag)
	return m
}

func (m *Metrics) observeBatch(n int, took time.Duration) {
	m.batches.Inc()
	m.records.Add(float64(n))
	m.batchSize.Observe(float64(n))
	m.flushDuration.Observe(took.Seconds())
}

// lagGauges caches the gauge of each partition the fetcher sees, so the
// per-record update does not format label values.
type lagGauges struct {
	vec    *prometheus.GaugeVec
	gauges map[partitionKey]prometheus.Gauge
}

type partitionKey struct {
	topic     string
	partition int
}

func (m *Metrics) newLagGauges() *lagGauges {
	return &lagGauges{vec: m.lag, gauges: map[partitionKey]prometheus.Gauge{}}
}

func (l *lagGauges) observe(topic string, partition int, offset, highWaterMark int64) {
	key := partitionKey{topic, partition}
	g, ok := l.gauges[key]
	if !ok {
		g = l.vec.WithLabelValues(topic, strconv.Itoa(partition))
		l.gauges[key] = g
	}
	g.Set(float64(max(0, highWaterMark-offset-1)))
}
