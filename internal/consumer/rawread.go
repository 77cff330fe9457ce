package consumer

import (
	"context"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/varcade/statsctl/internal/event"
)

// entry is one stream entry as Redis sent it: its fields in order, a field
// given twice kept twice (go-redis's XMessage is a map and keeps only the
// last one, which would let a duplicate field pass as a valid event).
// deleted is a pending entry removed from the stream since its delivery.
type entry struct {
	ID      string
	KV      []string
	deleted bool
}

// ev is the entry as the event it carries.
func (e entry) ev() event.Event { return event.FromStreamPairs(e.ID, e.KV) }

// xreadgroup runs XREADGROUP through Do so the reply keeps every field.
// Do waits only the client's ReadTimeout (XReadGroup adds BLOCK to it), so
// BLOCK is capped below that timeout: a longer --block just reads again.
func (c *Consumer) xreadgroup(ctx context.Context, from string, block time.Duration) ([]entry, error) {
	args := []any{"XREADGROUP", "GROUP", c.cfg.Group, c.cfg.Consumer, "COUNT", c.cfg.Count}
	if block > 0 {
		args = append(args, "BLOCK", capBlock(c.stream, block).Milliseconds())
	}
	args = append(args, "STREAMS", c.cfg.Stream, from)
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

// parseEntries decodes an array of [id, [name, value, ...]] (the same shape
// in RESP2 and RESP3); a nil field list is an entry deleted from the stream.
func parseEntries(v any) ([]entry, error) {
	if v == nil {
		return nil, nil
	}
	arr, ok := v.([]any)
	if !ok {
		return nil, fmt.Errorf("stream entries are a %T, not an array", v)
	}
	out := make([]entry, 0, len(arr))
	for _, x := range arr {
		pair, ok := x.([]any)
		if !ok || len(pair) != 2 {
			return nil, fmt.Errorf("stream entry %v is not [id, fields]", x)
		}
		id, ok := pair[0].(string)
		if !ok {
			return nil, fmt.Errorf("stream entry id is a %T, not a string", pair[0])
		}
		if pair[1] == nil {
			out = append(out, entry{ID: id, deleted: true})
			continue
		}
		fs, ok := pair[1].([]any)
		if !ok {
			return nil, fmt.Errorf("fields of stream entry %s are a %T, not an array", id, pair[1])
		}
		kv := make([]string, len(fs))
		for i, f := range fs {
			switch s := f.(type) {
			case string:
				kv[i] = s
			default:
				kv[i] = fmt.Sprint(s)
			}
		}
		out = append(out, entry{ID: id, KV: kv, deleted: len(kv) == 0})
	}
	return out, nil
}

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
