package main

import (
	"fmt"
	"io"
	"strings"
	"time"
)

type stepResult struct {
	offered          int
	sent             int
	elapsed          time.Duration
	accepted, failed int
	p50, p99         time.Duration
	unique           int
	toClickHouse     float64
	fresh50, fresh99 time.Duration
	probes           int
	lag              map[string]int64
	lagErr           error
	diff             int
	cpu              map[string]float64 // CPU seconds per 1,000 events
}

func (r stepResult) summary() string {
	return fmt.Sprintf("accepted %.0f/s, p99 %s, %0.f events/s to ClickHouse, freshness p99 %s, diff %d",
		float64(r.accepted)/r.elapsed.Seconds(), r.p99.Round(time.Microsecond), r.toClickHouse, r.fresh99.Round(time.Millisecond), r.diff)
}

func printTable(w io.Writer, cfg config, rows []stepResult, procs []*process) {
	fmt.Fprintf(w, "\nEnd to end, %s per step, every component on this machine\n\n", cfg.step)
	fmt.Fprintln(w, "| offered/s | accepted/s | non-2xx | edge p50 | edge p99 | events/s to ClickHouse | freshness p50 | freshness p99 | lag at end (enricher/sink) | ground-truth diff |")
	fmt.Fprintln(w, "|---|---|---|---|---|---|---|---|---|---|")
	for _, r := range rows {
		lag := "n/a"
		if r.lagErr == nil {
			lag = fmt.Sprintf("%d / %d", r.lag["pixelpipe-enricher"], r.lag["pixelpipe-sink"])
		}
		fmt.Fprintf(w, "| %d | %.0f | %d | %s | %s | %.0f | %s | %s | %s | %d |\n",
			r.offered, float64(r.accepted)/r.elapsed.Seconds(), r.failed, ms(r.p50), ms(r.p99), r.toClickHouse,
			ms(r.fresh50), ms(r.fresh99), lag, r.diff)
	}
	fmt.Fprintln(w, "\nCPU seconds per 1,000 events, by process")
	fmt.Fprintln(w)
	var names []string
	for _, p := range procs {
		names = append(names, p.name)
	}
	fmt.Fprintf(w, "| offered/s | %s |\n|---|%s\n", strings.Join(names, " | "), strings.Repeat("---|", len(names)))
	for _, r := range rows {
		fmt.Fprintf(w, "| %d |", r.offered)
		for _, n := range names {
			fmt.Fprintf(w, " %.3f |", r.cpu[n])
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintln(w, "\nPeak resident memory (MiB, since each process started)")
	fmt.Fprintln(w)
	for _, p := range procs {
		if mib, ok := p.peakMemoryMiB(); ok {
			fmt.Fprintf(w, "- %s: %.0f\n", p.name, mib)
		}
	}
	printRatios(w, cfg.baselines, rows)
}

// printRatios sets the best sustained step beside each component's own
// limit measured in the same run.
func printRatios(w io.Writer, b baselines, rows []stepResult) {
	best := 0.0
	for _, r := range rows {
		if r.diff == 0 && r.failed == 0 && r.toClickHouse > best {
			best = r.toClickHouse
		}
	}
	fmt.Fprintf(w, "\nBest exact step: %.0f events/s end to end\n", best)
	for _, l := range []struct {
		what string
		rps  float64
	}{
		{"bare fasthttp 204 server (the edge's limit)", b.bare204RPS},
		{"Kafka producer performance tool, same message size (the broker's limit)", b.kafkaRPS},
		{"clickhouse-client inserting the same rows (the sink's limit)", b.clickhouseRPS},
	} {
		if l.rps > 0 {
			fmt.Fprintf(w, "- vs %s at %.0f/s: ratio %.2f\n", l.what, l.rps, best/l.rps)
		}
	}
}

func ms(d time.Duration) string {
	return fmt.Sprintf("%.1f ms", float64(d.Microseconds())/1000)
}
