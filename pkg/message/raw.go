// Package message defines the Kafka message schemas shared by the stages
// (documented in schemas/kafka/README.md). Every message carries a version
// "v"; a consumer routes versions it does not know to the DLQ.
package message

import (
	"errors"
	"fmt"
	"github.com/segmentio/encoding/json"
	"strconv"
	"time"
	"unicode/utf8"
)

// RawVersion is the version of the pixel.raw message this code writes.
const RawVersion = 1

// ErrUnsupportedVersion marks a message newer (or older) than this code knows.
var ErrUnsupportedVersion = errors.New("unsupported message version")

// Raw is one pixel hit as the edge received it (topic pixel.raw, key
// fm_session_id). Query is the raw, still percent-encoded query string, so
// the enricher sees exactly what the client sent.
type Raw struct {
	V            int    `json:"v"`
	RequestID    string `json:"request_id"`
	ReceivedAtUs int64  `json:"received_at_us"`
	ClientIP     string `json:"client_ip"`
	UserAgent    string `json:"user_agent"`
	Query        string `json:"query"`
}

// ReceivedAt is the edge's receive time.
func (r *Raw) ReceivedAt() time.Time { return time.UnixMicro(r.ReceivedAtUs).UTC() }

// AppendRaw appends the JSON of a Raw message to dst without allocating
// beyond dst's growth; the edge calls it on every request.
func AppendRaw(dst []byte, requestID []byte, receivedAt time.Time, clientIP, userAgent, query []byte) []byte {
	dst = append(dst, `{"v":`...)
	dst = strconv.AppendInt(dst, RawVersion, 10)
	dst = append(dst, `,"request_id":`...)
	dst = appendString(dst, requestID)
	dst = append(dst, `,"received_at_us":`...)
	dst = strconv.AppendInt(dst, receivedAt.UnixMicro(), 10)
	dst = append(dst, `,"client_ip":`...)
	dst = appendString(dst, clientIP)
	dst = append(dst, `,"user_agent":`...)
	dst = appendString(dst, userAgent)
	dst = append(dst, `,"query":`...)
	dst = appendString(dst, query)
	return append(dst, '}')
}

// DecodeRaw parses a pixel.raw message and rejects versions it does not know.
func DecodeRaw(b []byte) (Raw, error) {
	var r Raw
	if err := json.Unmarshal(b, &r); err != nil {
		return Raw{}, fmt.Errorf("decoding raw hit: %w", err)
	}
	if r.V != RawVersion {
		return Raw{}, fmt.Errorf("raw hit version %d: %w", r.V, ErrUnsupportedVersion)
	}
	return r, nil
}

const hexDigits = "0123456789abcdef"

// appendString appends s as a JSON string; invalid UTF-8 becomes U+FFFD, as
// encoding/json does, so both encoders agree.
func appendString(dst, s []byte) []byte {
	dst = append(dst, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				dst = append(dst, '\\', c)
			case c < 0x20:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			default:
				dst = append(dst, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRune(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, `\ufffd`...)
		} else {
			dst = append(dst, s[i:i+size]...)
		}
		i += size
	}
	return append(dst, '"')
}
