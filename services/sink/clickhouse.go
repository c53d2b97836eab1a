package main

import (
	"context"
	_ "embed"
	"fmt"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/pixelpipe/pixelpipe/pkg/message"
)

// insertSQL names its columns: ClickHouse 18.16 rejects a bare INSERT from
// the native batch protocol, and the list keeps defaults (inserted_at) apart.
//
//go:embed insert.sql
var insertSQL string

// chInserter writes events to pixel.interactions in one native batch.
type chInserter struct {
	conn driver.Conn
}

func (c *chInserter) Insert(ctx context.Context, events []message.Event) error {
	batch, err := c.conn.PrepareBatch(ctx, insertSQL)
	if err != nil {
		return fmt.Errorf("preparing insert: %w", err)
	}
	for i := range events {
		e := &events[i]
		err := batch.Append(
			e.EventID, e.ReceivedAt(), e.Application, e.FmSessionID, e.SessionID, e.CustomerID,
			e.VisitorID, e.DeviceType, e.DeviceID, e.DeviceUser, e.Interaction, e.ResponseUUID,
			e.ItemID, e.SetID, e.SetItemIDs, e.ItemPosition, e.Size, e.RequestID, e.ClientIP,
			e.UserAgent, e.Browser, e.BrowserVersion, e.OS, e.DeviceClass, boolToUInt8(e.IsBot),
			e.Country, e.Region, e.City, e.ExtraKeys, e.ExtraValues,
		)
		if err != nil {
			// A failed Append leaves the batch unusable: the caller drops the
			// row and prepares a new batch.
			_ = batch.Abort()
			return &rowError{index: i, err: fmt.Errorf("appending event %s: %w", e.EventID, err)}
		}
	}
	if err := batch.Send(); err != nil {
		return fmt.Errorf("sending %d rows: %w", len(events), err)
	}
	return nil
}

func boolToUInt8(b bool) uint8 {
	if b {
		return 1
	}
	return 0
}
