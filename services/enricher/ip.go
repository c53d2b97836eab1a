package main

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/netip"
	"time"
)

// IP modes: what of the client address reaches pixel.events.
const (
	IPTruncate = "truncate" // IPv4 /24, IPv6 /48: enough for geography, not a person
	IPHash     = "hash"     // keyed hash with a salt rotated every UTC day
	IPRaw      = "raw"
)

// ipAnonymizer turns the client address into what may be stored. In hash
// mode the same address hashes alike within one UTC day (unique visitors per
// day stay countable) and differently across days, so rows cannot be joined
// over time; without the secret the hashes cannot be reversed by trying all
// addresses. Not safe for concurrent use: the handler owns it.
type ipAnonymizer struct {
	mode   string
	secret []byte

	day  int64 // the UTC day the cached salt belongs to
	salt []byte
}

func newIPAnonymizer(mode, secret string) *ipAnonymizer {
	return &ipAnonymizer{mode: mode, secret: []byte(secret), day: -1}
}

// Anonymize returns the stored form of addr, or "" when it is not an address.
func (a *ipAnonymizer) Anonymize(addr netip.Addr, at time.Time) string {
	if !addr.IsValid() {
		return ""
	}
	switch a.mode {
	case IPRaw:
		return addr.String()
	case IPHash:
		return a.hash(addr, at)
	default:
		return truncateIP(addr)
	}
}

func truncateIP(addr netip.Addr) string {
	bits := 48
	if addr.Is4() {
		bits = 24
	}
	prefix, err := addr.Prefix(bits)
	if err != nil {
		return ""
	}
	return prefix.Addr().String()
}

func (a *ipAnonymizer) hash(addr netip.Addr, at time.Time) string {
	mac := hmac.New(sha256.New, a.saltFor(at))
	b := addr.As16()
	mac.Write(b[:])
	return hex.EncodeToString(mac.Sum(nil)[:16])
}

// saltFor derives the day's salt from the secret, so every instance agrees on
// it without coordination and no salt has to be stored anywhere.
func (a *ipAnonymizer) saltFor(at time.Time) []byte {
	day := at.UTC().Unix() / 86400
	if day != a.day {
		mac := hmac.New(sha256.New, a.secret)
		mac.Write([]byte("pixelpipe ip salt " + at.UTC().Format(time.DateOnly)))
		a.salt, a.day = mac.Sum(nil), day
	}
	return a.salt
}

// parseIP accepts the edge's peer address, with or without a port.
func parseIP(s string) netip.Addr {
	if addr, err := netip.ParseAddr(s); err == nil {
		return addr.Unmap()
	}
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.Addr().Unmap()
	}
	return netip.Addr{}
}
