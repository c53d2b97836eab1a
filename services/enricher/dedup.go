package main

import "time"

// Deduper remembers the interactions seen within a window, bounded in
// memory: past its capacity the oldest entry is forgotten first. Times are
// the edge's receive times, so replaying an old backlog dedupes the same way
// as live traffic.
type Deduper struct {
	window int64 // µs
	seen   map[DedupKey]int64
	ring   []dedupEntry // insertion order, oldest at head
	head   int
	count  int
}

type dedupEntry struct {
	key DedupKey
	at  int64
}

// NewDeduper remembers up to capacity keys for window.
func NewDeduper(window time.Duration, capacity int) *Deduper {
	return &Deduper{
		window: window.Microseconds(),
		seen:   make(map[DedupKey]int64, capacity),
		ring:   make([]dedupEntry, capacity),
	}
}

// Seen reports whether key was recorded less than a window before at (µs).
func (d *Deduper) Seen(key DedupKey, at int64) bool {
	first, ok := d.seen[key]
	return ok && at-first < d.window && at >= first
}

// Record remembers key as first seen at (µs) and forgets what fell out of
// the window or beyond the capacity.
func (d *Deduper) Record(key DedupKey, at int64) {
	for d.count > 0 && (d.count == len(d.ring) || at-d.ring[d.head].at >= d.window) {
		d.evictOldest()
	}
	if d.Seen(key, at) {
		return
	}
	tail := (d.head + d.count) % len(d.ring)
	d.ring[tail] = dedupEntry{key: key, at: at}
	d.count++
	d.seen[key] = at
}

// Len is the number of remembered keys.
func (d *Deduper) Len() int { return len(d.seen) }

func (d *Deduper) evictOldest() {
	old := d.ring[d.head]
	if d.seen[old.key] == old.at {
		delete(d.seen, old.key)
	}
	d.head = (d.head + 1) % len(d.ring)
	d.count--
}
