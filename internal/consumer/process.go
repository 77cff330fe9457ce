package consumer

import (
	"context"
	"fmt"
	"time"

	"github.com/varcade/statsctl/internal/engine"
	"github.com/varcade/statsctl/internal/event"
)

// batch is a batch of entries with its handlers run (engine.PrepareBatch,
// pure): the read ahead prepares the next batch while the current one is
// written, so the consumer's CPU work overlaps Redis's.
type batch struct {
	ids  []string
	evs  []event.Event
	prep *engine.Prepared
}

// prepare decodes a batch's entries and runs its handlers; nothing is
// written. Deleted pending entries have no event and are only acknowledged.
func (c *Consumer) prepare(msgs []entry) *batch {
	b := &batch{ids: make([]string, len(msgs)), evs: make([]event.Event, 0, len(msgs))}
	deleted := 0
	for i, m := range msgs {
		b.ids[i] = m.ID
		if m.Deleted() {
			// A pending entry deleted from the stream since delivery: it has
			// nothing to apply; acknowledging it clears it from the group.
			deleted++
			continue
		}
		b.evs = append(b.evs, m.Event())
	}
	if deleted > 0 {
		c.log.Info("acknowledging pending entries that were deleted from the stream", "count", deleted)
	}
	b.prep = c.eng.PrepareBatch(b.evs)
	return b
}

// process applies a batch, writes its dead letters, then acknowledges it,
// in that order: a crash at any point redelivers the batch, and both the
// apply script and the dead-letter script skip what they did before. All of
// it runs under abort alone: a stop does not cut short a batch in hand.
func (c *Consumer) process(ctx, abort context.Context, msgs []entry) error {
	return c.commit(ctx, abort, c.prepare(msgs))
}

// commit is process for a prepared batch (Engine.Commit may be retried on
// the same Prepared: it does not change it).
func (c *Consumer) commit(_, abort context.Context, b *batch) error {
	began := c.cfg.Now()
	ids, evs := b.ids, b.evs
	var outs []engine.Outcome
	err := c.retry(abort, abort, "apply batch", func(x context.Context) error {
		var err error
		outs, err = c.eng.Commit(x, b.prep)
		if err != nil {
			return fmt.Errorf("apply batch %s..%s: %w", ids[0], ids[len(ids)-1], err)
		}
		return nil
	})
	if err != nil {
		return err
	}
	var dead []deadLetter
	for i, o := range outs {
		if o.Status == engine.Invalid {
			dead = append(dead, deadLetter{ev: evs[i], out: o})
		}
	}
	// The batch's dead letters and acknowledgement go on in the background
	// while the next batch is applied (ack.go), under abort as the rest of
	// a batch in hand.
	if err := c.acks.hand(func() error { return c.tail(abort, ids, dead) }); err != nil {
		return err
	}
	c.count(evs, outs, c.cfg.Now().Sub(began))
	return nil
}

// count adds a processed batch's outcomes to the counters and metrics.
func (c *Consumer) count(evs []event.Event, outs []engine.Outcome, took time.Duration) {
	var ap, du, ig, in int64
	for _, o := range outs {
		switch o.Status {
		case engine.Applied:
			ap++
		case engine.Duplicate:
			du++
		case engine.Ignored:
			ig++
		case engine.Invalid:
			in++
		}
	}
	c.applied.Add(ap)
	c.duplicate.Add(du)
	c.ignored.Add(ig)
	c.invalid.Add(in)
	c.events.Add(int64(len(outs)))
	if c.m != nil {
		c.m.observeBatch(evs, outs, took)
	}
}
