package main

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/proto"

	"github.com/pixelpipe/pixelpipe/pkg/message"
)

// rowError is a value of one row the client could not encode: that row, and
// only it, can never be stored.
type rowError struct {
	index int
	err   error
}

func (e *rowError) Error() string { return fmt.Sprintf("row %d: %v", e.index, e.err) }
func (e *rowError) Unwrap() error { return e.err }

// dataErrorCodes are ClickHouse errors caused by the values of the inserted
// block, not by the server's state: retrying the same block fails the same
// way, so the block is split until the rows at fault are isolated. Any other
// code (too many parts, timeouts, memory, read-only replicas, a missing table)
// is treated as transient and retried with the whole batch while lag grows:
// guessing "permanent" wrongly would throw data away.
var dataErrorCodes = map[int32]bool{
	6:   true, // CANNOT_PARSE_TEXT
	26:  true, // CANNOT_PARSE_QUOTED_STRING
	27:  true, // CANNOT_PARSE_INPUT_ASSERTION_FAILED
	38:  true, // CANNOT_PARSE_DATE
	41:  true, // CANNOT_PARSE_DATETIME
	53:  true, // TYPE_MISMATCH
	69:  true, // ARGUMENT_OUT_OF_BOUND
	70:  true, // CANNOT_CONVERT_TYPE
	72:  true, // CANNOT_PARSE_NUMBER
	117: true, // INCORRECT_DATA
	131: true, // TOO_LARGE_STRING_SIZE
	190: true, // SIZES_OF_ARRAYS_DOESNT_MATCH
	321: true, // VALUE_IS_OUT_OF_RANGE_OF_DATA_TYPE
	395: true, // FUNCTION_THROW_IF_VALUE_IS_NON_ZERO (a materialized view refusing a value)
	407: true, // DECIMAL_OVERFLOW
}

// tooManyPartsCode is shared by "too many parts, merges are slower than
// inserts" (transient: wait) and "too many partitions for single INSERT
// block" (the block spans too many months: split it).
const tooManyPartsCode = 252

// isDataError reports whether err says the inserted values are at fault.
func isDataError(err error) bool {
	var ex *proto.Exception
	if !errors.As(err, &ex) {
		return false
	}
	if ex.Code == tooManyPartsCode {
		return strings.Contains(ex.Message, "partitions for single INSERT block")
	}
	return dataErrorCodes[ex.Code]
}

// DateTime is seconds since 1970 in a UInt32: the client wraps times outside
// silently, so the sink refuses them instead of storing a wrong date.
var (
	minReceivedAt = time.Unix(0, 0).UTC()
	maxReceivedAt = time.Unix(1<<32-1, 0).UTC()
)

// checkRow refuses events that would be stored wrongly: without a dedup key
// every such row would collapse into one, and a receive time outside
// DateTime would be stored as another date.
func checkRow(e *message.Event) error {
	var errs []error
	if e.EventID == "" {
		errs = append(errs, errors.New("event_id is empty"))
	}
	if e.Application == "" {
		errs = append(errs, errors.New("application is empty"))
	}
	if at := e.ReceivedAt(); at.Before(minReceivedAt) || at.After(maxReceivedAt) {
		errs = append(errs, fmt.Errorf("received_at %s is outside ClickHouse DateTime (%s to %s)",
			at.Format(time.RFC3339), minReceivedAt.Format(time.RFC3339), maxReceivedAt.Format(time.RFC3339)))
	}
	return errors.Join(errs...)
}
