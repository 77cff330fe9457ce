// Package engine is the one apply path every entry point shares: record,
// track, the stream consumer and the HTTP write route all hand events here,
// so an event means the same thing whichever way it arrives. It writes
// through the small Applier interface (applier.go), not the whole store.
package engine

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync/atomic"

	"github.com/varcade/statsctl/internal/event"
	"github.com/varcade/statsctl/internal/handler"
	"github.com/varcade/statsctl/internal/store"
)

// Status is what became of one event.
type Status uint8

const (
	// Applied: its changes were written.
	Applied Status = iota + 1
	// Duplicate: an event with the same id was applied before; nothing changed.
	Duplicate
	// Ignored: valid, but no handler has anything to do with it (state
	// changes, other services' event types). Not an error.
	Ignored
	// Invalid: it cannot be applied (missing fields, unknown weapon code...).
	Invalid
)

// String is the status's label in summaries, logs and metrics.
func (s Status) String() string {
	switch s {
	case Applied:
		return "applied"
	case Duplicate:
		return "duplicate"
	case Ignored:
		return "ignored"
	case Invalid:
		return "invalid"
	}
	return "unknown"
}

// Outcome is the verdict on one event.
type Outcome struct {
	Status  Status
	Product string // "" when the event has none
	Reason  string // for Invalid: a stable code from handler.Reason*
	Detail  string // for Invalid: what is wrong, for a person
}

// Engine binds the registry of handlers to a store.
type Engine struct {
	reg *handler.Registry
	st  Applier

	conflicts atomic.Int64
}

// Conflicts counts product batches that were re-read and recomputed
// because another writer changed a rating first: a gauge of contention
// between consumers, for metrics and tests.
func (e *Engine) Conflicts() int64 { return e.conflicts.Load() }

// New makes an engine. Both arguments are required (a store that is never
// dialled will do for a caller that only prepares).
func New(reg *handler.Registry, st Applier) *Engine {
	return &Engine{reg: reg, st: st}
}

// Registry is the engine's handler registry (read-only).
func (e *Engine) Registry() *handler.Registry { return e.reg }

// Prepare runs the handlers over one event without writing anything. It is
// how --strict checks a whole file first, and the first half of Apply.
func (e *Engine) Prepare(ev event.Event) (store.Item, Outcome) {
	p := ev.Product()
	return e.prepareWith(ev, p, e.reg.Lookup(p))
}

// prepareWith is Prepare with the event's product id and its handlers
// already looked up, so a batch looks them up once per run of events of
// one product rather than twice per event.
func (e *Engine) prepareWith(ev event.Event, p string, h handler.Product) (store.Item, Outcome) {
	if err := ev.Validate(); err != nil {
		return store.Item{}, Outcome{Status: Invalid, Product: validProduct(ev), Reason: reasonOf(ev), Detail: err.Error()}
	}
	changes, err := h.Handle(ev, handler.NoValues{})
	if err != nil {
		var inv *handler.Invalid
		if errors.As(err, &inv) {
			return store.Item{}, Outcome{Status: Invalid, Product: p, Reason: inv.Reason, Detail: inv.Detail}
		}
		return store.Item{}, Outcome{Status: Invalid, Product: p, Reason: handler.ReasonMalformed, Detail: err.Error()}
	}
	if len(changes) == 0 {
		return store.Item{}, Outcome{Status: Ignored, Product: p}
	}
	return store.Item{EventID: markerID(ev), Changes: changes}, Outcome{Status: Applied, Product: p}
}

func validProduct(ev event.Event) string {
	if event.CheckProduct(ev.Product()) == nil {
		return ev.Product()
	}
	return ""
}

func reasonOf(ev event.Event) string {
	if _, ok := ev.Get(event.FieldProduct); !ok {
		return handler.ReasonMissingField
	}
	return handler.ReasonMalformed
}

// Prepared is a batch whose handlers have run but whose changes are not yet
// written. Splitting the two lets a replay run handlers for the next batch
// while Redis writes the previous one.
//
// Events for stateful scorers (Elo, Glicko-2) cannot be computed without
// I/O, so PrepareBatch only sets them aside; Commit reads their ratings,
// runs their handlers and writes under guards, retrying on conflict. Their
// Outcomes here are provisional (Applied) until Commit.
type Prepared struct {
	Outcomes []Outcome
	batches  map[string][]store.Item
	where    map[string][]int // product -> index in Outcomes of each item
	deferred map[string][]deferred
	// enc is batches laid out for the store (nil when deferred is set:
	// those batches are computed in Commit; and in a dry run).
	enc *store.Encoded
}

// deferred is an event of a stateful product, waiting for its ratings.
type deferred struct {
	at    int // index in Outcomes
	ev    event.Event
	needs []handler.Ref
}

// PrepareBatch runs the handlers over a batch of events.
func (e *Engine) PrepareBatch(evs []event.Event) *Prepared {
	return e.prepare(evs, nil, true)
}

// prepare runs the handlers over evs. A replay keeps the lines that could
// not be decoded into an event in input order too, so reports come out in
// line order: bad is nil (none) or as long as evs, and where bad[i] is set,
// evs[i] is no event but that line. Two slices rather than one of pairs, so
// PrepareBatch hands its events over without copying them. With encode the
// batch is also laid out for the store, so that Commit only sends it: a
// batch read ahead is encoded while the one before is still being written
// (a dry run, which commits nothing, skips it).
func (e *Engine) prepare(evs []event.Event, bad []*event.LineError, encode bool) *Prepared {
	p := &Prepared{Outcomes: make([]Outcome, len(evs)), batches: map[string][]store.Item{}, where: map[string][]int{}}
	// The handlers of the last product seen: a stream's events come in runs
	// of one game, so most events reuse them. The registry is read-only.
	var (
		lastName     string
		last         handler.Product
		lastStateful bool
		haveLast     bool
	)
	for i := range evs {
		if bad != nil && bad[i] != nil {
			p.Outcomes[i] = Outcome{Status: Invalid, Reason: handler.ReasonMalformed, Detail: bad[i].Err.Error()}
			continue
		}
		ev := &evs[i]
		prod := ev.Product()
		if !haveLast || prod != lastName {
			lastName, last, haveLast = prod, e.reg.Lookup(prod), true
			lastStateful = last.Stateful()
		}
		// Only products with a stateful scorer pay for the Needs check;
		// wins-only products go straight to Prepare as before ratings.
		if lastStateful && ev.Validate() == nil {
			if needs := last.Needs(*ev); len(needs) > 0 {
				if p.deferred == nil {
					p.deferred = map[string][]deferred{}
				}
				p.deferred[prod] = append(p.deferred[prod], deferred{at: i, ev: *ev, needs: needs})
				p.Outcomes[i] = Outcome{Status: Applied, Product: prod}
				continue
			}
		}
		item, out := e.prepareWith(*ev, prod, last)
		p.Outcomes[i] = out
		if out.Status == Applied {
			p.batches[out.Product] = append(p.batches[out.Product], item)
			p.where[out.Product] = append(p.where[out.Product], i)
		}
	}
	if encode && len(p.deferred) == 0 {
		p.enc = e.st.Encode(p.batches)
	}
	return p
}

// Commit writes a prepared batch and returns one outcome per event, in
// order. Each product's share is written atomically; events whose id was
// applied before come back as Duplicate. On error the batch may be
// committed again: events with ids will not count twice.
func (e *Engine) Commit(ctx context.Context, p *Prepared) ([]Outcome, error) {
	if len(p.deferred) > 0 {
		return e.commitStateful(ctx, p)
	}
	res, err := e.st.ApplyEncoded(ctx, p.enc)
	if err != nil {
		return nil, err
	}
	outs := append([]Outcome(nil), p.Outcomes...)
	for prod, dups := range res.Duplicates {
		for _, k := range dups {
			outs[p.where[prod][k]].Status = Duplicate
		}
	}
	for prod, rs := range res.Rejected {
		for _, r := range rs {
			outs[p.where[prod][r.Pos]] = rejectedOutcome(prod, r)
		}
	}
	return outs, nil
}

// Apply prepares and commits a batch of events: the whole apply path in one
// call, for the consumer, record and the HTTP write route.
func (e *Engine) Apply(ctx context.Context, evs []event.Event) ([]Outcome, error) {
	return e.Commit(ctx, e.PrepareBatch(evs))
}

// Summary tallies outcomes for the end-of-run report and the consumer's
// counters.
type Summary struct {
	Total     int64
	ByStatus  map[Status]int64
	ByReason  map[string]int64
	ByProduct map[string]map[Status]int64
}

// NewSummary makes an empty summary.
func NewSummary() *Summary {
	return &Summary{ByStatus: map[Status]int64{}, ByReason: map[string]int64{}, ByProduct: map[string]map[Status]int64{}}
}

// Add counts one outcome.
func (s *Summary) Add(o Outcome) {
	s.Total++
	s.ByStatus[o.Status]++
	if o.Status == Invalid {
		s.ByReason[o.Reason]++
	}
	p := o.Product
	if p == "" {
		p = "(no product)"
	}
	m := s.ByProduct[p]
	if m == nil {
		m = map[Status]int64{}
		s.ByProduct[p] = m
	}
	m[o.Status]++
}

// Products lists the products seen, sorted.
func (s *Summary) Products() []string {
	out := make([]string, 0, len(s.ByProduct))
	for p := range s.ByProduct {
		out = append(out, p)
	}
	sort.Strings(out)
	return out
}

// Reasons lists the invalid reasons seen, sorted.
func (s *Summary) Reasons() []string {
	out := make([]string, 0, len(s.ByReason))
	for r := range s.ByReason {
		out = append(out, r)
	}
	sort.Strings(out)
	return out
}

// String is a one-line summary for logs.
func (s *Summary) String() string {
	return fmt.Sprintf("%d events: %d applied, %d duplicate, %d ignored, %d invalid",
		s.Total, s.ByStatus[Applied], s.ByStatus[Duplicate], s.ByStatus[Ignored], s.ByStatus[Invalid])
}
