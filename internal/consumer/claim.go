package consumer

import (
	"context"
	"fmt"
	"time"
)

// claimEvery is how often Run looks for entries to take over: twice per
// ClaimAfter, so an entry waits at most about 1.5 × ClaimAfter.
func (c *Consumer) claimEvery() time.Duration { return max(c.cfg.ClaimAfter/2, 100*time.Millisecond) }

// claim takes over entries other consumers left pending longer than
// ClaimAfter (they died, or hang) and processes them.
func (c *Consumer) claim(ctx, abort context.Context) error {
	start := "0-0"
	for rounds := 0; ctx.Err() == nil && rounds < 1000; rounds++ {
		var msgs []entry
		var next string
		err := c.retry(ctx, abort, "claim pending entries", func(x context.Context) error {
			var err error
			msgs, next, err = c.xautoclaim(x, start)
			if err != nil && isNoGroup(err) {
				if gerr := c.ensureGroup(x); gerr != nil {
					return gerr
				}
				return errRetryNow
			}
			if err != nil {
				return fmt.Errorf("claim idle entries of %s/%s: %w", c.cfg.Stream, c.cfg.Group, err)
			}
			return nil
		})
		if err != nil {
			return err
		}
		if len(msgs) > 0 {
			c.claimed.Add(int64(len(msgs)))
			c.log.Info("claimed entries left pending by another consumer", "count", len(msgs), "first", msgs[0].ID,
				"idle_over", c.cfg.ClaimAfter)
			if err := c.process(ctx, abort, msgs); err != nil {
				return err
			}
		}
		if next == "" || next == "0-0" {
			return nil
		}
		start = next
	}
	return nil
}
