package migrate

import (
	"context"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/redis/go-redis/v9"

	"github.com/varcade/statsctl/internal/redisconn"
)

// The old service's key layout (stats-tracker-contract.md, "Where the old
// service kept its data").
const (
	// LegacyBoardPrefix + product is the old service's board, a sorted set.
	LegacyBoardPrefix = "_lb:wins:"
	// LegacyStatsPrefix + user + ":" + product is a player's stats hash.
	LegacyStatsPrefix = "_pstats:"
	// LegacyCursorKey is the old worker's stream cursor (last processed id).
	LegacyCursorKey = "_stats_tracker.workers.event_stream_index"
)

// legacyProduct is what the old service kept for one product: its board key
// (if any) and each player's stats key.
type legacyProduct struct {
	board string            // "" when the product has no board
	stats map[string]string // user -> stats key
}

// source reads the old service's keys. It only ever reads: SCAN, TYPE,
// ZSCAN, HSCAN and GET; the old service may still be running.
type source struct {
	rdb  redis.UniversalClient
	page int64
}

// cursor is the old worker's last processed stream id ("" when unset).
func (s source) cursor(ctx context.Context) (string, error) {
	v, err := s.rdb.Get(ctx, LegacyCursorKey).Result()
	if err == redis.Nil {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("read the old worker's cursor %s: %w", LegacyCursorKey, err)
	}
	return v, nil
}

// products finds every product of the old layout by scanning for its keys.
// A stats key's product is after its last ':' (product ids have none; user
// ids may).
func (s source) products(ctx context.Context) (map[string]*legacyProduct, error) {
	out := map[string]*legacyProduct{}
	get := func(p string) *legacyProduct {
		lp := out[p]
		if lp == nil {
			lp = &legacyProduct{stats: map[string]string{}}
			out[p] = lp
		}
		return lp
	}
	for _, pat := range []string{LegacyBoardPrefix + "*", LegacyStatsPrefix + "*"} {
		err := redisconn.ScanKeys(ctx, s.rdb, pat, s.page, func(k string) {
			if p, ok := strings.CutPrefix(k, LegacyBoardPrefix); ok {
				get(p).board = k
			} else if rest, ok := strings.CutPrefix(k, LegacyStatsPrefix); ok {
				if i := strings.LastIndexByte(rest, ':'); i >= 0 {
					get(rest[i+1:]).stats[rest[:i]] = k
				} else {
					get("").stats[rest] = k // no product at all: reported as bad
				}
			}
		})
		if err != nil {
			return nil, fmt.Errorf("scan the old service's keys (%s*, %s*): %w", LegacyBoardPrefix, LegacyStatsPrefix, err)
		}
	}
	return out, nil
}

// keyType is TYPE key.
func (s source) keyType(ctx context.Context, key string) (string, error) {
	t, err := s.rdb.Type(ctx, key).Result()
	if err != nil {
		return "", fmt.Errorf("type of %s: %w", key, err)
	}
	return t, nil
}

// eachScore pages through a sorted set (ZSCAN), handing each page over raw.
func (s source) eachScore(ctx context.Context, key string, fn func(member, score string) error) error {
	var cur uint64
	for {
		kv, next, err := s.rdb.ZScan(ctx, key, cur, "*", s.page).Result()
		if err != nil {
			return fmt.Errorf("read %s: %w", key, err)
		}
		for i := 0; i+1 < len(kv); i += 2 {
			if err := fn(kv[i], kv[i+1]); err != nil {
				return err
			}
		}
		if next == 0 {
			return nil
		}
		cur = next
	}
}

// hashPage is a key's type and, for a hash, its first HSCAN page.
type hashPage struct {
	typ  string
	kv   []string
	next uint64 // 0: the page was the whole hash
}

// firstPages reads the type and first HSCAN page of many keys in one
// round trip: most stats hashes fit one page, so a product of 100,000
// players costs 100 round trips, not 200,000.
func (s source) firstPages(ctx context.Context, keys []string) ([]hashPage, error) {
	types := make([]*redis.StatusCmd, len(keys))
	scans := make([]*redis.ScanCmd, len(keys))
	// Pipelined's error is the first failed command's; each is looked at
	// below (a WRONGTYPE from HSCAN on a non-hash is expected).
	_, _ = s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, k := range keys {
			types[i] = p.Type(ctx, k)
			scans[i] = p.HScan(ctx, k, 0, "*", s.page)
		}
		return nil
	})
	out := make([]hashPage, len(keys))
	for i, k := range keys {
		if err := types[i].Err(); err != nil {
			return nil, fmt.Errorf("type of %s: %w", k, err)
		}
		out[i].typ = types[i].Val()
		if out[i].typ != "hash" {
			continue // HSCAN answered WRONGTYPE, or the key is gone
		}
		kv, next, err := scans[i].Result()
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", k, err)
		}
		out[i].kv, out[i].next = kv, next
	}
	return out, nil
}

// eachField pages through a hash (HSCAN) from cursor cur (0: the start).
func (s source) eachField(ctx context.Context, key string, cur uint64, fn func(field, value string) error) error {
	for {
		kv, next, err := s.rdb.HScan(ctx, key, cur, "*", s.page).Result()
		if err != nil {
			return fmt.Errorf("read %s: %w", key, err)
		}
		for i := 0; i+1 < len(kv); i += 2 {
			if err := fn(kv[i], kv[i+1]); err != nil {
				return err
			}
		}
		if next == 0 {
			return nil
		}
		cur = next
	}
}

// parseScore reads a board score: a finite number (Redis writes "inf" for
// an infinite one, which no portal can show).
func parseScore(v string) (float64, error) {
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
		return 0, fmt.Errorf("score %.40q is not a finite number", v)
	}
	return f, nil
}

// parseStat reads a stat value: the old service kept integers (HINCRBY).
func parseStat(v string) (int64, error) {
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("value %.40q is not a 64-bit integer", v)
	}
	return n, nil
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
