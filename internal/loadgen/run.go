package loadgen

import (
	"context"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/valyala/fasthttp"
)

// RunConfig says where and how fast to fire.
type RunConfig struct {
	URL         string // the pixel endpoint
	Rate        int    // requests/s, open loop; 0 fires as fast as the workers can (closed loop)
	Concurrency int
	Timeout     time.Duration
}

// Result is what the edge answered.
type Result struct {
	Statuses []int // per planned request; 0 = no answer
	Elapsed  time.Duration
	// Latencies are measured from the planned send time in open loop, so a
	// stalled edge shows up as latency instead of silently lowering the rate.
	Latencies []time.Duration
	Late      int // open loop: requests that left more than 100 ms after their slot
}

// Percentile of the latencies, p in [0,1].
func (r *Result) Percentile(p float64) time.Duration {
	if len(r.Latencies) == 0 {
		return 0
	}
	sorted := append([]time.Duration(nil), r.Latencies...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i] < sorted[j] })
	return sorted[min(len(sorted)-1, int(p*float64(len(sorted))))]
}

// Run fires reqs at cfg.URL and records every answer.
func Run(ctx context.Context, cfg RunConfig, reqs []Request) *Result {
	res := &Result{Statuses: make([]int, len(reqs)), Latencies: make([]time.Duration, len(reqs))}
	client := &fasthttp.Client{MaxConnsPerHost: cfg.Concurrency, ReadTimeout: cfg.Timeout, WriteTimeout: cfg.Timeout}
	jobs := make(chan job, cfg.Concurrency)
	var wg sync.WaitGroup
	var late atomic.Int64
	for w := 0; w < cfg.Concurrency; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req, resp := fasthttp.AcquireRequest(), fasthttp.AcquireResponse()
			defer fasthttp.ReleaseRequest(req)
			defer fasthttp.ReleaseResponse(resp)
			for j := range jobs {
				if cfg.Rate > 0 && time.Since(j.due) > 100*time.Millisecond {
					late.Add(1)
				}
				req.SetRequestURI(cfg.URL + "?" + reqs[j.i].Query)
				req.Header.SetUserAgent(reqs[j.i].UserAgent)
				if err := client.DoTimeout(req, resp, cfg.Timeout); err == nil {
					res.Statuses[j.i] = resp.StatusCode()
				}
				res.Latencies[j.i] = time.Since(j.due)
			}
		}()
	}
	start := time.Now()
	dispatch(ctx, cfg.Rate, len(reqs), start, jobs)
	close(jobs)
	wg.Wait()
	res.Elapsed = time.Since(start)
	res.Late = int(late.Load())
	return res
}

type job struct {
	i   int
	due time.Time
}

// dispatch hands out request slots: on a fixed schedule in open loop, as
// fast as workers take them in closed loop.
func dispatch(ctx context.Context, rate, n int, start time.Time, jobs chan<- job) {
	for i := 0; i < n; i++ {
		due := time.Now()
		if rate > 0 {
			due = start.Add(time.Duration(i) * time.Second / time.Duration(rate))
			if wait := time.Until(due); wait > 0 {
				t := time.NewTimer(wait)
				select {
				case <-t.C:
				case <-ctx.Done():
					t.Stop()
					return
				}
			}
		}
		select {
		case jobs <- job{i: i, due: due}:
		case <-ctx.Done():
			return
		}
	}
}
