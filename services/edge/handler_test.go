package main

import (
	"context"
	"errors"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/valyala/fasthttp"
	"go.uber.org/zap"

	"github.com/pixelpipe/pixelpipe/pkg/message"
)

const specItemClick = "application=a1s2d3&interaction=item_click&customer_id=388828042&visitor_id=09052708493180843610149618767541206783&session_id=E50D8936CE55AE890B6AAA13567A7EB6E3&item_id=101409&set_id=5048&set_item_ids=705845,676023,708919,708411&fm_session_id=8edaaf04-019e-4019-b97e-3797368a6b0d&response_uuid=1aie39-932f-2930-blf1-12031029323ja"

type fakeProducer struct {
	mu   sync.Mutex
	err  error
	keys []string
	vals [][]byte
}

func (p *fakeProducer) Produce(_ context.Context, key, value []byte) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.err != nil {
		return p.err
	}
	p.keys = append(p.keys, string(key))
	p.vals = append(p.vals, append([]byte(nil), value...))
	return nil
}

func serve(h *Handler, method, uri string) *fasthttp.RequestCtx {
	var ctx fasthttp.RequestCtx
	var req fasthttp.Request
	req.Header.SetMethod(method)
	req.SetRequestURI(uri)
	req.Header.SetUserAgent("test-agent/1.0")
	ctx.Init(&req, &net.TCPAddr{IP: net.IPv4(198, 51, 100, 7), Port: 5555}, nil)
	h.Serve(&ctx)
	return &ctx
}

func newTestHandler(p Producer) *Handler {
	return newHandler(p, time.Second, zap.NewNop(), newMetrics(prometheus.NewRegistry()))
}

func TestServeAcceptsSpecExample(t *testing.T) {
	p := &fakeProducer{}
	h := newTestHandler(p)
	ctx := serve(h, "GET", pixelPath+"?"+specItemClick)
	assert.Equal(t, fasthttp.StatusNoContent, ctx.Response.StatusCode())
	assert.Empty(t, ctx.Response.Body())

	require.Len(t, p.vals, 1)
	assert.Equal(t, "8edaaf04-019e-4019-b97e-3797368a6b0d", p.keys[0], "keyed by fm_session_id")
	raw, err := message.DecodeRaw(p.vals[0])
	require.NoError(t, err)
	assert.Equal(t, specItemClick, raw.Query)
	assert.Equal(t, "198.51.100.7", raw.ClientIP)
	assert.Equal(t, "test-agent/1.0", raw.UserAgent)
	assert.NotEmpty(t, raw.RequestID)
	assert.WithinDuration(t, time.Now(), raw.ReceivedAt(), time.Minute)
}

func TestServeHead(t *testing.T) {
	p := &fakeProducer{}
	ctx := serve(newTestHandler(p), "HEAD", pixelPath+"?"+specItemClick)
	assert.Equal(t, fasthttp.StatusNoContent, ctx.Response.StatusCode())
	assert.Len(t, p.vals, 1)
}

func TestServeRejectsWithoutReachingKafka(t *testing.T) {
	cases := []struct {
		method, uri string
		status      int
		body        string
	}{
		{"GET", pixelPath + "?application=a&fm_session_id=s&interaction=x", 400, "parameter set_id is required"},
		{"GET", pixelPath + "?" + specItemClick + "&device_type=tv", 400, "parameter device_type must be desktop or mobile"},
		{"GET", pixelPath + "?" + strings.Replace(specItemClick, "item_id=101409&", "", 1), 400, "parameter item_id is required for item-level interactions"},
		{"GET", pixelPath + "?" + specItemClick + "&size=%G1", 400, "parameter size has a malformed percent-escape"},
		{"DELETE", pixelPath + "?" + specItemClick, 405, "method not allowed"},
		{"GET", "/elsewhere?" + specItemClick, 404, "not found"},
	}
	for _, tc := range cases {
		t.Run(tc.body, func(t *testing.T) {
			p := &fakeProducer{}
			ctx := serve(newTestHandler(p), tc.method, tc.uri)
			assert.Equal(t, tc.status, ctx.Response.StatusCode())
			assert.Equal(t, tc.body+"\n", string(ctx.Response.Body()))
			assert.Contains(t, string(ctx.Response.Header.ContentType()), "text/plain")
			assert.Empty(t, p.vals)
		})
	}
}

func TestServeAnswers500WhenNotDurable(t *testing.T) {
	p := &fakeProducer{err: errors.New("no brokers")}
	ctx := serve(newTestHandler(p), "GET", pixelPath+"?"+specItemClick)
	assert.Equal(t, fasthttp.StatusInternalServerError, ctx.Response.StatusCode())
}

func TestConfigValidateReportsEveryProblem(t *testing.T) {
	c, err := parseConfig(nil)
	require.NoError(t, err)
	require.NoError(t, c.Validate())
	c.Kafka.Brokers = "nohost"
	c.BatchSize = 0
	c.ProduceTimeout = c.WriteTimeout
	err = c.Validate()
	require.Error(t, err)
	for _, want := range []string{"kafka broker", "batch-size", "produce-timeout"} {
		assert.Contains(t, err.Error(), want)
	}
}
