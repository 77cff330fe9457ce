package embedded

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/binary"
	"encoding/gob"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"
)

// SnapshotFile is the name of the snapshot inside the data directory; it is a
// constant so operators and docs can point at the exact file to back up or
// move aside.
const SnapshotFile = "statsctl.snapshot"

// snapshotMagic opens every snapshot so a stray or foreign file is rejected
// before any decoding is attempted.
const snapshotMagic = "statsctl-snapshot\n"

// snapshotVersion is bumped whenever the encoded layout changes, so an old
// binary refuses a newer file instead of misreading it.
const snapshotVersion uint32 = 1

// tempPrefix names in-progress snapshot writes; leftovers from a crash are
// removed by Open while it holds the lock.
const tempPrefix = SnapshotFile + ".tmp-"

// snapshot is the whole persisted state of database 0.
type snapshot struct {
	SavedAt time.Time // clock at capture; TTLs and pending idle times are relative to it
	Keys    []keyRecord

	skipped []string // not encoded: keys left out, for Save's error
}

// snapshotable reports whether a key type can be stored in a snapshot.
func snapshotable(typ string) bool {
	switch typ {
	case "string", "hash", "zset", "set", "list", "stream":
		return true
	}
	return false
}

type keyRecord struct {
	Key    string
	Type   string        // "string", "hash", "zset", "set", "list", "stream"
	TTL    time.Duration // remaining TTL at SavedAt; 0 = no expiry
	String string
	Hash   []string // field, value, field, value, ...
	ZSet   []zMember
	Set    []string
	List   []string
	Stream *streamRecord
}

type zMember struct {
	Member string
	Score  float64
}

type streamRecord struct {
	Entries []streamEntry
	LastID  string // last generated id, may be past the newest entry after XDEL
	Groups  []groupRecord
}

type streamEntry struct {
	ID     string
	Values []string
}

type groupRecord struct {
	Name          string
	LastDelivered string
	Consumers     []string
	Pending       []pendingRecord
}

type pendingRecord struct {
	ID         string
	Consumer   string
	Deliveries int64
	Idle       time.Duration
}

// encodeSnapshot writes magic, version, then gzip'd gob; gzip's CRC-32 and
// length trailer are the integrity check.
func encodeSnapshot(w io.Writer, snap *snapshot) error {
	bw := bufio.NewWriterSize(w, 1<<20)
	if _, err := bw.WriteString(snapshotMagic); err != nil {
		return err
	}
	var v [4]byte
	binary.BigEndian.PutUint32(v[:], snapshotVersion)
	if _, err := bw.Write(v[:]); err != nil {
		return err
	}
	zw, err := gzip.NewWriterLevel(bw, gzip.BestSpeed)
	if err != nil {
		return err
	}
	if err := gob.NewEncoder(zw).Encode(snap); err != nil {
		return err
	}
	if err := zw.Close(); err != nil {
		return err
	}
	return bw.Flush()
}

// decodeSnapshot is the inverse of encodeSnapshot. It reads the gzip stream to
// its end before decoding so a truncated or corrupted file fails the CRC check
// instead of yielding partial data.
func decodeSnapshot(r io.Reader) (*snapshot, error) {
	br := bufio.NewReaderSize(r, 1<<20)
	head := make([]byte, len(snapshotMagic)+4)
	if _, err := io.ReadFull(br, head); err != nil {
		return nil, fmt.Errorf("not a statsctl snapshot (too short): %w", err)
	}
	if string(head[:len(snapshotMagic)]) != snapshotMagic {
		return nil, errors.New("not a statsctl snapshot (bad magic header)")
	}
	if v := binary.BigEndian.Uint32(head[len(snapshotMagic):]); v != snapshotVersion {
		return nil, fmt.Errorf("snapshot format version %d is not supported by this statsctl (it reads version %d)", v, snapshotVersion)
	}
	zr, err := gzip.NewReader(br)
	if err != nil {
		return nil, fmt.Errorf("corrupt snapshot body: %w", err)
	}
	raw, err := io.ReadAll(zr)
	if err != nil {
		return nil, fmt.Errorf("corrupt or truncated snapshot body: %w", err)
	}
	var snap snapshot
	if err := gob.NewDecoder(bytes.NewReader(raw)).Decode(&snap); err != nil {
		return nil, fmt.Errorf("corrupt snapshot contents: %w", err)
	}
	return &snap, nil
}

// readSnapshotFile loads path; a missing file is (nil, nil): a fresh store.
func readSnapshotFile(path string) (*snapshot, error) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return decodeSnapshot(f)
}

// writeSnapshotFile replaces path crash-safely: write a temp file in the same
// directory, fsync it, rename it over path, fsync the directory. A crash at any
// point leaves either the old or the new snapshot, never a mix.
func writeSnapshotFile(path string, snap *snapshot) (err error) {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, tempPrefix+"*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
		}
	}()
	if err = f.Chmod(0o600); err != nil {
		return err
	}
	if err = encodeSnapshot(f, snap); err != nil {
		return err
	}
	if err = f.Sync(); err != nil {
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	if err = os.Rename(tmp, path); err != nil {
		return err
	}
	return syncDir(dir)
}

// syncDir makes a rename durable; some systems refuse fsync on directories,
// which we tolerate since there is nothing else to do there.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, os.ErrInvalid) && !strings.Contains(err.Error(), "not supported") {
		return err
	}
	return nil
}

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
	if st.LastID != "" && st.LastID != "0-0" && compareIDs(st.LastID, newest) > 0 {
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

// compareIDs orders stream ids "ms-seq".
func compareIDs(a, b string) int {
	am, as := splitID(a)
	bm, bs := splitID(b)
	switch {
	case am != bm:
		if am < bm {
			return -1
		}
		return 1
	case as != bs:
		if as < bs {
			return -1
		}
		return 1
	}
	return 0
}

func splitID(id string) (uint64, uint64) {
	var ms, seq uint64
	fmt.Sscanf(id, "%d-%d", &ms, &seq)
	return ms, seq
}
