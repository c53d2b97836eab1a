package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/netip"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/valyala/fasthttp"
	"go.uber.org/zap"

	"github.com/pixelpipe/pixelpipe/pkg/message"
	"github.com/pixelpipe/pixelpipe/pkg/pixel"
)

const pixelPath = "/api/v1/analytics/pixel"

// Producer makes one hit durable; nil means acknowledged.
type Producer interface {
	Produce(ctx context.Context, key, value []byte) error
}

// Handler answers pixel requests: validate, write to Kafka, 204.
type Handler struct {
	producer Producer
	timeout  time.Duration
	log      *zap.Logger
	metrics  *metrics
	now      func() time.Time
	ids      *requestIDs

	validators sync.Pool
	buffers    sync.Pool
}

// scratch holds the bytes of one hit until Kafka acknowledged it: fasthttp
// reuses the request's memory once the handler returns.
type scratch struct {
	key   []byte
	value []byte
	id    []byte
	ip    []byte
}

func newHandler(p Producer, timeout time.Duration, log *zap.Logger, m *metrics) *Handler {
	h := &Handler{producer: p, timeout: timeout, log: log, metrics: m, now: time.Now, ids: newRequestIDs()}
	h.validators.New = func() any { return new(pixel.Validator) }
	h.buffers.New = func() any {
		return &scratch{value: make([]byte, 0, 1024), key: make([]byte, 0, 64), id: make([]byte, 0, 32), ip: make([]byte, 0, 48)}
	}
	return h
}

// Serve is the fasthttp handler.
func (h *Handler) Serve(ctx *fasthttp.RequestCtx) {
	if string(ctx.Path()) != pixelPath {
		h.reply(ctx, fasthttp.StatusNotFound, "not found")
		return
	}
	if !ctx.IsGet() && !ctx.IsHead() {
		ctx.Response.Header.Set("Allow", "GET, HEAD")
		h.reply(ctx, fasthttp.StatusMethodNotAllowed, "method not allowed")
		return
	}
	query := ctx.URI().QueryString()
	v := h.validators.Get().(*pixel.Validator)
	hit, err := v.Validate(query)
	if err != nil {
		h.validators.Put(v)
		h.reply(ctx, fasthttp.StatusBadRequest, err.Error())
		return
	}
	s := h.buffers.Get().(*scratch)
	s.key = append(s.key[:0], hit.FmSessionID...)
	h.validators.Put(v)
	s.id = h.ids.next(s.id[:0])
	s.ip = appendIP(s.ip[:0], ctx.RemoteIP())
	s.value = message.AppendRaw(s.value[:0], s.id, h.now(), s.ip, ctx.UserAgent(), query)

	start := time.Now()
	pctx, cancel := context.WithTimeout(context.Background(), h.timeout)
	err = h.producer.Produce(pctx, s.key, s.value)
	cancel()
	h.metrics.produceSeconds.Observe(time.Since(start).Seconds())
	if err != nil {
		// The producer may still hold s after a timeout, so it is not reused.
		h.log.Error("hit not durable", zap.ByteString("request_id", s.id), zap.Error(err))
		h.reply(ctx, fasthttp.StatusInternalServerError, "could not store the hit")
		return
	}
	h.buffers.Put(s)
	h.metrics.requests[fasthttp.StatusNoContent].Inc()
	ctx.SetStatusCode(fasthttp.StatusNoContent)
}

func (h *Handler) reply(ctx *fasthttp.RequestCtx, status int, reason string) {
	h.metrics.requests[status].Inc()
	ctx.Error(reason+"\n", status)
}

func appendIP(dst []byte, ip []byte) []byte {
	addr, ok := netip.AddrFromSlice(ip)
	if !ok {
		return dst
	}
	return addr.Unmap().AppendTo(dst)
}

// requestIDs hands out ids unique across restarts: a random boot prefix and a
// counter, cheaper than a UUID per request.
type requestIDs struct {
	prefix  [16]byte
	counter atomic.Uint64
}

func newRequestIDs() *requestIDs {
	r := &requestIDs{}
	var boot [8]byte
	_, _ = rand.Read(boot[:])
	hex.Encode(r.prefix[:], boot[:])
	return r
}

func (r *requestIDs) next(dst []byte) []byte {
	dst = append(dst, r.prefix[:]...)
	dst = append(dst, '-')
	return strconv.AppendUint(dst, r.counter.Add(1), 16)
}
