package server

import (
	"fmt"
	"net/http"
	"strconv"

	"github.com/varcade/statsctl/internal/engine"
)

// MaxEventResults bounds the results list of a POST /v1/events answer, so
// a 1 MiB body of tiny invalid lines cannot make a 33 MB answer. A body of
// at most this many events gets one result per event; a larger one gets
// its problems (invalid events) only, the first MaxEventResults of them,
// and results_omitted says how many events have no entry.
const MaxEventResults = 1000

// DefaultMaxWrites is how many POST /v1/events requests run at once when
// Config.MaxWrites is 0. A 1 MiB body costs up to about 100 MB while it is
// applied, and the work is CPU-bound on Redis anyway, so more slots only
// add memory.
const DefaultMaxWrites = 2

// writeRetryAfter is the Retry-After (seconds) of a write refused because
// every write slot is taken: a 1 MiB batch takes about a second.
const writeRetryAfter = 1

// writeSlots bounds the write requests in flight.
type writeSlots chan struct{}

func newWriteSlots(n int) writeSlots { return make(writeSlots, n) }

// tryAcquire takes a slot without waiting; release gives it back.
func (s writeSlots) tryAcquire() bool {
	select {
	case s <- struct{}{}:
		return true
	default:
		return false
	}
}

func (s writeSlots) release() { <-s }

// tooBusy answers a write that found every slot taken: 503 in the API's
// error shape, with Retry-After, before the body is read.
func (s *Server) tooBusy(w http.ResponseWriter) {
	w.Header().Set("Retry-After", strconv.Itoa(writeRetryAfter))
	writeErrorDetails(w, http.StatusServiceUnavailable, "too_busy",
		fmt.Sprintf("%d event writes are already in progress (serve --max-writes); retry after %d s", cap(s.writes), writeRetryAfter),
		map[string]any{"max_writes": cap(s.writes), "retry_after_seconds": writeRetryAfter})
}

// eventTally builds a bounded answer to POST /v1/events from the parse
// problems and the engine's outcomes, both in line order.
type eventTally struct {
	out eventsJSON
	// bad holds the first MaxEventResults lines that did not parse; badN
	// counts all of them.
	bad  []eventResult
	badN int
}

// malformed records a line that is not an event.
func (t *eventTally) malformed(r eventResult) {
	t.badN++
	if len(t.bad) < MaxEventResults {
		t.bad = append(t.bad, r)
	}
}

// finish counts every event and fills results: all of them when there are
// at most MaxEventResults events, else the first MaxEventResults invalid
// ones. lines[i] is the line of the event whose outcome is outs[i].
func (t *eventTally) finish(lines []int, outs []engine.Outcome) eventsJSON {
	out := &t.out
	out.Events = t.badN + len(outs)
	out.Invalid = t.badN
	for _, o := range outs {
		switch o.Status {
		case engine.Applied:
			out.Applied++
		case engine.Duplicate:
			out.Duplicate++
		case engine.Ignored:
			out.Ignored++
		default:
			out.Invalid++
		}
	}
	all := out.Events <= MaxEventResults
	out.Results = make([]eventResult, 0, min(out.Events, MaxEventResults))
	b, i := 0, 0
	for len(out.Results) < MaxEventResults && (b < len(t.bad) || i < len(outs)) {
		if b < len(t.bad) && (i >= len(outs) || t.bad[b].Line < lines[i]) {
			out.Results = append(out.Results, t.bad[b])
			b++
			continue
		}
		o := outs[i]
		if all || o.Status == engine.Invalid {
			out.Results = append(out.Results, eventResult{Line: lines[i], Status: o.Status.String(), Product: o.Product, Reason: o.Reason, Detail: o.Detail})
		}
		i++
	}
	out.Omitted = out.Events - len(out.Results)
	return *out
}
