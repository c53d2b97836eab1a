package loadgen

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
)

// Truth is what the pipeline must end up with after a run: computed from
// the plan and the status each request got, never from the pipeline.
type Truth struct {
	RunID string `json:"run_id"`

	Sent     int `json:"sent"`
	Accepted int `json:"accepted"` // 204
	Rejected int `json:"rejected"` // 400
	Failed   int `json:"failed"`   // anything else, or no answer

	// Contract breaches seen at the edge; both must be zero.
	BadAccepted   int `json:"bad_accepted"`
	ValidRejected int `json:"valid_rejected"`

	// Over the unique interactions (dedup key) that were accepted.
	Unique         int            `json:"unique_interactions"`
	Bots           int            `json:"bot_interactions"`
	ByInteraction  map[string]int `json:"by_interaction"`
	SessionsPerSet map[string]int `json:"sessions_per_set"` // "app|set" → sessions
	ItemClicks     map[string]int `json:"item_clicks"`      // "app|set|item" → clicks
}

// NewTruth derives the ground truth of a run from its plan and statuses
// (statuses[i] answers reqs[i]; 0 means no answer).
func NewTruth(runID string, reqs []Request, statuses []int) *Truth {
	t := &Truth{
		RunID: runID, ByInteraction: map[string]int{}, SessionsPerSet: map[string]int{}, ItemClicks: map[string]int{},
	}
	seen := map[string]bool{}
	sessions := map[string]bool{}
	for i, r := range reqs {
		t.Sent++
		switch statuses[i] {
		case http.StatusNoContent:
			t.Accepted++
		case http.StatusBadRequest:
			t.Rejected++
		default:
			t.Failed++
		}
		if !r.Valid {
			if statuses[i] == http.StatusNoContent {
				t.BadAccepted++
			}
			continue
		}
		if statuses[i] == http.StatusBadRequest {
			t.ValidRejected++
		}
		in := r.Interaction
		if statuses[i] != http.StatusNoContent || seen[in.Key()] {
			continue
		}
		seen[in.Key()] = true
		t.Unique++
		t.ByInteraction[in.Name]++
		if in.Bot {
			t.Bots++
		}
		if s := in.Application + "|" + in.SetID + "|" + in.FmSessionID; !sessions[s] {
			sessions[s] = true
			t.SessionsPerSet[in.Application+"|"+in.SetID]++
		}
		if in.Name == "item_click" {
			t.ItemClicks[in.Application+"|"+in.SetID+"|"+in.ItemID]++
		}
	}
	return t
}

// Save writes the truth as indented JSON.
func (t *Truth) Save(path string) error {
	b, err := json.MarshalIndent(t, "", "  ")
	if err != nil {
		return fmt.Errorf("encoding ground truth: %w", err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		return fmt.Errorf("writing ground truth: %w", err)
	}
	return nil
}

// LoadTruth reads a file written by Save.
func LoadTruth(path string) (*Truth, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading ground truth: %w", err)
	}
	var t Truth
	if err := json.Unmarshal(b, &t); err != nil {
		return nil, fmt.Errorf("decoding ground truth: %w", err)
	}
	return &t, nil
}
