package main

import (
	"bytes"
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

const (
	pixelPath     = "/api/v1/analytics/pixel"
	sessionCookie = "_fmSession"
)

// Header names and values as bytes, so setting them costs no conversion.
var (
	hdrAllow            = []byte("Allow")
	hdrAllowOrigin      = []byte("Access-Control-Allow-Origin")
	hdrAllowCredentials = []byte("Access-Control-Allow-Credentials")
	hdrAllowMethods     = []byte("Access-Control-Allow-Methods")
	hdrAllowHeaders     = []byte("Access-Control-Allow-Headers")
	hdrMaxAge           = []byte("Access-Control-Max-Age")
	hdrVary             = []byte("Vary")
	valMethods          = []byte("GET, HEAD, POST, OPTIONS")
	valAnyOrigin        = []byte("*")
	valTrue             = []byte("true")
	valContentType      = []byte("Content-Type")
	valDay              = []byte("86400")
	valOrigin           = []byte("Origin")
	sessionParam        = []byte("fm_session_id=")
	formType            = []byte("application/x-www-form-urlencoded")
	textType            = []byte("text/plain")
)

// store makes one hit durable, blocking until it is (nil) or is not.
type store interface {
	Store(h *hit) error
}

// Handler answers pixel requests: validate, make the hit durable, 204.
type Handler struct {
	store   store
	apps    map[string]struct{} // nil: every application is accepted
	log     *zap.Logger
	metrics *metrics
	now     func() time.Time
	ids     *requestIDs

	validators sync.Pool
	hits       sync.Pool
}

type handlerConfig struct {
	Store        store
	Applications []string
	Log          *zap.Logger
	Metrics      *metrics
}

func newHandler(c handlerConfig) *Handler {
	h := &Handler{store: c.Store, log: c.Log, metrics: c.Metrics, now: time.Now, ids: newRequestIDs()}
	if len(c.Applications) > 0 {
		h.apps = make(map[string]struct{}, len(c.Applications))
		for _, a := range c.Applications {
			h.apps[a] = struct{}{}
		}
	}
	h.validators.New = func() any { return new(pixel.Validator) }
	h.hits.New = func() any { return newHit() }
	return h
}

// Serve is the fasthttp handler.
func (h *Handler) Serve(ctx *fasthttp.RequestCtx) {
	if string(ctx.Path()) != pixelPath {
		h.reply(ctx, fasthttp.StatusNotFound, "not found")
		return
	}
	switch {
	case ctx.IsGet() || ctx.IsHead():
		h.accept(ctx, ctx.URI().QueryString())
	case ctx.IsPost():
		h.acceptBeacon(ctx)
	case ctx.IsOptions():
		h.preflight(ctx)
	default:
		ctx.Response.Header.SetBytesKV(hdrAllow, valMethods)
		h.reply(ctx, fasthttp.StatusMethodNotAllowed, "method not allowed")
	}
}

// acceptBeacon takes navigator.sendBeacon's POST: the pixel's parameters as
// a form body (or, for a beacon without data, in the URL).
func (h *Handler) acceptBeacon(ctx *fasthttp.RequestCtx) {
	allowOrigin(ctx)
	if !isFormType(ctx.Request.Header.ContentType()) {
		h.reply(ctx, fasthttp.StatusUnsupportedMediaType, "body must be application/x-www-form-urlencoded or text/plain")
		return
	}
	query := ctx.PostBody()
	if len(query) == 0 {
		query = ctx.URI().QueryString()
	}
	h.accept(ctx, query)
}

// isFormType accepts the content types sendBeacon sends for a form or a
// string, and a missing one.
func isFormType(ct []byte) bool {
	if i := bytes.IndexByte(ct, ';'); i >= 0 {
		ct = ct[:i]
	}
	ct = bytes.TrimSpace(ct)
	return len(ct) == 0 || bytes.EqualFold(ct, formType) || bytes.EqualFold(ct, textType)
}

// preflight answers a CORS preflight for a beacon whose body type is not a
// CORS-safelisted one.
func (h *Handler) preflight(ctx *fasthttp.RequestCtx) {
	h.metrics.preflights.Inc()
	allowOrigin(ctx)
	ctx.Response.Header.SetBytesKV(hdrAllowMethods, valMethods)
	ctx.Response.Header.SetBytesKV(hdrAllowHeaders, valContentType)
	ctx.Response.Header.SetBytesKV(hdrMaxAge, valDay)
	ctx.SetStatusCode(fasthttp.StatusNoContent)
}

// allowOrigin lets any page post beacons; sendBeacon sends credentials
// (the _fmSession cookie), which CORS allows only for an echoed origin.
func allowOrigin(ctx *fasthttp.RequestCtx) {
	origin := ctx.Request.Header.PeekBytes(valOrigin)
	if len(origin) == 0 {
		ctx.Response.Header.SetBytesKV(hdrAllowOrigin, valAnyOrigin)
		return
	}
	ctx.Response.Header.SetBytesKV(hdrAllowOrigin, origin)
	ctx.Response.Header.SetBytesKV(hdrAllowCredentials, valTrue)
	ctx.Response.Header.SetBytesKV(hdrVary, valOrigin)
}

// accept validates the query, copies what the hit needs out of fasthttp's
// buffers and answers once the hit is durable.
func (h *Handler) accept(ctx *fasthttp.RequestCtx, query []byte) {
	x := h.hits.Get().(*hit)
	v := h.validators.Get().(*pixel.Validator)
	ok := h.fill(ctx, v, x, query)
	h.validators.Put(v)
	if !ok {
		h.hits.Put(x)
		return
	}
	if err := h.store.Store(x); err != nil {
		h.log.Error("hit not durable", zap.Error(err))
		h.reply(ctx, fasthttp.StatusInternalServerError, "could not store the hit")
	} else {
		h.metrics.requests[fasthttp.StatusNoContent].Inc()
		ctx.SetStatusCode(fasthttp.StatusNoContent)
	}
	if x.kept {
		h.hits.Put(x)
	}
}

// fill validates query and writes the Kafka key and value into x; on a
// client mistake it answers 400 and returns false.
func (h *Handler) fill(ctx *fasthttp.RequestCtx, v *pixel.Validator, x *hit, query []byte) bool {
	parsed, err := v.Validate(query)
	if pixel.IsMissing(err, pixel.PFmSessionID) {
		if cookie := ctx.Request.Header.Cookie(sessionCookie); len(cookie) > 0 {
			// The enricher reads the session from the stored query, so the
			// cookie's value joins the query the hit carries.
			x.key = withSession(x.key[:0], query, cookie)
			query = x.key
			parsed, err = v.Validate(query)
			h.metrics.cookieSessions.Inc()
		}
	}
	if err != nil {
		h.reply(ctx, fasthttp.StatusBadRequest, err.Error())
		return false
	}
	if h.apps != nil {
		if _, known := h.apps[string(parsed.Application)]; !known {
			h.reply(ctx, fasthttp.StatusBadRequest, "parameter application is not known")
			return false
		}
	}
	x.value = h.appendRaw(x.value[:0], ctx, query)
	x.key = append(x.key[:0], parsed.FmSessionID...)
	return true
}

// appendRaw appends the pixel.raw message of this request.
func (h *Handler) appendRaw(dst []byte, ctx *fasthttp.RequestCtx, query []byte) []byte {
	var idBuf, ipBuf [48]byte
	id := h.ids.next(idBuf[:0])
	ip := appendIP(ipBuf[:0], ctx.RemoteIP())
	return message.AppendRaw(dst, id, h.now(), ip, ctx.UserAgent(), query)
}

// withSession appends query plus an fm_session_id parameter holding cookie.
func withSession(dst, query, cookie []byte) []byte {
	dst = append(dst, query...)
	if len(query) > 0 {
		dst = append(dst, '&')
	}
	dst = append(dst, sessionParam...)
	return fasthttp.AppendQuotedArg(dst, cookie)
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
