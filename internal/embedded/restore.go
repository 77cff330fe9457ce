package embedded

import (
	"context"
	"errors"
	"fmt"
	"github.com/varcade/statsctl/internal/streamid"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"
)

// restore loads snap into m (which must not be serving clients yet). Plain
// data goes through miniredis's direct API; stream details that API cannot
// set (last generated id, consumer groups, pending entries) go through conn.
func restore(ctx context.Context, m *miniredis.Miniredis, conn *redis.Client, snap *snapshot, now time.Time) error {
	elapsed := now.Sub(snap.SavedAt)
	if elapsed < 0 {
		elapsed = 0 // clock went backwards: don't extend, don't shorten
	}
	for _, rec := range snap.Keys {
		ttl := time.Duration(0)
		if rec.TTL > 0 {
			ttl = rec.TTL - elapsed
			if ttl <= 0 {
				continue // expired while the store was closed
			}
		}
		if err := restoreKey(ctx, m, conn, rec, snap.SavedAt); err != nil {
			return fmt.Errorf("key %q (%s): %w", rec.Key, rec.Type, err)
		}
		if ttl > 0 {
			m.SetTTL(rec.Key, ttl)
		}
	}
	return nil
}

func restoreKey(ctx context.Context, m *miniredis.Miniredis, conn *redis.Client, rec keyRecord, savedAt time.Time) error {
	k := rec.Key
	switch rec.Type {
	case "string":
		return m.Set(k, rec.String)
	case "hash":
		if len(rec.Hash)%2 != 0 {
			return errors.New("odd hash field list")
		}
		m.HSet(k, rec.Hash...)
	case "zset":
		for _, z := range rec.ZSet {
			if _, err := m.ZAdd(k, z.Score, z.Member); err != nil {
				return err
			}
		}
	case "set":
		if _, err := m.SetAdd(k, rec.Set...); err != nil {
			return err
		}
	case "list":
		if _, err := m.Push(k, rec.List...); err != nil {
			return err
		}
	case "stream":
		return restoreStream(ctx, m, conn, k, rec.Stream, savedAt)
	default:
		return fmt.Errorf("unknown key type %q", rec.Type)
	}
	return nil
}

func restoreStream(ctx context.Context, m *miniredis.Miniredis, conn *redis.Client, k string, st *streamRecord, savedAt time.Time) error {
	if st == nil {
		return errors.New("stream record missing")
	}
	for _, e := range st.Entries {
		if _, err := m.XAdd(k, e.ID, e.Values); err != nil {
			return fmt.Errorf("xadd %s: %w", e.ID, err)
		}
	}
	newest := "0-0"
	if n := len(st.Entries); n > 0 {
		newest = st.Entries[n-1].ID
	}
	later, err := laterThan(st.LastID, newest)
	if err != nil {
		return fmt.Errorf("stream %s: %w", k, err)
	}
	if later {
		// Re-create "last generated id" past deleted entries: add and delete a
		// placeholder at that id, so new XADD * ids keep increasing.
		if err := conn.XAdd(ctx, &redis.XAddArgs{Stream: k, ID: st.LastID, Values: []string{"_", "_"}}).Err(); err != nil {
			return fmt.Errorf("restore last id: %w", err)
		}
		if err := conn.XDel(ctx, k, st.LastID).Err(); err != nil {
			return fmt.Errorf("restore last id: %w", err)
		}
	}
	if len(st.Entries) == 0 && (st.LastID == "" || st.LastID == "0-0") && len(st.Groups) == 0 {
		// An empty stream with nothing else: create it via a throwaway group.
		const tmp = "statsctl-restore-tmp"
		if err := conn.XGroupCreateMkStream(ctx, k, tmp, "0").Err(); err != nil {
			return fmt.Errorf("create empty stream: %w", err)
		}
		if err := conn.XGroupDestroy(ctx, k, tmp).Err(); err != nil {
			return fmt.Errorf("create empty stream: %w", err)
		}
	}
	for _, g := range st.Groups {
		if err := conn.XGroupCreateMkStream(ctx, k, g.Name, g.LastDelivered).Err(); err != nil {
			return fmt.Errorf("group %q: %w", g.Name, err)
		}
		for _, c := range g.Consumers {
			if err := conn.XGroupCreateConsumer(ctx, k, g.Name, c).Err(); err != nil {
				return fmt.Errorf("group %q consumer %q: %w", g.Name, c, err)
			}
		}
		for _, p := range g.Pending {
			// XCLAIM FORCE puts the id into the pending list with the same
			// consumer, delivery count and (via TIME) last-delivery time.
			args := []any{"XCLAIM", k, g.Name, p.Consumer, 0, p.ID,
				"TIME", savedAt.Add(-p.Idle).UnixMilli(),
				"RETRYCOUNT", p.Deliveries, "FORCE", "JUSTID"}
			if err := conn.Do(ctx, args...).Err(); err != nil {
				return fmt.Errorf("group %q pending %s: %w", g.Name, p.ID, err)
			}
		}
	}
	return nil
}

// laterThan says whether the saved "last generated id" lies past the newest
// entry (entries after it were deleted): then it must be re-created. An
// empty or 0-0 last id never is.
func laterThan(last, newest string) (bool, error) {
	if last == "" || last == "0-0" {
		return false, nil
	}
	l, err := streamid.Parse(last)
	if err != nil {
		return false, fmt.Errorf("saved last id: %w", err)
	}
	n, err := streamid.Parse(newest)
	if err != nil {
		return false, fmt.Errorf("newest entry id: %w", err)
	}
	return streamid.Compare(l, n) > 0, nil
}
