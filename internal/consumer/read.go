package consumer

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// ownPending re-processes entries delivered to this consumer name but never
// acknowledged (reading from id 0 returns this consumer's pending list).
func (c *Consumer) ownPending(ctx, abort context.Context) error {
	from := "0"
	for ctx.Err() == nil {
		msgs, err := c.read(ctx, abort, from, 0)
		if err != nil {
			return err
		}
		if len(msgs) == 0 {
			return nil
		}
		c.log.Info("re-processing own pending entries", "count", len(msgs), "from", msgs[0].ID)
		if err := c.process(ctx, abort, msgs); err != nil {
			return err
		}
		from = msgs[len(msgs)-1].ID
	}
	return nil
}

// readAhead reads the next batches while the current one is applied: the
// consumer's own work and Redis's then overlap instead of taking turns (a
// drain used to keep neither statsctl nor Redis busy). It also decodes each
// batch and runs its handlers (pure), so that CPU work overlaps the apply
// script too. One goroutine reads batch after batch and hands them over in
// order, one prepared batch waiting while it reads and prepares the next,
// so that a read never waits for the batch before it to be applied.
type readAhead struct {
	ch   chan readResult // results in order; nil when no reader runs
	quit chan struct{}   // closed by abandon: the reader stops handing over
}

type readResult struct {
	msgs []entry
	b    *batch // msgs prepared; nil when msgs is empty
	err  error
}

// start runs the reader: it reads (without blocking: an empty answer just
// means caught up) and prepares until a read fails, comes back short of a
// full batch, or ctx is done, handing each result over in order. Entries it
// read are in this consumer's pending list like any others: a crash
// redelivers them.
func (a *readAhead) start(c *Consumer, ctx, abort context.Context) {
	a.ch = make(chan readResult, 1)
	if a.quit == nil {
		a.quit = make(chan struct{})
	}
	ch, quit := a.ch, a.quit
	go func() {
		defer close(ch)
		for {
			m, err := c.read(ctx, abort, ">", 0)
			var b *batch
			if err == nil && len(m) > 0 {
				b = c.prepare(m)
			}
			select {
			case ch <- readResult{m, b, err}:
			case <-quit:
				return
			}
			if err != nil || len(m) < c.cfg.Count || ctx.Err() != nil {
				return
			}
		}
	}()
}

// take waits for the next batch read ahead; ok is false when the reader
// has ended and everything it read was taken.
func (a *readAhead) take() (r readResult, ok bool) {
	if a.ch == nil {
		return readResult{}, false
	}
	r, ok = <-a.ch
	if !ok {
		a.ch = nil
	}
	return r, ok
}

// abandon stops a reader whose batches will not be taken (Run is ending
// on an error): what it read stays pending and is delivered again.
func (a *readAhead) abandon() {
	if a.quit != nil {
		close(a.quit)
		a.quit = nil
	}
}

// readNew processes one batch of new entries, the next one read ahead if a
// reader runs, and returns how many. A read it makes itself waits up to
// block for new entries (0: not at all). After a full batch read here it
// starts the reader, so the reads overlap this batch's apply.
func (c *Consumer) readNew(ctx, abort context.Context, ahead *readAhead, block time.Duration) (int, error) {
	r, ok := ahead.take()
	if !ok {
		r.msgs, r.err = c.read(ctx, abort, ">", block)
		if r.err == nil && len(r.msgs) > 0 {
			r.b = c.prepare(r.msgs)
		}
		if r.err == nil && len(r.msgs) == c.cfg.Count && ctx.Err() == nil {
			ahead.start(c, ctx, abort)
		}
	}
	msgs, err := r.msgs, r.err
	if err != nil {
		return 0, err
	}
	if len(msgs) == 0 {
		return 0, nil
	}
	return len(msgs), c.commit(ctx, abort, r.b)
}

// read runs one XREADGROUP. It runs under abort, so entries the server
// hands over are processed even if a stop arrives meanwhile; a stop only
// ends the retrying of a failed read.
func (c *Consumer) read(ctx, abort context.Context, from string, block time.Duration) ([]entry, error) {
	var msgs []entry
	err := c.retry(ctx, abort, "read stream", func(x context.Context) error {
		res, err := c.xreadgroup(x, from, block)
		if errors.Is(err, redis.Nil) {
			msgs = nil
			return nil
		}
		if err != nil {
			if isNoGroup(err) {
				c.log.Warn("consumer group missing; recreating it", "stream", c.cfg.Stream, "group", c.cfg.Group, "start", c.cfg.Start)
				if gerr := c.ensureGroup(x); gerr != nil {
					return gerr
				}
				return errRetryNow
			}
			return fmt.Errorf("read %s as %s/%s: %w", c.cfg.Stream, c.cfg.Group, c.cfg.Consumer, err)
		}
		msgs = res
		return nil
	})
	return msgs, err
}
