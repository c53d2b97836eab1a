package main

import (
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

	"github.com/pixelpipe/pixelpipe/internal/specexample"
	"github.com/pixelpipe/pixelpipe/pkg/message"
	"github.com/pixelpipe/pixelpipe/pkg/pixel"
)

// fakeStore keeps copies of what it was given: the handler reuses its hits.
type fakeStore struct {
	mu   sync.Mutex
	err  error
	keys []string
	vals [][]byte
}

func (s *fakeStore) Store(h *hit) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err != nil {
		return s.err
	}
	s.keys = append(s.keys, string(h.key))
	s.vals = append(s.vals, append([]byte(nil), h.value...))
	return nil
}

type request struct {
	method, uri string
	body        string
	contentType string
	headers     map[string]string
	cookie      string
}

func serve(h *Handler, r request) *fasthttp.RequestCtx {
	var ctx fasthttp.RequestCtx
	var req fasthttp.Request
	req.Header.SetMethod(r.method)
	req.SetRequestURI(r.uri)
	req.Header.SetUserAgent("test-agent/1.0")
	if r.contentType != "" {
		req.Header.SetContentType(r.contentType)
	}
	for k, v := range r.headers {
		req.Header.Set(k, v)
	}
	if r.cookie != "" {
		req.Header.SetCookie(sessionCookie, r.cookie)
	}
	req.SetBodyString(r.body)
	ctx.Init(&req, &net.TCPAddr{IP: net.IPv4(198, 51, 100, 7), Port: 5555}, nil)
	h.Serve(&ctx)
	return &ctx
}

func get(h *Handler, query string) *fasthttp.RequestCtx {
	return serve(h, request{method: "GET", uri: pixelPath + "?" + query})
}

func newTestHandler(s store, apps ...string) *Handler {
	return newHandler(handlerConfig{Store: s, Applications: apps, Log: zap.NewNop(), Metrics: newMetrics(prometheus.NewRegistry())})
}

func decodeOnly(t *testing.T, s *fakeStore) message.Raw {
	t.Helper()
	require.Len(t, s.vals, 1)
	raw, err := message.DecodeRaw(s.vals[0])
	require.NoError(t, err)
	return raw
}

func TestServeAcceptsSpecExample(t *testing.T) {
	s := &fakeStore{}
	h := newTestHandler(s)
	ctx := get(h, specexample.ItemClick)
	assert.Equal(t, fasthttp.StatusNoContent, ctx.Response.StatusCode())
	assert.Empty(t, ctx.Response.Body())

	raw := decodeOnly(t, s)
	assert.Equal(t, "8edaaf04-019e-4019-b97e-3797368a6b0d", s.keys[0], "keyed by fm_session_id")
	assert.Equal(t, specexample.ItemClick, raw.Query)
	assert.Equal(t, "198.51.100.7", raw.ClientIP)
	assert.Equal(t, "test-agent/1.0", raw.UserAgent)
	assert.NotEmpty(t, raw.RequestID)
	assert.WithinDuration(t, time.Now(), raw.ReceivedAt(), time.Minute)
}

func TestServeGivesEachHitItsOwnRequestID(t *testing.T) {
	s := &fakeStore{}
	h := newTestHandler(s)
	get(h, specexample.ItemClick)
	get(h, specexample.ItemClick)
	require.Len(t, s.vals, 2)
	a, err := message.DecodeRaw(s.vals[0])
	require.NoError(t, err)
	b, err := message.DecodeRaw(s.vals[1])
	require.NoError(t, err)
	assert.NotEqual(t, a.RequestID, b.RequestID)
}

func TestServeHead(t *testing.T) {
	s := &fakeStore{}
	ctx := serve(newTestHandler(s), request{method: "HEAD", uri: pixelPath + "?" + specexample.ItemClick})
	assert.Equal(t, fasthttp.StatusNoContent, ctx.Response.StatusCode())
	assert.Len(t, s.vals, 1)
}

func TestServeAcceptsBeaconPost(t *testing.T) {
	for name, r := range map[string]request{
		"form body":       {contentType: "application/x-www-form-urlencoded", body: specexample.ItemClick},
		"text body":       {contentType: "text/plain;charset=UTF-8", body: specexample.ItemClick},
		"no content type": {body: specexample.ItemClick},
		"empty body, url": {contentType: "text/plain;charset=UTF-8", uri: pixelPath + "?" + specexample.ItemClick},
	} {
		t.Run(name, func(t *testing.T) {
			s := &fakeStore{}
			r.method = "POST"
			if r.uri == "" {
				r.uri = pixelPath
			}
			r.headers = map[string]string{"Origin": "https://shop.example"}
			ctx := serve(newTestHandler(s), r)
			assert.Equal(t, fasthttp.StatusNoContent, ctx.Response.StatusCode())
			assert.Equal(t, specexample.ItemClick, decodeOnly(t, s).Query, "the form body is stored as the query")
			assert.Equal(t, "https://shop.example", string(ctx.Response.Header.Peek("Access-Control-Allow-Origin")))
			assert.Equal(t, "true", string(ctx.Response.Header.Peek("Access-Control-Allow-Credentials")))
		})
	}
}

func TestServeAnswersPreflight(t *testing.T) {
	s := &fakeStore{}
	ctx := serve(newTestHandler(s), request{method: "OPTIONS", uri: pixelPath, headers: map[string]string{
		"Origin": "https://shop.example", "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type",
	}})
	assert.Equal(t, fasthttp.StatusNoContent, ctx.Response.StatusCode())
	assert.Equal(t, "https://shop.example", string(ctx.Response.Header.Peek("Access-Control-Allow-Origin")))
	assert.Contains(t, string(ctx.Response.Header.Peek("Access-Control-Allow-Methods")), "POST")
	assert.Equal(t, "Content-Type", string(ctx.Response.Header.Peek("Access-Control-Allow-Headers")))
	assert.Equal(t, "Origin", string(ctx.Response.Header.Peek("Vary")))
	assert.Empty(t, s.vals, "a preflight is not a hit")
}

func TestServeTakesSessionFromCookieWhenAbsent(t *testing.T) {
	s := &fakeStore{}
	noSession := strings.Replace(specexample.ItemClick, "&fm_session_id=8edaaf04-019e-4019-b97e-3797368a6b0d", "", 1)
	ctx := serve(newTestHandler(s), request{method: "GET", uri: pixelPath + "?" + noSession, cookie: "cookie session/1"})
	require.Equal(t, fasthttp.StatusNoContent, ctx.Response.StatusCode(), string(ctx.Response.Body()))
	raw := decodeOnly(t, s)
	assert.Equal(t, "cookie session/1", s.keys[0])
	// The enricher reads the session from the stored query: it must find it there.
	var sc pixel.Scanner
	sc.Reset([]byte(raw.Query))
	var session string
	for sc.Next() {
		if string(sc.Key()) == pixel.FmSessionID {
			session = string(sc.Value())
		}
	}
	require.NoError(t, sc.Err())
	assert.Equal(t, "cookie session/1", session)
	assert.True(t, strings.HasPrefix(raw.Query, noSession+"&fm_session_id="), raw.Query)
}

func TestServePrefersQuerySessionOverCookie(t *testing.T) {
	s := &fakeStore{}
	serve(newTestHandler(s), request{method: "GET", uri: pixelPath + "?" + specexample.ItemClick, cookie: "other"})
	raw := decodeOnly(t, s)
	assert.Equal(t, "8edaaf04-019e-4019-b97e-3797368a6b0d", s.keys[0])
	assert.Equal(t, specexample.ItemClick, raw.Query)
}

func TestServeRejectsWithoutStoring(t *testing.T) {
	base := "application=a&fm_session_id=s&set_id=1&interaction=x"
	cases := []struct {
		name   string
		r      request
		status int
		body   string
	}{
		{"missing application", request{uri: "?fm_session_id=s&set_id=1&interaction=x"}, 400, "parameter application is required"},
		{"missing fm_session_id, no cookie", request{uri: "?application=a&set_id=1&interaction=x"}, 400, "parameter fm_session_id is required"},
		{"missing interaction", request{uri: "?application=a&fm_session_id=s&set_id=1"}, 400, "parameter interaction is required"},
		{"missing set_id", request{uri: "?application=a&fm_session_id=s&interaction=x"}, 400, "parameter set_id is required"},
		{"item-level without item_id", request{uri: "?" + strings.Replace(specexample.ItemClick, "item_id=101409&", "", 1)}, 400, "parameter item_id is required for item-level interactions"},
		{"bad device_type", request{uri: "?" + specexample.ItemClick + "&device_type=tv"}, 400, "parameter device_type must be desktop or mobile"},
		{"repeated parameter", request{uri: "?" + base + "&set_id=2"}, 400, "parameter set_id is repeated"},
		{"malformed escape", request{uri: "?" + specexample.ItemClick + "&size=%G1"}, 400, "parameter size has a malformed percent-escape"},
		{"control character", request{uri: "?" + base + "&size=a%0Ab"}, 400, "parameter size contains a control character"},
		{"invalid UTF-8", request{uri: "?" + base + "&size=%FF"}, 400, "parameter size is not valid UTF-8"},
		{"value too long", request{uri: "?" + base + "&size=" + strings.Repeat("x", pixel.MaxValueBytes+1)}, 400, "parameter size is too long"},
		{"name too long", request{uri: "?" + base + "&" + strings.Repeat("k", pixel.MaxKeyBytes+1) + "=1"}, 400, "parameter " + strings.Repeat("k", 32) + " name is too long"},
		{"malformed name", request{uri: "?" + base + "&a%zz=1"}, 400, "parameter a%zz name has a malformed percent-escape"},
		{"empty name", request{uri: "?" + base + "&=1"}, 400, "parameter with an empty name"},
		{"too many parameters", request{uri: "?" + base + strings.Repeat("&x=1", pixel.MaxParams)}, 400, "more than 64 parameters"},
		{"query too long", request{uri: "?" + base + "&x=" + strings.Repeat("y", pixel.MaxQueryBytes)}, 400, "query longer than 8192 bytes"},
		{"cookie session repeats an empty one", request{uri: "?" + strings.Replace(base, "fm_session_id=s", "fm_session_id=", 1), cookie: "c"}, 400, "parameter fm_session_id is repeated"},
		{"unknown application", request{uri: "?" + strings.Replace(base, "application=a", "application=stranger", 1)}, 400, "parameter application is not known"},
		{"invalid POST body", request{method: "POST", contentType: "application/x-www-form-urlencoded", body: "application=a"}, 400, "parameter fm_session_id is required"},
		{"POST of another type", request{method: "POST", contentType: "application/json", body: `{"a":1}`}, 415, "body must be application/x-www-form-urlencoded or text/plain"},
		{"other method", request{method: "DELETE", uri: "?" + specexample.ItemClick}, 405, "method not allowed"},
		{"other path", request{uri: "/elsewhere?" + specexample.ItemClick}, 404, "not found"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := &fakeStore{}
			r := tc.r
			if r.method == "" {
				r.method = "GET"
			}
			if !strings.HasPrefix(r.uri, "/") {
				r.uri = pixelPath + r.uri
			}
			ctx := serve(newTestHandler(s, "a", "a1s2d3"), r)
			assert.Equal(t, tc.status, ctx.Response.StatusCode())
			assert.Equal(t, tc.body+"\n", string(ctx.Response.Body()))
			assert.Contains(t, string(ctx.Response.Header.ContentType()), "text/plain")
			assert.Empty(t, s.vals)
		})
	}
}

func TestServeAcceptsAnyApplicationByDefault(t *testing.T) {
	s := &fakeStore{}
	ctx := get(newTestHandler(s), strings.Replace(specexample.ItemClick, "application=a1s2d3", "application=stranger", 1))
	assert.Equal(t, fasthttp.StatusNoContent, ctx.Response.StatusCode())
}

func TestServeAnswers500WhenNotDurable(t *testing.T) {
	s := &fakeStore{err: errors.New("no brokers, spool full")}
	ctx := get(newTestHandler(s), specexample.ItemClick)
	assert.Equal(t, fasthttp.StatusInternalServerError, ctx.Response.StatusCode())
}

func TestConfigValidateReportsEveryProblem(t *testing.T) {
	c, err := parseConfig(nil)
	require.NoError(t, err)
	require.NoError(t, c.Validate())
	c.Kafka.Brokers = "nohost"
	c.BatchSize = 0
	c.ProduceTimeout = c.WriteTimeout
	c.SpoolReadyBytes = c.SpoolMaxBytes + 1
	c.SpoolDir = ""
	c.StopDelay = -time.Second
	err = c.Validate()
	require.Error(t, err)
	for _, want := range []string{"kafka broker", "batch-size", "produce-timeout", "spool-ready-bytes", "spool-dir", "stop-delay"} {
		assert.Contains(t, err.Error(), want)
	}
}

func TestConfigApplicationList(t *testing.T) {
	c := Config{Applications: " a1s2d3, shop2 ,,"}
	assert.Equal(t, []string{"a1s2d3", "shop2"}, c.ApplicationList())
	assert.Empty(t, Config{}.ApplicationList())
}
