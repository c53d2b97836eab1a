package loadgen

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestPlanIsDeterministicAndShaped(t *testing.T) {
	cfg := PlanConfig{Seed: 3, RunID: "r", Apps: 3, Sessions: 200, DuplicateShare: 0.1, BotShare: 0.2, BadShare: 0.05}
	a, b := Plan(cfg), Plan(cfg)
	require.Equal(t, a, b, "same seed, same plan")

	var valid, bad, dups int
	names := map[string]bool{}
	for _, r := range a {
		q, err := url.ParseQuery(r.Query)
		if !r.Valid {
			bad++
			continue
		}
		require.NoError(t, err)
		valid++
		if r.Duplicate {
			dups++
		}
		names[r.Interaction.Name] = true
		assert.Equal(t, r.Interaction.FmSessionID, q.Get("fm_session_id"))
		assert.Equal(t, r.Interaction.ItemID, q.Get("item_id"))
	}
	assert.Positive(t, bad)
	assert.Positive(t, dups)
	for _, n := range []string{"item_click", "next_click", "previous_click"} {
		assert.True(t, names[n], n)
	}
}

func TestTruthCountsAcceptedUniqueInteractions(t *testing.T) {
	click := Interaction{Application: "r_a", FmSessionID: "s1", SetID: "L", Name: "item_click", ItemID: "i1"}
	next := Interaction{Application: "r_a", FmSessionID: "s2", SetID: "L", Name: "next_click", Bot: true}
	lost := Interaction{Application: "r_a", FmSessionID: "s3", SetID: "L", Name: "next_click"}
	reqs := []Request{
		{Valid: true, Interaction: click},
		{Valid: true, Duplicate: true, Interaction: click},
		{Valid: true, Interaction: next},
		{Valid: true, Interaction: lost},
		{Query: "bad"},
	}
	truth := NewTruth("r", reqs, []int{204, 204, 204, 500, 400})
	assert.Equal(t, 3, truth.Accepted)
	assert.Equal(t, 1, truth.Failed)
	assert.Equal(t, 1, truth.Rejected)
	assert.Equal(t, 2, truth.Unique, "the re-fire and the unacknowledged hit do not count")
	assert.Equal(t, 1, truth.Bots)
	assert.Equal(t, map[string]int{"r_a|L": 2}, truth.SessionsPerSet)
	assert.Equal(t, map[string]int{"r_a|L|i1": 1}, truth.ItemClicks)
	assert.Zero(t, truth.BadAccepted)

	breach := NewTruth("r", reqs[4:], []int{http.StatusNoContent})
	assert.Equal(t, 1, breach.BadAccepted)
}
