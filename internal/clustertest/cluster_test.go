package clustertest

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/varcade/statsctl/internal/cmdtest"
	"github.com/varcade/statsctl/internal/e2etest"
	"github.com/varcade/statsctl/internal/gen"
	"github.com/varcade/statsctl/internal/store"
	"github.com/varcade/statsctl/internal/storetest"
	"github.com/varcade/statsctl/internal/testredis"
	"github.com/varcade/statsctl/internal/valuetest"
)

// valueBoardsEqualModel: value boards of every operator, order and tie
// rule equal the model on the cluster too, replayed twice (issue 11).
func valueBoardsEqualModel(t *testing.T, c *testredis.Cluster, ns string) {
	valuetest.Run(t, c.Client(), ns, 11, 1200)
}

// archivesEqualModel: value boards reset into archives read back as they
// were (order, ties, values, metadata) and erase reaches the archives, on
// the cluster too.
func archivesEqualModel(t *testing.T, c *testredis.Cluster, ns string) {
	valuetest.Archive(t, c.Client(), ns, 12, 1000)
}

var ctx = context.Background()

// products spread over all three masters of a fresh cluster (slots
// 0-5460, 5461-10922, 10923-16383); TestCluster checks they do.
var products = []string{"exrps", "tictactoe", "chess", "tetris"}

// TestCluster owns the one cluster of this package; every subtest runs on
// it in turn under its own namespace, so none sees another's keys.
func TestCluster(t *testing.T) {
	start := time.Now()
	c := testredis.StartCluster(t)
	t.Logf("cluster up in %v at %s", time.Since(start).Round(time.Millisecond), c.URL())
	bin := e2etest.NewBinary(t) // built once, by the first subtest that runs it
	withBin := func(f func(*testing.T, *testredis.Cluster, string, string)) func(*testing.T, *testredis.Cluster, string) {
		return func(t *testing.T, c *testredis.Cluster, ns string) { f(t, c, ns, bin.Path(t)) }
	}
	for _, tc := range []struct {
		name string
		f    func(t *testing.T, c *testredis.Cluster, ns string)
	}{
		{"StoreApplyAndRead", storeApplyAndRead},
		{"StoreIdempotent", storeIdempotent},
		{"StoreAtomicPerProduct", storeAtomicPerProduct},
		{"StoreNoScriptAllNodes", storeNoScriptAllNodes},
		{"StoreNoScriptOneNode", storeNoScriptOneNode},
		{"RecordLeaderboardStats", recordLeaderboardStats},
		{"TrackSpreadsProductsOverNodes", trackSpreadsProducts},
		{"ProductKeysShareOneSlot", productKeysShareOneSlot},
		{"OneSeedNodeURL", oneSeedNodeURL},
		{"NodeRestartMidReplay", nodeRestartMidReplay},
		{"ConsumeStreamAndStats", withBin(consumeOnCluster)},
		{"ServeOnCluster", withBin(serveOnCluster)},
		{"RebuildOnCluster", rebuildOnCluster},
		{"ValueBoardsEqualModel", valueBoardsEqualModel},
		{"ArchivesEqualModel", archivesEqualModel},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.f(t, c, "t"+strings.ToLower(tc.name))
		})
	}
}

// nodeOf says which node (index into c.Nodes()) holds key.
func nodeOf(t *testing.T, c *testredis.Cluster, key string) int {
	t.Helper()
	slot, err := c.NodeClient(0).ClusterKeySlot(ctx, key).Result()
	if err != nil {
		t.Fatal(err)
	}
	shards, err := c.NodeClient(0).ClusterSlots(ctx).Result()
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range shards {
		if int64(s.Start) <= slot && slot <= int64(s.End) {
			for i, n := range c.Nodes() {
				if n.Addr == s.Nodes[0].Addr {
					return i
				}
			}
		}
	}
	t.Fatalf("no node owns slot %d of %s", slot, key)
	return -1
}

func storeApplyAndRead(t *testing.T, c *testredis.Cluster, ns string) {
	st := store.New(c.Client(), store.Options{Namespace: ns})
	batches := map[string][]store.Item{}
	for i, p := range products {
		batches[p] = []store.Item{storetest.GameOver("1-"+strconv.Itoa(i), "u1", "u2"), storetest.GameOver("2-"+strconv.Itoa(i), "u3", "u1"), storetest.GameOver("3-"+strconv.Itoa(i), "u1", "u3")}
	}
	res, err := st.Apply(ctx, batches)
	if err != nil {
		t.Fatal(err)
	}
	if res.Applied != 3*len(products) || len(res.Duplicates) != 0 {
		t.Fatalf("applied %d dups %v", res.Applied, res.Duplicates)
	}
	nodes := map[int]bool{}
	for _, p := range products {
		nodes[nodeOf(t, c, st.Keys().Board(p, "wins"))] = true
		page, err := st.Top(ctx, store.BoardRef{Product: p, Instance: "wins"}, 0, 0)
		if err != nil {
			t.Fatal(err)
		}
		storetest.AssertEntries(t, page.Entries, []store.Entry{e(1, "u1", 2), e(2, "u3", 1), e(3, "u2", 0)})
		stats, err := st.Stats(ctx, p, "u1")
		if err != nil || fmt.Sprint(stats) != "map[games:3 losses:1 wins:2]" {
			t.Fatalf("%s u1 stats %v %v", p, stats, err)
		}
		if tt, err := st.TopTen(ctx, store.BoardRef{Product: p, Instance: "wins"}); err != nil || len(tt) != 3 {
			t.Fatalf("top ten %v %v", tt, err)
		}
		if n, err := st.BoardSize(ctx, p, "wins"); err != nil || n != 3 {
			t.Fatalf("board size %d %v", n, err)
		}
	}
	if len(nodes) != 3 {
		t.Fatalf("products %v sit on %d nodes, want all 3", products, len(nodes))
	}
	ps, err := st.Products(ctx)
	want := append([]string(nil), products...)
	sort.Strings(want)
	if err != nil || !reflect.DeepEqual(ps, want) {
		t.Fatalf("products %v %v", ps, err)
	}
	// Ranks with ties and pages, as on one server.
	key := st.Keys().Board("t", "wins")
	c.Client().ZAdd(ctx, key, redis.Z{Score: 10, Member: "a"}, redis.Z{Score: 8, Member: "b"}, redis.Z{Score: 8, Member: "c"},
		redis.Z{Score: 5, Member: "d"}, redis.Z{Score: 5, Member: "e"}, redis.Z{Score: 5, Member: "f"}, redis.Z{Score: 1, Member: "g"})
	page, _ := st.Top(ctx, store.BoardRef{Product: "t", Instance: "wins"}, 4, 2)
	storetest.AssertEntries(t, page.Entries, []store.Entry{e(4, "e", 5), e(4, "d", 5)})
	r, err := st.Rank(ctx, store.BoardRef{Product: "t", Instance: "wins"}, "e")
	if err != nil || r != (store.Standing{Rank: 4, Score: 5, Total: 7}) {
		t.Fatalf("rank of e: %+v %v", r, err)
	}
	around, err := st.Around(ctx, store.BoardRef{Product: "t", Instance: "wins"}, "e", 1)
	if err != nil {
		t.Fatal(err)
	}
	storetest.AssertEntries(t, around.Entries, []store.Entry{e(4, "f", 5), e(4, "e", 5), e(4, "d", 5)})
}

func storeIdempotent(t *testing.T, c *testredis.Cluster, ns string) {
	st := store.New(c.Client(), store.Options{Namespace: ns})
	batch := map[string][]store.Item{}
	for _, p := range products {
		batch[p] = []store.Item{storetest.GameOver("5-0", "a", "b"), storetest.GameOver("x7", "a", "c"), storetest.GameOver("", "c", "a")}
	}
	if _, err := st.Apply(ctx, batch); err != nil {
		t.Fatal(err)
	}
	res, err := st.Apply(ctx, batch)
	if err != nil {
		t.Fatal(err)
	}
	if res.Applied != len(products) {
		t.Fatalf("second apply applied %d, want %d (only the id-less events)", res.Applied, len(products))
	}
	for _, p := range products {
		if fmt.Sprint(res.Duplicates[p]) != "[0 1]" {
			t.Fatalf("%s duplicates %v, want [0 1]", p, res.Duplicates[p])
		}
		page, _ := st.Top(ctx, store.BoardRef{Product: p, Instance: "wins"}, 0, 0)
		storetest.AssertEntries(t, page.Entries, []store.Entry{e(1, "c", 2), e(1, "a", 2), e(3, "b", 0)})
	}
}

// Concurrent appliers over overlapping batches of all products count every
// event once, and a reader never sees half a batch: each batch moves a's
// score and a's games together, in steps of the batch size.
func storeAtomicPerProduct(t *testing.T, c *testredis.Cluster, ns string) {
	cc := c.Client()
	st := store.New(cc, store.Options{Namespace: ns})
	const events, size = 300, 30
	var wg sync.WaitGroup
	var stop atomic.Bool
	var torn atomic.Int64
	var reads atomic.Int64
	wg.Add(1)
	go func() { // reader: score and games of a in one MULTI (same slot)
		defer wg.Done()
		for !stop.Load() {
			var z *redis.FloatCmd
			var g *redis.StringCmd
			_, err := cc.TxPipelined(ctx, func(p redis.Pipeliner) error {
				z = p.ZScore(ctx, st.Keys().Board("exrps", "wins"), "a")
				g = p.HGet(ctx, st.Keys().Stats("exrps", "a"), "games")
				return nil
			})
			if err != nil && err != redis.Nil {
				t.Error(err)
				return
			}
			games, _ := strconv.Atoi(g.Val())
			if int(z.Val()) != games || games%size != 0 {
				torn.Add(1)
			}
			reads.Add(1)
		}
	}()
	var writers sync.WaitGroup
	for w := 0; w < 4; w++ {
		writers.Add(1)
		go func(w int) {
			defer writers.Done()
			for b := w % 3; b < events/size; b++ {
				batch := map[string][]store.Item{}
				for _, p := range products {
					for i := b * size; i < (b+1)*size; i++ {
						batch[p] = append(batch[p], storetest.GameOver(fmt.Sprintf("100-%d", i), "a", "q"+strconv.Itoa(i%5)))
					}
				}
				if _, err := st.Apply(ctx, batch); err != nil {
					t.Error(err)
					return
				}
			}
		}(w)
	}
	writers.Wait()
	stop.Store(true)
	wg.Wait()
	if torn.Load() != 0 {
		t.Fatalf("%d of %d reads saw half a batch", torn.Load(), reads.Load())
	}
	for _, p := range products {
		r, err := st.Rank(ctx, store.BoardRef{Product: p, Instance: "wins"}, "a")
		if err != nil || r.Score != events {
			t.Fatalf("%s: a has %+v %v, want %d points", p, r, err, events)
		}
	}
	t.Logf("%d consistent reads during the writes", reads.Load())
}

// SCRIPT FLUSH on every node (a cluster restored on fresh nodes looks the
// same): the store falls back to EVAL and each event counts once.
func storeNoScriptAllNodes(t *testing.T, c *testredis.Cluster, ns string) {
	st := store.New(c.Client(), store.Options{Namespace: ns})
	apply := func() {
		t.Helper()
		batch := map[string][]store.Item{}
		for _, p := range products {
			batch[p] = []store.Item{storetest.GameOver("", "a", "b")}
		}
		res, err := st.Apply(ctx, batch)
		if err != nil || res.Applied != len(products) {
			t.Fatalf("apply: %+v %v", res, err)
		}
	}
	apply()
	for i := range c.Nodes() {
		if err := c.NodeClient(i).ScriptFlush(ctx).Err(); err != nil {
			t.Fatal(err)
		}
	}
	apply()
	for _, p := range products {
		if r, err := st.Rank(ctx, store.BoardRef{Product: p, Instance: "wins"}, "a"); err != nil || r.Score != 2 {
			t.Fatalf("%s: a %+v %v, want 2 points", p, r, err)
		}
	}
}

// SCRIPT FLUSH on ONE node (a failover to a fresh replica of one shard):
// only that node's products need EVAL; the others were applied already by
// EVALSHA and must not be applied again. Events without ids show it.
func storeNoScriptOneNode(t *testing.T, c *testredis.Cluster, ns string) {
	st := store.New(c.Client(), store.Options{Namespace: ns})
	batch := map[string][]store.Item{}
	for _, p := range products {
		batch[p] = []store.Item{storetest.GameOver("", "a", "b"), storetest.GameOver("7-1", "a", "b")}
	}
	if _, err := st.Apply(ctx, batch); err != nil {
		t.Fatal(err)
	}
	flushed := nodeOf(t, c, st.Keys().Board("chess", "wins"))
	if err := c.NodeClient(flushed).ScriptFlush(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	for _, p := range products {
		batch[p] = []store.Item{storetest.GameOver("", "a", "b"), storetest.GameOver("7-2", "a", "b")}
	}
	res, err := st.Apply(ctx, batch)
	if err != nil || res.Applied != 2*len(products) || len(res.Duplicates) != 0 {
		t.Fatalf("apply after SCRIPT FLUSH on node %d: %+v %v, want %d applied, no duplicates", flushed, res, err, 2*len(products))
	}
	for _, p := range products {
		if r, err := st.Rank(ctx, store.BoardRef{Product: p, Instance: "wins"}, "a"); err != nil || r.Score != 4 {
			t.Fatalf("%s (node %d): a %+v %v, want 4 points", p, nodeOf(t, c, st.Keys().Board(p, "wins")), r, err)
		}
	}
}

// run is statsctl with --namespace ns on the cluster.
func run(t *testing.T, c *testredis.Cluster, ns string, args ...string) cmdtest.Result {
	t.Helper()
	return cmdtest.Run(t, cmdtest.Redis(c.URL()), nil, append([]string{"--namespace", ns}, args...)...)
}

func recordLeaderboardStats(t *testing.T, c *testredis.Cluster, ns string) {
	for _, p := range products {
		// u1 beats everyone once, u2 and u3 tie, u4 only loses.
		for i, g := range [][2]string{{"u1", "u2"}, {"u1", "u3"}, {"u2", "u4"}, {"u3", "u4"}, {"u1", "u4"}} {
			cmdtest.MustOK(t, run(t, c, ns, "record", p, g[0], g[1], "--id", "r"+strconv.Itoa(i)))
		}
		r := cmdtest.MustOK(t, run(t, c, ns, "record", p, "u1", "u2", "--id", "r0"))
		if !strings.Contains(r.Out, "Already recorded") {
			t.Fatalf("%s: same id again: %s", p, r.Out)
		}
		r = cmdtest.MustOK(t, run(t, c, ns, "leaderboard", p, "-o", "json"))
		want := `[{"rank":1,"user_id":"u1","score":3},{"rank":2,"user_id":"u3","score":1},{"rank":2,"user_id":"u2","score":1},{"rank":4,"user_id":"u4","score":0}]`
		if strings.TrimSpace(r.Out) != want {
			t.Fatalf("%s json\n got %s\nwant %s", p, r.Out, want)
		}
		r = cmdtest.MustOK(t, run(t, c, ns, "leaderboard", p, "-o", "csv", "--limit", "2", "--offset", "2"))
		if r.Out != "rank,user_id,score\n2,u2,1\n4,u4,0\n" {
			t.Fatalf("%s offset csv %q", p, r.Out)
		}
		r = cmdtest.MustOK(t, run(t, c, ns, "leaderboard", p, "-o", "csv", "--around", "u4", "--limit", "2"))
		if r.Out != "rank,user_id,score\n2,u2,1\n4,u4,0\n" {
			t.Fatalf("%s around csv %q", p, r.Out)
		}
		r = cmdtest.MustOK(t, run(t, c, ns, "stats", p, "u4", "-o", "json"))
		if strings.TrimSpace(r.Out) != `{"games":3,"wins":0,"losses":3}` {
			t.Fatalf("%s stats %s", p, r.Out)
		}
	}
	cmdtest.MustOK(t, run(t, c, ns, "track", "exrps", "type=gameplay", "event_name=select_weapon", "user_id=u4", "event_data=null"))
	r := cmdtest.MustOK(t, run(t, c, ns, "stats", "exrps", "u4", "-o", "csv"))
	if r.Out != "stat,value\ngames,3\nwins,0\nlosses,3\nbotch_selection_count,1\n" {
		t.Fatalf("stats csv %q", r.Out)
	}
}

// history is a reproducible stream over all products with broken lines
// mixed in; generate writes it as JSONL with ids.
func history(games int) gen.Options {
	return gen.Options{Games: games, Players: 60, Seed: 7, IDs: true, BadEvery: 50, Products: products}
}

// generate writes a reproducible JSONL stream with ids over all products.
func generate(t *testing.T, games int) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "events.jsonl")
	fh, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	if _, _, err := gen.WriteJSONL(fh, history(games)); err != nil {
		t.Fatal(err)
	}
	return path
}

type summary struct{ Events, Applied, Invalid, Duplicates int }

func track(t *testing.T, url, ns, path string, batch int) (cmdtest.Result, summary) {
	t.Helper()
	r := cmdtest.Run(t, cmdtest.Redis(url), nil, "--namespace", ns, "track", "-f", path, "-o", "json", "--batch", strconv.Itoa(batch))
	var s summary
	if r.Code == 0 {
		if err := json.Unmarshal([]byte(r.Out), &s); err != nil {
			t.Fatalf("summary %q: %v", r.Out, err)
		}
	}
	return r, s
}

func trackSpreadsProducts(t *testing.T, c *testredis.Cluster, ns string) {
	path := generate(t, 600)
	single := testredis.Start(t)
	r, want := track(t, single.URL(), ns, path, 300)
	cmdtest.MustOK(t, r)
	r, got := track(t, c.URL(), ns, path, 300)
	cmdtest.MustOK(t, r)
	if got != want || got.Applied == 0 || got.Invalid == 0 {
		t.Fatalf("summary on the cluster %+v, on one server %+v", got, want)
	}
	a, b := dump(t, c.Client(), ns), dump(t, single.Client(), ns)
	if !reflect.DeepEqual(a, b) {
		t.Fatalf("cluster and single server differ:\n%s", diffDumps(a, b))
	}
	// Every product's board is on the node that owns its slot, and the
	// products use all three nodes.
	nodes := map[int][]string{}
	for _, p := range products {
		key := ns + ":{" + p + "}:lb:wins"
		i := nodeOf(t, c, key)
		if c.NodeClient(i).Exists(ctx, key).Val() != 1 {
			t.Fatalf("%s is not on node %d", key, i)
		}
		nodes[i] = append(nodes[i], p)
	}
	if len(nodes) != 3 {
		t.Fatalf("products by node %v, want all three nodes used", nodes)
	}
	t.Logf("products by node: %v", nodes)
	// A second replay changes nothing: every event has an id.
	r, again := track(t, c.URL(), ns, path, 300)
	cmdtest.MustOK(t, r)
	if again.Applied != 0 || again.Duplicates != got.Applied {
		t.Fatalf("second replay %+v, want 0 applied and %d duplicates", again, got.Applied)
	}
	if !reflect.DeepEqual(dump(t, c.Client(), ns), a) {
		t.Fatal("second replay changed the data")
	}
}

// Every key the store wrote for a product hashes to the product's slot, as
// Redis itself computes it (CLUSTER KEYSLOT), so one script can change them
// all; the only key outside any product is the products set.
func productKeysShareOneSlot(t *testing.T, c *testredis.Cluster, ns string) {
	path := generate(t, 300)
	cmdtest.MustOK(t, run(t, c, ns, "track", "-f", path))
	for _, p := range products {
		cmdtest.MustOK(t, run(t, c, ns, "record", p, "x1", "x2"))
	}
	keys := allKeys(t, c.Client(), ns)
	node := c.NodeClient(0)
	slots := map[string]int64{} // product -> slot
	kinds := map[string]bool{}
	for _, k := range keys {
		slot, err := node.ClusterKeySlot(ctx, k).Result()
		if err != nil {
			t.Fatal(err)
		}
		if k == ns+":products" {
			continue
		}
		open, close := strings.Index(k, "{"), strings.Index(k, "}")
		if open < 0 || close < open {
			t.Fatalf("key %s has no product hash tag", k)
		}
		p := k[open+1 : close]
		kinds[strings.SplitN(k[close+2:], ":", 2)[0]] = true
		if s, ok := slots[p]; ok && s != slot {
			t.Fatalf("key %s is in slot %d, other keys of %s in slot %d", k, slot, p, s)
		}
		slots[p] = slot
	}
	if len(slots) != len(products) || !kinds["lb"] || !kinds["stats"] || !kinds["seen"] {
		t.Fatalf("checked %d keys of products %v, kinds %v: expected boards, stats and markers of all %d products", len(keys), slots, kinds, len(products))
	}
	t.Logf("%d keys, each product in one slot: %v", len(keys), slots)
}

// A node is killed (SIGKILL) and restarted while a replay runs. The replay
// may fail with a clear error; run again, the end state equals one clean
// pass of the same file on a single redis-server.
func nodeRestartMidReplay(t *testing.T, c *testredis.Cluster, ns string) {
	path := generate(t, 3000)
	single := testredis.Start(t)
	r, want := track(t, single.URL(), ns, path, 500)
	cmdtest.MustOK(t, r)
	victim := nodeOf(t, c, ns+":{exrps}:lb:wins")
	done := make(chan cmdtest.Result, 1)
	go func() {
		r, _ := track(t, c.URL(), ns, path, 100)
		done <- r
	}()
	// Restart once the replay has written something to the victim.
	watch := c.NodeClient(victim)
	deadline := time.Now().Add(20 * time.Second)
	for watch.Exists(ctx, ns+":{exrps}:lb:wins").Val() == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the replay wrote nothing to the victim node in 20s")
		}
		time.Sleep(5 * time.Millisecond)
	}
	c.RestartNode(victim)
	first := <-done
	if first.Code == 0 {
		t.Logf("the first replay rode through the restart (go-redis retried): %s", strings.TrimSpace(first.Out))
	} else {
		if first.Code != 1 || !strings.Contains(first.Err, "write batch ending at "+path+":") {
			t.Fatalf("first replay: exit %d, want 1 with the batch that failed named\n%s", first.Code, first.Err)
		}
		t.Logf("the first replay failed as expected: %s", strings.TrimSpace(first.Err))
	}
	r, second := track(t, c.URL(), ns, path, 500)
	cmdtest.MustOK(t, r)
	if second.Events != want.Events {
		t.Fatalf("second replay %+v, clean pass %+v", second, want)
	}
	a, b := dump(t, c.Client(), ns), dump(t, single.Client(), ns)
	if !reflect.DeepEqual(a, b) {
		t.Fatalf("after the restart and a re-run the cluster differs from one clean pass:\n%s", diffDumps(a, b))
	}
}

// allKeys lists the namespace's keys on every master of a cluster, or on
// one server.
func allKeys(t *testing.T, rdb redis.UniversalClient, ns string) []string {
	t.Helper()
	return e2etest.Keys(ctx, t, rdb, ns+":*")
}

// dump reads every key of the namespace as text: zsets as member=score,
// hashes as field=value, sets as members; applied-event markers included,
// so "same state" means same data and same events marked applied.
func dump(t *testing.T, rdb redis.UniversalClient, ns string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, k := range allKeys(t, rdb, ns) {
		typ, err := rdb.Type(ctx, k).Result()
		if err != nil {
			t.Fatal(err)
		}
		var parts []string
		switch typ {
		case "zset":
			zs, err := rdb.ZRangeWithScores(ctx, k, 0, -1).Result()
			if err != nil {
				t.Fatal(err)
			}
			for _, z := range zs {
				parts = append(parts, fmt.Sprintf("%v=%v", z.Member, z.Score))
			}
		case "hash":
			h, err := rdb.HGetAll(ctx, k).Result()
			if err != nil {
				t.Fatal(err)
			}
			for f, v := range h {
				parts = append(parts, f+"="+v)
			}
		case "set":
			parts, err = rdb.SMembers(ctx, k).Result()
			if err != nil {
				t.Fatal(err)
			}
		default:
			t.Fatalf("unexpected %s key %s", typ, k)
		}
		sort.Strings(parts)
		out[k] = typ + " " + strings.Join(parts, " ")
	}
	if len(out) == 0 {
		t.Fatal("nothing stored under " + ns)
	}
	return out
}

func diffDumps(a, b map[string]string) string {
	var sb strings.Builder
	for k, v := range a {
		if b[k] != v {
			fmt.Fprintf(&sb, "%s:\n  cluster %.300s\n  single  %.300s\n", k, v, b[k])
		}
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			fmt.Fprintf(&sb, "%s: missing on the cluster\n", k)
		}
	}
	if sb.Len() > 4000 {
		return sb.String()[:4000] + "..."
	}
	return sb.String()
}

func e(rank int64, user string, score float64) store.Entry {
	return store.Entry{Rank: rank, UserID: user, Score: score}
}

// --redis naming one node of the cluster (redis://host:port) still works on
// the whole cluster: statsctl sees cluster_enabled:1 and uses it as a seed,
// instead of failing with MOVED on other nodes' products.
func oneSeedNodeURL(t *testing.T, c *testredis.Cluster, ns string) {
	for _, i := range []int{0, 2} {
		url := "redis://" + c.Nodes()[i].Addr
		for _, p := range products {
			cmdtest.MustOK(t, cmdtest.Run(t, cmdtest.Redis(url), nil, "--namespace", ns, "record", p, "w", "l", "--id", "seed"+strconv.Itoa(i)))
		}
		r := cmdtest.MustOK(t, cmdtest.Run(t, cmdtest.Redis(url+"/0"), nil, "--namespace", ns, "leaderboard", "tetris", "-o", "csv"))
		if want := "rank,user_id,score\n1,w," + strconv.Itoa(i/2+1) + "\n2,l,0\n"; r.Out != want {
			t.Fatalf("via node %d: %q, want %q", i, r.Out, want)
		}
	}
	r := cmdtest.Run(t, cmdtest.Redis("redis://"+c.Nodes()[0].Addr+"/1"), nil, "--namespace", ns, "leaderboard", "tetris")
	// Redis itself refuses SELECT on a cluster node, before any write.
	if r.Code != 1 || !strings.Contains(r.Err, "SELECT is not allowed in cluster mode") {
		t.Fatalf("database 1 on a cluster: exit %d %s", r.Code, r.Err)
	}
}

// consumeOnCluster: `statsctl consume` with the stream, its group, the
// dead-letter stream and its markers on the cluster, and the stats on it
// too. The stream URL names ONE node (--stream-redis redis://host:port), so
// it must be detected as a cluster. A "ghost" consumer reads entries and
// dies without acknowledging them: they are taken over with XAUTOCLAIM. A
// real consumer is SIGKILLed mid-stream. After two draining consumers the
// end state equals one clean pass computed from the contract, each invalid
// entry is dead-lettered once, and every dead-letter marker shares the
// dead-letter stream's slot (so its script is legal on a cluster).
func consumeOnCluster(t *testing.T, c *testredis.Cluster, ns, bin string) {
	cc := c.Client()
	stream := ns + "-events" // no hash tag: the stream is its own slot
	dead := stream + ":dead"
	all := e2etest.GenEntries(t, gen.Options{Games: 800, Players: 80, Seed: 11, BadEvery: 40, Products: products})
	all = append(all, e2etest.ExtraBad()...)
	want := e2etest.ModelOf(all)
	half := len(all) / 2
	e2etest.XAddAll(ctx, t, cc, stream, all[:half])

	// The ghost: creates the group, reads 150 entries, never acknowledges.
	if err := cc.XGroupCreateMkStream(ctx, stream, "statsctl", "0").Err(); err != nil {
		t.Fatal(err)
	}
	ghost, err := cc.XReadGroup(ctx, &redis.XReadGroupArgs{Group: "statsctl", Consumer: "ghost", Streams: []string{stream, ">"}, Count: 150}).Result()
	if err != nil || len(ghost[0].Messages) != 150 {
		t.Fatalf("ghost read: %v", err)
	}

	seedURL := "redis://" + c.Nodes()[1].Addr
	common := []string{"--namespace", ns, "--stream", stream, "--redis", c.URL(), "--metrics-addr", "off", "--claim-after", "300ms", "--count", "100"}
	k := e2etest.StartConsume(t, bin, append(common, "--stream-redis", seedURL, "--log-level", "warn")...)
	deadline := time.Now().Add(20 * time.Second)
	for cc.Exists(ctx, ns+":{exrps}:lb:wins").Val() == 0 && time.Now().Before(deadline) && !k.Exited() {
		time.Sleep(5 * time.Millisecond)
	}
	k.Kill(t)
	if out := k.Output(); strings.Contains(out, "MOVED") || strings.Contains(out, "level=ERROR") {
		t.Fatalf("consumer via one node's URL failed:\n%s", e2etest.Tail(out))
	}
	e2etest.XAddAll(ctx, t, cc, stream, all[half:])

	d1 := e2etest.StartConsume(t, bin, append(common, "--stream-redis", seedURL, "--drain")...)
	d2 := e2etest.StartConsume(t, bin, append(common, "--drain")...)
	claimed := false
	for _, d := range []*e2etest.Proc{d1, d2} {
		if code := d.Wait(t, 60*time.Second); code != 0 {
			t.Fatalf("drain: exit %d; log:\n%s", code, e2etest.Tail(d.Output()))
		}
		claimed = claimed || strings.Contains(d.Output(), "claimed entries left pending by another consumer")
	}
	if !claimed {
		t.Errorf("no consumer logged claiming the ghost's entries")
	}
	if n := cc.XLen(ctx, stream).Val(); n != int64(len(all)) {
		t.Errorf("stream has %d entries, want the %d written: never trim or delete", n, len(all))
	}
	if p := e2etest.GroupPending(ctx, cc, stream, "statsctl"); p != 0 {
		t.Errorf("%d entries still pending after the drain", p)
	}
	want.Compare(ctx, t, cc, ns)
	reasons := e2etest.CheckDeadLetters(ctx, t, cc, dead, want.Invalid)

	node := c.NodeClient(0)
	deadSlot := node.ClusterKeySlot(ctx, dead).Val()
	markers := e2etest.Keys(ctx, t, cc, ns+":deadseen:*")
	if len(markers) == 0 {
		t.Fatal("no dead-letter markers written")
	}
	for _, m := range markers {
		if s := node.ClusterKeySlot(ctx, m).Val(); s != deadSlot {
			t.Errorf("marker %s in slot %d, dead-letter stream %s in slot %d", m, s, dead, deadSlot)
		}
	}
	t.Logf("%d entries (%d invalid: %v); stream on node %d, dead letters and %d marker keys on node %d (slot %d)",
		len(all), want.Invalid, reasons, nodeOf(t, c, stream), len(markers), nodeOf(t, c, dead), deadSlot)
}
