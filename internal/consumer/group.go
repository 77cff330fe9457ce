package consumer

import (
	"context"
	"errors"
	"fmt"

	"github.com/redis/go-redis/v9"

	"github.com/varcade/statsctl/internal/retry"
	"github.com/varcade/statsctl/internal/streamid"
)

// ensureGroup creates the group (and the stream if missing) at the start
// position; an existing group keeps its position.
func (c *Consumer) ensureGroup(ctx context.Context) error {
	start := c.cfg.Start
	if start == StartLegacy {
		id, err := c.legacyCursor(ctx)
		if err != nil {
			return err
		}
		start = id
	}
	err := c.stream.XGroupCreateMkStream(ctx, c.cfg.Stream, c.cfg.Group, start).Err()
	if err != nil && !redis.HasErrorPrefix(err, "BUSYGROUP") {
		return fmt.Errorf("create consumer group %s on %s at %s: %w", c.cfg.Group, c.cfg.Stream, start, err)
	}
	if err == nil {
		c.log.Info("created consumer group", "stream", c.cfg.Stream, "group", c.cfg.Group, "start", start)
	}
	return nil
}

// isNoGroup reports the reply of a server that lost the group (restarted
// without persistence, or someone destroyed it).
func isNoGroup(err error) bool { return redis.HasErrorPrefix(err, "NOGROUP") }

// legacyCursor reads the old worker's cursor. It lived with the stats data
// in the old deployment, but an operator may have pointed both at one
// server or kept it beside the stream, so the stats server
// (Config.LegacyRedis) is asked first, then the stream server.
func (c *Consumer) legacyCursor(ctx context.Context) (string, error) {
	var servers []KeyReader
	if c.cfg.LegacyRedis != nil {
		servers = append(servers, c.cfg.LegacyRedis)
	}
	if c.cfg.LegacyRedis != KeyReader(c.stream) {
		servers = append(servers, c.stream)
	}
	for _, rdb := range servers {
		v, err := rdb.Get(ctx, LegacyCursorKey).Result()
		if errors.Is(err, redis.Nil) {
			continue
		}
		if err != nil {
			return "", fmt.Errorf("read the old worker's cursor %s: %w", LegacyCursorKey, err)
		}
		if !streamid.Valid(v) {
			return "", retry.Permanent(fmt.Errorf("the old worker's cursor %s holds %.40q, not a stream entry id; fix or delete it, or use --start 0 or $", LegacyCursorKey, v))
		}
		return v, nil
	}
	return "", retry.Permanent(fmt.Errorf("--start legacy: key %s not found on the stats or stream server; the old worker never ran there, so use --start 0 (whole history) or --start $ (new events only)", LegacyCursorKey))
}

// refreshGroupInfo updates the lag and pending gauges and reports whether
// the group has caught up: nothing pending and nothing undelivered.
//
// XINFO GROUPS's lag is exact on Redis >= 7 but may be missing (after
// deletions) or, on the embedded store, an upper bound; so "caught up" is
// decided by looking for an entry after the group's last-delivered id.
func (c *Consumer) refreshGroupInfo(ctx, abort context.Context) (bool, error) {
	var done bool
	err := c.retry(ctx, abort, "read group status", func(x context.Context) error {
		groups, err := c.stream.XInfoGroups(x, c.cfg.Stream).Result()
		if err != nil {
			return fmt.Errorf("group status of %s: %w", c.cfg.Stream, err)
		}
		var g *redis.XInfoGroup
		for i := range groups {
			if groups[i].Name == c.cfg.Group {
				g = &groups[i]
			}
		}
		if g == nil {
			if err := c.ensureGroup(x); err != nil {
				return err
			}
			return errRetryNow
		}
		after, err := c.stream.XRangeN(x, c.cfg.Stream, g.LastDeliveredID, "+", 2).Result()
		if err != nil {
			return fmt.Errorf("look for undelivered entries of %s: %w", c.cfg.Stream, err)
		}
		if len(after) > 0 && after[0].ID == g.LastDeliveredID {
			after = after[1:]
		}
		lag := g.Lag
		if len(after) == 0 {
			lag = 0
		} else if lag <= 0 {
			lag = -1
		}
		c.lag.Store(lag)
		c.pending.Store(g.Pending)
		if c.m != nil {
			c.m.setGroup(lag, g.Pending)
		}
		done = len(after) == 0 && g.Pending == 0
		return nil
	})
	return done, err
}
