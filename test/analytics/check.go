package analytics

import (
	"context"
	"fmt"
	"maps"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// RequireDocumentedAnswers polls the local server until every documented
// query returns the truth for t's application, and fails with the
// differences when the deadline passes first.
func RequireDocumentedAnswers(tb testing.TB, tr Traffic, within time.Duration) {
	tb.Helper()
	queries, err := DocQueries()
	require.NoError(tb, err)
	want := Expected(tr.Events)
	require.Len(tb, queries, len(want), "every documented query has a computed truth, and only those")
	got := map[string]string{}
	ok := assert.Eventually(tb, func() bool {
		for name, q := range queries {
			out, err := Query(context.Background(), ForApplication(q, tr.App))
			if err != nil {
				tb.Logf("query %s: %v", name, err)
				return false
			}
			got[name] = out
		}
		return maps.Equal(got, want)
	}, within, 250*time.Millisecond, "the documented queries did not all return the truth in %s", within)
	if !ok {
		for name := range want {
			assert.Equal(tb, want[name], got[name], "query %s", name)
		}
		tb.FailNow()
	}
}

// RequireOneRowPerInteraction polls until pixel.interactions FINAL holds
// exactly one row per distinct event of the traffic.
func RequireOneRowPerInteraction(tb testing.TB, tr Traffic, within time.Duration) {
	tb.Helper()
	want := fmt.Sprintf("%d\t%d\n", len(tr.Events), len(tr.Events))
	q := "SELECT count(), uniqExact(event_id) FROM pixel.interactions FINAL WHERE application = '" + tr.App + "'"
	var got string
	ok := assert.Eventually(tb, func() bool {
		out, err := Query(context.Background(), q)
		if err != nil {
			tb.Logf("counting rows: %v", err)
			return false
		}
		got = out
		return got == want
	}, within, 250*time.Millisecond)
	require.True(tb, ok, "rows, distinct event ids in pixel.interactions FINAL: got %q, want %q", got, want)
}
