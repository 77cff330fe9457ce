package consumer

import (
	"context"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/varcade/statsctl/internal/event"
)

// entry is one stream entry as Redis sent it, duplicate fields kept.
type entry = event.StreamEntry

// xreadgroup runs XREADGROUP through Do so the reply keeps every field.
// Do waits only the client's ReadTimeout (XReadGroup adds BLOCK to it), so
// BLOCK is capped below that timeout: a longer --block just reads again.
func (c *Consumer) xreadgroup(ctx context.Context, from string, block time.Duration) ([]entry, error) {
	args := []any{"XREADGROUP", "GROUP", c.cfg.Group, c.cfg.Consumer, "COUNT", c.cfg.Count}
	if block > 0 {
		args = append(args, "BLOCK", capBlock(c.stream, block).Milliseconds())
	}
	args = append(args, "STREAMS", c.cfg.Stream, from)
	// The reply's raw bytes, decoded by event.ReadGroupReply: go-redis's
	// generic decode was the largest Go cost of a drain (issue 15). An
	// error reply (MOVED, LOADING, NOGROUP...) means Redis delivered
	// nothing, so the command goes again through Do, whose error handling
	// (redirects, retries, typed errors) then applies as before.
	raw := redis.NewRawCmd(ctx, args...)
	if err := c.stream.Process(ctx, raw); err != nil {
		return nil, err
	}
	if b := raw.Val(); len(b) > 0 && b[0] != '-' && b[0] != '!' {
		return event.ReadGroupReply(b)
	}
	v, err := c.stream.Do(ctx, args...).Result()
	if err != nil {
		return nil, err
	}
	var entries any
	switch r := v.(type) {
	case []any: // RESP2: [[stream, entries]]
		if len(r) == 0 {
			return nil, nil
		}
		s, ok := r[0].([]any)
		if !ok || len(s) != 2 {
			return nil, fmt.Errorf("XREADGROUP reply %T is not [stream, entries]", r[0])
		}
		entries = s[1]
	case map[any]any: // RESP3: {stream: entries}
		for _, e := range r {
			entries = e
		}
	case nil:
		return nil, nil
	default:
		return nil, fmt.Errorf("XREADGROUP reply is a %T, not an array or map", v)
	}
	return parseEntries(entries)
}

// xautoclaim runs XAUTOCLAIM through Do, for the same reason as xreadgroup.
func (c *Consumer) xautoclaim(ctx context.Context, start string) ([]entry, string, error) {
	v, err := c.stream.Do(ctx, "XAUTOCLAIM", c.cfg.Stream, c.cfg.Group, c.cfg.Consumer,
		c.cfg.ClaimAfter.Milliseconds(), start, "COUNT", c.cfg.Count).Result()
	if err != nil {
		return nil, "", err
	}
	r, ok := v.([]any)
	if !ok || len(r) < 2 {
		return nil, "", fmt.Errorf("XAUTOCLAIM reply %T is not [next, entries, ...]", v)
	}
	next, _ := r[0].(string)
	es, err := parseEntries(r[1])
	return es, next, err
}

func parseEntries(v any) ([]entry, error) { return event.StreamEntries(v) }

// capBlock keeps BLOCK a quarter below the client's read timeout, so the
// server answers (empty) before the client gives up on the connection.
func capBlock(rdb redis.UniversalClient, block time.Duration) time.Duration {
	var rt time.Duration
	switch c := rdb.(type) {
	case *redis.Client:
		rt = c.Options().ReadTimeout
	case *redis.ClusterClient:
		rt = c.Options().ReadTimeout
	case *redis.Ring:
		rt = c.Options().ReadTimeout
	}
	if rt == 0 {
		rt = 3 * time.Second // go-redis's default
	}
	if rt < 0 { // -1 / -2: no read deadline
		return block
	}
	if limit := rt - rt/4; block > limit {
		return max(limit, time.Millisecond)
	}
	return block
}
