// Command pipeline measures the running pipeline end to end in one run:
// for each offered rate it fires realistic traffic (internal/loadgen) for a
// fixed time and reports accepted rate, edge latency, events/s reaching
// ClickHouse, freshness (pixel sent → row visible), consumer lag, CPU per
// 1,000 events and peak memory per process, and the difference between
// ClickHouse and the ground truth.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/pixelpipe/pixelpipe/internal/loadgen"
	"github.com/pixelpipe/pixelpipe/pkg/chconn"
)

type config struct {
	rates       []int
	step        time.Duration
	catchUp     time.Duration
	url         string
	clickhouse  chconn.Config
	brokers     string
	runDir      string
	concurrency int
	baselines   baselines
}

// baselines are the limits measured beside the pipeline in the same run
// (bench/edge.sh, bench/kafka-producer.sh, bench/sink.sh); 0 = not measured.
type baselines struct {
	bare204RPS, kafkaRPS, clickhouseRPS float64
}

func main() {
	err := run(os.Args[1:])
	if errors.Is(err, flag.ErrHelp) {
		return
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "pipeline bench:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	cfg, err := parseFlags(args)
	if err != nil {
		return err
	}
	ctx := context.Background()
	conn, err := chconn.Open(ctx, cfg.clickhouse)
	if err != nil {
		return err
	}
	defer conn.Close()
	procs := stackProcesses(cfg.runDir)
	var rows []stepResult
	for _, rate := range cfg.rates {
		r, err := measureStep(ctx, cfg, conn, procs, rate)
		if err != nil {
			return fmt.Errorf("measuring %d/s: %w", rate, err)
		}
		rows = append(rows, r)
		fmt.Fprintf(os.Stderr, "step %d/s done: %+v\n", rate, r.summary())
	}
	printTable(os.Stdout, cfg, rows, procs)
	for _, r := range rows {
		if r.diff != 0 {
			return fmt.Errorf("ClickHouse differs from the ground truth at %d/s", r.offered)
		}
	}
	return nil
}

func parseFlags(args []string) (config, error) {
	var cfg config
	fs := flag.NewFlagSet("pipeline", flag.ContinueOnError)
	rates := fs.String("rates", "2000,5000,10000,20000", "offered rates (requests/s), one step each")
	fs.DurationVar(&cfg.step, "step", 20*time.Second, "how long each rate is offered")
	fs.DurationVar(&cfg.catchUp, "catch-up", 2*time.Minute, "longest wait for ClickHouse to match the ground truth after a step")
	fs.StringVar(&cfg.url, "url", "http://127.0.0.1:8080/api/v1/analytics/pixel", "pixel endpoint")
	fs.StringVar(&cfg.clickhouse.Addrs, "clickhouse-addr", "127.0.0.1:9000", "ClickHouse native address")
	fs.StringVar(&cfg.brokers, "kafka-brokers", "127.0.0.1:9092", "Kafka bootstrap broker")
	fs.StringVar(&cfg.runDir, "run-dir", ".run", "folder holding the stack's pid files")
	fs.IntVar(&cfg.concurrency, "concurrency", 256, "connections of the load generator")
	fs.Float64Var(&cfg.baselines.bare204RPS, "bare204-rps", 0, "requests/s of a bare fasthttp 204 server (bench/edge.sh)")
	fs.Float64Var(&cfg.baselines.kafkaRPS, "kafka-rps", 0, "records/s of Kafka's producer performance tool (bench/kafka-producer.sh)")
	fs.Float64Var(&cfg.baselines.clickhouseRPS, "clickhouse-rps", 0, "rows/s of clickhouse-client inserting the same rows (bench/sink.sh)")
	if err := fs.Parse(args); err != nil {
		return cfg, err
	}
	for _, r := range strings.Split(*rates, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(r))
		if err != nil || n <= 0 {
			return cfg, fmt.Errorf("rates: %q is not a positive number", r)
		}
		cfg.rates = append(cfg.rates, n)
	}
	cfg.clickhouse.Database, cfg.clickhouse.User, cfg.clickhouse.DialTimeout = "pixel", "default", 5*time.Second
	return cfg, nil
}

// requestsPerSession is the mean plan size of one session (looks × actions,
// plus re-fires and malformed requests), used to size a step's plan.
const requestsPerSession = 7

func measureStep(ctx context.Context, cfg config, conn driver.Conn, procs []*process, rate int) (stepResult, error) {
	runID := fmt.Sprintf("bench%d_%d", rate, time.Now().Unix())
	n := int(float64(rate) * cfg.step.Seconds())
	reqs := loadgen.Plan(loadgen.PlanConfig{
		Seed: uint64(rate), RunID: runID, Apps: 20, Sessions: n/requestsPerSession + 1,
		DuplicateShare: 0.1, BotShare: 0.05, BadShare: 0.02,
	})
	if len(reqs) > n {
		reqs = reqs[:n]
	}
	for _, p := range procs {
		p.snapshot()
	}
	probeCtx, stopProbes := context.WithCancel(ctx)
	prober := newProber(cfg.url, "probe_"+runID, conn)
	probesDone := make(chan struct{})
	go func() { defer close(probesDone); prober.run(probeCtx, 200*time.Millisecond) }()

	start := time.Now()
	res := loadgen.Run(ctx, loadgen.RunConfig{URL: cfg.url, Rate: rate, Concurrency: cfg.concurrency, Timeout: 10 * time.Second}, reqs)
	lag, lagErr := consumerLag(ctx, cfg.brokers)
	truth := loadgen.NewTruth(runID, reqs, res.Statuses)
	diff, caughtUp, err := waitForTruth(ctx, conn, truth, cfg.catchUp)
	stopProbes()
	<-probesDone
	if err != nil {
		return stepResult{}, err
	}
	r := stepResult{
		offered: rate, sent: truth.Sent, elapsed: res.Elapsed, accepted: truth.Accepted, failed: truth.Failed,
		p50: res.Percentile(0.5), p99: res.Percentile(0.99), unique: truth.Unique,
		toClickHouse: float64(truth.Unique) / caughtUp.Sub(start).Seconds(),
		fresh50:      prober.percentile(0.5), fresh99: prober.percentile(0.99), probes: prober.count(),
		lag: lag, lagErr: lagErr, diff: len(diff), cpu: map[string]float64{},
	}
	for _, p := range procs {
		if sec, ok := p.cpuSince(); ok && truth.Unique > 0 {
			r.cpu[p.name] = sec / float64(truth.Unique) * 1000
		}
	}
	for _, m := range diff {
		fmt.Fprintln(os.Stderr, "  ", m)
	}
	return r, nil
}

// waitForTruth polls until ClickHouse matches the ground truth or the
// deadline passes, and returns when it last changed to a match.
func waitForTruth(ctx context.Context, conn driver.Conn, truth *loadgen.Truth, limit time.Duration) ([]loadgen.Mismatch, time.Time, error) {
	deadline := time.Now().Add(limit)
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	for {
		diff, err := loadgen.Compare(ctx, conn, truth)
		if err != nil {
			return nil, time.Time{}, err
		}
		if len(diff) == 0 || time.Now().After(deadline) {
			return diff, time.Now(), nil
		}
		<-tick.C
	}
}
