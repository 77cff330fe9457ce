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

// readAhead is the read of the next batch, running while the current one
// is applied: the consumer's own work and Redis's then overlap instead of
// taking turns (a drain used to keep neither statsctl nor Redis busy). The
// read ahead also decodes the batch and runs its handlers (pure), so that
// CPU work overlaps the current batch's apply script too.
type readAhead struct {
	ch chan readResult // nil when no read is in flight
}

type readResult struct {
	msgs []entry
	b    *batch // msgs prepared; nil when msgs is empty
	err  error
}

// take waits for the read in flight; ok is false when there is none.
func (a *readAhead) take() (r readResult, ok bool) {
	if a.ch == nil {
		return readResult{}, false
	}
	r = <-a.ch
	a.ch = nil
	return r, true
}

// readNew processes one batch of new entries, the one read ahead if there
// is one, and returns how many. After a full batch it starts reading (and
// preparing) the next (without blocking: an empty answer just means caught
// up), so the read overlaps this batch's apply. Entries read ahead are in
// this consumer's pending list like any others: a crash redelivers them.
func (c *Consumer) readNew(ctx, abort context.Context, ahead *readAhead) (int, error) {
	r, ok := ahead.take()
	if !ok {
		r.msgs, r.err = c.read(ctx, abort, ">", c.cfg.Block)
		if r.err == nil && len(r.msgs) > 0 {
			r.b = c.prepare(r.msgs)
		}
	}
	msgs, err := r.msgs, r.err
	if err != nil {
		return 0, err
	}
	if len(msgs) == 0 {
		return 0, nil
	}
	if len(msgs) == c.cfg.Count && ctx.Err() == nil {
		ch := make(chan readResult, 1)
		go func() {
			m, err := c.read(ctx, abort, ">", 0)
			var b *batch
			if err == nil && len(m) > 0 {
				b = c.prepare(m)
			}
			ch <- readResult{m, b, err}
		}()
		ahead.ch = ch
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
