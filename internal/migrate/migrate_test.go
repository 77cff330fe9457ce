package migrate

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"

	"github.com/varcade/statsctl/internal/e2etest"
	"github.com/varcade/statsctl/internal/store"
	"github.com/varcade/statsctl/internal/testredis"
)

var ctx = context.Background()

// games makes n events of the platform: game overs in two products, exrps
// weapon picks, and a few events the old worker skipped.
func games(seed uint64, n, players int) []e2etest.Entry {
	r := rand.New(rand.NewPCG(seed, 1))
	var out []e2etest.Entry
	for i := 0; i < n; i++ {
		p := []string{"exrps", "ttt"}[r.IntN(2)]
		w, l := fmt.Sprintf("p%02d", r.IntN(players)), fmt.Sprintf("p%02d", r.IntN(players))
		gid := fmt.Sprintf("g%d", i)
		switch {
		case i%17 == 5:
			out = append(out, e2etest.Entry{"product_id", p, "game_id", gid, "type", "game_over", "winner_id", w}) // skipped: no loser
		case i%13 == 3:
			out = append(out, e2etest.Entry{"product_id", "exrps", "game_id", gid, "type", "gameplay", "event_name", "select_weapon", "event_data", "7", "user_id", w}) // skipped
		case r.IntN(3) == 0:
			out = append(out, e2etest.Entry{"product_id", "exrps", "game_id", gid, "type", "gameplay", "event_name", "select_weapon",
				"event_data", []string{"0", "1", "2", "null"}[r.IntN(4)], "user_id", w})
		case w != l:
			out = append(out, e2etest.Entry{"product_id", p, "game_id", gid, "type", "game_over", "winner_id", w, "loser_id", l})
		}
	}
	return out
}

// setup is an old database (db 2) filled by the old service from events,
// and a target store (db 0) on the same real redis-server.
func setup(t *testing.T, events []e2etest.Entry) (old, target *redis.Client, st *store.Store) {
	srv := testredis.Start(t)
	old = redis.NewClient(&redis.Options{Addr: srv.Addr, DB: 2})
	target = redis.NewClient(&redis.Options{Addr: srv.Addr, DB: 0})
	t.Cleanup(func() { old.Close(); target.Close() })
	os := e2etest.OldService{RDB: old}
	for _, e := range events {
		os.Apply(ctx, t, e)
	}
	os.SaveCursor(ctx, t, "1700000000000-7")
	return old, target, store.New(target, store.Options{})
}

func byProduct(rep Report) map[string]ProductReport {
	out := map[string]ProductReport{}
	for _, p := range rep.Products {
		out[p.Product] = p
	}
	return out
}

// The whole path: the old service's keys land in statsctl's layout equal
// to one clean pass of the same events; old keys are untouched; a second
// run changes nothing and says so per product.
func TestImportOldKeysOnceAndWhole(t *testing.T) {
	events := games(1, 3000, 40)
	old, target, st := setup(t, events)
	before := e2etest.Dump(ctx, t, old, "*")

	dry, err := Run(ctx, Options{Source: old, Target: st, DryRun: true, Page: 7})
	if err != nil {
		t.Fatal(err)
	}
	if keys := e2etest.Keys(ctx, t, target, "*"); len(keys) != 0 {
		t.Fatalf("dry run wrote %v", keys)
	}
	model := e2etest.ModelOf(events)
	for _, p := range dry.Products {
		if p.Status != WouldImport || p.Players != int64(model.BoardSize(p.Product)) || p.StatsHashes != int64(len(model.Users(p.Product))) {
			t.Fatalf("dry run %+v, model has %d players", p, len(model.Users(p.Product)))
		}
	}

	rep, err := Run(ctx, Options{Source: old, Target: st, Page: 7})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Cursor != "1700000000000-7" || len(rep.Products) != 2 {
		t.Fatalf("report %+v", rep)
	}
	for _, p := range rep.Products {
		if p.Status != Imported {
			t.Fatalf("%s: %s %s", p.Product, p.Status, p.Message)
		}
	}
	model.Compare(ctx, t, target, "statsctl")
	if got, _ := st.Products(ctx); !slices.Equal(got, []string{"exrps", "ttt"}) {
		t.Fatalf("products set %v", got)
	}
	// Imported keys must not keep the staged keys' expiry.
	for k, v := range e2etest.Dump(ctx, t, target, "statsctl:*") {
		if len(v) > 0 && v[len(v)-1] == 'y' {
			t.Fatalf("%s has a TTL after the import", k)
		}
	}
	if after := e2etest.Dump(ctx, t, old, "*"); !maps.Equal(before, after) {
		t.Fatal("the old database changed")
	}

	imported := e2etest.Dump(ctx, t, target, "*")
	again, err := Run(ctx, Options{Source: old, Target: st})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range again.Products {
		if p.Status != AlreadyMigrated {
			t.Fatalf("second run: %s %s %s", p.Product, p.Status, p.Message)
		}
	}
	if !maps.Equal(imported, e2etest.Dump(ctx, t, target, "*")) {
		t.Fatal("a second run changed the target")
	}
	if after := e2etest.Dump(ctx, t, old, "*"); !maps.Equal(before, after) {
		t.Fatal("the old database changed")
	}
}

// A product that already has data is refused (its board, or only a stats
// hash); with --merge the old values are added to what statsctl counted.
func TestRefusesDataUnlessMerge(t *testing.T) {
	events := games(2, 600, 10)
	old, target, st := setup(t, events)
	// statsctl counted a game in exrps, and weapon picks only in ttt (no
	// board there), before the import.
	since := []e2etest.Entry{
		{"product_id", "exrps", "game_id", "n1", "type", "game_over", "winner_id", "p01", "loser_id", "new1"},
		{"product_id", "ttt", "game_id", "n2", "type", "gameplay", "event_name", "select_weapon", "event_data", "1", "user_id", "p02"},
	}
	target.ZIncrBy(ctx, "statsctl:{exrps}:lb:wins", 1, "p01")
	target.ZIncrBy(ctx, "statsctl:{exrps}:lb:wins", 0, "new1")
	target.HSet(ctx, "statsctl:{exrps}:stats:p01", "games", 1, "wins", 1, "losses", 0)
	target.HSet(ctx, "statsctl:{exrps}:stats:new1", "games", 1, "wins", 0, "losses", 1)
	target.HSet(ctx, "statsctl:{ttt}:stats:p02", "paper_selection_count", 1)
	pre := e2etest.Dump(ctx, t, target, "*")

	rep, err := Run(ctx, Options{Source: old, Target: st})
	if err != nil {
		t.Fatal(err)
	}
	got := byProduct(rep)
	if got["exrps"].Status != RefusedHasData || got["ttt"].Status != RefusedHasData || rep.Refused() != 2 {
		t.Fatalf("want both refused: %+v", rep)
	}
	if !maps.Equal(pre, e2etest.Dump(ctx, t, target, "*")) {
		t.Fatal("a refused import changed the target")
	}

	rep, err = Run(ctx, Options{Source: old, Target: st, Merge: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range rep.Products {
		if p.Status != Merged {
			t.Fatalf("%s: %s %s", p.Product, p.Status, p.Message)
		}
	}
	want := e2etest.ModelOf(append(slices.Clone(events), since...))
	// The weapon pick in ttt is not a contract stat (exrps only), so the
	// model ignores it: add it by hand.
	want.AddStat("ttt", "p02", "paper_selection_count", 1)
	want.Compare(ctx, t, target, "statsctl")
}

// --merge checks every live value before writing any: one field that is
// not an integer leaves board and stats as they were.
func TestMergeRefusesWholeOnBadLiveValue(t *testing.T) {
	old, target, st := setup(t, games(3, 400, 8))
	target.ZAdd(ctx, "statsctl:{exrps}:lb:wins", redis.Z{Member: "p01", Score: 5})
	target.HSet(ctx, "statsctl:{exrps}:stats:p01", "games", 5)
	target.HSet(ctx, "statsctl:{exrps}:stats:p03", "games", "lots")
	pre := e2etest.Dump(ctx, t, target, "statsctl:{exrps}:*")
	rep, err := Run(ctx, Options{Source: old, Target: st, Merge: true, Only: []string{"exrps"}})
	if err != nil {
		t.Fatal(err)
	}
	if p := rep.Products[0]; p.Status != Failed {
		t.Fatalf("want failed, got %+v", p)
	}
	if !maps.Equal(pre, e2etest.Dump(ctx, t, target, "statsctl:{exrps}:*")) {
		t.Fatal("a refused merge changed exrps")
	}
}

// A value that is not a number refuses its product (listed by key and
// field); the other products are imported. --skip-bad imports it without.
func TestBadValuesRefuseOrSkip(t *testing.T) {
	events := games(4, 500, 10)
	old, target, st := setup(t, events)
	old.HSet(ctx, "_pstats:p01:exrps", "games", "12.5")
	old.ZAdd(ctx, "_lb:wins:exrps", redis.Z{Member: "inf-man", Score: 1e308})
	old.ZIncrBy(ctx, "_lb:wins:exrps", 1e308, "inf-man") // Redis keeps +inf
	old.Set(ctx, "_pstats:p02:exrps", "not a hash", 0)
	old.ZAdd(ctx, "_lb:wins:bad{id}", redis.Z{Member: "u", Score: 1})

	rep, err := Run(ctx, Options{Source: old, Target: st})
	if err != nil {
		t.Fatal(err)
	}
	got := byProduct(rep)
	if p := got["exrps"]; p.Status != RefusedBad || p.BadValues != 3 {
		t.Fatalf("exrps: %+v", p)
	}
	if got["bad{id}"].Status != RefusedBad || got["ttt"].Status != Imported {
		t.Fatalf("report %+v", rep)
	}
	if keys := e2etest.Keys(ctx, t, target, "statsctl:{exrps}:*"); len(keys) != 0 {
		t.Fatalf("refused exrps left %v", keys)
	}

	rep, err = Run(ctx, Options{Source: old, Target: st, SkipBad: true})
	if err != nil {
		t.Fatal(err)
	}
	got = byProduct(rep)
	if got["exrps"].Status != Imported || got["bad{id}"].Status != SkippedProduct || got["ttt"].Status != AlreadyMigrated || rep.Refused() != 0 {
		t.Fatalf("report %+v", rep)
	}
	if _, err := target.ZScore(ctx, "statsctl:{exrps}:lb:wins", "inf-man").Result(); !errors.Is(err, redis.Nil) {
		t.Fatalf("inf-man imported: %v", err)
	}
	if v, _ := target.HGet(ctx, "statsctl:{exrps}:stats:p01", "games").Result(); v != "" {
		t.Fatalf("p01 games imported as %q", v)
	}
	if n, _ := target.Exists(ctx, "statsctl:{exrps}:stats:p02").Result(); n != 0 {
		t.Fatal("p02's string imported")
	}
	if v, _ := target.HGet(ctx, "statsctl:{exrps}:stats:p01", "wins").Result(); v == "" {
		t.Fatal("p01's good fields were not imported")
	}
}

// If the old worker is still running (its cursor moves during the
// import), nothing is imported and no staged key is left.
func TestCursorMovedImportsNothing(t *testing.T) {
	old, target, st := setup(t, games(5, 300, 8))
	_, err := Run(ctx, Options{Source: old, Target: st, staged: func() {
		e2etest.OldService{RDB: old}.SaveCursor(ctx, t, "1700000000001-0")
	}})
	if !errors.Is(err, ErrCursorMoved) {
		t.Fatalf("want ErrCursorMoved, got %v", err)
	}
	for _, k := range e2etest.Keys(ctx, t, target, "*") {
		if k != "statsctl:products" {
			t.Fatalf("left %s", k)
		}
	}
}

// Two imports at once: each product lands exactly once.
func TestConcurrentImportsLandOnce(t *testing.T) {
	events := games(6, 2000, 30)
	old, target, st := setup(t, events)
	var reps [2]Report
	var errs [2]error
	done := make(chan int)
	for i := range 2 {
		go func() {
			reps[i], errs[i] = Run(ctx, Options{Source: old, Target: st, Page: 5, Now: func() time.Time { return time.Unix(int64(i), 0) }})
			done <- i
		}()
	}
	<-done
	<-done
	for i := range 2 {
		if errs[i] != nil {
			t.Fatal(errs[i])
		}
	}
	for _, p := range []string{"exrps", "ttt"} {
		a, b := byProduct(reps[0])[p].Status, byProduct(reps[1])[p].Status
		if !(a == Imported && b == AlreadyMigrated || a == AlreadyMigrated && b == Imported) {
			t.Fatalf("%s: %s and %s", p, a, b)
		}
	}
	e2etest.ModelOf(events).Compare(ctx, t, target, "statsctl")
	for _, k := range e2etest.Keys(ctx, t, target, "*migrate.*") {
		t.Fatalf("staged key left: %s", k)
	}
}

// The embedded store is miniredis: the import script must run there too.
func TestImportIntoEmbeddedStore(t *testing.T) {
	events := games(7, 800, 12)
	srv := testredis.Start(t)
	old := redis.NewClient(&redis.Options{Addr: srv.Addr, DB: 2})
	defer old.Close()
	for _, e := range events {
		e2etest.OldService{RDB: old}.Apply(ctx, t, e)
	}
	mr := miniredis.RunT(t)
	target := redis.NewClient(&redis.Options{Addr: mr.Addr()})
	defer target.Close()
	st := store.New(target, store.Options{})
	rep, err := Run(ctx, Options{Source: old, Target: st, Page: 3})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range rep.Products {
		if p.Status != Imported {
			t.Fatalf("%+v", p)
		}
	}
	e2etest.ModelOf(events).Compare(ctx, t, target, "statsctl")
	rep, err = Run(ctx, Options{Source: old, Target: st, Merge: true})
	if err != nil || rep.Products[0].Status != AlreadyMigrated {
		t.Fatalf("%v %+v", err, rep)
	}
}

// On a Redis Cluster every key of a product is in its hash-tag slot, so
// the one-script move works there.
func TestImportIntoCluster(t *testing.T) {
	if testing.Short() {
		t.Skip("cluster test")
	}
	events := games(8, 1500, 25)
	srv := testredis.Start(t)
	old := redis.NewClient(&redis.Options{Addr: srv.Addr, DB: 2})
	defer old.Close()
	for _, e := range events {
		e2etest.OldService{RDB: old}.Apply(ctx, t, e)
	}
	cl := testredis.StartCluster(t)
	target := cl.Client()
	st := store.New(target, store.Options{})
	rep, err := Run(ctx, Options{Source: old, Target: st, Page: 10})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range rep.Products {
		if p.Status != Imported {
			t.Fatalf("%+v", p)
		}
	}
	e2etest.ModelOf(events).Compare(ctx, t, target, "statsctl")
	rep, err = Run(ctx, Options{Source: old, Target: st, Merge: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range rep.Products {
		if p.Status != AlreadyMigrated {
			t.Fatalf("%+v", p)
		}
	}
}

// A product whose configuration has no board "wins" is imported with a
// warning: new events will not add to the board the old service kept.
func TestWarnsWithoutWinsBoard(t *testing.T) {
	old, _, st := setup(t, games(9, 200, 6))
	rep, err := Run(ctx, Options{Source: old, Target: st, DryRun: true, KeepsWins: func(p string) bool { return p != "ttt" }})
	if err != nil {
		t.Fatal(err)
	}
	got := byProduct(rep)
	if !strings.Contains(got["ttt"].Message, `no board "wins"`) || got["exrps"].Message != "" {
		t.Fatalf("%+v", rep)
	}
}
