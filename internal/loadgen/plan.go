// Package loadgen makes realistic pixel traffic from a seed and the ground
// truth it implies: many applications, sessions browsing several looks,
// item clicks, next/previous navigation, custom interactions, re-fired
// (duplicate) pixels, bots and malformed requests.
package loadgen

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"net/url"
	"strings"
)

// PlanConfig shapes the traffic. The same config and seed give the same plan.
type PlanConfig struct {
	Seed     uint64
	RunID    string // prefixes every application id, so runs never mix
	Apps     int
	Sessions int
	// Shares of requests (0..1).
	DuplicateShare float64
	BotShare       float64 // share of sessions
	BadShare       float64
}

// Request is one planned pixel hit.
type Request struct {
	Query     string
	UserAgent string
	// Valid requests carry the interaction they record; bad ones expect 400.
	Valid       bool
	Duplicate   bool
	Interaction Interaction
}

// Interaction is what a valid request records, with the fields of the dedup
// key (ADR 0001) and those the analytics group by.
type Interaction struct {
	Application, FmSessionID, ResponseUUID, Name, SetID, ItemID string
	SetItemIDs                                                  []string
	Bot                                                         bool
	DeviceType                                                  string
}

// Key is the dedup key, computed as the enricher does (ADR 0001), so the
// ground truth counts exactly what the pipeline must keep.
func (i *Interaction) Key() string {
	h := sha256.New()
	for _, f := range []string{i.Application, i.FmSessionID, i.ResponseUUID, i.Name, i.SetID, i.ItemID} {
		h.Write([]byte(f))
		h.Write([]byte{0x1f})
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}

var (
	browserAgents = []string{
		"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
		"Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
		"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15",
		"Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36",
		"Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
	}
	botAgents = []string{
		"Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
		"Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
	}
	badQueries = []string{
		"application=%s&interaction=next_click&set_id=1",                 // no fm_session_id
		"application=%s&fm_session_id=s&interaction=item_click&set_id=1", // item_click without item_id
		"application=%s&fm_session_id=s&interaction=next_click&set_id=1&device_type=tv",
		"application=%s&fm_session_id=s&interaction=next_click&set_id=1&size=%%zz", // malformed escape
	}
	customInteractions = []string{"image_expand_click", "add_to_bag_click"}
)

// Plan generates the requests of a run, in firing order.
func Plan(cfg PlanConfig) []Request {
	rng := rand.New(rand.NewPCG(cfg.Seed, cfg.Seed^0x9e3779b97f4a7c15))
	var reqs []Request
	for s := 0; s < cfg.Sessions; s++ {
		reqs = append(reqs, session(rng, cfg, s)...)
	}
	reqs = withDuplicates(rng, reqs, cfg.DuplicateShare)
	reqs = withBadRequests(rng, reqs, cfg)
	// Real traffic interleaves sessions; so does the plan.
	rng.Shuffle(len(reqs), func(i, j int) { reqs[i], reqs[j] = reqs[j], reqs[i] })
	return reqs
}

func session(rng *rand.Rand, cfg PlanConfig, n int) []Request {
	app := fmt.Sprintf("%s_app%d", cfg.RunID, rng.IntN(cfg.Apps))
	sess := fmt.Sprintf("%s-s%d-%08x", cfg.RunID, n, rng.Uint32())
	bot := rng.Float64() < cfg.BotShare
	ua := browserAgents[rng.IntN(len(browserAgents))]
	if bot {
		ua = botAgents[rng.IntN(len(botAgents))]
	}
	device := []string{"", "desktop", "mobile"}[rng.IntN(3)]
	var reqs []Request
	looks := 1 + rng.IntN(4)
	for l := 0; l < looks; l++ {
		set := fmt.Sprintf("set%d", rng.IntN(50))
		items := make([]string, 3+rng.IntN(4))
		for i := range items {
			items[i] = fmt.Sprintf("item%d", rng.IntN(1000))
		}
		uuid := fmt.Sprintf("%08x-%04x", rng.Uint32(), rng.IntN(1<<16))
		base := Interaction{Application: app, FmSessionID: sess, ResponseUUID: uuid, SetID: set, SetItemIDs: items, Bot: bot, DeviceType: device}
		for a := 0; a < 1+rng.IntN(4); a++ {
			in := base
			switch r := rng.Float64(); {
			case r < 0.5:
				in.Name, in.ItemID = "item_click", items[rng.IntN(len(items))]
			case r < 0.75:
				in.Name = "next_click"
			case r < 0.9:
				in.Name = "previous_click"
			default:
				in.Name = customInteractions[rng.IntN(len(customInteractions))]
			}
			reqs = append(reqs, Request{Query: in.query(), UserAgent: ua, Valid: true, Interaction: in})
		}
	}
	return reqs
}

func (i *Interaction) query() string {
	v := url.Values{}
	v.Set("application", i.Application)
	v.Set("fm_session_id", i.FmSessionID)
	v.Set("interaction", i.Name)
	v.Set("set_id", i.SetID)
	v.Set("set_item_ids", strings.Join(i.SetItemIDs, ","))
	v.Set("response_uuid", i.ResponseUUID)
	if i.ItemID != "" {
		v.Set("item_id", i.ItemID)
	}
	if i.DeviceType != "" {
		v.Set("device_type", i.DeviceType)
	}
	return v.Encode()
}

// withDuplicates re-fires a share of the valid requests, as a re-rendered
// page does; the shuffle in Plan spreads them through the run.
func withDuplicates(rng *rand.Rand, reqs []Request, share float64) []Request {
	originals := len(reqs)
	for d := 0; d < int(float64(originals)*share); d++ {
		dup := reqs[rng.IntN(originals)]
		dup.Duplicate = true
		reqs = append(reqs, dup)
	}
	return reqs
}

func withBadRequests(rng *rand.Rand, reqs []Request, cfg PlanConfig) []Request {
	app := cfg.RunID + "_app0"
	for b := 0; b < int(float64(len(reqs))*cfg.BadShare); b++ {
		q := fmt.Sprintf(badQueries[rng.IntN(len(badQueries))], app)
		reqs = append(reqs, Request{Query: q, UserAgent: browserAgents[0]})
	}
	return reqs
}
