package server

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/varcade/statsctl/internal/engine"
	"github.com/varcade/statsctl/internal/handler"
)

func TestV1LeaderboardPagesAndCursor(t *testing.T) {
	f := newFixture(t, nil)
	f.games("exrps", "u1>u2", "u1>u3", "u2>u3", "u4>u5")
	// u1 2, u2 1, u4 1, u3 0, u5 0 -> ranks 1, 2, 2, 4, 4
	f.get("/v1/products/exrps/leaderboard?limit=2").want(t, 200,
		`{"product_id":"exrps","board":"wins","total":5,"offset":0,"entries":[{"rank":1,"user_id":"u1","score":2},{"rank":2,"user_id":"u4","score":1}],"next_cursor":"`+
			encodeCursor("exrps", "wins", 2)+`"}`+"\n")
	f.get("/v1/products/exrps/leaderboard?offset=2&limit=2").want(t, 200,
		`{"product_id":"exrps","board":"wins","total":5,"offset":2,"entries":[{"rank":2,"user_id":"u2","score":1},{"rank":4,"user_id":"u5","score":0}],"next_cursor":"`+
			encodeCursor("exrps", "wins", 4)+`"}`+"\n")
	// Following cursors visits every player once, in order, then stops.
	var users []string
	next := ""
	for pages := 0; ; pages++ {
		if pages > 5 {
			t.Fatal("cursor chain does not end")
		}
		q := "/v1/products/exrps/leaderboard?limit=2"
		if next != "" {
			q += "&cursor=" + url.QueryEscape(next)
		}
		var page struct {
			Entries []struct {
				UserID string `json:"user_id"`
			}
			NextCursor *string `json:"next_cursor"`
		}
		r := f.get(q)
		if err := json.Unmarshal([]byte(r.body), &page); err != nil || r.status != 200 {
			t.Fatalf("%s: %d %s", q, r.status, r.body)
		}
		for _, e := range page.Entries {
			users = append(users, e.UserID)
		}
		if page.NextCursor == nil {
			break
		}
		next = *page.NextCursor
	}
	if got := strings.Join(users, ","); got != "u1,u4,u2,u5,u3" {
		t.Fatalf("cursor walk: %s", got)
	}
	// Empty board: a page with no entries and no cursor.
	f.get("/v1/products/nogame/leaderboard").want(t, 200,
		`{"product_id":"nogame","board":"wins","total":0,"offset":0,"entries":[],"next_cursor":null}`+"\n")
}

func TestV1LeaderboardBadParameters(t *testing.T) {
	f := newFixture(t, nil)
	f.games("exrps", "u1>u2")
	for _, q := range []string{"limit=0", "limit=-1", "limit=1001", "limit=x", "offset=-3", "offset=1e3", "offset=100000001"} {
		f.get("/v1/products/exrps/leaderboard?"+q).wantError(t, 400, "invalid_parameter")
	}
	f.get("/v1/products/exrps/leaderboard?cursor=abc&offset=1").wantError(t, 400, "invalid_parameter")
	for _, c := range []string{"abc", "!!!", encodeCursor("chess", "wins", 1), encodeCursor("exrps", "elo", 1), "YzEAZXhycHMAd2lucwAtMQ"} {
		f.get("/v1/products/exrps/leaderboard?cursor="+url.QueryEscape(c)).wantError(t, 400, "invalid_cursor")
	}
	e := f.get("/v1/products/exrps/leaderboard?board=elo").wantError(t, 404, "unknown_board")
	if fmt.Sprint(e["details"]) != "map[boards:[wins]]" || !strings.Contains(e["message"].(string), "boards: wins") {
		t.Fatalf("unknown board error does not list the boards: %v", e)
	}
	f.get("/v1/products/exrps/leaderboard?board=wins").jsonOf(t)
	f.get("/v1/products/ex%20rps/leaderboard").wantError(t, 400, "invalid_product")
}

func TestV1Around(t *testing.T) {
	f := newFixture(t, nil)
	f.games("exrps", "u1>u2", "u1>u3", "u1>u4", "u2>u3", "u2>u4", "u3>u4")
	// u1 3, u2 2, u3 1, u4 0
	f.get("/v1/products/exrps/leaderboard/around/u3?n=1").want(t, 200,
		`{"product_id":"exrps","board":"wins","user_id":"u3","total":4,"entries":[{"rank":2,"user_id":"u2","score":2},{"rank":3,"user_id":"u3","score":1},{"rank":4,"user_id":"u4","score":0}]}`+"\n")
	f.get("/v1/products/exrps/leaderboard/around/u9").wantError(t, 404, "player_not_found")
	f.get("/v1/products/exrps/leaderboard/around/u1?n=101").wantError(t, 400, "invalid_parameter")
	f.get("/v1/products/exrps/leaderboard/around/u1?board=x").wantError(t, 404, "unknown_board")
	f.get("/v1/products/exrps/leaderboard/around/%7F").wantError(t, 400, "invalid_user")
}

func TestV1Player(t *testing.T) {
	f := newFixture(t, nil)
	f.games("exrps", "u1>u2", "u1>u3", "u2>u3", "u4>u3")
	f.apply(weapon("u2", "0"))
	// u1 2, u2 1, u4 1, u3 0: u2 ranks 2 of 4; 3 players do not rank above.
	f.get("/v1/products/exrps/players/u2").want(t, 200,
		`{"product_id":"exrps","user_id":"u2","board":"wins","rank":2,"score":1,"percentile":75,"total":4,"stats":{"games":2,"losses":1,"rock_selection_count":1,"wins":1}}`+"\n")
	f.get("/v1/products/exrps/players/u1").jsonOf(t)
	if m := f.get("/v1/products/exrps/players/u1").jsonOf(t); m["percentile"] != 100.0 || m["rank"] != 1.0 {
		t.Fatalf("best player: %v", m)
	}
	if m := f.get("/v1/products/exrps/players/u3").jsonOf(t); m["percentile"] != 25.0 {
		t.Fatalf("last player: %v", m)
	}
	// Stats but no place on the board: rank, score, percentile are null.
	f.apply(weapon("u9", "2"))
	f.get("/v1/products/exrps/players/u9").want(t, 200,
		`{"product_id":"exrps","user_id":"u9","board":"wins","rank":null,"score":null,"percentile":null,"total":4,"stats":{"scissors_selection_count":1}}`+"\n")
	f.get("/v1/products/exrps/players/nobody").wantError(t, 404, "player_not_found")
	f.get("/v1/products/exrps/players/"+strings.Repeat("x", 129)).wantError(t, 400, "invalid_user")
}

func TestV1Products(t *testing.T) {
	f := newFixture(t, nil)
	f.get("/v1/products").want(t, 200,
		`{"products":[{"product_id":"exrps","players":0,"default_board":"wins","boards":["wins"],"registered":true,"board_info":[{"name":"wins","scorer":"wins","order":"desc","ties":"shared","format":"auto"}]}]}`+"\n")
	f.games("exrps", "u1>u2", "u3>u1")
	f.games("chess", "ann>bob")
	f.get("/v1/products").want(t, 200,
		`{"products":[{"product_id":"chess","players":2,"default_board":"wins","boards":["wins"],"registered":false,"board_info":[{"name":"wins","scorer":"wins","order":"desc","ties":"shared","format":"auto"}]},`+
			`{"product_id":"exrps","players":3,"default_board":"wins","boards":["wins"],"registered":true,"board_info":[{"name":"wins","scorer":"wins","order":"desc","ties":"shared","format":"auto"}]}]}`+"\n")
}

func TestOpenAPIDescribesEveryRoute(t *testing.T) {
	f := newFixture(t, nil)
	r := f.get("/v1/openapi.json")
	m := r.jsonOf(t)
	if v, _ := m["openapi"].(string); !strings.HasPrefix(v, "3.") {
		t.Fatalf("openapi version %q", v)
	}
	paths, _ := m["paths"].(map[string]any)
	for _, p := range []string{"/leaderboards/top_ten/{product}", "/stats/{product}/{user}", "/v1/products",
		"/v1/products/{product}/leaderboard", "/v1/products/{product}/leaderboard/around/{user}",
		"/v1/products/{product}/players/{user}", "/v1/events", "/v1/openapi.json", "/healthz", "/readyz", "/metrics"} {
		if _, ok := paths[p]; !ok {
			t.Errorf("openapi.json lacks %s", p)
		}
	}
}

// TestV1PlayerShowsRatings: a product with a rating board shows the
// player's rating fields among the stats, as numbers (what `statsctl stats`
// shows), and a player with no games yet on it has none.
func TestV1PlayerShowsRatings(t *testing.T) {
	f := newFixture(t, func(c *Config) {
		reg := handler.NewRegistry(handler.DefaultProduct())
		p := handler.Exrps()
		p.Boards = append(p.Boards, handler.Board{Name: "elo", Scorer: handler.Elo{Board: "elo", K: 32, Initial: 1500}})
		if err := reg.Register("exrps", p); err != nil {
			t.Fatal(err)
		}
		c.Registry = reg
		c.Engine = engine.New(reg, c.Store)
	})
	f.eng = f.srv.cfg.Engine
	f.games("exrps", "u1>u2")
	// One game between two 1500s with K 32: the winner gains 16.
	f.get("/v1/products/exrps/players/u1").want(t, 200,
		`{"product_id":"exrps","user_id":"u1","board":"wins","rank":1,"score":1,"percentile":100,"total":2,"stats":{"elo_games":1,"elo_rating":1516,"games":1,"losses":0,"wins":1}}`+"\n")
	if m := f.get("/v1/products/exrps/players/u2?board=elo").jsonOf(t); m["score"] != 1484.0 || m["stats"].(map[string]any)["elo_rating"] != 1484.0 {
		t.Fatalf("loser on the elo board: %v", m)
	}
	f.apply(weapon("u9", "1"))
	f.get("/v1/products/exrps/players/u9").want(t, 200,
		`{"product_id":"exrps","user_id":"u9","board":"wins","rank":null,"score":null,"percentile":null,"total":2,"stats":{"paper_selection_count":1}}`+"\n")
}
