package faulttest

import (
	"testing"

	"github.com/varcade/statsctl/internal/e2etest"
	"github.com/varcade/statsctl/internal/testredis"
)

// TestFaultConsumersKilledPoison: consumers SIGKILLed over seeded rounds
// while the stream carries events Redis must refuse (issue 10 §1): before
// the stream is written, two exrps players' stats hashes and the tetris
// wins board are planted as strings. Every event touching one of them is
// rejected whole (neither the winner's +1 nor the other player's stats),
// dead-lettered exactly once as store_rejected, every other event applied
// exactly once, and the planted keys are left as they were.
func TestFaultConsumersKilledPoison(t *testing.T) {
	if testing.Short() {
		t.Skip("runs real processes")
	}
	srv := testredis.StartDurable(t)
	tg := target{url: srv.URL(), rdb: srv.Client()}
	bin := e2etest.BuildStatsctl(t)
	const ns = "fpoison"
	killRoundsPoisoned(t, bin, tg, ns, nil, func(es []e2etest.Entry) map[string]string {
		// The first two distinct winners of exrps games: players with
		// both game_over and select_weapon events.
		var users []string
		for _, e := range es {
			f := map[string]string{}
			for i := 0; i+1 < len(e); i += 2 {
				f[e[i]] = e[i+1]
			}
			if f["type"] == "game_over" && f["product_id"] == "exrps" && len(users) < 2 && (len(users) == 0 || users[0] != f["winner_id"]) {
				users = append(users, f["winner_id"])
			}
		}
		if len(users) < 2 {
			t.Fatalf("no two exrps winners in %d entries", len(es))
		}
		planted := map[string]string{
			ns + ":{exrps}:stats:" + users[0]: "x",
			ns + ":{exrps}:stats:" + users[1]: "x",
			ns + ":{tetris}:lb:wins":          "not a board",
		}
		for k, v := range planted {
			if err := tg.rdb.Set(ctx, k, v, 0).Err(); err != nil {
				t.Fatal(err)
			}
		}
		t.Logf("planted wrong-type keys for %v and the tetris board", users)
		return planted
	})
}
