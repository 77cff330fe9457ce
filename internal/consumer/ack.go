package consumer

import (
	"context"
	"fmt"
)

// acker writes an applied batch's dead letters and then acknowledges it,
// in the background, while the consumer applies the next batches: the two
// round trips (and the acknowledgement's wait behind the next apply script
// in Redis) were a fixed part of every batch's time (issue 15). Tails run
// one at a time, in batch order, and at most maxTails are in flight, so
// the apply of the next batch never waits for the tail of the one before
// it. The order within a batch is kept (applied, then dead-lettered, then
// acknowledged), so a crash at any point still redelivers the batch and
// both scripts skip what they did before; an acknowledgement that fails is
// reported by a later hand or by wait, and ends Run as a failed one did
// before.
type acker struct {
	inFlight []tailRun // oldest first
}

// maxTails bounds the tails in flight: two lets the tail of batch N-1 wait
// in Redis behind batch N's script while N+1's script is sent.
const maxTails = 2

// tailRun is one batch's tail: finished is closed when it is over, then
// err holds its result.
type tailRun struct {
	finished chan struct{}
	err      *error
}

// hand starts a batch's tail (run) after the ones in flight, first waiting
// for the oldest if maxTails are, and returns that one's error if it
// failed.
func (a *acker) hand(run func() error) error {
	for len(a.inFlight) >= maxTails {
		if err := a.waitOldest(); err != nil {
			return err
		}
	}
	var prev chan struct{}
	if n := len(a.inFlight); n > 0 {
		prev = a.inFlight[n-1].finished
	}
	t := tailRun{finished: make(chan struct{}), err: new(error)}
	a.inFlight = append(a.inFlight, t)
	go func() {
		defer close(t.finished)
		if prev != nil {
			<-prev
		}
		*t.err = run()
	}()
	return nil
}

func (a *acker) waitOldest() error {
	t := a.inFlight[0]
	a.inFlight = a.inFlight[1:]
	<-t.finished
	return *t.err
}

// wait returns once no tail is in flight, with the first error among
// them. Run waits before it reads the group's pending count and before it
// returns, so a drain ends with everything acknowledged.
func (a *acker) wait() error {
	var first error
	for len(a.inFlight) > 0 {
		if err := a.waitOldest(); err != nil && first == nil {
			first = err
		}
	}
	return first
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
