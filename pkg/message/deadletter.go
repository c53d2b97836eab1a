package message

import (
	"fmt"
	"github.com/segmentio/encoding/json"
	"time"
)

// DeadLetterVersion is the version of the pixel.dlq message this code writes.
const DeadLetterVersion = 1

// DeadLetter is a record a stage could not use (topic pixel.dlq). It keeps the
// original bytes and where they came from, so the record can be replayed
// once the reason is fixed.
type DeadLetter struct {
	V           int    `json:"v"`
	Stage       string `json:"stage"`
	Reason      string `json:"reason"`
	SourceTopic string `json:"source_topic"`
	Partition   int    `json:"partition"`
	Offset      int64  `json:"offset"`
	Key         []byte `json:"key"`
	Value       []byte `json:"value"`
	FailedAtUs  int64  `json:"failed_at_us"`
}

// EncodeDeadLetter renders d as a pixel.dlq message.
func EncodeDeadLetter(d *DeadLetter, now time.Time) ([]byte, error) {
	d.V = DeadLetterVersion
	d.FailedAtUs = now.UnixMicro()
	b, err := json.Marshal(d)
	if err != nil {
		return nil, fmt.Errorf("encoding dead letter: %w", err)
	}
	return b, nil
}

// DecodeDeadLetter parses a pixel.dlq message.
func DecodeDeadLetter(b []byte) (DeadLetter, error) {
	var d DeadLetter
	if err := json.Unmarshal(b, &d); err != nil {
		return DeadLetter{}, fmt.Errorf("decoding dead letter: %w", err)
	}
	return d, nil
}
