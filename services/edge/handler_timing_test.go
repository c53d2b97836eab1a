package main

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/segmentio/kafka-go"
	"github.com/stretchr/testify/assert"
	"github.com/valyala/fasthttp"
	"go.uber.org/zap"

	"github.com/pixelpipe/pixelpipe/internal/specexample"
)

// nopStore makes every hit "durable" at once: the handler's own cost.
type nopStore struct{}

func (nopStore) Store(*hit) error { return nil }

// nopWriter acknowledges every batch at once: the pipeline's own cost.
type nopWriter struct{}

func (nopWriter) WriteMessages(context.Context, ...kafka.Message) error { return nil }

func specRequest() *fasthttp.RequestCtx {
	var ctx fasthttp.RequestCtx
	var req fasthttp.Request
	req.Header.SetMethod("GET")
	req.SetRequestURI(pixelPath + "?" + specexample.ItemClick)
	req.Header.SetUserAgent("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36")
	ctx.Init(&req, &net.TCPAddr{IP: net.IPv4(198, 51, 100, 7), Port: 5555}, nil)
	return &ctx
}

func serveSpec(b *testing.B, h *Handler, ctx *fasthttp.RequestCtx) {
	ctx.Response.Reset()
	h.Serve(ctx)
	if ctx.Response.StatusCode() != fasthttp.StatusNoContent {
		b.Fatalf("status %d: %s", ctx.Response.StatusCode(), ctx.Response.Body())
	}
}

// BenchmarkServe is the request path alone (validate, copy, encode, answer).
func BenchmarkServe(b *testing.B) {
	h := newTestHandler(nopStore{})
	ctx := specRequest()
	b.ReportAllocs()
	for b.Loop() {
		serveSpec(b, h, ctx)
	}
}

// BenchmarkServeThroughPipeline adds the batching goroutine and the
// completion signal, with Kafka replaced by an instant acknowledgement.
func BenchmarkServeThroughPipeline(b *testing.B) {
	s, err := openSpool(b.TempDir(), 1<<20, 64<<10)
	if err != nil {
		b.Fatal(err)
	}
	m := newMetrics(prometheus.NewRegistry())
	r := newReplayer(replayerConfig{Spool: s, Writer: nopWriter{}, Topic: "t", Batch: 100, Timeout: time.Second, Log: zap.NewNop(), Metrics: m})
	p := newPipeline(pipelineConfig{Writer: nopWriter{}, Topic: "t", Spool: s, Replay: r, Linger: 100 * time.Microsecond,
		MaxBatch: 1000, Timeout: time.Second, Log: zap.NewNop(), Metrics: m})
	go p.Run()
	defer p.Close()
	h := newHandler(handlerConfig{Store: p, Log: zap.NewNop(), Metrics: m})
	b.ReportAllocs()
	b.SetParallelism(32)
	b.RunParallel(func(pb *testing.PB) {
		ctx := specRequest()
		for pb.Next() {
			serveSpec(b, h, ctx)
		}
	})
}

// TestServeAllocatesNothing keeps the zero-allocation request path from
// regressing under a plain `go test`.
func TestServeAllocatesNothing(t *testing.T) {
	h := newTestHandler(nopStore{})
	ctx := specRequest()
	h.Serve(ctx) // warm the pools
	allocs := testing.AllocsPerRun(200, func() {
		ctx.Response.Reset()
		h.Serve(ctx)
	})
	assert.Zero(t, allocs)
	assert.Equal(t, fasthttp.StatusNoContent, ctx.Response.StatusCode())
}
