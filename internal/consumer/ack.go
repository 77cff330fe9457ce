package consumer

import (
	"context"
	"fmt"
)

// acker writes an applied batch's dead letters and then acknowledges it,
// in the background, while the consumer applies the next batch: the two
// round trips (and the acknowledgement's wait behind the next read in
// Redis) were a fixed part of every batch's time (issue 15). One batch's
// tail runs at a time, in batch order. The order within a batch is kept
// (applied, then dead-lettered, then acknowledged), so a crash at any
// point still redelivers the batch and both scripts skip what they did
// before; an acknowledgement that fails is reported by the next hand or
// by wait, and ends Run as a failed one did before.
type acker struct {
	done chan error // the tail in flight; nil when none
}

// hand waits for the previous batch's tail, then starts this one's. It
// runs under abort, as the rest of a batch in hand does.
func (a *acker) hand(c *Consumer, abort context.Context, ids []string, dead []deadLetter) error {
	if err := a.wait(); err != nil {
		return err
	}
	done := make(chan error, 1)
	a.done = done
	go func() { done <- c.tail(abort, ids, dead) }()
	return nil
}

// wait returns once no tail is in flight, with its error. Run waits before
// it reads the group's pending count and before it returns, so a drain
// ends with everything acknowledged.
func (a *acker) wait() error {
	if a.done == nil {
		return nil
	}
	err := <-a.done
	a.done = nil
	return err
}

// tail is what follows a batch's apply: its dead letters, then its
// acknowledgement, each retried as before.
func (c *Consumer) tail(abort context.Context, ids []string, dead []deadLetter) error {
	if len(dead) > 0 {
		if err := c.retry(abort, abort, "write dead letters", func(x context.Context) error {
			return c.writeDeadLetters(x, dead)
		}); err != nil {
			return err
		}
	}
	return c.retry(abort, abort, "acknowledge batch", func(x context.Context) error {
		if err := c.stream.XAck(x, c.cfg.Stream, c.cfg.Group, ids...).Err(); err != nil {
			return fmt.Errorf("acknowledge %d entries of %s: %w", len(ids), c.cfg.Stream, err)
		}
		return nil
	})
}
