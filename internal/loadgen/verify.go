package loadgen

import (
	"context"
	"fmt"
	"sort"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
)

// Mismatch is one total where ClickHouse and the ground truth differ.
type Mismatch struct {
	What     string
	Expected int
	Got      int
}

func (m Mismatch) String() string {
	return fmt.Sprintf("%s: expected %d, got %d (%+d)", m.What, m.Expected, m.Got, m.Got-m.Expected)
}

// Compare reads the run's totals from pixel.interactions (conn on database
// pixel) and returns every difference from t; none means exact.
func Compare(ctx context.Context, conn driver.Conn, t *Truth) ([]Mismatch, error) {
	var out []Mismatch
	scope := " WHERE startsWith(application, ?)"
	prefix := t.RunID + "_"

	var rows, unique, bots uint64
	err := conn.QueryRow(ctx, "SELECT count(), uniqExact(event_id), uniqExactIf(event_id, is_bot = 1) FROM interactions FINAL"+scope, prefix).
		Scan(&rows, &unique, &bots)
	if err != nil {
		return nil, fmt.Errorf("reading totals: %w", err)
	}
	out = appendIfDiff(out, "rows (FINAL)", t.Unique, int(rows))
	out = appendIfDiff(out, "unique interactions", t.Unique, int(unique))
	out = appendIfDiff(out, "bot interactions", t.Bots, int(bots))

	groups := []struct {
		what, query string
		want        map[string]int
	}{
		{"interactions of type", "SELECT interaction, uniqExact(event_id) FROM interactions" + scope + " GROUP BY interaction", t.ByInteraction},
		{"sessions on look", "SELECT concat(application, '|', set_id), uniqExact(fm_session_id) FROM interactions" + scope + " GROUP BY application, set_id", t.SessionsPerSet},
		{"item clicks", "SELECT concat(application, '|', set_id, '|', item_id), uniqExact(event_id) FROM interactions" + scope + " AND interaction = 'item_click' GROUP BY application, set_id, item_id", t.ItemClicks},
	}
	for _, g := range groups {
		got, err := queryCounts(ctx, conn, g.query, prefix)
		if err != nil {
			return nil, fmt.Errorf("reading %s: %w", g.what, err)
		}
		out = append(out, diffCounts(g.what, g.want, got)...)
	}
	return out, nil
}

func queryCounts(ctx context.Context, conn driver.Conn, query string, args ...any) (map[string]int, error) {
	rows, err := conn.Query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	got := map[string]int{}
	for rows.Next() {
		var key string
		var n uint64
		if err := rows.Scan(&key, &n); err != nil {
			return nil, err
		}
		got[key] = int(n)
	}
	return got, rows.Err()
}

func diffCounts(what string, want, got map[string]int) []Mismatch {
	keys := map[string]bool{}
	for k := range want {
		keys[k] = true
	}
	for k := range got {
		keys[k] = true
	}
	sorted := make([]string, 0, len(keys))
	for k := range keys {
		sorted = append(sorted, k)
	}
	sort.Strings(sorted)
	var out []Mismatch
	for _, k := range sorted {
		out = appendIfDiff(out, what+" "+k, want[k], got[k])
	}
	return out
}

func appendIfDiff(out []Mismatch, what string, want, got int) []Mismatch {
	if want != got {
		out = append(out, Mismatch{What: what, Expected: want, Got: got})
	}
	return out
}
