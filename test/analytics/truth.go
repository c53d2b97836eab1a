package analytics

import (
	"cmp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/pixelpipe/pixelpipe/pkg/message"
)

// Expected computes, without ClickHouse, the result each query of
// docs/analytics.md must return for these distinct events, as TSV.
func Expected(events []message.Event) map[string]string {
	human := func(e *message.Event) bool { return !e.IsBot }
	itemClick := func(e *message.Event) bool { return !e.IsBot && e.Interaction == "item_click" }
	all := func(*message.Event) bool { return true }
	return map[string]string{
		"sessions_per_set_daily": tsv(sortRows(
			rollup(events, human, keyOf(day, setID), sessions, interactions),
			asc(0), desc(2), asc(1))),
		"sessions_per_set_hourly": tsv(sortRows(
			rollup(events, human, keyOf(hour, setID), sessions, interactions),
			asc(0), desc(2), asc(1))),
		"item_clicks_per_item": tsv(sortRows(
			rollup(events, itemClick, keyOf(day, setID, itemID), interactions, sessions),
			asc(0), asc(1), desc(3), asc(2))),
		"item_clicks_per_position": tsv(sortRows(
			rollup(events, itemClick, keyOf(setID, position), interactions, sessions),
			asc(0), ascNum(1))),
		"navigation_per_set": tsv(sortRows(
			withNavigation(rollup(events, human, keyOf(day, setID), sessions,
				only("next_click", interactions), only("next_click", sessions),
				only("previous_click", interactions), only("previous_click", sessions))),
			asc(0), asc(1))),
		"device_browser_split": tsv(sortRows(
			rollup(events, human, keyOf(day, deviceClass, osName, browser), sessions, interactions),
			asc(0), desc(4), asc(1), asc(2), asc(3))),
		"device_class_per_set": tsv(sortRows(
			rollup(events, human, keyOf(setID, deviceClass), sessions, interactions),
			asc(0), asc(1))),
		"bot_share_daily": tsv(sortRows(
			rollup(events, all, keyOf(day), humanOnly(interactions), botOnly(interactions)),
			asc(0))),
		"interactions_final": tsv(sortRows(
			rollup(events, all, keyOf(interactionName), interactions, sessions),
			asc(0))),
	}
}

type (
	column  func(e *message.Event) string
	measure func(e *message.Event) (member string, counted bool)
)

func day(e *message.Event) string { return e.ReceivedAt().Format("2006-01-02") }
func hour(e *message.Event) string {
	return e.ReceivedAt().Truncate(time.Hour).Format("2006-01-02 15:04:05")
}
func setID(e *message.Event) string       { return e.SetID }
func itemID(e *message.Event) string      { return e.ItemID }
func position(e *message.Event) string    { return strconv.Itoa(int(e.ItemPosition)) }
func deviceClass(e *message.Event) string { return e.DeviceClass }
func osName(e *message.Event) string      { return e.OS }
func browser(e *message.Event) string     { return e.Browser }
func interactionName(e *message.Event) string {
	return e.Interaction
}

func interactions(e *message.Event) (string, bool) { return e.EventID, true }
func sessions(e *message.Event) (string, bool)     { return e.FmSessionID, true }

// only counts m for one interaction, like uniqExactMergeIf(..., interaction = name).
func only(name string, m measure) measure {
	return func(e *message.Event) (string, bool) {
		v, ok := m(e)
		return v, ok && e.Interaction == name
	}
}

func humanOnly(m measure) measure {
	return func(e *message.Event) (string, bool) { v, ok := m(e); return v, ok && !e.IsBot }
}

func botOnly(m measure) measure {
	return func(e *message.Event) (string, bool) { v, ok := m(e); return v, ok && e.IsBot }
}

func keyOf(cols ...column) func(e *message.Event) []string {
	return func(e *message.Event) []string {
		key := make([]string, len(cols))
		for i, c := range cols {
			key[i] = c(e)
		}
		return key
	}
}

// rollup groups the kept events by key and counts the distinct members of
// each measure: the key columns, then one count per measure.
func rollup(events []message.Event, keep func(*message.Event) bool, key func(*message.Event) []string, ms ...measure) [][]string {
	type group struct {
		key  []string
		sets []map[string]bool
	}
	groups := map[string]*group{}
	var order []string
	for i := range events {
		e := &events[i]
		if !keep(e) {
			continue
		}
		k := key(e)
		id := strings.Join(k, "\x00")
		g, ok := groups[id]
		if !ok {
			g = &group{key: k, sets: make([]map[string]bool, len(ms))}
			for j := range g.sets {
				g.sets[j] = map[string]bool{}
			}
			groups[id] = g
			order = append(order, id)
		}
		for j, m := range ms {
			if v, counted := m(e); counted {
				g.sets[j][v] = true
			}
		}
	}
	rows := make([][]string, 0, len(order))
	for _, id := range order {
		g := groups[id]
		row := append([]string(nil), g.key...)
		for _, s := range g.sets {
			row = append(row, strconv.Itoa(len(s)))
		}
		rows = append(rows, row)
	}
	return rows
}

// withNavigation keeps the looks with a next or previous click (the HAVING
// of navigation_per_set: columns 3 and 5 are the click counts).
func withNavigation(rows [][]string) [][]string {
	return slices.DeleteFunc(rows, func(r []string) bool { return num(r[3])+num(r[5]) == 0 })
}

type order struct {
	col     int
	desc    bool
	numeric bool
}

func asc(col int) order    { return order{col: col} }
func desc(col int) order   { return order{col: col, desc: true, numeric: true} }
func ascNum(col int) order { return order{col: col, numeric: true} }

func sortRows(rows [][]string, by ...order) [][]string {
	slices.SortFunc(rows, func(a, b []string) int {
		for _, o := range by {
			var c int
			if o.numeric {
				c = cmp.Compare(num(a[o.col]), num(b[o.col]))
			} else {
				c = strings.Compare(a[o.col], b[o.col])
			}
			if o.desc {
				c = -c
			}
			if c != 0 {
				return c
			}
		}
		return 0
	})
	return rows
}

func num(s string) int {
	n, err := strconv.Atoi(s)
	if err != nil {
		panic("not a count: " + s)
	}
	return n
}

func tsv(rows [][]string) string {
	var b strings.Builder
	for _, r := range rows {
		b.WriteString(strings.Join(r, "\t"))
		b.WriteByte('\n')
	}
	return b.String()
}
