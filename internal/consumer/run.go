package consumer

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/varcade/statsctl/internal/retry"
)

// Run consumes until ctx is cancelled (returning nil once the batch in hand
// is acknowledged), until caught up with Config.Drain (nil), or until an
// error that retrying cannot fix.
//
// Two contexts run through the daemon. ctx is the stop request: once it is
// done nothing new is read and failures are no longer retried. abort is
// cancelled Config.Grace after ctx: the entries already in hand are applied,
// dead-lettered and acknowledged under it, so a stop lets them finish, and
// abort cuts them off if they take longer than the grace period.
func (c *Consumer) Run(ctx context.Context) error {
	abort, cancelAbort := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelAbort()
	stopGrace := context.AfterFunc(ctx, func() { time.AfterFunc(c.cfg.Grace, cancelAbort) })
	defer stopGrace()

	c.log.Info("consumer starting", "stream", c.cfg.Stream, "group", c.cfg.Group, "consumer", c.cfg.Consumer,
		"dead_letter", c.cfg.DeadLetter, "drain", c.cfg.Drain)
	started := c.cfg.Now()
	err := c.retry(ctx, abort, "create consumer group", func(x context.Context) error {
		if err := c.ensureGroup(x); err != nil {
			if c.cfg.ConnectTimeout > 0 && transient(err) && c.cfg.Now().Sub(started) >= c.cfg.ConnectTimeout {
				return retry.Permanent(fmt.Errorf("redis did not answer within --connect-timeout %s: %w", c.cfg.ConnectTimeout, err))
			}
			return err
		}
		return nil
	})
	if err != nil {
		return c.finish(ctx, err)
	}
	c.connected.Store(true)
	defer c.connected.Store(false)

	// Entries this consumer name read but never acknowledged (a previous
	// run under the same --consumer name) come first.
	if err := c.ownPending(ctx, abort); err != nil {
		return c.finish(ctx, err)
	}
	var lastClaim, lastInfo time.Time
	idle := false // the last read found nothing new
	var ahead readAhead
	defer ahead.abandon()
	for ctx.Err() == nil {
		now := c.cfg.Now()
		if now.Sub(lastClaim) >= c.claimEvery() {
			lastClaim = now
			if err := c.claim(ctx, abort); err != nil {
				return c.finish(ctx, err)
			}
		}
		// A drain's first read after entries came asks without BLOCK: an
		// empty answer is then "caught up" at once, where waiting --block
		// for entries that may come only made every drain end 100 ms late.
		// Further empty reads wait (other consumers' pending entries are
		// being claimed), so that loop does not spin on Redis.
		block := c.cfg.Block
		if c.cfg.Drain && !idle {
			block = 0
		}
		n, err := c.readNew(ctx, abort, &ahead, block)
		idle = err == nil && n == 0
		if err == nil && n == 0 {
			// Caught up: what was applied is acknowledged before the
			// group's pending count is read.
			err = c.acks.wait()
		}
		if err != nil {
			return c.finish(ctx, err)
		}
		if n == 0 || now.Sub(lastInfo) >= time.Second {
			lastInfo = now
			done, err := c.refreshGroupInfo(ctx, abort)
			if err != nil {
				return c.finish(ctx, err)
			}
			if n == 0 && c.cfg.Drain {
				if done {
					c.log.Info("caught up; drain finished", c.summaryAttrs()...)
					return nil
				}
				if c.pending.Load() > 0 {
					// Entries held by other (possibly dead) consumers: keep
					// claiming until they are done or taken over.
					if err := c.claim(ctx, abort); err != nil {
						return c.finish(ctx, err)
					}
					lastClaim = c.cfg.Now()
				}
			}
		}
	}
	// A stop arrived with batches read ahead: they are in hand too (the
	// reader reads no more once ctx is done), so finish them within the
	// grace period rather than leave them pending.
	for {
		r, ok := ahead.take()
		if !ok || r.err != nil {
			break
		}
		if len(r.msgs) > 0 {
			if err := c.commit(ctx, abort, r.b); err != nil {
				return c.finish(ctx, err)
			}
		}
	}
	return c.finish(ctx, nil)
}

// finish turns the end of Run into its result: a stop asked for via ctx is
// a clean exit whatever was in flight, since unacknowledged entries are
// redelivered and re-applying them changes nothing.
func (c *Consumer) finish(ctx context.Context, err error) error {
	if aerr := c.acks.wait(); err == nil {
		err = aerr
	}
	if ctx.Err() != nil && (err == nil || errors.Is(err, retry.ErrStopped) || errors.Is(err, context.Canceled)) {
		c.log.Info("consumer stopped", c.summaryAttrs()...)
		return nil
	}
	return err
}

func (c *Consumer) summaryAttrs() []any {
	s := c.Status()
	return []any{"events", s.Events, "applied", s.Applied, "duplicate", s.Duplicate, "ignored", s.Ignored,
		"invalid", s.Invalid, "dead_letters", s.DeadLetters, "claimed", s.Claimed}
}
