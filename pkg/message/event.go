package message

import (
	"fmt"
	"github.com/segmentio/encoding/json"
	"time"
)

// EventVersion is the version of the pixel.events message this code writes.
const EventVersion = 1

// Event is one validated, enriched, deduplicated interaction (topic
// pixel.events, key fm_session_id). Field names follow the spec's parameter
// names and the columns of pixel.interactions.
type Event struct {
	V            int    `json:"v"`
	EventID      string `json:"event_id"`
	RequestID    string `json:"request_id"`
	ReceivedAtUs int64  `json:"received_at_us"`

	Application  string   `json:"application"`
	FmSessionID  string   `json:"fm_session_id"`
	SessionID    string   `json:"session_id"`
	CustomerID   string   `json:"customer_id"`
	VisitorID    string   `json:"visitor_id"`
	DeviceType   string   `json:"device_type"`
	DeviceID     string   `json:"device_id"`
	DeviceUser   string   `json:"device_user"`
	Interaction  string   `json:"interaction"`
	ResponseUUID string   `json:"response_uuid"`
	ItemID       string   `json:"item_id"`
	SetID        string   `json:"set_id"`
	SetItemIDs   []string `json:"set_item_ids"`
	Size         string   `json:"size"`

	// ItemPosition is the 1-based position of ItemID in SetItemIDs, 0 when absent.
	ItemPosition uint16 `json:"item_position"`

	ClientIP  string `json:"client_ip"`
	UserAgent string `json:"user_agent"`

	// From the user agent; empty when unknown.
	Browser        string `json:"browser"`
	BrowserVersion string `json:"browser_version"`
	OS             string `json:"os"`
	DeviceClass    string `json:"device_class"`
	IsBot          bool   `json:"is_bot"`

	// From the GeoIP database when one is configured; empty otherwise.
	Country string `json:"country"`
	Region  string `json:"region"`
	City    string `json:"city"`

	ExtraKeys   []string `json:"extra_keys"`
	ExtraValues []string `json:"extra_values"`
}

// ReceivedAt is the edge's receive time.
func (e *Event) ReceivedAt() time.Time { return time.UnixMicro(e.ReceivedAtUs).UTC() }

// EncodeEvent renders e as a pixel.events message.
func EncodeEvent(e *Event) ([]byte, error) {
	e.V = EventVersion
	b, err := json.Marshal(e)
	if err != nil {
		return nil, fmt.Errorf("encoding event: %w", err)
	}
	return b, nil
}

// DecodeEvent parses a pixel.events message and rejects versions it does not know.
func DecodeEvent(b []byte) (Event, error) {
	var e Event
	if err := json.Unmarshal(b, &e); err != nil {
		return Event{}, fmt.Errorf("decoding event: %w", err)
	}
	if e.V != EventVersion {
		return Event{}, fmt.Errorf("event version %d: %w", e.V, ErrUnsupportedVersion)
	}
	return e, nil
}
