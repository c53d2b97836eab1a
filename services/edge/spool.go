package main

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tidwall/wal"
)

// errSpoolFull answers a hit that neither Kafka nor the spool could take.
var errSpoolFull = errors.New("spool is full")

// entryOverhead approximates what the WAL adds to each entry on disk (length
// prefix); the exact figure is re-read from disk after every replay.
const entryOverhead = 10

// spool is the on-disk queue of hits Kafka did not take in time (ADR 0002).
// Every append is fsynced before it returns, so a hit is durable once the
// append returned. The batcher appends at the back, the replayer reads and
// truncates at the front; the WAL orders entries by index.
type spool struct {
	log      *wal.Log
	dir      string
	maxBytes int64

	first atomic.Uint64 // index of the oldest entry
	last  atomic.Uint64 // index of the newest entry; first > last when empty
	bytes atomic.Int64  // size of the segment files

	batch wal.Batch // the appender's, reused
	entry []byte    // the appender's encoding buffer, reused

	readMu sync.Mutex // the replayer and metric scrapes read the front
}

// spoolEntry is the encoding of one entry: when it was spooled (for the
// oldest-age metric), the Kafka key and the Kafka value.
//
//	[8 bytes spooled-at Unix nanoseconds, big endian][uvarint key length][key][value]
func appendSpoolEntry(dst []byte, at time.Time, key, value []byte) []byte {
	dst = binary.BigEndian.AppendUint64(dst, uint64(at.UnixNano()))
	dst = binary.AppendUvarint(dst, uint64(len(key)))
	dst = append(dst, key...)
	return append(dst, value...)
}

func parseSpoolEntry(b []byte) (at time.Time, key, value []byte, err error) {
	if len(b) < 9 {
		return time.Time{}, nil, nil, errors.New("spool entry shorter than its header")
	}
	at = time.Unix(0, int64(binary.BigEndian.Uint64(b)))
	n, w := binary.Uvarint(b[8:])
	if w <= 0 || uint64(len(b)-8-w) < n {
		return time.Time{}, nil, nil, errors.New("spool entry has a bad key length")
	}
	rest := b[8+w:]
	return at, rest[:n], rest[n:], nil
}

// openSpool opens (or creates) the spool in dir; entries left by an earlier
// run are kept and replayed.
func openSpool(dir string, maxBytes int64, segmentBytes int) (*spool, error) {
	l, err := wal.Open(dir, &wal.Options{
		SegmentSize: segmentBytes, AllowEmpty: true, DirPerms: 0o750, FilePerms: 0o640,
	})
	if err != nil {
		return nil, fmt.Errorf("opening spool %s: %w", dir, err)
	}
	s := &spool{log: l, dir: dir, maxBytes: maxBytes}
	if err := s.loadBounds(); err != nil {
		_ = l.Close()
		return nil, err
	}
	return s, nil
}

func (s *spool) loadBounds() error {
	first, err := s.log.FirstIndex()
	if err != nil {
		return fmt.Errorf("reading spool start: %w", err)
	}
	last, err := s.log.LastIndex()
	if err != nil {
		return fmt.Errorf("reading spool end: %w", err)
	}
	s.first.Store(first)
	s.last.Store(last)
	return s.measure()
}

// measure sets bytes to the size of the segment files on disk.
func (s *spool) measure() error {
	entries, err := os.ReadDir(s.dir)
	if err != nil {
		return fmt.Errorf("listing spool %s: %w", s.dir, err)
	}
	var total int64
	for _, e := range entries {
		info, err := e.Info()
		if err != nil {
			continue // removed by a truncation meanwhile
		}
		total += info.Size()
	}
	s.bytes.Store(total)
	return nil
}

// Depth is the number of hits waiting in the spool.
func (s *spool) Depth() uint64 {
	first, last := s.first.Load(), s.last.Load()
	if first > last {
		return 0
	}
	return last - first + 1
}

// Bytes is the size of the spool on disk.
func (s *spool) Bytes() int64 { return s.bytes.Load() }

// Append writes the hits in order and fsyncs once. It stops at the first hit
// that would push the spool past its bound and returns how many it stored;
// only the first n hits are durable. Only the batcher goroutine calls it.
func (s *spool) Append(hits []*hit, now time.Time) (int, error) {
	n, size := s.fit(hits)
	if n == 0 {
		return 0, nil
	}
	next := s.last.Load() + 1
	for i, h := range hits[:n] {
		s.entry = appendSpoolEntry(s.entry[:0], now, h.key, h.value)
		s.batch.Write(next+uint64(i), s.entry)
	}
	if err := s.log.WriteBatch(&s.batch); err != nil {
		s.batch.Clear()
		return 0, fmt.Errorf("appending %d hits to the spool: %w", n, err)
	}
	s.last.Store(next + uint64(n) - 1)
	s.bytes.Add(size)
	return n, nil
}

// fit counts how many leading hits stay within the bound, and their size.
func (s *spool) fit(hits []*hit) (int, int64) {
	room := s.maxBytes - s.bytes.Load()
	var size int64
	for i, h := range hits {
		e := int64(8+binary.MaxVarintLen16+len(h.key)+len(h.value)) + entryOverhead
		if size+e > room {
			return i, size
		}
		size += e
	}
	return len(hits), size
}

// spooled is one entry read back from the front of the spool.
type spooled struct {
	index      uint64
	at         time.Time
	key, value []byte
}

// ReadFront appends up to max of the oldest entries to dst.
func (s *spool) ReadFront(dst []spooled, max int) ([]spooled, error) {
	s.readMu.Lock()
	defer s.readMu.Unlock()
	first, last := s.first.Load(), s.last.Load()
	for i := first; i <= last && len(dst) < max; i++ {
		b, err := s.log.Read(i)
		if err != nil {
			return dst, fmt.Errorf("reading spool entry %d: %w", i, err)
		}
		at, key, value, err := parseSpoolEntry(b)
		if err != nil {
			return dst, fmt.Errorf("decoding spool entry %d: %w", i, err)
		}
		dst = append(dst, spooled{index: i, at: at, key: key, value: value})
	}
	return dst, nil
}

// Ack removes every entry up to and including index: Kafka has them.
func (s *spool) Ack(index uint64) error {
	s.readMu.Lock()
	defer s.readMu.Unlock()
	if err := s.log.TruncateFront(index + 1); err != nil {
		return fmt.Errorf("removing replayed entries up to %d from the spool: %w", index, err)
	}
	s.first.Store(index + 1)
	return s.measure()
}

// OldestAge is how long the oldest waiting hit has been in the spool.
func (s *spool) OldestAge(now time.Time) time.Duration {
	s.readMu.Lock()
	defer s.readMu.Unlock()
	first := s.first.Load()
	if first > s.last.Load() {
		return 0
	}
	b, err := s.log.Read(first)
	if err != nil {
		return 0
	}
	at, _, _, err := parseSpoolEntry(b)
	if err != nil {
		return 0
	}
	return now.Sub(at)
}

// Close syncs and closes the WAL; what is left is replayed on the next start.
func (s *spool) Close() error {
	if err := s.log.Sync(); err != nil {
		_ = s.log.Close()
		return fmt.Errorf("syncing spool: %w", err)
	}
	if err := s.log.Close(); err != nil {
		return fmt.Errorf("closing spool: %w", err)
	}
	return nil
}

// defaultSpoolDir keeps the local stack's spool beside its other state.
var defaultSpoolDir = filepath.Join(".run", "data", "edge", "spool")
