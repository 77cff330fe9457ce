package embedded

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sort"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// errReshaped means the key space changed between planning and the atomic
// read; capture retries.
var errReshaped = errors.New("keys changed during snapshot")

// captureAttempts bounds retries when writers keep changing the key set.
// Under TestSaveWhileWriting's writer (a key deleted and re-created with
// another type every few microseconds) an attempt succeeds about 4 times in
// 10; 400 saves needed up to 16 attempts, and one CI run on a loaded
// machine ran out at 20. 100 leaves no realistic chance of starving, and
// costs nothing when the first attempt succeeds.
const captureAttempts = 100

// capture reads all of database 0 over c. The reads happen inside one
// MULTI/EXEC, which miniredis runs under a single lock, so the snapshot is a
// consistent point in time even while clients write. Key names and stream
// group names are learned first, then verified inside the transaction; if they
// changed, capture tries again.
func capture(ctx context.Context, c *redis.Client, now time.Time) (*snapshot, error) {
	var lastErr error
	for range captureAttempts {
		snap, err := captureOnce(ctx, c, now)
		if err == nil {
			return snap, nil
		}
		if !errors.Is(err, errReshaped) {
			return nil, err
		}
		lastErr = err
	}
	return nil, fmt.Errorf("gave up after %d attempts: %w", captureAttempts, lastErr)
}

type plannedKey struct {
	key    string
	typ    string
	groups []string
}

func captureOnce(ctx context.Context, c *redis.Client, now time.Time) (*snapshot, error) {
	keys, err := c.Keys(ctx, "*").Result()
	if err != nil {
		return nil, fmt.Errorf("list keys: %w", err)
	}
	sort.Strings(keys)
	var skipped []string // keys of types a snapshot cannot hold (HyperLogLog)
	plan := make([]plannedKey, len(keys))
	typeCmds := make([]*redis.StatusCmd, len(keys))
	if _, err := c.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, k := range keys {
			typeCmds[i] = p.Type(ctx, k)
		}
		return nil
	}); err != nil {
		return nil, fmt.Errorf("key types: %w", err)
	}
	var groupCmds []*redis.XInfoGroupsCmd
	var groupIdx []int
	for i, k := range keys {
		plan[i] = plannedKey{key: k, typ: typeCmds[i].Val()}
		switch plan[i].typ {
		case "string", "hash", "zset", "set", "list":
		case "stream":
			groupIdx = append(groupIdx, i)
		case "none":
			return nil, errReshaped // deleted or expired since KEYS
		default:
			skipped = append(skipped, fmt.Sprintf("%s (%s)", k, plan[i].typ))
		}
	}
	if len(groupIdx) > 0 {
		if _, err := c.Pipelined(ctx, func(p redis.Pipeliner) error {
			for _, i := range groupIdx {
				groupCmds = append(groupCmds, p.XInfoGroups(ctx, keys[i]))
			}
			return nil
		}); err != nil {
			return nil, errReshaped
		}
		for j, i := range groupIdx {
			for _, g := range groupCmds[j].Val() {
				plan[i].groups = append(plan[i].groups, g.Name)
			}
			sort.Strings(plan[i].groups)
		}
	}

	// The atomic read.
	type keyCmds struct {
		typ      *redis.StatusCmd
		ttl      *redis.DurationCmd
		str      *redis.StringCmd
		hash     *redis.MapStringStringCmd
		zset     *redis.ZSliceCmd
		strs     *redis.StringSliceCmd
		xrange   *redis.Cmd
		xinfo    *redis.XInfoStreamCmd
		xgroups  *redis.XInfoGroupsCmd
		pending  []*redis.XPendingExtCmd
		consumer []*redis.XInfoConsumersCmd
	}
	var keysInTx *redis.StringSliceCmd
	kc := make([]keyCmds, len(plan))
	_, err = c.TxPipelined(ctx, func(p redis.Pipeliner) error {
		keysInTx = p.Keys(ctx, "*")
		for i, pk := range plan {
			k := pk.key
			kc[i].typ = p.Type(ctx, k)
			kc[i].ttl = p.PTTL(ctx, k)
			switch pk.typ {
			case "string":
				kc[i].str = p.Get(ctx, k)
			default:
				continue // not snapshotable; reported by Save
			case "hash":
				kc[i].hash = p.HGetAll(ctx, k)
			case "zset":
				kc[i].zset = p.ZRangeWithScores(ctx, k, 0, -1)
			case "set":
				kc[i].strs = p.SMembers(ctx, k)
			case "list":
				kc[i].strs = p.LRange(ctx, k, 0, -1)
			case "stream":
				// Raw XRANGE: go-redis's typed reply is a map, which would lose
				// field order and repeated field names.
				kc[i].xrange = p.Do(ctx, "XRANGE", k, "-", "+")
				kc[i].xinfo = p.XInfoStream(ctx, k)
				kc[i].xgroups = p.XInfoGroups(ctx, k)
				for _, g := range pk.groups {
					kc[i].pending = append(kc[i].pending, p.XPendingExt(ctx, &redis.XPendingExtArgs{
						Stream: k, Group: g, Start: "-", End: "+", Count: math.MaxInt32,
					}))
					kc[i].consumer = append(kc[i].consumer, p.XInfoConsumers(ctx, k, g))
				}
			}
		}
		return nil
	})
	if err != nil {
		// WRONGTYPE, NOGROUP, missing key: the data moved under us.
		if isReshapeError(err) {
			return nil, errReshaped
		}
		return nil, fmt.Errorf("read data: %w", err)
	}
	inTx := keysInTx.Val()
	sort.Strings(inTx)
	if !equalStrings(inTx, keys) {
		return nil, errReshaped
	}

	snap := &snapshot{SavedAt: now, Keys: make([]keyRecord, 0, len(plan)), skipped: skipped}
	for i, pk := range plan {
		if !snapshotable(pk.typ) {
			continue
		}
		if kc[i].typ.Val() != pk.typ {
			return nil, errReshaped
		}
		rec := keyRecord{Key: pk.key, Type: pk.typ}
		if ttl := kc[i].ttl.Val(); ttl > 0 {
			rec.TTL = ttl
		}
		switch pk.typ {
		case "string":
			rec.String = kc[i].str.Val()
		case "hash":
			m := kc[i].hash.Val()
			fields := make([]string, 0, len(m))
			for f := range m {
				fields = append(fields, f)
			}
			sort.Strings(fields)
			rec.Hash = make([]string, 0, 2*len(m))
			for _, f := range fields {
				rec.Hash = append(rec.Hash, f, m[f])
			}
		case "zset":
			zs := kc[i].zset.Val()
			rec.ZSet = make([]zMember, len(zs))
			for j, z := range zs {
				member, ok := z.Member.(string)
				if !ok {
					return nil, fmt.Errorf("zset %q: unexpected member type %T", pk.key, z.Member)
				}
				rec.ZSet[j] = zMember{Member: member, Score: z.Score}
			}
		case "set":
			rec.Set = kc[i].strs.Val()
			sort.Strings(rec.Set)
		case "list":
			rec.List = kc[i].strs.Val()
		case "stream":
			st, err := streamFromCmds(pk, kc[i].xrange, kc[i].xinfo, kc[i].xgroups, kc[i].pending, kc[i].consumer)
			if err != nil {
				return nil, err
			}
			rec.Stream = st
		}
		snap.Keys = append(snap.Keys, rec)
	}
	return snap, nil
}

func streamFromCmds(pk plannedKey, xr *redis.Cmd, xi *redis.XInfoStreamCmd, xg *redis.XInfoGroupsCmd,
	pend []*redis.XPendingExtCmd, cons []*redis.XInfoConsumersCmd) (*streamRecord, error) {
	st := &streamRecord{LastID: xi.Val().LastGeneratedID}
	raw, ok := xr.Val().([]any)
	if !ok {
		return nil, fmt.Errorf("stream %q: unexpected XRANGE reply %T", pk.key, xr.Val())
	}
	for _, item := range raw {
		pair, ok := item.([]any)
		if !ok || len(pair) != 2 {
			return nil, fmt.Errorf("stream %q: unexpected XRANGE entry %v", pk.key, item)
		}
		id, ok1 := pair[0].(string)
		fv, ok2 := pair[1].([]any)
		if !ok1 || !ok2 {
			return nil, fmt.Errorf("stream %q: unexpected XRANGE entry %v", pk.key, item)
		}
		e := streamEntry{ID: id, Values: make([]string, len(fv))}
		for j, v := range fv {
			if e.Values[j], ok = v.(string); !ok {
				return nil, fmt.Errorf("stream %q entry %s: unexpected field %T", pk.key, id, v)
			}
		}
		st.Entries = append(st.Entries, e)
	}
	groups := xg.Val()
	names := make([]string, 0, len(groups))
	last := map[string]string{}
	for _, g := range groups {
		names = append(names, g.Name)
		last[g.Name] = g.LastDeliveredID
	}
	sort.Strings(names)
	if !equalStrings(names, pk.groups) {
		return nil, errReshaped
	}
	for j, name := range names {
		g := groupRecord{Name: name, LastDelivered: last[name]}
		for _, c := range cons[j].Val() {
			g.Consumers = append(g.Consumers, c.Name)
		}
		sort.Strings(g.Consumers)
		for _, p := range pend[j].Val() {
			g.Pending = append(g.Pending, pendingRecord{
				ID: p.ID, Consumer: p.Consumer, Deliveries: p.RetryCount, Idle: p.Idle,
			})
		}
		st.Groups = append(st.Groups, g)
	}
	return st, nil
}

func isReshapeError(err error) bool {
	s := err.Error()
	return strings.Contains(s, "WRONGTYPE") || strings.Contains(s, "NOGROUP") ||
		strings.Contains(s, "no such key") || errors.Is(err, redis.Nil)
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
