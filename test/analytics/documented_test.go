package analytics

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/pixelpipe/pixelpipe/internal/testenv"
)

func TestDocumentedQueriesAnswerExactlyOnClickHouse18(t *testing.T) {
	testenv.Need(t, "ClickHouse", testenv.ClickHouseAddr)
	tr := Generate(testenv.UniqueID("docs"), 300, 1)
	require.Greater(t, len(tr.Stream), len(tr.Events), "the input has redeliveries")
	half := len(tr.Stream) / 2
	ctx := context.Background()
	// Two inserts: duplicates land within one block and across parts.
	require.NoError(t, Insert(ctx, tr.Stream[:half]))
	require.NoError(t, Insert(ctx, tr.Stream[half:]))

	RequireDocumentedAnswers(t, tr, 30*time.Second)
	RequireOneRowPerInteraction(t, tr, 30*time.Second)
}

func TestTheTruthSeesBotsDuplicatesAndEveryQuestion(t *testing.T) {
	tr := Generate("app", 300, 1)
	want := Expected(tr.Events)
	for name, out := range want {
		require.NotEmpty(t, out, "generated traffic answers %s with at least one row", name)
	}
	var bots, unlisted int
	for _, e := range tr.Events {
		if e.IsBot {
			bots++
		}
		if e.Interaction == "item_click" && e.ItemPosition == 0 {
			unlisted++
		}
	}
	require.Positive(t, bots, "some traffic is from bots")
	require.Positive(t, unlisted, "some clicks are on items outside the look's list")
}
