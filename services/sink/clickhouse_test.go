package main

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pixelpipe/pixelpipe/internal/testenv"
	"github.com/pixelpipe/pixelpipe/pkg/message"
	"github.com/pixelpipe/pixelpipe/pkg/migration"
)

func TestInserterStoresEveryFieldAndRedeliveryCollapses(t *testing.T) {
	server := testenv.ClickHouse(t, "default")
	db := testenv.UniqueID("sink_test")
	t.Cleanup(func() { _ = server.Exec(context.Background(), "DROP DATABASE IF EXISTS "+migration.QuoteIdent(db)) })
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	_, err := migration.Up(ctx, testenv.ClickHouseConfig(db))
	require.NoError(t, err)
	conn := testenv.ClickHouse(t, db)

	at := time.Date(2026, 12, 4, 10, 11, 12, 0, time.UTC)
	events := []message.Event{{
		EventID: "e1", RequestID: "r1", ReceivedAtUs: at.UnixMicro(),
		Application: "app", FmSessionID: "fm", SessionID: "s", CustomerID: "c", VisitorID: "v",
		DeviceType: "mobile", DeviceID: "d", DeviceUser: "du", Interaction: "item_click",
		ResponseUUID: "ru", ItemID: "i1", SetID: "set", SetItemIDs: []string{"i1", "i2"}, Size: "m",
		ItemPosition: 1, ClientIP: "203.0.113.0", UserAgent: "ua", Browser: "Chrome", BrowserVersion: "120.0",
		OS: "Android", DeviceClass: "mobile", IsBot: true, Country: "DE", Region: "BE", City: "Berlin",
		ExtraKeys: []string{"k"}, ExtraValues: []string{"v"},
	}, {
		EventID: "e2", ReceivedAtUs: at.UnixMicro(), Application: "app", FmSessionID: "fm",
		Interaction: "next_click", SetID: "set", SetItemIDs: []string{}, ExtraKeys: []string{}, ExtraValues: []string{},
	}}
	ins := &chInserter{conn: conn}
	require.NoError(t, ins.Insert(ctx, events))
	require.NoError(t, ins.Insert(ctx, events), "a redelivered batch")

	var rows uint64
	require.NoError(t, conn.QueryRow(ctx, "SELECT count() FROM interactions FINAL").Scan(&rows))
	assert.Equal(t, uint64(2), rows, "the redelivery collapses into one row per interaction")

	var got message.Event
	var receivedAt time.Time
	var isBot uint8
	require.NoError(t, conn.QueryRow(ctx, `SELECT event_id, request_id, received_at, application, fm_session_id,
		session_id, customer_id, visitor_id, device_type, device_id, device_user, interaction, response_uuid,
		item_id, set_id, set_item_ids, item_position, size, client_ip, user_agent, browser, browser_version,
		os, device_class, is_bot, country, region, city, extra_keys, extra_values
		FROM interactions FINAL WHERE event_id = 'e1'`).Scan(
		&got.EventID, &got.RequestID, &receivedAt, &got.Application, &got.FmSessionID,
		&got.SessionID, &got.CustomerID, &got.VisitorID, &got.DeviceType, &got.DeviceID, &got.DeviceUser,
		&got.Interaction, &got.ResponseUUID, &got.ItemID, &got.SetID, &got.SetItemIDs, &got.ItemPosition, &got.Size,
		&got.ClientIP, &got.UserAgent, &got.Browser, &got.BrowserVersion, &got.OS, &got.DeviceClass, &isBot,
		&got.Country, &got.Region, &got.City, &got.ExtraKeys, &got.ExtraValues))
	got.ReceivedAtUs = receivedAt.UnixMicro()
	got.IsBot = isBot == 1
	assert.Equal(t, events[0], got)
}
