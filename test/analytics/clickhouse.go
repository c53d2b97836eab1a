package analytics

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/pixelpipe/pixelpipe/pkg/message"
)

// HTTPAddr is the HTTP interface of the local ClickHouse: its TSV output is
// text both engines print alike, so results compare as strings.
const HTTPAddr = "127.0.0.1:8123"

// Columns are the columns of pixel.interactions the tests write.
var Columns = []string{
	"event_id", "received_at", "application", "fm_session_id", "session_id", "customer_id",
	"visitor_id", "device_type", "device_id", "device_user", "interaction", "response_uuid",
	"item_id", "set_id", "set_item_ids", "item_position", "size", "request_id", "client_ip",
	"user_agent", "browser", "browser_version", "os", "device_class", "is_bot",
	"country", "region", "city", "extra_keys", "extra_values",
}

// JSONEachRow renders events as rows of pixel.interactions.
func JSONEachRow(events []message.Event) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	for i := range events {
		e := &events[i]
		var bot uint8
		if e.IsBot {
			bot = 1
		}
		row := map[string]any{
			"event_id": e.EventID, "received_at": e.ReceivedAt().Format("2006-01-02 15:04:05"),
			"application": e.Application, "fm_session_id": e.FmSessionID, "session_id": e.SessionID,
			"customer_id": e.CustomerID, "visitor_id": e.VisitorID, "device_type": e.DeviceType,
			"device_id": e.DeviceID, "device_user": e.DeviceUser, "interaction": e.Interaction,
			"response_uuid": e.ResponseUUID, "item_id": e.ItemID, "set_id": e.SetID,
			"set_item_ids": e.SetItemIDs, "item_position": e.ItemPosition, "size": e.Size,
			"request_id": e.RequestID, "client_ip": e.ClientIP, "user_agent": e.UserAgent,
			"browser": e.Browser, "browser_version": e.BrowserVersion, "os": e.OS,
			"device_class": e.DeviceClass, "is_bot": bot, "country": e.Country, "region": e.Region,
			"city": e.City, "extra_keys": e.ExtraKeys, "extra_values": e.ExtraValues,
		}
		if err := enc.Encode(row); err != nil {
			return nil, fmt.Errorf("encoding row %s: %w", e.EventID, err)
		}
	}
	return b.Bytes(), nil
}

// InsertStatement is the INSERT both engines are fed JSONEachRow with.
func InsertStatement() string {
	return "INSERT INTO pixel.interactions (" + strings.Join(Columns, ", ") + ") FORMAT JSONEachRow"
}

// Insert writes events into pixel.interactions of the local server in one block.
func Insert(ctx context.Context, events []message.Event) error {
	rows, err := JSONEachRow(events)
	if err != nil {
		return err
	}
	_, err = post(ctx, url.Values{"query": {InsertStatement()}}, rows)
	return err
}

// Query runs a query on the local server and returns its TSV output.
func Query(ctx context.Context, query string) (string, error) {
	return post(ctx, nil, []byte(query+"\nFORMAT TSV"))
}

func post(ctx context.Context, params url.Values, body []byte) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	u := url.URL{Scheme: "http", Host: HTTPAddr, Path: "/", RawQuery: params.Encode()}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), bytes.NewReader(body))
	if err != nil {
		return "", fmt.Errorf("building request: %w", err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", fmt.Errorf("calling clickhouse: %w", err)
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		return "", fmt.Errorf("reading clickhouse's answer: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("clickhouse answered %s: %s", resp.Status, bytes.TrimSpace(out))
	}
	return string(out), nil
}
