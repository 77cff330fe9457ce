package consumer

import (
	"context"
	"fmt"
	"time"

	"github.com/varcade/statsctl/internal/engine"
	"github.com/varcade/statsctl/internal/event"
)

// process applies a batch, writes its dead letters, then acknowledges it,
// in that order: a crash at any point redelivers the batch, and both the
// apply script and the dead-letter script skip what they did before. All of
// it runs under abort alone: a stop does not cut short a batch in hand.
func (c *Consumer) process(ctx, abort context.Context, msgs []entry) error {
	began := c.cfg.Now()
	evs := make([]event.Event, 0, len(msgs))
	ids := make([]string, len(msgs))
	deleted := 0
	for i, m := range msgs {
		ids[i] = m.ID
		if m.Deleted() {
			// A pending entry deleted from the stream since delivery: it has
			// nothing to apply; acknowledging it clears it from the group.
			deleted++
			continue
		}
		evs = append(evs, m.Event())
	}
	if deleted > 0 {
		c.log.Info("acknowledging pending entries that were deleted from the stream", "count", deleted)
	}
	var outs []engine.Outcome
	err := c.retry(abort, abort, "apply batch", func(x context.Context) error {
		var err error
		outs, err = c.eng.Apply(x, evs)
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
	if len(dead) > 0 {
		if err := c.retry(abort, abort, "write dead letters", func(x context.Context) error {
			return c.writeDeadLetters(x, dead)
		}); err != nil {
			return err
		}
	}
	if err := c.retry(abort, abort, "acknowledge batch", func(x context.Context) error {
		if err := c.stream.XAck(x, c.cfg.Stream, c.cfg.Group, ids...).Err(); err != nil {
			return fmt.Errorf("acknowledge %d entries of %s: %w", len(ids), c.cfg.Stream, err)
		}
		return nil
	}); err != nil {
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
