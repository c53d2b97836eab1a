// Package analytics checks the ClickHouse model against the truth: it
// generates look-level traffic with known answers, runs the queries of
// docs/analytics.md (read from the file, so the docs cannot drift from what
// is tested) and compares. The fault tests use it to check the rollups after
// crashes and outages.
package analytics

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/pixelpipe/pixelpipe/pkg/message"
)

// Traffic is generated input with duplicates, as the sink may see it after
// redeliveries.
type Traffic struct {
	App string
	// Events holds each interaction once: the truth.
	Events []message.Event
	// Stream holds every event, some of them twice, in delivery order.
	Stream []message.Event
}

type device struct{ class, os, browser, version string }

// devices spans known and unknown user agents; the last one is a crawler.
var devices = []device{
	{"desktop", "Windows", "Chrome", "120.0"},
	{"desktop", "Mac OS X", "Firefox", "121.0"},
	{"mobile", "iOS", "Mobile Safari", "17.1"},
	{"mobile", "Android", "Chrome Mobile", "119.0"},
	{"tablet", "iOS", "Mobile Safari", "16.6"},
	{"", "", "", ""},
	{"", "", "Googlebot", "2.1"},
}

const botDevice = 6

// start puts the traffic across a day and a month boundary (partitions).
var start = time.Date(2026, 3, 31, 21, 30, 0, 0, time.UTC)

// Generate makes the traffic of `sessions` sessions of application app,
// reproducible from seed.
func Generate(app string, sessions int, seed uint64) Traffic {
	rng := rand.New(rand.NewPCG(seed, uint64(sessions)))
	t := Traffic{App: app}
	for s := 0; s < sessions; s++ {
		t.Events = append(t.Events, session(rng, app, s)...)
	}
	for i := range t.Events {
		t.Stream = append(t.Stream, t.Events[i])
		if rng.IntN(100) < 15 {
			t.Stream = append(t.Stream, t.Events[i])
		}
	}
	rng.Shuffle(len(t.Stream), func(i, j int) { t.Stream[i], t.Stream[j] = t.Stream[j], t.Stream[i] })
	return t
}

func session(rng *rand.Rand, app string, s int) []message.Event {
	fm := fmt.Sprintf("%s-fm-%d", app, s)
	dev := rng.IntN(len(devices) - 1)
	if rng.IntN(10) == 0 {
		dev = botDevice
	}
	n := 1 + rng.IntN(8)
	events := make([]message.Event, 0, n)
	for i := 0; i < n; i++ {
		e := interaction(rng, app, fm, i)
		d := devices[dev]
		e.DeviceClass, e.OS, e.Browser, e.BrowserVersion, e.IsBot = d.class, d.os, d.browser, d.version, dev == botDevice
		e.UserAgent = fmt.Sprintf("%s/%s (%s; %s)", d.browser, d.version, d.os, d.class)
		events = append(events, e)
	}
	return events
}

func interaction(rng *rand.Rand, app, fm string, i int) message.Event {
	set := 1 + rng.IntN(5)
	items := []string{}
	for k := 1; k <= 4; k++ {
		items = append(items, fmt.Sprintf("item-%d-%d", set, k))
	}
	e := message.Event{
		V: message.EventVersion, Application: app, FmSessionID: fm,
		SessionID: fm + "-s", RequestID: fmt.Sprintf("%s-r%d", fm, i),
		ResponseUUID: fmt.Sprintf("%s-u%d", fm, i),
		SetID:        fmt.Sprintf("look-%d", set), SetItemIDs: items,
		ReceivedAtUs: start.Add(time.Duration(rng.IntN(5*3600)) * time.Second).UnixMicro(),
		ClientIP:     "203.0.113.0", ExtraKeys: []string{}, ExtraValues: []string{},
	}
	switch r := rng.IntN(100); {
	case r < 50:
		e.Interaction = "item_click"
	case r < 70:
		e.Interaction = "next_click"
	case r < 85:
		e.Interaction = "previous_click"
	default:
		e.Interaction = "image_expand_click"
	}
	if e.Interaction == "item_click" || e.Interaction == "image_expand_click" {
		pickItem(rng, &e)
	}
	sum := sha256.Sum256([]byte(e.Application + "\x00" + e.FmSessionID + "\x00" + e.ResponseUUID))
	e.EventID = hex.EncodeToString(sum[:16])
	return e
}

// pickItem clicks an item of the look, now and then one the look does not
// list (position 0) or in a look sent without its item list.
func pickItem(rng *rand.Rand, e *message.Event) {
	switch r := rng.IntN(20); {
	case r == 0:
		e.ItemID = "item-elsewhere"
	case r == 1:
		e.ItemID = e.SetItemIDs[0]
		e.SetItemIDs = []string{}
	default:
		k := rng.IntN(len(e.SetItemIDs))
		e.ItemID = e.SetItemIDs[k]
		e.ItemPosition = uint16(k + 1)
	}
}
