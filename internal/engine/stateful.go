package engine

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sort"
	"time"

	"github.com/varcade/statsctl/internal/handler"
	"github.com/varcade/statsctl/internal/store"
)

// MaxConflictRetries bounds how often Commit re-reads and recomputes one
// product's batch after a guard failed. Every conflict means another
// consumer committed, so the system as a whole always progresses; the bound
// only stops a pathological livelock from spinning forever.
const MaxConflictRetries = 200

// overlay is the view stateful handlers see: the states read from Redis,
// overridden by what earlier events of the same batch wrote, so game 2 of a
// batch is rated from game 1's result.
type overlay struct {
	read  map[handler.Ref]store.StateValue
	wrote map[handler.Ref]string
}

func (o *overlay) Score(string, string) (float64, bool) { return 0, false }
func (o *overlay) Stat(string, string) (string, bool)   { return "", false }
func (o *overlay) State(board, user string) (string, bool) {
	r := handler.Ref{Board: board, User: user}
	if v, ok := o.wrote[r]; ok {
		return v, true
	}
	v := o.read[r]
	return v.State, v.Present
}

// computed is one product's stateful share of a batch, ready to write.
type computed struct {
	guarded store.Guarded
	where   []int           // Outcomes index of each item
	outs    map[int]Outcome // verdicts decided while computing
}

// commitStateful writes a batch some of whose events need current ratings:
// read them (one round trip for all products), run handlers in batch order
// over an overlay, then write every product in one round trip, each
// product's share guarded by the states it was computed from. Products
// whose guard failed are re-read and recomputed alone until they commit.
func (e *Engine) commitStateful(ctx context.Context, p *Prepared) ([]Outcome, error) {
	outs := append([]Outcome(nil), p.Outcomes...)
	pending := map[string]bool{}
	for prod := range p.batches {
		pending[prod] = true
	}
	for prod := range p.deferred {
		pending[prod] = true
	}
	// rejected holds the rated events Redis refused (by Outcomes index):
	// their product is recomputed without them. Each such retry drops one
	// event, so it does not count against MaxConflictRetries.
	rejected := map[int]Outcome{}
	for attempt := 0; len(pending) > 0; attempt++ {
		if attempt > MaxConflictRetries+len(rejected) {
			return nil, fmt.Errorf("ratings of %v kept changing under %d retries; giving up on this batch (safe to retry)", keys(pending), MaxConflictRetries)
		}
		if attempt > 0 {
			// Back off a little, with jitter, so racing consumers spread out.
			d := time.Duration(rand.IntN(1+min(attempt, 20))) * 500 * time.Microsecond
			select {
			case <-ctx.Done():
				return nil, ctx.Err()
			case <-time.After(d):
			}
		}
		reqs := map[string]store.ReadRequest{}
		for prod := range pending {
			var r store.ReadRequest
			for _, d := range p.deferred[prod] {
				r.Refs = append(r.Refs, d.needs...)
				r.EventIDs = append(r.EventIDs, markerID(d.ev))
			}
			if len(r.Refs) > 0 {
				reqs[prod] = r
			}
		}
		snaps, err := e.st.ReadStates(ctx, reqs)
		if err != nil {
			return nil, err
		}
		batches := map[string]store.Guarded{}
		comp := map[string]computed{}
		for prod := range pending {
			c := e.compute(prod, p, snaps[prod], rejected)
			comp[prod] = c
			batches[prod] = c.guarded
		}
		res, err := e.st.ApplyGuarded(ctx, batches)
		if err != nil {
			return nil, err
		}
		conflicted := map[string]bool{}
		for _, prod := range res.Conflicts {
			conflicted[prod] = true
		}
		e.conflicts.Add(int64(len(res.Conflicts)))
		for prod, r := range res.Aborted {
			at := comp[prod].where[r.Pos]
			rejected[at] = rejectedOutcome(prod, r)
			outs[at] = rejected[at]
		}
		for prod := range pending {
			if _, again := res.Aborted[prod]; conflicted[prod] || again {
				continue
			}
			c := comp[prod]
			for at, o := range c.outs {
				outs[at] = o
			}
			for _, k := range res.Duplicates[prod] {
				outs[c.where[k]].Status = Duplicate
			}
			for _, r := range res.Rejected[prod] {
				outs[c.where[r.Pos]] = rejectedOutcome(prod, r)
			}
			delete(pending, prod)
		}
	}
	return outs, nil
}

// compute builds one product's guarded batch: its stateless items as
// prepared, then its stateful events run in batch order over the overlay.
// An event already applied (per the snapshot, or earlier in this batch) is
// a Duplicate and leaves no trace in the overlay; the items of rated events
// are Strict, so if one gets applied by someone else before this batch is
// written, the batch conflicts instead of double-counting.
func (e *Engine) compute(prod string, p *Prepared, snap store.Snapshot, rejected map[int]Outcome) computed {
	c := computed{outs: map[int]Outcome{}}
	c.guarded.Items = append(c.guarded.Items, p.batches[prod]...)
	c.where = append(c.where, p.where[prod]...)
	ov := &overlay{read: snap.States, wrote: map[handler.Ref]string{}}
	product := e.reg.Lookup(prod)
	used := map[handler.Ref]bool{}
	thisBatch := map[string]bool{}
	for _, d := range p.deferred[prod] {
		if o, ok := rejected[d.at]; ok {
			c.outs[d.at] = o
			continue
		}
		if id := markerID(d.ev); id != "" {
			if snap.Seen[id] || thisBatch[id] {
				c.outs[d.at] = Outcome{Status: Duplicate, Product: prod}
				continue
			}
		}
		changes, err := product.Handle(d.ev, ov)
		if err != nil {
			c.outs[d.at] = invalidOutcome(prod, err)
			continue
		}
		if len(changes) == 0 {
			c.outs[d.at] = Outcome{Status: Ignored, Product: prod}
			continue
		}
		if id := markerID(d.ev); id != "" {
			thisBatch[id] = true
		}
		for _, r := range d.needs {
			if _, own := ov.wrote[r]; !own {
				used[r] = true
			}
		}
		for _, ch := range changes {
			if ch.Op == handler.StateSet {
				ov.wrote[handler.Ref{Board: ch.Board, User: ch.User}] = ch.Str
			}
		}
		c.outs[d.at] = Outcome{Status: Applied, Product: prod}
		c.guarded.Items = append(c.guarded.Items, store.Item{EventID: markerID(d.ev), Changes: changes, Strict: true})
		c.where = append(c.where, d.at)
	}
	refs := make([]handler.Ref, 0, len(used))
	for r := range used {
		refs = append(refs, r)
	}
	sort.Slice(refs, func(i, j int) bool {
		if refs[i].Board != refs[j].Board {
			return refs[i].Board < refs[j].Board
		}
		return refs[i].User < refs[j].User
	})
	for _, r := range refs {
		v := snap.States[r]
		c.guarded.Expect = append(c.guarded.Expect, store.Expect{Board: r.Board, User: r.User, State: v.State, Present: v.Present})
	}
	return c
}

func invalidOutcome(prod string, err error) Outcome {
	var inv *handler.Invalid
	if errors.As(err, &inv) {
		return Outcome{Status: Invalid, Product: prod, Reason: inv.Reason, Detail: inv.Detail}
	}
	return Outcome{Status: Invalid, Product: prod, Reason: handler.ReasonMalformed, Detail: err.Error()}
}

func keys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

var _ handler.Values = (*overlay)(nil)
var _ handler.StateReader = (*overlay)(nil)
