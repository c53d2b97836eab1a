package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"math"
	"slices"
	"strings"

	"github.com/pixelpipe/pixelpipe/pkg/message"
	"github.com/pixelpipe/pixelpipe/pkg/pixel"
)

// DedupKey identifies one interaction: the same key seen twice is the same
// interaction fired twice (re-rendered page, retried beacon, redelivery).
type DedupKey [16]byte

// String renders the key as the event id stored in ClickHouse.
func (k DedupKey) String() string { return hex.EncodeToString(k[:]) }

// dedupKey hashes the fields the dedup contract names (ADR 0001). A unit
// separator between fields keeps ("ab","c") and ("a","bc") apart.
func dedupKey(e *message.Event) DedupKey {
	h := sha256.New()
	for _, f := range [...]string{e.Application, e.FmSessionID, e.ResponseUUID, e.Interaction, e.SetID, e.ItemID} {
		h.Write([]byte(f))
		h.Write([]byte{0x1f})
	}
	var k DedupKey
	copy(k[:], h.Sum(nil))
	return k
}

// buildEvent turns a raw hit into a typed event of the client's parameters
// (EventID and the enrichment are left to the caller; ClientIP stays empty
// here, so nothing raw leaves by accident). Its errors are the reasons a
// record goes to the DLQ.
func buildEvent(raw *message.Raw, v *pixel.Validator, s *pixel.Scanner) (message.Event, error) {
	query := []byte(raw.Query)
	if _, err := v.Validate(query); err != nil {
		return message.Event{}, err
	}
	e := message.Event{
		RequestID:    raw.RequestID,
		ReceivedAtUs: raw.ReceivedAtUs,
		UserAgent:    raw.UserAgent,
		SetItemIDs:   []string{},
		ExtraKeys:    []string{},
		ExtraValues:  []string{},
	}
	fields := [pixel.NumKnown]*string{
		pixel.PApplication: &e.Application, pixel.PFmSessionID: &e.FmSessionID,
		pixel.PSessionID: &e.SessionID, pixel.PCustomerID: &e.CustomerID,
		pixel.PVisitorID: &e.VisitorID, pixel.PDeviceType: &e.DeviceType,
		pixel.PDeviceID: &e.DeviceID, pixel.PDeviceUser: &e.DeviceUser,
		pixel.PInteraction: &e.Interaction, pixel.PResponseUUID: &e.ResponseUUID,
		pixel.PItemID: &e.ItemID, pixel.PSetID: &e.SetID, pixel.PSize: &e.Size,
	}
	// The query passed validation, so this scan ends without an error.
	s.Reset(query)
	for s.Next() {
		p := pixel.Lookup(s.Key())
		switch {
		case p == pixel.PSetItemIDs:
			e.SetItemIDs = splitItemIDs(s.Value())
		case p != pixel.Unknown:
			*fields[p] = string(s.Value())
		default:
			e.ExtraKeys = append(e.ExtraKeys, string(s.Key()))
			e.ExtraValues = append(e.ExtraValues, string(s.Value()))
		}
	}
	e.ItemPosition = itemPosition(e.ItemID, e.SetItemIDs)
	return e, nil
}

// itemPosition is the 1-based place of item in the look, 0 when it is not
// there (or the look is longer than the column can count).
func itemPosition(item string, look []string) uint16 {
	i := slices.Index(look, item)
	if item == "" || i < 0 || i >= math.MaxUint16 {
		return 0
	}
	return uint16(i + 1)
}

// splitItemIDs parses the spec's comma-separated set_item_ids.
func splitItemIDs(v []byte) []string {
	ids := []string{}
	for _, part := range bytes.Split(v, []byte{','}) {
		if id := strings.TrimSpace(string(part)); id != "" {
			ids = append(ids, id)
		}
	}
	return ids
}
