package rebuild_test

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/varcade/statsctl/internal/event"
	"github.com/varcade/statsctl/internal/rebuild"
	"github.com/varcade/statsctl/internal/store"
	"github.com/varcade/statsctl/internal/testredis"
)

// TestRebuildSkipsBannedPlayers: after a ban (scores kept), a rebuild of
// each board equals the board of the history without the banned player's
// games: the wins board by the contract's rule computed here, the Elo
// board by loading that filtered history into a fresh namespace. The
// banned player's games are counted as invalid, reason banned.
func TestRebuildSkipsBannedPlayers(t *testing.T) {
	srv := testredis.Start(t)
	cfg := writeConfig(t, "32")
	dir := t.TempDir()
	r := rand.New(rand.NewPCG(5, 6))
	var all, clean strings.Builder
	wins := map[string]float64{}
	cheatGames := 0
	for i := range 300 {
		w, l := r.IntN(12), r.IntN(11)
		if l >= w {
			l++
		}
		name := func(n int) string {
			if n == 11 {
				return "cheat"
			}
			return fmt.Sprintf("u%d", n)
		}
		line := fmt.Sprintf(`{"id":"g%d","product_id":"exrps","game_id":"g%d","type":"game_over","winner_id":%q,"loser_id":%q}`+"\n", i, i, name(w), name(l))
		all.WriteString(line)
		if w == 11 || l == 11 {
			cheatGames++
			continue
		}
		clean.WriteString(line)
		wins[name(w)]++
		if _, ok := wins[name(l)]; !ok {
			wins[name(l)] = 0
		}
	}
	allFile, cleanFile := filepath.Join(dir, "all.jsonl"), filepath.Join(dir, "clean.jsonl")
	for f, s := range map[string]string{allFile: all.String(), cleanFile: clean.String()} {
		if err := os.WriteFile(f, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	load(t, srv, "live", cfg, allFile)
	load(t, srv, "want", cfg, cleanFile)
	reg := registry(t, cfg)
	live := store.New(srv.Client(), store.Options{Namespace: "live"})
	who := store.Who{Actor: "t", Reason: "cheating"}
	if _, err := live.BanPlayer(ctx, reg.Lookup("exrps"), "exrps", "cheat", true, false, who, time.Now()); err != nil {
		t.Fatal(err)
	}
	for _, board := range []string{"wins", "elo"} {
		fh, err := os.Open(allFile)
		if err != nil {
			t.Fatal(err)
		}
		res, err := rebuild.Run(ctx, rebuild.Options{Product: "exrps", Board: board, Registry: reg, Live: live, History: event.NewDecoder(fh, allFile)})
		fh.Close()
		if err != nil {
			t.Fatal(err)
		}
		if got := res.Replayed.ByReason["banned"]; got != int64(cheatGames) {
			t.Fatalf("%s: %d events refused as banned, want %d (%s)", board, got, cheatGames, res.Replayed)
		}
	}
	got, err := live.Top(ctx, store.BoardRef{Product: "exrps", Instance: "wins"}, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	var want []store.Entry
	for u, s := range wins {
		want = append(want, store.Entry{UserID: u, Score: s})
	}
	sort.Slice(want, func(i, j int) bool {
		if want[i].Score != want[j].Score {
			return want[i].Score > want[j].Score
		}
		return want[i].UserID > want[j].UserID
	})
	for i := range want {
		want[i].Rank = int64(i) + 1
		if i > 0 && want[i].Score == want[i-1].Score {
			want[i].Rank = want[i-1].Rank
		}
	}
	if fmt.Sprint(got.Entries) != fmt.Sprint(want) {
		t.Fatalf("rebuilt wins board\n got %v\nwant %v", got.Entries, want)
	}
	wantSt := store.New(srv.Client(), store.Options{Namespace: "want"})
	ge, _ := live.Top(ctx, store.BoardRef{Product: "exrps", Instance: "elo"}, 0, 0)
	we, _ := wantSt.Top(ctx, store.BoardRef{Product: "exrps", Instance: "elo"}, 0, 0)
	if len(ge.Entries) == 0 || fmt.Sprint(ge) != fmt.Sprint(we) {
		t.Fatalf("rebuilt elo board\n got %v\nwant %v", ge, we)
	}
	gr := srv.Client().HGetAll(ctx, live.Keys().RatingState("exrps", "elo")).Val()
	wr := srv.Client().HGetAll(ctx, wantSt.Keys().RatingState("exrps", "elo")).Val()
	if ratings(t, gr) != ratings(t, wr) {
		t.Fatalf("rebuilt elo states\n got %v\nwant %v", ratings(t, gr), ratings(t, wr))
	}
}
