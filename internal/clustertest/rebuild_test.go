package clustertest

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/varcade/statsctl/internal/cmdtest"
	"github.com/varcade/statsctl/internal/e2etest"
	"github.com/varcade/statsctl/internal/handler"
	"github.com/varcade/statsctl/internal/testredis"
)

// exampleConfig is the example games configuration shipped with statsctl:
// exrps has a wins board and an Elo board (K by FIDE's rules) there.
const exampleConfig = "../../testdata/config/statsctl.yaml"

// rebuildOnCluster: `statsctl rebuild exrps --board elo` with the example
// configuration, on the cluster, once from the JSONL history and once from
// the stream (on another node, read through the cluster client). Each starts from
// a live Elo board scored with another K (what an operator changing K has)
// and must end with the board and ratings of a fresh pass with the
// example configuration; nothing else changes, no scratch key is left, and
// every key the rebuild wrote (scratch keys included, seen through
// keyspace notifications on every node) is in exrps's slot on its node.
func rebuildOnCluster(t *testing.T, c *testredis.Cluster, ns string) {
	cc := c.Client()
	cfg, err := filepath.Abs(exampleConfig)
	if err != nil {
		t.Fatal(err)
	}
	text, err := os.ReadFile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	k32 := filepath.Join(t.TempDir(), "k32.yaml")
	if other := strings.Replace(string(text), "k: fide", "k: 32", 1); other == string(text) {
		t.Fatalf("%s has no %q to change", cfg, "k: fide")
	} else if err := os.WriteFile(k32, []byte(other), 0o644); err != nil {
		t.Fatal(err)
	}
	const games = 400
	file := generate(t, games)
	stream := ns + "-stream" // no hash tag: its own slot, on another node than exrps
	noIDs := history(games)
	noIDs.IDs = false // the stream's entries are identified by their stream ids
	e2etest.XAddAll(ctx, t, cc, stream, e2etest.GenEntries(t, noIDs))

	load := func(live, config string) {
		t.Helper()
		cmdtest.MustOK(t, run(t, c, live, "--config", config, "track", "-f", file))
	}
	ref := ns + "-ref"
	load(ref, cfg)
	refBoard := dump(t, cc, ref)[ref+":{exrps}:lb:elo"]
	refRatings := ratingsOf(t, cc, ref)
	node := c.NodeClient(0)
	slot := node.ClusterKeySlot(ctx, "{exrps}").Val()
	owner := nodeOf(t, c, "{exrps}")
	streamNode := nodeOf(t, c, stream)
	if streamNode == owner {
		t.Fatalf("the stream %s is on exrps's node %d: pick a name on another node", stream, owner)
	}

	var replayedWant string
	for _, src := range []struct {
		name string
		args []string
	}{
		{"file", []string{"-f", file}},
		{"stream", []string{"--from-stream", "--stream", stream}},
	} {
		live := ns + "-" + src.name
		board, state := live+":{exrps}:lb:elo", live+":{exrps}:rt:elo"
		load(live, k32)
		before := dump(t, cc, live)
		if before[board] == refBoard {
			t.Fatalf("%s: K=32 gave the same Elo board as the example's K: the rebuild would prove nothing", src.name)
		}
		stop := watchKeys(t, c, live)
		start := time.Now()
		r := cmdtest.MustOK(t, run(t, c, live, append([]string{"--config", cfg, "rebuild", "exrps", "--board", "elo"}, src.args...)...))
		took := time.Since(start)
		written := stop()
		// Both histories hold the same exrps events, so both report the
		// same counts; only the file has unreadable lines, counted apart.
		_, replayed, ok := strings.Cut(strings.TrimSpace(r.Out), "; replayed ")
		replayed, _, _ = strings.Cut(replayed, "; skipped ")
		if !strings.HasPrefix(r.Out, "rebuilt exrps/elo: ") || !ok {
			t.Fatalf("%s: report %q", src.name, r.Out)
		}
		if replayedWant == "" {
			replayedWant = replayed
		} else if replayed != replayedWant {
			t.Fatalf("%s: report %q, the file's replay counted %q", src.name, r.Out, replayedWant)
		}

		after := dump(t, cc, live)
		if after[board] != refBoard {
			t.Fatalf("%s: rebuilt board differs from a fresh pass:\n got %.300s\nwant %.300s", src.name, after[board], refBoard)
		}
		if got := ratingsOf(t, cc, live); got != refRatings {
			t.Fatalf("%s: rebuilt ratings differ from a fresh pass:\n got %.300s\nwant %.300s", src.name, got, refRatings)
		}
		for k, v := range before {
			if k != board && k != state && after[k] != v {
				t.Fatalf("%s: the rebuild changed %s", src.name, k)
			}
		}
		if len(after) != len(before) {
			t.Fatalf("%s: %d keys before, %d after: scratch keys left? %v", src.name, len(before), len(after), e2etest.Keys(ctx, t, cc, live+":*rebuild*"))
		}

		scratch := 0
		for k, nodes := range written {
			if s := node.ClusterKeySlot(ctx, k).Val(); s != slot || len(nodes) != 1 || !nodes[owner] {
				t.Fatalf("%s: the rebuild wrote %s in slot %d on nodes %v; exrps is slot %d on node %d", src.name, k, s, nodes, slot, owner)
			}
			if strings.Contains(k, ".rebuild") {
				scratch++
			}
		}
		if scratch == 0 || !written[board][owner] {
			t.Fatalf("%s: keys written %v: want scratch keys and the live board", src.name, written)
		}
		t.Logf("%s: %s in %v; %d keys written, %d of them scratch, all in slot %d on node %d",
			src.name, strings.TrimSpace(r.Out), took.Round(time.Millisecond), len(written), scratch, slot, owner)
	}
	t.Logf("the stream %s is on node %d", stream, streamNode)
}

// ratingsOf is exrps's Elo state per player (rating, deviation, volatility,
// games) without the time of the last game: stream ids carry one, JSONL
// ids do not.
func ratingsOf(t *testing.T, rdb redis.UniversalClient, ns string) string {
	t.Helper()
	h, err := rdb.HGetAll(ctx, ns+":{exrps}:rt:elo").Result()
	if err != nil || len(h) == 0 {
		t.Fatalf("Elo states of %s: %d players, %v", ns, len(h), err)
	}
	out := map[string]handler.RatingState{}
	for u, v := range h {
		s, err := handler.DecodeRatingState(v)
		if err != nil {
			t.Fatal(err)
		}
		s.Last = 0
		out[u] = s
	}
	return fmt.Sprint(out)
}

// watchKeys records which keys of namespace ns are written, and on which
// node, by keyspace notifications switched on for the watch. The returned
// function ends the watch once every node has delivered everything before
// it, and gives key -> nodes.
func watchKeys(t *testing.T, c *testredis.Cluster, ns string) func() map[string]map[int]bool {
	t.Helper()
	const prefix = "__keyspace@0__:"
	done := ns + "-watch-done"
	var mu sync.Mutex
	written := map[string]map[int]bool{}
	var subs []*redis.PubSub
	var readers sync.WaitGroup
	synced := make([]chan struct{}, len(c.Nodes()))
	for i := range c.Nodes() {
		nc := c.NodeClient(i)
		old, err := nc.ConfigGet(ctx, "notify-keyspace-events").Result()
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = nc.ConfigSet(ctx, "notify-keyspace-events", old["notify-keyspace-events"]).Err() })
		if err := nc.ConfigSet(ctx, "notify-keyspace-events", "KA").Err(); err != nil {
			t.Fatal(err)
		}
		ps := nc.PSubscribe(ctx, prefix+ns+":*", done)
		for range 2 { // both subscriptions confirmed before the watch starts
			if _, err := ps.Receive(ctx); err != nil {
				t.Fatalf("subscribe on node %d: %v", i, err)
			}
		}
		subs = append(subs, ps)
		synced[i] = make(chan struct{})
		readers.Add(1)
		go func() {
			defer readers.Done()
			for m := range ps.Channel() {
				if m.Channel == done {
					if m.Payload == strconv.Itoa(i) {
						close(synced[i])
					}
					continue
				}
				k := strings.TrimPrefix(m.Channel, prefix)
				mu.Lock()
				if written[k] == nil {
					written[k] = map[int]bool{}
				}
				written[k][i] = true
				mu.Unlock()
			}
		}()
	}
	return func() map[string]map[int]bool {
		t.Helper()
		for i, ps := range subs {
			// Delivered on node i after every notification before it.
			if err := c.NodeClient(i).Publish(ctx, done, strconv.Itoa(i)).Err(); err != nil {
				t.Fatal(err)
			}
			select {
			case <-synced[i]:
			case <-time.After(10 * time.Second):
				t.Fatalf("node %d: watch not synced in 10s", i)
			}
			_ = ps.Close()
		}
		readers.Wait()
		mu.Lock()
		defer mu.Unlock()
		return written
	}
}
