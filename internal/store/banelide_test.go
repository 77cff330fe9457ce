package store_test

import (
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/varcade/statsctl/internal/handler"
	"github.com/varcade/statsctl/internal/store"
	"github.com/varcade/statsctl/internal/storetest"
	"github.com/varcade/statsctl/internal/testredis"
)

// A store that has only seen products without bans sends their batches
// without per-player ban checks; a ban landing from ANOTHER store (another
// consumer, the admin API) must still refuse, in the very next batch, every
// event naming the banned player, and only those. A banned hash of the
// wrong type rejects the events that name players, as with the checks.
func TestApplyBanLandsOnStoreWithoutChecks(t *testing.T) {
	testredis.Backends(t, func(t *testing.T, rdb redis.UniversalClient) {
		st := store.New(rdb, store.Options{})
		admin := store.New(rdb, store.Options{})
		res, err := st.Apply(ctx, map[string][]store.Item{"p": {storetest.GameOver("1-0", "u1", "u2")}})
		if err != nil || res.Applied != 1 {
			t.Fatalf("%+v %v", res, err)
		}
		who := store.Who{Actor: "t", Reason: "cheat", Via: "cli"}
		if _, err := admin.BanPlayer(ctx, handler.DefaultProduct(), "p", "u2", false, false, who, time.Now()); err != nil {
			t.Fatal(err)
		}
		res, err = st.Apply(ctx, map[string][]store.Item{"p": {
			storetest.GameOver("2-0", "u1", "u3"),
			storetest.GameOver("2-1", "u3", "u2"),
			storetest.GameOver("2-2", "u2", "u1"),
		}})
		if err != nil {
			t.Fatal(err)
		}
		rs := res.Rejected["p"]
		if res.Applied != 1 || len(rs) != 2 || rs[0].Pos != 1 || rs[1].Pos != 2 {
			t.Fatalf("%+v, want items 1 and 2 refused", res)
		}
		for _, r := range rs {
			if u, ok := r.BannedUser(); !ok || u != "u2" {
				t.Fatalf("%+v, want refused as banned u2", r)
			}
		}
		if s, _ := st.Stats(ctx, "p", "u2"); s["games"] != "1" {
			t.Fatalf("u2 stats %v, want the one game before the ban", s)
		}

		// Another product, its banned key of the wrong type.
		rdb.Set(ctx, "statsctl:{q}:banned", "x", 0)
		res, err = st.Apply(ctx, map[string][]store.Item{"q": {storetest.GameOver("3-0", "u1", "u2")}})
		if err != nil {
			t.Fatal(err)
		}
		if rs := res.Rejected["q"]; res.Applied != 0 || len(rs) != 1 || !strings.Contains(rs[0].Message, "WRONGTYPE") {
			t.Fatalf("%+v, want the event rejected on the banned key", res)
		}
	})
}
