package server

import (
	"context"
	"testing"
	"time"
)

func TestPortalTopTenExactBytes(t *testing.T) {
	f := newFixture(t, nil)
	// u1 3 wins, u2 2, u3 1, then nine players on 0 (losers enter at 0):
	// 12 players, the portal gets exactly ten, best first.
	f.games("exrps", "u1>u2", "u1>u3", "u1>u4", "u2>u5", "u2>u6", "u3>u7", "u4>u8", "u4>u9")
	f.games("exrps", "u10>u11", "u12>u11")
	// wins: u1 3, u2 2, u4 2, u3 1, u10 1, u12 1; zeros: u5..u9, u11
	r := f.get("/leaderboards/top_ten/exrps")
	r.want(t, 200, `[{"score":3.0,"user_id":"u1"},{"score":2.0,"user_id":"u4"},{"score":2.0,"user_id":"u2"},`+
		`{"score":1.0,"user_id":"u3"},{"score":1.0,"user_id":"u12"},{"score":1.0,"user_id":"u10"},`+
		`{"score":0.0,"user_id":"u9"},{"score":0.0,"user_id":"u8"},{"score":0.0,"user_id":"u7"},{"score":0.0,"user_id":"u6"}]`+"\n")
	if ct := r.header.Get("Content-Type"); ct != "application/json" {
		t.Fatalf("Content-Type %q", ct)
	}
}

func TestPortalTopTenUnknownAndInvalidProduct(t *testing.T) {
	f := newFixture(t, nil)
	// A valid id with no data: an empty list, as every product is readable.
	f.get("/leaderboards/top_ten/nogame").want(t, 200, "[]\n")
	// Ids that cannot name a product: the old service's 400 plain text.
	for _, p := range []string{"ex%7Brps%7D", "a%20b", "%00", "x%C3%A9", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"} {
		r := f.get("/leaderboards/top_ten/" + p)
		r.want(t, 400, "Invalid product Id")
		if ct := r.header.Get("Content-Type"); ct != "text/plain; charset=utf-8" {
			t.Fatalf("%s: Content-Type %q", p, ct)
		}
	}
	// An empty product segment is no route at all.
	f.get("/leaderboards/top_ten/").wantError(t, 404, "not_found")
}

func TestPortalTopTenOtherProductUsesDefaultBoard(t *testing.T) {
	f := newFixture(t, nil)
	f.games("chess", "ann>bob")
	f.get("/leaderboards/top_ten/chess").want(t, 200, `[{"score":1.0,"user_id":"ann"},{"score":0.0,"user_id":"bob"}]`+"\n")
}

func TestPortalStatsExactBytes(t *testing.T) {
	f := newFixture(t, nil)
	f.games("exrps", "u1>u2", "u2>u1", "u1>u2")
	f.apply(weapon("u1", "1"), weapon("u1", "null"), weapon("u1", "1"))
	f.get("/stats/exrps/u1").want(t, 200, `{"botch_selection_count":"1","games":"3","losses":"1","paper_selection_count":"2","wins":"2"}`+"\n")
	f.get("/stats/exrps/u2").want(t, 200, `{"games":"3","losses":"2","wins":"1"}`+"\n")
	// No games: {} as before.
	f.get("/stats/exrps/nobody").want(t, 200, "{}\n")
	// Every product with data is readable, not only registered ones.
	f.games("chess", "ann>bob")
	f.get("/stats/chess/bob").want(t, 200, `{"games":"1","losses":"1","wins":"0"}`+"\n")
	// Path segments are URL-decoded before the checks.
	f.games("exrps", "d\u00e9j\u00e0>vu")
	f.get("/stats/exrps/d%C3%A9j%C3%A0").want(t, 200, `{"games":"1","losses":"0","wins":"1"}`+"\n")
	// Bad ids.
	f.get("/stats/ex%7Brps/u1").want(t, 400, "Invalid product Id")
	f.get("/stats/exrps/u%01").wantError(t, 400, "invalid_user")
	f.get("/stats/exrps/%FF").wantError(t, 400, "invalid_user")
}

func TestPortalTopTenNonASCIIUserLikePython(t *testing.T) {
	f := newFixture(t, nil)
	f.games("exrps", "d\u00e9j\u00e0>\U0001F600")
	f.get("/leaderboards/top_ten/exrps").want(t, 200,
		`[{"score":1.0,"user_id":"d\u00e9j\u00e0"},{"score":0.0,"user_id":"\ud83d\ude00"}]`+"\n")
}

func TestPortalMethodsAndUnknownRoutes(t *testing.T) {
	f := newFixture(t, nil)
	r := f.do("POST", "/leaderboards/top_ten/exrps", nil)
	r.wantError(t, 405, "method_not_allowed")
	if r.header.Get("Allow") != "GET" {
		t.Fatalf("Allow %q", r.header.Get("Allow"))
	}
	if r := f.do("HEAD", "/leaderboards/top_ten/exrps", nil); r.status != 200 {
		t.Fatalf("HEAD: %d", r.status)
	}
	f.get("/leaderboards").wantError(t, 404, "not_found")
	f.get("/stats/exrps").wantError(t, 404, "not_found")
	f.get("/stats/exrps/u1/extra").wantError(t, 404, "not_found")
	f.get("/nope?x=1").wantError(t, 404, "not_found")
}

// The cache never serves a board older than its TTL: driven by a fake clock
// against a real Redis written behind the server's back.
func TestTopTenCacheStaleness(t *testing.T) {
	now := time.Unix(1000, 0)
	var clock = func() time.Time { return now }
	f := newFixture(t, func(c *Config) { c.Now = clock; c.CacheTTL = 500 * time.Millisecond })
	ctx := context.Background()
	key := f.st.Keys().Board("exrps", "wins")
	f.rdb.ZAdd(ctx, key, redisZ(1, "a"))
	f.get("/leaderboards/top_ten/exrps").want(t, 200, `[{"score":1.0,"user_id":"a"}]`+"\n")
	f.rdb.ZAdd(ctx, key, redisZ(5, "b"))
	now = now.Add(499 * time.Millisecond)
	f.get("/leaderboards/top_ten/exrps").want(t, 200, `[{"score":1.0,"user_id":"a"}]`+"\n")
	now = now.Add(time.Millisecond)
	f.get("/leaderboards/top_ten/exrps").want(t, 200, `[{"score":5.0,"user_id":"b"},{"score":1.0,"user_id":"a"}]`+"\n")

	// With the cache off every read goes to Redis.
	g := newFixtureOn(t, f.rs, f.rdb, func(c *Config) { c.CacheTTL = -1 })
	g.get("/leaderboards/top_ten/exrps")
	f.rdb.ZAdd(ctx, key, redisZ(9, "c"))
	g.get("/leaderboards/top_ten/exrps").want(t, 200, `[{"score":9.0,"user_id":"c"},{"score":5.0,"user_id":"b"},{"score":1.0,"user_id":"a"}]`+"\n")

	if _, err := New(Config{Store: f.st, Registry: f.eng.Registry(), CacheTTL: time.Second}); err == nil {
		t.Fatal("a 1s cache TTL was accepted")
	}
}
