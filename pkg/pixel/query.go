package pixel

import (
	"bytes"
	"unicode/utf8"
)

// Limits keep one hit small enough that a hostile client cannot make the edge
// or Kafka carry megabytes per pixel; a real look has tens of items.
const (
	MaxQueryBytes = 8192
	MaxKeyBytes   = 64
	MaxValueBytes = 2048
	MaxParams     = 64
)

// Scanner walks a raw (still percent-encoded) query string pair by pair and
// decodes each key and value into its own buffers, so a scan allocates nothing.
// The slices returned by Key and Value are valid until the next call to Next.
type Scanner struct {
	rest   []byte
	key    []byte
	value  []byte
	count  int
	err    *Error
	keyBuf [MaxKeyBytes]byte
	valBuf [MaxValueBytes]byte
}

// Reset starts a scan of raw.
func (s *Scanner) Reset(raw []byte) {
	s.rest = raw
	s.key, s.value = nil, nil
	s.count = 0
	s.err = nil
	if len(raw) > MaxQueryBytes {
		s.err = &Error{Reason: "query longer than 8192 bytes"}
	}
}

// Next decodes the next non-empty pair; it returns false at the end of the
// query or at the first malformed pair (see Err).
func (s *Scanner) Next() bool {
	for s.err == nil && len(s.rest) > 0 {
		pair := s.rest
		if i := bytes.IndexByte(pair, '&'); i >= 0 {
			pair, s.rest = pair[:i], pair[i+1:]
		} else {
			s.rest = nil
		}
		if len(pair) == 0 {
			continue
		}
		rawKey, rawValue := pair, pair[len(pair):]
		if i := bytes.IndexByte(pair, '='); i >= 0 {
			rawKey, rawValue = pair[:i], pair[i+1:]
		}
		s.count++
		if s.count > MaxParams {
			s.err = &Error{Reason: "more than 64 parameters"}
			return false
		}
		key, reason := decode(s.keyBuf[:0], rawKey, MaxKeyBytes)
		if reason != "" {
			s.err = &Error{Param: safeName(rawKey), Reason: "name " + reason}
			return false
		}
		if len(key) == 0 {
			s.err = &Error{Reason: "parameter with an empty name"}
			return false
		}
		value, reason := decode(s.valBuf[:0], rawValue, MaxValueBytes)
		if reason != "" {
			s.err = &Error{Param: string(key), Reason: reason}
			return false
		}
		s.key, s.value = key, value
		return true
	}
	return false
}

// Key is the decoded name of the current pair.
func (s *Scanner) Key() []byte { return s.key }

// Value is the decoded value of the current pair.
func (s *Scanner) Value() []byte { return s.value }

// Err reports why the scan stopped early, or nil when the query was well formed.
func (s *Scanner) Err() error {
	if s.err == nil {
		return nil
	}
	return s.err
}

// decode appends the form-decoding of src to dst ('+' is a space, %XX a byte)
// and returns a non-empty reason when src is not acceptable.
func decode(dst, src []byte, limit int) ([]byte, string) {
	for i := 0; i < len(src); i++ {
		c := src[i]
		switch c {
		case '+':
			c = ' '
		case '%':
			if i+2 >= len(src) {
				return dst, "has a malformed percent-escape"
			}
			hi, okHi := unhex(src[i+1])
			lo, okLo := unhex(src[i+2])
			if !okHi || !okLo {
				return dst, "has a malformed percent-escape"
			}
			c = hi<<4 | lo
			i += 2
		}
		if c < 0x20 || c == 0x7f {
			return dst, "contains a control character"
		}
		if len(dst) == limit {
			return dst, "is too long"
		}
		dst = append(dst, c)
	}
	if !utf8.Valid(dst) {
		return dst, "is not valid UTF-8"
	}
	return dst, ""
}

func unhex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// safeName renders an undecodable parameter name for an error message without
// echoing control bytes back to the client.
func safeName(raw []byte) string {
	const max = 32
	out := make([]byte, 0, max)
	for _, c := range raw {
		if len(out) == max {
			break
		}
		if c < 0x21 || c > 0x7e {
			c = '?'
		}
		out = append(out, c)
	}
	return string(out)
}
