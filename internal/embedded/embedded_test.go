package embedded

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

func openT(t *testing.T, opts Options) *Store {
	t.Helper()
	s, err := Open(opts)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return s
}

func client(t *testing.T, s *Store) *redis.Client {
	t.Helper()
	o, err := redis.ParseURL(s.URL())
	if err != nil {
		t.Fatal(err)
	}
	c := redis.NewClient(o)
	t.Cleanup(func() { c.Close() })
	return c
}

// incrScript is a writing Lua script run through EVALSHA (Script.Run).
var incrScript = redis.NewScript(`
redis.call('HINCRBY', KEYS[1], ARGV[1], ARGV[2])
redis.call('ZINCRBY', KEYS[2], ARGV[2], ARGV[1])
return redis.call('HGET', KEYS[1], ARGV[1])
`)

// state is everything the round-trip test reads back through Redis.
type state struct {
	Keys     []string
	Str      string
	Bin      string
	TTL      bool
	Hash     map[string]string
	ZSet     []redis.Z
	Scripted []redis.Z
	Set      []string
	List     []string
	Stream   []redis.XMessage
	Raw      any
	Groups   []redis.XInfoGroup
	Pending  []redis.XPendingExt
	Cons     []string
	LastID   string
}

func readState(t *testing.T, ctx context.Context, c *redis.Client) state {
	t.Helper()
	var st state
	var err error
	must := func(e error) {
		t.Helper()
		if e != nil {
			t.Fatal(e)
		}
	}
	st.Keys, err = c.Keys(ctx, "*").Result()
	must(err)
	sort.Strings(st.Keys)
	st.Str, err = c.Get(ctx, "str").Result()
	must(err)
	st.Bin, err = c.Get(ctx, "bin").Result()
	must(err)
	ttl, err := c.PTTL(ctx, "expiring").Result()
	must(err)
	st.TTL = ttl > 50*time.Minute && ttl <= time.Hour
	st.Hash, err = c.HGetAll(ctx, "player:1").Result()
	must(err)
	st.ZSet, err = c.ZRangeWithScores(ctx, "lb:exrps", 0, -1).Result()
	must(err)
	st.Scripted, err = c.ZRangeWithScores(ctx, "lb:script", 0, -1).Result()
	must(err)
	st.Set, err = c.SMembers(ctx, "players").Result()
	must(err)
	sort.Strings(st.Set)
	st.List, err = c.LRange(ctx, "recent", 0, -1).Result()
	must(err)
	st.Stream, err = c.XRange(ctx, "events", "-", "+").Result()
	must(err)
	st.Raw, err = c.Do(ctx, "XRANGE", "events", "-", "+").Result()
	must(err)
	st.Groups, err = c.XInfoGroups(ctx, "events").Result()
	must(err)
	sort.Slice(st.Groups, func(i, j int) bool { return st.Groups[i].Name < st.Groups[j].Name })
	for i := range st.Groups {
		st.Groups[i].Lag = 0 // miniredis reports the stream length; not state
		p, err := c.XPendingExt(ctx, &redis.XPendingExtArgs{Stream: "events", Group: st.Groups[i].Name, Start: "-", End: "+", Count: 100}).Result()
		must(err)
		for j := range p {
			p[j].Idle = 0
		}
		st.Pending = append(st.Pending, p...)
		cs, err := c.XInfoConsumers(ctx, "events", st.Groups[i].Name).Result()
		must(err)
		for _, cc := range cs {
			st.Cons = append(st.Cons, st.Groups[i].Name+"/"+cc.Name)
		}
	}
	info, err := c.XInfoStream(ctx, "events").Result()
	must(err)
	st.LastID = info.LastGeneratedID
	return st
}

func writeEverything(t *testing.T, ctx context.Context, c *redis.Client) {
	t.Helper()
	must := func(e error) {
		t.Helper()
		if e != nil {
			t.Fatal(e)
		}
	}
	must(c.Set(ctx, "str", "hello", 0).Err())
	must(c.Set(ctx, "bin", "\x00\xff\xfe not utf8 \x80", 0).Err())
	must(c.Set(ctx, "expiring", "soon", time.Hour).Err())
	must(c.HSet(ctx, "player:1", "name", "ann", "wins", "3", "", "empty field").Err())
	must(c.ZAdd(ctx, "lb:exrps",
		redis.Z{Score: math.Inf(1), Member: "top"},
		redis.Z{Score: math.Inf(-1), Member: "bottom"},
		redis.Z{Score: 0.1, Member: "tenth"},
		redis.Z{Score: 1e-300, Member: "tiny"},
		redis.Z{Score: -123456789.123456789, Member: "neg"},
		redis.Z{Score: math.MaxFloat64, Member: "max"},
		redis.Z{Score: math.SmallestNonzeroFloat64, Member: "denormal"},
	).Err())
	must(c.SAdd(ctx, "players", "ann", "bob", "cyd").Err())
	must(c.RPush(ctx, "recent", "c", "a", "b", "a").Err())
	for i := range 3 {
		v, err := incrScript.Run(ctx, c, []string{"player:1", "lb:script"}, "ann", 2).Result()
		must(err)
		if v != fmt.Sprint(2*(i+1)) {
			t.Fatalf("script returned %v", v)
		}
	}
	for i := range 5 {
		must(c.XAdd(ctx, &redis.XAddArgs{Stream: "events", ID: fmt.Sprintf("1000-%d", i),
			Values: []string{"zeta", fmt.Sprint(i), "alpha", "x", "zeta", "dup"}}).Err())
	}
	must(c.XGroupCreate(ctx, "events", "scorer", "0").Err())
	must(c.XGroupCreate(ctx, "events", "idle", "$").Err())
	must(c.XGroupCreateConsumer(ctx, "events", "idle", "lurker").Err())
	// alice reads 2, bob reads 2; alice acks one; bob's are re-delivered once.
	res, err := c.XReadGroup(ctx, &redis.XReadGroupArgs{Group: "scorer", Consumer: "alice", Streams: []string{"events", ">"}, Count: 2}).Result()
	must(err)
	must(c.XAck(ctx, "events", "scorer", res[0].Messages[0].ID).Err())
	_, err = c.XReadGroup(ctx, &redis.XReadGroupArgs{Group: "scorer", Consumer: "bob", Streams: []string{"events", ">"}, Count: 2}).Result()
	must(err)
	_, err = c.XReadGroup(ctx, &redis.XReadGroupArgs{Group: "scorer", Consumer: "bob", Streams: []string{"events", "0"}}).Result()
	must(err)
	// A deleted newest entry: last generated id must survive.
	must(c.XAdd(ctx, &redis.XAddArgs{Stream: "events", ID: "2000-0", Values: []string{"gone", "1"}}).Err())
	must(c.XDel(ctx, "events", "2000-0").Err())
	must(c.XAdd(ctx, &redis.XAddArgs{Stream: "emptystream", ID: "5-5", Values: []string{"a", "b"}}).Err())
	must(c.XDel(ctx, "emptystream", "5-5").Err())
}

func TestRoundTripEveryType(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "data")
	s := openT(t, Options{Dir: dir})
	c := client(t, s)
	writeEverything(t, ctx, c)
	before := readState(t, ctx, c)
	c.Close()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if fi, err := os.Stat(dir); err != nil || fi.Mode().Perm() != 0o700 {
		t.Fatalf("data dir mode: %v %v", fi.Mode(), err)
	}

	s2 := openT(t, Options{Dir: dir})
	defer s2.Close()
	c2 := client(t, s2)
	after := readState(t, ctx, c2)
	if !reflect.DeepEqual(before, after) {
		t.Fatalf("state differs after reopen\nbefore: %+v\nafter:  %+v", before, after)
	}
	// Spot checks that DeepEqual passing is meaningful.
	if len(after.Pending) != 3 || after.Pending[0].Consumer != "alice" || after.Pending[1].Consumer != "bob" || after.Pending[1].RetryCount != 2 {
		t.Fatalf("pending entries: %+v", after.Pending)
	}
	if after.LastID != "2000-0" {
		t.Fatalf("last generated id %q", after.LastID)
	}
	if n, _ := c2.XLen(ctx, "emptystream").Result(); n != 0 || c2.Exists(ctx, "emptystream").Val() != 1 {
		t.Fatalf("empty stream not restored")
	}
	for _, z := range after.ZSet {
		if z.Member == "tiny" && z.Score != 1e-300 || z.Member == "denormal" && z.Score != math.SmallestNonzeroFloat64 {
			t.Fatalf("score not exact: %+v", z)
		}
	}
	// The group keeps working: bob's pending can be acked, new entries read.
	if n := c2.XAck(ctx, "events", "scorer", after.Pending[1].ID).Val(); n != 1 {
		t.Fatalf("XACK restored pending = %d", n)
	}
	res, err := c2.XReadGroup(ctx, &redis.XReadGroupArgs{Group: "scorer", Consumer: "cyd", Streams: []string{"events", ">"}}).Result()
	if err != nil || len(res[0].Messages) != 1 || res[0].Messages[0].ID != "1000-4" {
		t.Fatalf("XREADGROUP after restore: %v %+v", err, res)
	}
	// EVALSHA after restart: go-redis falls back to EVAL on NOSCRIPT.
	if v, err := incrScript.Run(ctx, c2, []string{"player:1", "lb:script"}, "ann", 2).Result(); err != nil || v != "8" {
		t.Fatalf("script after restore: %v %v", v, err)
	}
}

func TestScoresExact(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s := openT(t, Options{Dir: dir})
	c := client(t, s)
	r := rand.New(rand.NewPCG(1, 2))
	want := map[string]float64{}
	for i := range 2000 {
		f := math.Float64frombits(r.Uint64())
		if math.IsNaN(f) {
			continue
		}
		m := fmt.Sprint("m", i)
		want[m] = f
		if err := c.ZAdd(ctx, "z", redis.Z{Score: f, Member: m}).Err(); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s2 := openT(t, Options{Dir: dir})
	defer s2.Close()
	c2 := client(t, s2)
	for m, f := range want {
		got, err := c2.ZScore(ctx, "z", m).Result()
		if err != nil || math.Float64bits(got) != math.Float64bits(f) && !(got == 0 && f == 0) {
			t.Fatalf("%s: got %v (%x), want %v (%x), err %v", m, got, math.Float64bits(got), f, math.Float64bits(f), err)
		}
	}
}

func TestTTLAgesWhileClosed(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	clock := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	now := func() time.Time { return clock }
	s := openT(t, Options{Dir: dir, Now: now})
	c := client(t, s)
	c.Set(ctx, "short", "x", 10*time.Minute)
	c.Set(ctx, "long", "x", 2*time.Hour)
	c.Set(ctx, "forever", "x", 0)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	clock = clock.Add(time.Hour)
	s2 := openT(t, Options{Dir: dir, Now: now})
	defer s2.Close()
	c2 := client(t, s2)
	if c2.Exists(ctx, "short").Val() != 0 {
		t.Fatal("short-lived key survived an hour")
	}
	if ttl := c2.PTTL(ctx, "long").Val(); ttl <= 50*time.Minute || ttl > time.Hour {
		t.Fatalf("long TTL = %v, want about 1h", ttl)
	}
	if ttl := c2.PTTL(ctx, "forever").Val(); ttl != -1 {
		t.Fatalf("forever TTL = %v", ttl)
	}
}

func seedSnapshot(t *testing.T, dir string) {
	t.Helper()
	s := openT(t, Options{Dir: dir})
	c := client(t, s)
	if err := c.Set(context.Background(), "k", "v", 0).Err(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestDamagedSnapshotRefused(t *testing.T) {
	good := t.TempDir()
	seedSnapshot(t, good)
	orig, err := os.ReadFile(filepath.Join(good, SnapshotFile))
	if err != nil {
		t.Fatal(err)
	}
	wrongVersion := append([]byte(nil), orig...)
	wrongVersion[len(snapshotMagic)+3] = 99
	flipped := append([]byte(nil), orig...)
	flipped[len(flipped)-12] ^= 0x55 // inside deflate data / CRC
	cases := map[string]struct {
		data []byte
		want string
	}{
		"truncated":     {orig[:len(orig)-9], "truncated"},
		"half":          {orig[:len(orig)/2], "snapshot"},
		"garbage":       {[]byte("this is not a snapshot at all, just text\n"), "bad magic"},
		"empty":         {nil, "too short"},
		"wrong version": {wrongVersion, "version 99"},
		"bit flip":      {flipped, "snapshot"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, SnapshotFile)
			if err := os.WriteFile(path, tc.data, 0o600); err != nil {
				t.Fatal(err)
			}
			s, err := Open(Options{Dir: dir})
			if err == nil {
				s.Close()
				t.Fatal("Open accepted a damaged snapshot")
			}
			msg := err.Error()
			for _, w := range []string{path, tc.want, "move it aside", "restore a backup"} {
				if !strings.Contains(msg, w) {
					t.Errorf("error %q does not mention %q", msg, w)
				}
			}
			got, _ := os.ReadFile(path)
			if !bytes.Equal(got, tc.data) {
				t.Fatal("damaged snapshot was modified")
			}
			// The lock was released: moving the file aside lets Open start empty.
			os.Rename(path, path+".bad")
			s, err = Open(Options{Dir: dir, LockWait: time.Second})
			if err != nil {
				t.Fatalf("Open after moving aside: %v", err)
			}
			s.Close()
		})
	}
}

func TestLeftoverTempFileIgnored(t *testing.T) {
	dir := t.TempDir()
	seedSnapshot(t, dir)
	// A Save that crashed mid-write: partial temp file next to the snapshot.
	tmp := filepath.Join(dir, tempPrefix+"12345")
	if err := os.WriteFile(tmp, []byte(snapshotMagic+"\x00\x00"), 0o600); err != nil {
		t.Fatal(err)
	}
	s := openT(t, Options{Dir: dir})
	defer s.Close()
	if v := client(t, s).Get(context.Background(), "k").Val(); v != "v" {
		t.Fatalf("k = %q", v)
	}
	if _, err := os.Stat(tmp); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("leftover temp file not cleaned: %v", err)
	}
}

func TestConcurrentOpensKeepAllWrites(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	var wg sync.WaitGroup
	errs := make(chan error, 2)
	for range 2 {
		wg.Go(func() {
			for range 20 {
				s, err := Open(Options{Dir: dir, LockWait: 30 * time.Second})
				if err != nil {
					errs <- err
					return
				}
				c := redis.NewClient(&redis.Options{Addr: s.Addr(), Username: AdminUser, Password: s.adminPW})
				err = c.Incr(ctx, "x").Err()
				c.Close()
				if cerr := s.Close(); err == nil {
					err = cerr
				}
				if err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	s := openT(t, Options{Dir: dir})
	defer s.Close()
	if x := client(t, s).Get(ctx, "x").Val(); x != "40" {
		t.Fatalf("x = %s, want 40", x)
	}
}

func TestSecondOpenWaitsThenSucceeds(t *testing.T) {
	dir := t.TempDir()
	first := openT(t, Options{Dir: dir})
	client(t, first).Set(context.Background(), "from", "first", 0)
	var notes bytes.Buffer
	var mu sync.Mutex
	done := make(chan *Store)
	go func() {
		s, err := Open(Options{Dir: dir, LockWait: 10 * time.Second, Notify: lockedWriter{&mu, &notes}})
		if err != nil {
			t.Error(err)
		}
		done <- s
	}()
	time.Sleep(300 * time.Millisecond)
	select {
	case <-done:
		t.Fatal("second Open did not wait for the lock")
	default:
	}
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}
	second := <-done
	if second == nil {
		t.FailNow()
	}
	defer second.Close()
	if v := client(t, second).Get(context.Background(), "from").Val(); v != "first" {
		t.Fatalf("second store sees %q", v)
	}
	mu.Lock()
	msg := notes.String()
	mu.Unlock()
	want := fmt.Sprintf("waiting for %s (held by pid %d)...\n", dir, os.Getpid())
	if msg != want {
		t.Fatalf("notify = %q, want exactly once %q", msg, want)
	}
}

type lockedWriter struct {
	mu *sync.Mutex
	w  *bytes.Buffer
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func TestLockTimeoutNamesPID(t *testing.T) {
	dir := t.TempDir()
	first := openT(t, Options{Dir: dir})
	defer first.Close()
	start := time.Now()
	_, err := Open(Options{Dir: dir, LockWait: 200 * time.Millisecond})
	if err == nil {
		t.Fatal("second Open succeeded while locked")
	}
	if !strings.Contains(err.Error(), fmt.Sprintf("pid %d", os.Getpid())) || !strings.Contains(err.Error(), dir) {
		t.Fatalf("error does not name dir and pid: %v", err)
	}
	if d := time.Since(start); d < 200*time.Millisecond || d > 3*time.Second {
		t.Fatalf("waited %v", d)
	}
}

func TestRemoteMode(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	srv := openT(t, Options{Dir: dir, Listen: "127.0.0.1:0"})
	if srv.Remote() {
		t.Fatal("owner is remote")
	}
	addrFromFile, err := os.ReadFile(filepath.Join(dir, addrFile))
	if err != nil || strings.TrimSpace(string(addrFromFile)) != srv.Addr() {
		t.Fatalf("server.addr = %q, %v; want %s", addrFromFile, err, srv.Addr())
	}
	client(t, srv).ZAdd(ctx, "lb", redis.Z{Score: 7, Member: "ann"})

	start := time.Now()
	r := openT(t, Options{Dir: dir, LockWait: 5 * time.Second})
	if time.Since(start) > 2*time.Second {
		t.Fatal("remote Open waited for the lock")
	}
	if !r.Remote() || r.Addr() != srv.Addr() {
		t.Fatalf("remote=%v addr=%s, want remote at %s", r.Remote(), r.Addr(), srv.Addr())
	}
	rc := client(t, r)
	if s := rc.ZScore(ctx, "lb", "ann").Val(); s != 7 {
		t.Fatalf("remote read %v", s)
	}
	rc.ZAdd(ctx, "lb", redis.Z{Score: 9, Member: "bob"})
	if err := r.Save(); err != nil {
		t.Fatal(err)
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	// The server is unaffected by the remote Close.
	if n := client(t, srv).ZCard(ctx, "lb").Val(); n != 2 {
		t.Fatalf("server zcard after remote close = %d", n)
	}
	if err := srv.Save(); err != nil {
		t.Fatal(err)
	}
	if err := srv.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, addrFile)); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("server.addr left after Close: %v", err)
	}
	s := openT(t, Options{Dir: dir})
	defer s.Close()
	if s.Remote() || client(t, s).ZScore(ctx, "lb", "bob").Val() != 9 {
		t.Fatal("remote write not persisted by the server")
	}
}

func TestStaleServerAddrIgnored(t *testing.T) {
	dir := t.TempDir()
	holder := openT(t, Options{Dir: dir}) // holds the lock, does not listen publicly
	// A stale server.addr pointing at a live but unrelated Redis-speaking port:
	other := openT(t, Options{Dir: t.TempDir(), Listen: "127.0.0.1:0"})
	defer other.Close()
	os.WriteFile(filepath.Join(dir, addrFile), []byte(other.Addr()+"\n"), 0o600)
	if _, err := Open(Options{Dir: dir, LockWait: 150 * time.Millisecond}); err == nil {
		t.Fatal("attached to a server for another directory")
	}
	holder.Close()
	s := openT(t, Options{Dir: dir})
	defer s.Close()
	if _, err := os.Stat(filepath.Join(dir, addrFile)); !errors.Is(err, os.ErrNotExist) {
		t.Fatal("stale server.addr not removed by the new owner")
	}
}

func TestListenAddressInUse(t *testing.T) {
	a := openT(t, Options{Dir: t.TempDir(), Listen: "127.0.0.1:0"})
	defer a.Close()
	dir := t.TempDir()
	_, err := Open(Options{Dir: dir, Listen: a.Addr()})
	if err == nil || !strings.Contains(err.Error(), "address already in use") || !strings.Contains(err.Error(), "--redis-listen") {
		t.Fatalf("err = %v", err)
	}
	// The failed Open released the lock.
	s := openT(t, Options{Dir: dir, LockWait: time.Second})
	s.Close()
}

func TestSaveWhileWriting(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s := openT(t, Options{Dir: dir})
	c := client(t, s)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			k := fmt.Sprint("k", i%50)
			// Keys keep changing type and existing: capture must retry, not fail.
			c.Del(ctx, k)
			if i%2 == 0 {
				c.HSet(ctx, k, "f", i)
			} else {
				c.RPush(ctx, k, i)
			}
			c.Incr(ctx, "counter")
		}
	})
	for range 20 {
		if err := s.Save(); err != nil {
			t.Error(err)
			break
		}
	}
	close(stop)
	wg.Wait()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Save(); err == nil {
		t.Fatal("Save after Close succeeded")
	}
}

func TestDefaultDir(t *testing.T) {
	t.Setenv("XDG_DATA_HOME", "/xdg")
	if d, err := DefaultDir(); err != nil || d != "/xdg/statsctl" {
		t.Fatalf("%q %v", d, err)
	}
	t.Setenv("XDG_DATA_HOME", "")
	t.Setenv("HOME", "/home/u")
	if d, err := DefaultDir(); err != nil || d != "/home/u/.local/share/statsctl" {
		t.Fatalf("%q %v", d, err)
	}
}

// TestLargeSaveOpenTiming measures Save and Open for the size the brief names
// (200,000 hash fields + 100,000 zset members) and logs the figures; run with
// -v to see them. Skipped with -short.
func TestLargeSaveOpenTiming(t *testing.T) {
	if testing.Short() || raceEnabled {
		t.Skip("large data set; run without -race and -short for the figures")
	}
	ctx := context.Background()
	dir := t.TempDir()
	s := openT(t, Options{Dir: dir})
	c := client(t, s)
	const hashFields, zsetMembers = 200_000, 100_000
	pipe := c.Pipeline()
	for i := range hashFields {
		pipe.HSet(ctx, fmt.Sprint("stats:", i%10), fmt.Sprint("player:", i), i)
		if i%5000 == 4999 {
			if _, err := pipe.Exec(ctx); err != nil {
				t.Fatal(err)
			}
		}
	}
	for i := range zsetMembers {
		pipe.ZAdd(ctx, "lb:big", redis.Z{Score: float64(i) * 1.25, Member: fmt.Sprint("player:", i)})
		if i%5000 == 4999 {
			if _, err := pipe.Exec(ctx); err != nil {
				t.Fatal(err)
			}
		}
	}
	start := time.Now()
	if err := s.Save(); err != nil {
		t.Fatal(err)
	}
	save := time.Since(start)
	start = time.Now()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	closeDur := time.Since(start)
	fi, _ := os.Stat(filepath.Join(dir, SnapshotFile))
	start = time.Now()
	s2 := openT(t, Options{Dir: dir})
	open := time.Since(start)
	defer s2.Close()
	c2 := client(t, s2)
	if n := c2.ZCard(ctx, "lb:big").Val(); n != zsetMembers {
		t.Fatalf("zcard = %d", n)
	}
	var fields int64
	for i := range 10 {
		fields += c2.HLen(ctx, fmt.Sprint("stats:", i)).Val()
	}
	if fields != hashFields {
		t.Fatalf("hash fields = %d", fields)
	}
	t.Logf("%d hash fields + %d zset members: Save %v, Close (incl. final save) %v, Open (load) %v, snapshot %d bytes",
		hashFields, zsetMembers, save, closeDur, open, fi.Size())
}

// TestTwoProcesses runs the Open/INCR/Close loop in two real child processes,
// so the flock is exercised across processes as two statsctl invocations
// would, not only across file descriptors of one process.
func TestTwoProcesses(t *testing.T) {
	if os.Getenv("STATSCTL_EMBEDDED_CHILD") != "" {
		return
	}
	dir := t.TempDir()
	var cmds []*exec.Cmd
	var outs []*bytes.Buffer
	for range 2 {
		cmd := exec.Command(os.Args[0], "-test.run=^TestChildProcess$", "-test.count=1")
		cmd.Env = append(os.Environ(), "STATSCTL_EMBEDDED_CHILD="+dir)
		out := &bytes.Buffer{}
		cmd.Stdout, cmd.Stderr = out, out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		cmds = append(cmds, cmd)
		outs = append(outs, out)
	}
	for i, cmd := range cmds {
		if err := cmd.Wait(); err != nil {
			t.Fatalf("child %d: %v\n%s", i, err, outs[i])
		}
	}
	s := openT(t, Options{Dir: dir})
	defer s.Close()
	if x := client(t, s).Get(context.Background(), "x").Val(); x != "40" {
		t.Fatalf("x = %s, want 40", x)
	}
}

// TestChildProcess is the body of TestTwoProcesses' children; it does nothing
// in a normal run.
func TestChildProcess(t *testing.T) {
	dir := os.Getenv("STATSCTL_EMBEDDED_CHILD")
	if dir == "" {
		t.Skip("helper for TestTwoProcesses")
	}
	ctx := context.Background()
	for range 20 {
		s := openT(t, Options{Dir: dir, LockWait: 60 * time.Second})
		c := redis.NewClient(&redis.Options{Addr: s.Addr(), Username: AdminUser, Password: s.adminPW})
		if err := c.Incr(ctx, "x").Err(); err != nil {
			t.Fatal(err)
		}
		c.Close()
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

func TestUnsupportedTypeReportedNotDropped(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s := openT(t, Options{Dir: dir})
	c := client(t, s)
	c.PFAdd(ctx, "uniques", "a", "b")
	c.Set(ctx, "kept", "yes", 0)
	err := s.Save()
	if err == nil || !strings.Contains(err.Error(), "uniques (hll)") {
		t.Fatalf("Save err = %v, want it to name the HyperLogLog key", err)
	}
	if err := s.Close(); err == nil {
		t.Fatal("Close hid the unsaved key")
	}
	s2 := openT(t, Options{Dir: dir})
	defer s2.Close()
	if v := client(t, s2).Get(ctx, "kept").Val(); v != "yes" {
		t.Fatalf("other keys not saved: kept=%q", v)
	}
}

// TTLs run down while the store is open: a Save after the clock moved past a
// key's TTL drops the key, and a longer one keeps what is left. (They are
// advanced per save, not per command, so commands stay O(1).)
func TestTTLAgesWhileOpen(t *testing.T) {
	dir := t.TempDir()
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	s, err := Open(Options{Dir: dir, Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	c := redis.NewClient(&redis.Options{Addr: s.Addr(), Username: AdminUser, Password: s.adminPW})
	defer c.Close()
	ctx := context.Background()
	c.Set(ctx, "short", "x", time.Minute)
	c.Set(ctx, "long", "y", time.Hour)
	now = now.Add(2 * time.Minute)
	if err := s.Save(); err != nil {
		t.Fatal(err)
	}
	if n := c.Exists(ctx, "short").Val(); n != 0 {
		t.Fatal("key with a 1m TTL survived 2m")
	}
	if ttl := c.PTTL(ctx, "long").Val(); ttl != 58*time.Minute {
		t.Fatalf("long TTL = %v, want 58m", ttl)
	}
}
