package e2e

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pixelpipe/pixelpipe/internal/loadgen"
	"github.com/pixelpipe/pixelpipe/internal/testenv"
)

// A few seconds of realistic traffic (duplicates, bots, malformed requests)
// must leave ClickHouse exactly at the ground truth. Speed is make bench's job.
func TestLoadSmokeMatchesGroundTruth(t *testing.T) {
	needStack(t)
	runID := testenv.UniqueID("smoke")
	reqs := loadgen.Plan(loadgen.PlanConfig{
		Seed: 7, RunID: runID, Apps: 5, Sessions: 300, DuplicateShare: 0.15, BotShare: 0.1, BadShare: 0.03,
	})
	res := loadgen.Run(context.Background(), loadgen.RunConfig{
		URL: testenv.PixelURL, Concurrency: 16, Timeout: 10 * time.Second,
	}, reqs)
	truth := loadgen.NewTruth(runID, reqs, res.Statuses)
	require.Zero(t, truth.BadAccepted, "malformed requests answered 204")
	require.Zero(t, truth.ValidRejected, "valid requests answered 400")
	require.Zero(t, truth.Failed, "requests without a 204 or 400 while the stack is healthy")
	require.Positive(t, truth.Bots)
	require.Less(t, truth.Unique, truth.Accepted, "the plan re-fires some pixels")

	conn := testenv.ClickHouse(t, "pixel")
	var diff []loadgen.Mismatch
	ok := assert.Eventually(t, func() bool {
		var err error
		diff, err = loadgen.Compare(context.Background(), conn, truth)
		require.NoError(t, err)
		return len(diff) == 0
	}, 90*time.Second, 500*time.Millisecond)
	if !ok {
		for _, m := range diff {
			t.Log(m)
		}
	}
}
