package consumer_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/varcade/statsctl/internal/consumer"
	"github.com/varcade/statsctl/internal/handler"
	"github.com/varcade/statsctl/internal/store"
	"github.com/varcade/statsctl/internal/testredis"
)

// TestFaultBanWhileConsuming: three consumers apply a stream that a writer
// is still filling, and a ban of "cheat" lands mid-stream. From the moment
// BanPlayer returns no event naming cheat is applied (cheat stays off the
// board, their stats stay as at the ban, and their victims' game counts
// add up to cheat's), every refused event is dead-lettered with reason
// banned, and everyone else's games count exactly once.
func TestFaultBanWhileConsuming(t *testing.T) {
	testredis.Backends(t, banWhileConsuming)
	t.Run("cluster", func(t *testing.T) { banWhileConsuming(t, testredis.StartCluster(t).Client()) })
}

func banWhileConsuming(t *testing.T, rdb redis.UniversalClient) {
	ctx := context.Background()
	const n = 3000
	r := rand.New(rand.NewPCG(7, 8))
	type game struct{ w, l string }
	games := make([]game, n)
	cheatGames := 0
	for i := range games {
		if r.IntN(5) == 0 {
			v := "v" + strconv.Itoa(r.IntN(3))
			games[i] = game{"cheat", v}
			if r.IntN(2) == 0 {
				games[i] = game{v, "cheat"}
			}
			cheatGames++
			continue
		}
		w, l := r.IntN(10), r.IntN(9)
		if l >= w {
			l++
		}
		games[i] = game{"u" + strconv.Itoa(w), "u" + strconv.Itoa(l)}
	}
	written := make(chan int, n)
	go func() {
		defer close(written)
		for start := 0; start < n; start += 50 {
			pipe := rdb.Pipeline()
			for _, g := range games[start : start+50] {
				pipe.XAdd(ctx, &redis.XAddArgs{Stream: consumer.DefaultStream, Values: []any{"product_id", "exrps", "game_id", "g",
					"type", "game_over", "winner_id", g.w, "loser_id", g.l}})
			}
			if _, err := pipe.Exec(ctx); err != nil {
				t.Error(err)
				return
			}
			written <- start + 50
			time.Sleep(2 * time.Millisecond)
		}
	}()
	runCtx, stop := context.WithCancel(ctx)
	var wg sync.WaitGroup
	var sts []*store.Store
	var cs []*consumer.Consumer
	for i := range 3 {
		c, st, _ := newConsumer(t, rdb, consumer.Config{Consumer: "c" + strconv.Itoa(i), Count: 20, Block: 50 * time.Millisecond, ClaimAfter: 300 * time.Millisecond})
		sts = append(sts, st)
		cs = append(cs, c)
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := c.Run(runCtx); err != nil && !errors.Is(err, context.Canceled) {
				t.Error(err)
			}
		}()
	}
	st := sts[0]
	for w := range written {
		if w >= n/3 {
			break
		}
	}
	who := store.Who{Actor: "fault", Reason: "cheating", Via: "test"}
	if _, err := st.BanPlayer(ctx, handler.DefaultProduct(), "exrps", "cheat", false, false, who, time.Now()); err != nil {
		t.Fatal(err)
	}
	frozen, err := st.Stats(ctx, "exrps", "cheat")
	if err != nil {
		t.Fatal(err)
	}
	for range written {
	}
	// Let the three catch up, stop them, and drain whatever is left.
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		var done int64
		for _, c := range cs {
			done += c.Status().Events
		}
		if done >= n {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	stop()
	wg.Wait()
	c, _, _ := newConsumer(t, rdb, consumer.Config{Drain: true, Count: 100, ClaimAfter: time.Millisecond})
	runDrain(t, c)

	atBan := int64(0)
	if v, ok := frozen["games"]; ok {
		atBan, _ = strconv.ParseInt(v, 10, 64)
	}
	if atBan == 0 || atBan >= int64(cheatGames) {
		t.Fatalf("the ban must land mid-stream: cheat had %d of %d games at the ban", atBan, cheatGames)
	}
	if _, err := st.Rank(ctx, store.BoardRef{Product: "exrps", Instance: "wins"}, "cheat"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("cheat is on the board after the ban: %v", err)
	}
	now, _ := st.Stats(ctx, "exrps", "cheat")
	if fmt.Sprint(now) != fmt.Sprint(frozen) {
		t.Fatalf("cheat's stats changed after the ban: %v, at the ban %v", now, frozen)
	}
	var victims int64
	for i := range 3 {
		s, _ := st.Stats(ctx, "exrps", "v"+strconv.Itoa(i))
		g, _ := strconv.ParseInt(s["games"], 10, 64)
		victims += g
	}
	if victims != atBan {
		t.Fatalf("victims played %d games, cheat %d at the ban: an event was applied for one player only or after the ban", victims, atBan)
	}
	dead, err := rdb.XRange(ctx, consumer.DefaultStream+":dead", "-", "+").Result()
	if err != nil {
		t.Fatal(err)
	}
	banned := 0
	for _, d := range dead {
		if d.Values[consumer.DeadFieldReason] == handler.ReasonBanned {
			banned++
		}
	}
	if banned != cheatGames-int(atBan) || len(dead) != banned {
		t.Fatalf("%d dead letters, %d of them banned; want %d banned and nothing else", len(dead), banned, cheatGames-int(atBan))
	}
	// Everyone else: each game once, by the contract's rule.
	wins, played := map[string]float64{}, map[string]int64{}
	for _, g := range games {
		if g.w[0] != 'u' {
			continue
		}
		wins[g.w]++
		if _, ok := wins[g.l]; !ok {
			wins[g.l] = 0
		}
		played[g.w]++
		played[g.l]++
	}
	for u, w := range wins {
		got, err := st.Rank(ctx, store.BoardRef{Product: "exrps", Instance: "wins"}, u)
		s, _ := st.Stats(ctx, "exrps", u)
		if err != nil || got.Score != w || s["games"] != strconv.FormatInt(played[u], 10) {
			t.Fatalf("%s: score %v games %s (%v), want %v and %d", u, got.Score, s["games"], err, w, played[u])
		}
	}
}
