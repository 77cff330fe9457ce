package migrate_test

import (
	"maps"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/varcade/statsctl/internal/e2etest"
	"github.com/varcade/statsctl/internal/testredis"
)

// faultRounds is FAULT_ROUNDS (make test-faults: 20), else 3.
func faultRounds() int {
	if n, err := strconv.Atoi(os.Getenv("FAULT_ROUNDS")); err == nil && n > 0 {
		return n
	}
	return 3
}

// SIGKILL of `statsctl migrate legacy` during its staging or between its
// moves (rounds alternate): each product is then whole (with its marker)
// or absent (no board, no stats), never half; a rerun completes the import
// exactly as one clean run.
func TestFaultMigrateSIGKILL(t *testing.T) {
	bin := e2etest.BuildStatsctl(t)
	srv := testredis.Start(t)
	oldDB := redis.NewClient(&redis.Options{Addr: srv.Addr, DB: 2})
	target := redis.NewClient(&redis.Options{Addr: srv.Addr, DB: 0})
	defer oldDB.Close()
	defer target.Close()

	// Enough players that an import takes a while: big has 4,000, the
	// others a few dozen.
	events := platformEvents(7, 3000, "exrps", "ttt", "small")
	r := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 9))
	for i := 0; i < 4000; i++ {
		w, l := "b"+strconv.Itoa(i), "b"+strconv.Itoa(r.IntN(4000))
		if w != l {
			events = append(events, e2etest.Entry{"product_id", "big", "game_id", "x" + strconv.Itoa(i), "type", "game_over", "winner_id", w, "loser_id", l})
		}
	}
	old := e2etest.OldService{RDB: oldDB}
	for _, e := range events {
		old.Apply(ctx, t, e)
	}
	old.SaveCursor(ctx, t, "1700000000000-0")
	want := e2etest.ModelOf(events)
	products := want.Products()
	oldKeys := e2etest.Dump(ctx, t, oldDB, "*")

	args := func(ns string) []string {
		return []string{"--redis", srv.URL() + "/0", "--namespace", ns, "-o", "csv", "migrate", "legacy", "--from", srv.URL() + "/2", "--page", "100"}
	}
	start := time.Now()
	if out, code := run(t, bin, args("calib")...); code != 0 {
		t.Fatalf("calibration run exit %d:\n%s", code, out)
	}
	full := time.Since(start)
	t.Logf("one whole import: %v", full)
	want.Compare(ctx, t, target, "calib")

	for round := range faultRounds() {
		ns := "r" + strconv.Itoa(round)
		p := e2etest.Start(t, bin, args(ns)...)
		// Even rounds kill at a random moment of the first half of a run
		// (the staging); odd rounds as soon as the first product's marker
		// is in place, while the others are being moved in.
		if round%2 == 0 {
			time.Sleep(time.Duration(r.Int64N(int64(full / 2))))
		} else {
			for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline) && !p.Exited(); {
				if n, _ := target.Exists(ctx, markers(ns, products)...).Result(); n > 0 {
					break
				}
				time.Sleep(200 * time.Microsecond)
			}
		}
		p.Kill(t)
		whole := 0
		for _, prod := range products {
			tag := ns + ":{" + prod + "}:"
			marker, _ := target.Exists(ctx, tag+"migrated:legacy").Result()
			board, _ := target.ZCard(ctx, tag+"lb:wins").Result()
			stats := len(e2etest.Keys(ctx, t, target, tag+"stats:*"))
			switch {
			case marker == 1 && board == int64(want.BoardSize(prod)) && stats == len(want.Users(prod)):
				whole++
			case marker == 0 && board == 0 && stats == 0:
			default:
				t.Fatalf("round %d: %s is half imported after SIGKILL: marker %d, %d players of %d, %d stats hashes of %d",
					round, prod, marker, board, want.BoardSize(prod), stats, len(want.Users(prod)))
			}
		}
		t.Logf("round %d: killed with %d of %d products imported", round, whole, len(products))
		rerun := time.Now()
		out, code := run(t, bin, args(ns)...)
		if code != 0 || strings.Count(out, ",already_migrated,") != whole || strings.Count(out, ",imported,") != len(products)-whole {
			t.Fatalf("round %d: rerun exit %d:\n%s", round, code, out)
		}
		want.Compare(ctx, t, target, ns)
		full = min(full, time.Since(rerun))
	}
	if !maps.Equal(oldKeys, e2etest.Dump(ctx, t, oldDB, "*")) {
		t.Fatal("the old database changed")
	}
}

func markers(ns string, products []string) []string {
	out := make([]string, len(products))
	for i, p := range products {
		out[i] = ns + ":{" + p + "}:migrated:legacy"
	}
	return out
}
