package rebuild

import (
	"context"
	"fmt"
	"io"

	"github.com/redis/go-redis/v9"

	"github.com/varcade/statsctl/internal/event"
)

// StreamSource reads a Redis stream from its first entry to its end with
// XRANGE, page by page; it ends when a read finds nothing newer, so entries
// added while it runs are included up to that last read. Unlike the
// consumer it needs no group: a rebuild replays history, it does not take
// a share of the work.
type StreamSource struct {
	Ctx  context.Context
	RDB  redis.UniversalClient
	Key  string
	Page int64 // entries per XRANGE; 0 = 1000

	last string
	buf  []event.StreamEntry
}

// Next returns the next stream entry as an event.
func (s *StreamSource) Next() (event.Event, error) {
	if len(s.buf) == 0 {
		start := "-"
		if s.last != "" {
			start = "(" + s.last
		}
		page := s.Page
		if page <= 0 {
			page = 1000
		}
		// Do, not XRangeN: go-redis's XMessage is a map and would hide a
		// field given twice, which the stream must refuse like JSONL does.
		reply, err := s.RDB.Do(s.Ctx, "XRANGE", s.Key, start, "+", "COUNT", page).Result()
		if err != nil {
			return event.Event{}, fmt.Errorf("read stream %s after %q: %w", s.Key, s.last, err)
		}
		msgs, err := event.StreamEntries(reply)
		if err != nil {
			return event.Event{}, fmt.Errorf("read stream %s after %q: %w", s.Key, s.last, err)
		}
		if len(msgs) == 0 {
			return event.Event{}, io.EOF
		}
		s.buf = msgs
	}
	m := s.buf[0]
	s.buf = s.buf[1:]
	s.last = m.ID
	return m.Event(), nil
}
