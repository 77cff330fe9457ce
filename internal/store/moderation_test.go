package store_test

import (
	"fmt"
	"math/rand/v2"
	"os"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"

	"github.com/varcade/statsctl/internal/handler"
	"github.com/varcade/statsctl/internal/store"
	"github.com/varcade/statsctl/internal/storetest"
	"github.com/varcade/statsctl/internal/testredis"
)

// allBackends runs f on miniredis, a redis-server and a three-master
// cluster, each with a fresh namespace (the cluster is shared by the
// package's tests, started once).
func allBackends(t *testing.T, f func(t *testing.T, st *store.Store)) {
	t.Helper()
	t.Run("miniredis", func(t *testing.T) {
		m := miniredis.RunT(t)
		c := redis.NewClient(&redis.Options{Addr: m.Addr()})
		t.Cleanup(func() { c.Close() })
		f(t, store.New(c, store.Options{}))
	})
	t.Run("redis-server", func(t *testing.T) { f(t, store.New(testredis.Start(t).Client(), store.Options{})) })
	t.Run("cluster", func(t *testing.T) {
		c := sharedCluster(t)
		ns := fmt.Sprintf("t%d", nsSeq.Add(1))
		f(t, store.New(c, store.Options{Namespace: ns}))
	})
}

var (
	clusterOnce sync.Once
	clusterCli  redis.UniversalClient
	clusterErr  string
	nsSeq       seq
)

type seq struct {
	mu sync.Mutex
	n  int
}

func (s *seq) Add(d int) int { s.mu.Lock(); defer s.mu.Unlock(); s.n += d; return s.n }

// sharedCluster starts one cluster for the whole package run (a cluster
// takes seconds to start); TestMain stops it when every test is done.
func sharedCluster(t *testing.T) redis.UniversalClient {
	t.Helper()
	clusterOnce.Do(func() {
		tb := &keepAlive{T: t}
		defer func() {
			if r := recover(); r != nil {
				clusterErr = fmt.Sprint(r)
			}
		}()
		c := testredis.StartCluster(tb)
		clusterCli = c.Client()
	})
	if clusterCli == nil {
		t.Skipf("no cluster: %s", clusterErr)
	}
	return clusterCli
}

// keepAlive is the testing.TB the shared cluster is started with: it
// keeps the cluster's cleanups for TestMain instead of running them when
// the first test using it ends.
type keepAlive struct {
	*testing.T
}

var (
	cleanupMu sync.Mutex
	cleanups  []func()
)

func (k *keepAlive) Cleanup(f func()) {
	cleanupMu.Lock()
	defer cleanupMu.Unlock()
	cleanups = append(cleanups, f)
}

// TestMain stops the shared cluster after the package's tests.
func TestMain(m *testing.M) {
	code := m.Run()
	cleanupMu.Lock()
	for i := len(cleanups) - 1; i >= 0; i-- {
		cleanups[i]()
	}
	cleanupMu.Unlock()
	os.Exit(code)
}

// model is a wins board computed from games by the contract's rule (winner
// +1, loser enters at 0), without the handler package.
type model map[string]float64

func (m model) game(w, l string) {
	m[w]++
	if _, ok := m[l]; !ok {
		m[l] = 0
	}
}

// sorted is the board best first, ties in ZREVRANGE's order (higher member
// first), each with its rank: 1 + players strictly better.
func (m model) sorted() []store.Entry {
	out := make([]store.Entry, 0, len(m))
	for u, s := range m {
		out = append(out, store.Entry{UserID: u, Score: s})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Score != out[j].Score {
			return out[i].Score > out[j].Score
		}
		return out[i].UserID > out[j].UserID
	})
	for i := range out {
		r := int64(1)
		for _, o := range out {
			if o.Score > out[i].Score {
				r++
			}
		}
		out[i].Rank = r
	}
	return out
}

// list is what RankList must answer for ids.
func (m model) list(ids []string) store.RankedList {
	all := m.sorted()
	out := store.RankedList{Total: int64(len(m))}
	in := map[string]bool{}
	for _, id := range ids {
		if in[id] {
			continue
		}
		in[id] = true
		if _, ok := m[id]; !ok {
			out.Absent = append(out.Absent, id)
		}
	}
	for _, e := range all {
		if in[e.UserID] {
			out.Entries = append(out.Entries, store.ListedEntry{Entry: e})
		}
	}
	for i := range out.Entries {
		r := int64(1)
		for _, o := range out.Entries {
			if o.Score > out.Entries[i].Score {
				r++
			}
		}
		out.Entries[i].ListRank = r
	}
	return out
}

// check compares every query of board on st with the model.
func (m model) check(t *testing.T, st *store.Store, product, board string) {
	t.Helper()
	want := m.sorted()
	page, err := st.Top(ctx, store.BoardRef{Product: product, Instance: board}, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if page.Total != int64(len(want)) {
		t.Fatalf("%s/%s: total %d, model %d", product, board, page.Total, len(want))
	}
	storetest.AssertEntries(t, page.Entries, want)
	// A page from the middle ranks its first entry from Redis.
	if len(want) > 3 {
		p, err := st.Top(ctx, store.BoardRef{Product: product, Instance: board}, 2, 3)
		if err != nil {
			t.Fatal(err)
		}
		storetest.AssertEntries(t, p.Entries, want[2:5])
	}
	ids := make([]string, 0, len(want)+2)
	for i, e := range want {
		ids = append(ids, e.UserID)
		r, err := st.Rank(ctx, store.BoardRef{Product: product, Instance: board}, e.UserID)
		if err != nil || r.Rank != e.Rank || r.Score != e.Score || r.Total != int64(len(want)) {
			t.Fatalf("rank of %s: %+v %v, model %+v", e.UserID, r, err, e)
		}
		a, err := st.Around(ctx, store.BoardRef{Product: product, Instance: board}, e.UserID, 1)
		if err != nil {
			t.Fatal(err)
		}
		storetest.AssertEntries(t, a.Entries, want[max(i-1, 0):min(i+2, len(want))])
	}
	top, err := st.TopTen(ctx, store.BoardRef{Product: product, Instance: board})
	if err != nil {
		t.Fatal(err)
	}
	storetest.AssertEntries(t, top, want[:min(10, len(want))])
	ids = append(append(ids, "never-played"), ids...)
	got, err := st.RankList(ctx, store.BoardRef{Product: product, Instance: board}, ids)
	if err != nil {
		t.Fatal(err)
	}
	if w := m.list(ids); fmt.Sprint(got) != fmt.Sprint(w) {
		t.Fatalf("ranked list\n got %v\nwant %v", got, w)
	}
}

type game struct{ id, w, l string }

func randomGames(r *rand.Rand, n, players int, prefix string) []game {
	out := make([]game, n)
	for i := range out {
		w := r.IntN(players)
		l := (w + 1 + r.IntN(players-1)) % players
		out[i] = game{fmt.Sprintf("%s-%d", prefix, i), fmt.Sprintf("u%d", w), fmt.Sprintf("u%d", l)}
	}
	return out
}

func play(t *testing.T, st *store.Store, product string, gs []game) store.Result {
	t.Helper()
	items := make([]store.Item, len(gs))
	for i, g := range gs {
		items[i] = storetest.GameOver(g.id, g.w, g.l)
	}
	res, err := st.Apply(ctx, map[string][]store.Item{product: items})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

var who = store.Who{Actor: "tester", Reason: "test", Via: "test"}

func TestRankListMatchesModel(t *testing.T) {
	allBackends(t, func(t *testing.T, st *store.Store) {
		r := rand.New(rand.NewPCG(1, 2))
		m := model{}
		gs := randomGames(r, 300, 40, "g")
		for _, g := range gs {
			m.game(g.w, g.l)
		}
		play(t, st, "p1", gs)
		m.check(t, st, "p1", "wins")
		// Ids chosen to collide with listed ones: a trailing space, a zero
		// width space, a Lua pattern character, a brace (hash tag), case.
		ids := []string{"u1", "u1 ", "u1\u200b", "u%1", "{u1}", "U1", "u1", "u2", "nobody"}
		got, err := st.RankList(ctx, store.BoardRef{Product: "p1", Instance: "wins"}, ids)
		if err != nil {
			t.Fatal(err)
		}
		if w := m.list(ids); fmt.Sprint(got) != fmt.Sprint(w) {
			t.Fatalf("colliding ids\n got %v\nwant %v", got, w)
		}
		if len(got.Entries) != 2 || len(got.Absent) != 6 {
			t.Fatalf("want u1 and u2 listed once, 6 absent: %+v", got)
		}
		// An empty board lists everyone as absent.
		got, err = st.RankList(ctx, store.BoardRef{Product: "p1", Instance: "nope"}, []string{"u1"})
		if err != nil || len(got.Entries) != 0 || fmt.Sprint(got.Absent) != "[u1]" || got.Total != 0 {
			t.Fatalf("empty board: %+v %v", got, err)
		}
	})
}

func TestRankedListAround(t *testing.T) {
	l := store.RankedList{Total: 9}
	for i, u := range []string{"a", "b", "c", "d", "e"} {
		l.Entries = append(l.Entries, store.ListedEntry{Entry: store.Entry{Rank: int64(2 * i), UserID: u}, ListRank: int64(i + 1)})
	}
	a, ok := l.Around("a", 1)
	if !ok || len(a.Entries) != 2 || a.Entries[1].UserID != "b" {
		t.Fatalf("around a: %+v", a)
	}
	a, ok = l.Around("d", 2)
	if !ok || len(a.Entries) != 4 || a.Entries[0].UserID != "b" || a.Entries[3].UserID != "e" {
		t.Fatalf("around d: %+v", a)
	}
	if _, ok := l.Around("zz", 2); ok {
		t.Fatal("around an unlisted id")
	}
}

// TestModerationMatchesModel runs each action on a board of random games
// and checks every query against the model with the player taken off: the
// player's entry is gone, everyone else keeps what they had.
func TestModerationMatchesModel(t *testing.T) {
	allBackends(t, func(t *testing.T, st *store.Store) {
		prod := handler.DefaultProduct()
		r := rand.New(rand.NewPCG(3, 4))
		gs := randomGames(r, 200, 25, "g")
		m := model{}
		for _, g := range gs {
			m.game(g.w, g.l)
		}
		for _, p := range []string{"p1", "p2"} {
			play(t, st, p, gs)
		}
		stats := func(p, u string) map[string]string {
			s, err := st.Stats(ctx, p, u)
			if err != nil {
				t.Fatal(err)
			}
			return s
		}

		// remove keeps stats unless asked.
		for range 2 { // idempotent: the second run changes nothing
			if _, err := st.RemovePlayer(ctx, prod, "p1", "u3", false, who); err != nil {
				t.Fatal(err)
			}
		}
		delete(m, "u3")
		m.check(t, st, "p1", "wins")
		if len(stats("p1", "u3")) == 0 {
			t.Fatal("remove without --erase-stats erased the stats")
		}
		a, err := st.RemovePlayer(ctx, prod, "p1", "u4", true, who)
		if err != nil || a.BoardEntries != 1 || !a.StatsErased {
			t.Fatalf("remove u4: %+v %v", a, err)
		}
		delete(m, "u4")
		m.check(t, st, "p1", "wins")
		if len(stats("p1", "u4")) != 0 {
			t.Fatal("stats of u4 left")
		}

		// ban takes the player off and refuses every later event naming them,
		// for both players; the others count.
		a, err = st.BanPlayer(ctx, prod, "p1", "u5", false, false, who, time.Now())
		if err != nil || !a.BanChanged || a.BoardEntries != 1 {
			t.Fatalf("ban u5: %+v %v", a, err)
		}
		a, err = st.BanPlayer(ctx, prod, "p1", "u5", false, false, who, time.Now())
		if err != nil || a.BanChanged || a.BoardEntries != 0 {
			t.Fatalf("ban u5 again: %+v %v", a, err)
		}
		delete(m, "u5")
		m.check(t, st, "p1", "wins")
		later := randomGames(r, 150, 25, "h")
		banned := 0
		for _, g := range later {
			if g.w == "u5" || g.l == "u5" {
				banned++
				continue
			}
			m.game(g.w, g.l)
		}
		res := play(t, st, "p1", later)
		if res.Applied != len(later)-banned || len(res.Rejected["p1"]) != banned {
			t.Fatalf("after the ban: applied %d rejected %d, want %d and %d", res.Applied, len(res.Rejected["p1"]), len(later)-banned, banned)
		}
		for _, rj := range res.Rejected["p1"] {
			if u, ok := rj.BannedUser(); !ok || u != "u5" {
				t.Fatalf("rejected %+v, want banned u5", rj)
			}
		}
		m.check(t, st, "p1", "wins")
		// The same events in another product are not banned there.
		bans, err := st.Bans(ctx, "p1")
		if err != nil || len(bans) != 1 || bans[0].UserID != "u5" || bans[0].Reason != "test" || bans[0].Actor != "tester" {
			t.Fatalf("bans %+v %v", bans, err)
		}
		// unban: later events count again; the removed scores do not return.
		if a, err := st.UnbanPlayer(ctx, "p1", "u5", who); err != nil || !a.BanChanged {
			t.Fatalf("unban: %+v %v", a, err)
		}
		if a, err := st.UnbanPlayer(ctx, "p1", "u5", who); err != nil || a.BanChanged {
			t.Fatalf("unban again: %+v %v", a, err)
		}
		play(t, st, "p1", []game{{"z-1", "u5", "u6"}})
		m.game("u5", "u6")
		m.check(t, st, "p1", "wins")

		// reset archives the board and leaves it empty; the archive reads
		// back as the board was; markers stay (a replay is a duplicate).
		before := m.sorted()
		rr, err := st.ResetBoard(ctx, prod, "p1", "wins", "season-1", who, time.Now())
		if err != nil || rr.Players != int64(len(before)) || rr.Again {
			t.Fatalf("reset: %+v %v", rr, err)
		}
		if rr, err := st.ResetBoard(ctx, prod, "p1", "wins", "season-1", who, time.Now()); err != nil || !rr.Again {
			t.Fatalf("reset again: %+v %v", rr, err)
		}
		model{}.check(t, st, "p1", "wins")
		arch, _, err := st.ArchivedTop(ctx, "p1", "season-1", "", 0, 0)
		if err != nil {
			t.Fatal(err)
		}
		storetest.AssertEntries(t, arch.Entries, before)
		if res := play(t, st, "p1", later[:5]); res.Applied != 0 {
			t.Fatalf("replayed events after a reset applied %d, want duplicates", res.Applied)
		}
		play(t, st, "p1", []game{{"z-2", "u7", "u8"}})
		if _, err := st.ResetBoard(ctx, prod, "p1", "wins", "season-1", who, time.Now()); err == nil || !strings.Contains(err.Error(), "pick another --archive name") {
			t.Fatalf("reset onto a used archive name: %v", err)
		}
		n := model{}
		n.game("u7", "u8")
		n.check(t, st, "p1", "wins")

		// erase: every product, archives included, stats gone; the ban stays.
		if _, err := st.BanPlayer(ctx, prod, "p2", "u7", true, false, who, time.Now()); err != nil {
			t.Fatal(err)
		}
		reg := handler.NewRegistry(prod)
		for range 2 {
			if _, err := st.ErasePlayer(ctx, reg, []string{"p1", "p2"}, "u7", who); err != nil {
				t.Fatal(err)
			}
		}
		delete(n, "u7")
		n.check(t, st, "p1", "wins")
		delete(m, "u3")
		m2 := model{}
		for _, g := range gs {
			m2.game(g.w, g.l)
		}
		delete(m2, "u7")
		m2.check(t, st, "p2", "wins")
		for _, p := range []string{"p1", "p2"} {
			if len(stats(p, "u7")) != 0 {
				t.Fatalf("stats of u7 left in %s", p)
			}
		}
		arch, _, _ = st.ArchivedTop(ctx, "p1", "season-1", "", 0, 0)
		for _, e := range arch.Entries {
			if e.UserID == "u7" {
				t.Fatal("u7 left in the archive")
			}
		}
		if ok, _ := st.IsBanned(ctx, "p2", "u7"); !ok {
			t.Fatal("erase lifted the ban")
		}

		// The audit stream: a requested and a done entry per action, in order.
		au, err := st.Audit(ctx, 0)
		if err != nil {
			t.Fatal(err)
		}
		if len(au)%2 != 0 || len(au) < 20 {
			t.Fatalf("audit has %d entries", len(au))
		}
		for i := 0; i < len(au); i += 2 {
			q, d := au[i], au[i+1]
			if q.Status != "requested" || d.Status != "done" && !(q.Action == "reset" && d.Status == "failed") || d.Ref != q.ID || q.Actor != "tester" || q.Action != d.Action {
				t.Fatalf("audit pair %d: %+v / %+v", i, q, d)
			}
		}
		if last := au[len(au)-2]; last.Action != "erase" || last.User != "u7" || last.Reason != "test" {
			t.Fatalf("last request %+v", last)
		}
	})
}

// A key of the wrong type makes an action refuse with nothing changed
// (and the refusal is in the audit stream).
func TestModerationWrongTypeChangesNothing(t *testing.T) {
	allBackends(t, func(t *testing.T, st *store.Store) {
		play(t, st, "p1", []game{{"1", "a", "b"}})
		if err := st.Client().Set(ctx, st.Keys().Stats("p1", "a"), "x", 0).Err(); err != nil {
			t.Fatal(err)
		}
		_, err := st.RemovePlayer(ctx, handler.DefaultProduct(), "p1", "a", true, who)
		if err == nil || !strings.Contains(err.Error(), "nothing was changed") {
			t.Fatalf("remove over a string stats key: %v", err)
		}
		m := model{}
		m.game("a", "b")
		m.check(t, st, "p1", "wins")
		au, _ := st.Audit(ctx, 1)
		if len(au) != 1 || au[0].Status != "failed" {
			t.Fatalf("audit %+v", au)
		}
		if _, err := st.RemovePlayer(ctx, handler.DefaultProduct(), "p1", "a", false, store.Who{Reason: "x"}); err == nil {
			t.Fatal("an action without an actor ran")
		}
	})
}

// Ban ids with odd bytes: quotes, backslashes, braces, Lua pattern
// characters, spaces, multi-byte text, the longest id. Each is banned
// exactly: a near-identical id still plays.
func TestBanOddIDs(t *testing.T) {
	allBackends(t, func(t *testing.T, st *store.Store) {
		prod := handler.DefaultProduct()
		odd := []string{`a"b`, `c\d`, "{p1}", "%s.*", "sp ace", "ünï😀", strings.Repeat("é", 63) + "x", "statsctl banned: x"}
		for i, u := range odd {
			near := u + "!"
			play(t, st, "p1", []game{{fmt.Sprint("a", i), u, near}})
			if _, err := st.BanPlayer(ctx, prod, "p1", u, false, false, who, time.Now()); err != nil {
				t.Fatalf("ban %q: %v", u, err)
			}
			res := play(t, st, "p1", []game{{fmt.Sprint("b", i), u, "other"}, {fmt.Sprint("c", i), near, "other"}})
			if res.Applied != 1 || len(res.Rejected["p1"]) != 1 {
				t.Fatalf("%q: %+v", u, res)
			}
			if got, ok := res.Rejected["p1"][0].BannedUser(); !ok || got != u {
				t.Fatalf("banned user %q, want %q", got, u)
			}
			if _, err := st.Rank(ctx, store.BoardRef{Product: "p1", Instance: "wins"}, u); err != store.ErrNotFound {
				t.Fatalf("%q still ranked: %v", u, err)
			}
		}
		bans, _ := st.Bans(ctx, "p1")
		if len(bans) != len(odd) {
			t.Fatalf("bans %v", bans)
		}
	})
}

// A rated board: remove, ban and erase take the player's rating state too
// (the next game rates them as new), and leave everyone else's as it was.
func TestModerationRatedBoard(t *testing.T) {
	allBackends(t, func(t *testing.T, st *store.Store) {
		prod := handler.DefaultProduct()
		prod.Boards = append(prod.Boards, handler.Board{Name: "elo", Scorer: handler.Elo{Board: "elo", K: 32, Initial: 1500}})
		states := func() map[string]string {
			m, err := st.Client().HGetAll(ctx, st.Keys().RatingState("p1", "elo")).Result()
			if err != nil {
				t.Fatal(err)
			}
			return m
		}
		// Rating states written as the Elo scorer would (opaque text here).
		items := []store.Item{{EventID: "1", Changes: []handler.Change{
			{Op: handler.ScoreSet, Board: "elo", User: "a", Num: 1516}, {Op: handler.StateSet, Board: "elo", User: "a", Str: "sa"},
			{Op: handler.ScoreSet, Board: "elo", User: "b", Num: 1484}, {Op: handler.StateSet, Board: "elo", User: "b", Str: "sb"},
			{Op: handler.ScoreSet, Board: "elo", User: "c", Num: 1500}, {Op: handler.StateSet, Board: "elo", User: "c", Str: "sc"},
		}}}
		if _, err := st.Apply(ctx, map[string][]store.Item{"p1": items}); err != nil {
			t.Fatal(err)
		}
		a, err := st.RemovePlayer(ctx, prod, "p1", "a", false, who)
		if err != nil || a.BoardEntries != 1 || a.RatingStates != 1 {
			t.Fatalf("remove a: %+v %v", a, err)
		}
		if _, err := st.BanPlayer(ctx, prod, "p1", "b", false, false, who, time.Now()); err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(states()) != "map[c:sc]" {
			t.Fatalf("rating states %v, want only c's", states())
		}
		m := model{"c": 1500}
		m.check(t, st, "p1", "elo")
		if _, err := st.ErasePlayer(ctx, handler.NewRegistry(prod), []string{"p1"}, "c", who); err != nil {
			t.Fatal(err)
		}
		if len(states()) != 0 {
			t.Fatalf("rating states %v after erase", states())
		}
		model{}.check(t, st, "p1", "elo")
	})
}
