package clustertest

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/varcade/statsctl/internal/e2etest"
	"github.com/varcade/statsctl/internal/store"
	"github.com/varcade/statsctl/internal/storetest"
	"github.com/varcade/statsctl/internal/testredis"
)

// boardWins is how many games player u<j> of products[i] has won in
// serveOnCluster: twelve distinct scores, in an order of its own per
// product, so an answer from the wrong product or node cannot pass.
func boardWins(i, j int) int { return 1 + (j+5*i)%12 }

// playerWith is the j of u<j> with that many wins in products[i].
func playerWith(i, wins int) int { return ((wins-1-5*i)%12 + 12) % 12 }

// expectedTopTen is the portal's body for products[i]: the ten best of
// u0..u11 (and "newbie" with 13 wins once the write route added it), laid
// out as the old Flask service did.
func expectedTopTen(i int, newbie bool) string {
	var parts []string
	if newbie {
		parts = append(parts, `{"score":13.0,"user_id":"newbie"}`)
	}
	for score := 12; len(parts) < 10; score-- {
		parts = append(parts, fmt.Sprintf(`{"score":%d.0,"user_id":"u%d"}`, score, playerWith(i, score)))
	}
	return "[" + strings.Join(parts, ",") + "]\n"
}

func httpDo(t *testing.T, req *http.Request) (int, string) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: read body: %v", req.Method, req.URL, err)
	}
	return resp.StatusCode, string(b)
}

// mustGet GETs url and fails unless the answer is 200.
func mustGet(t *testing.T, url string) string {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	code, body := httpDo(t, req)
	if code != http.StatusOK {
		t.Fatalf("GET %s: %d %s", url, code, body)
	}
	return body
}

// serveOnCluster runs the real `statsctl serve` binary on the cluster, the
// products' data spread over all three masters, and checks every route
// over HTTP against results known from how the data was written: the
// portal's top ten and stats, the v1 board page (and its cursor), player
// and products routes, the write route landing on each product's node, and
// /healthz and /readyz. A second serve given ONE node's URL reaches every
// product too. Both stop cleanly on SIGTERM.
func serveOnCluster(t *testing.T, c *testredis.Cluster, ns, bin string) {
	st := store.New(c.Client(), store.Options{Namespace: ns})
	batches := map[string][]store.Item{}
	nodes := map[int][]string{}
	for i, p := range products {
		for j := 0; j < 12; j++ {
			for k := 0; k < boardWins(i, j); k++ {
				batches[p] = append(batches[p], storetest.GameOver(fmt.Sprintf("s%d-%d", j, k), "u"+strconv.Itoa(j), "floor"))
			}
		}
		n := nodeOf(t, c, st.Keys().Board(p, "wins"))
		nodes[n] = append(nodes[n], p)
	}
	if len(nodes) != 3 {
		t.Fatalf("products by node %v: want all three nodes used", nodes)
	}
	if _, err := st.Apply(ctx, batches); err != nil {
		t.Fatal(err)
	}

	const token = "cluster-serve-token-0123"
	srv, api := e2etest.StartServe(t, bin, "--redis", c.URL(), "--namespace", ns, "--listen", "127.0.0.1:0",
		"--write-token", token, "--access-log=false")
	if out := srv.Output(); !strings.Contains(out, "stats Redis "+c.URL()) || !strings.Contains(out, "POST /v1/events enabled") {
		t.Fatalf("start line: %s", out)
	}
	if body := mustGet(t, api+"/healthz"); body != `{"status":"ok"}`+"\n" {
		t.Fatalf("healthz: %q", body)
	}
	if body := mustGet(t, api+"/readyz"); body != `{"status":"ready"}`+"\n" {
		t.Fatalf("readyz: %q", body)
	}

	for i, p := range products {
		top := playerWith(i, 12)
		n := nodeOf(t, c, st.Keys().Board(p, "wins"))
		// The data is on the product's node; serve reads it through the
		// cluster client.
		onNode, err := c.NodeClient(n).ZRevRangeWithScores(ctx, st.Keys().Board(p, "wins"), 0, 0).Result()
		if err != nil || len(onNode) != 1 || onNode[0].Member != "u"+strconv.Itoa(top) || onNode[0].Score != 12 {
			t.Fatalf("%s: best player on node %d: %v %v, want u%d with 12", p, n, onNode, err, top)
		}
		if body := mustGet(t, api+"/leaderboards/top_ten/"+p); body != expectedTopTen(i, false) {
			t.Fatalf("%s (node %d) top ten:\n got %s\nwant %s", p, n, body, expectedTopTen(i, false))
		}
		if body, want := mustGet(t, fmt.Sprintf("%s/stats/%s/u%d", api, p, top)), `{"games":"12","losses":"0","wins":"12"}`+"\n"; body != want {
			t.Fatalf("%s stats of u%d: %q, want %q", p, top, body, want)
		}
		if body, want := mustGet(t, api+"/stats/"+p+"/floor"), `{"games":"78","losses":"78","wins":"0"}`+"\n"; body != want {
			t.Fatalf("%s stats of floor: %q, want %q", p, body, want)
		}
		want := fmt.Sprintf(`{"product_id":%q,"user_id":"u%d","board":"wins","rank":1,"score":12,"percentile":100,"total":13,"stats":{"games":12,"losses":0,"wins":12}}`, p, top)
		if body := mustGet(t, fmt.Sprintf("%s/v1/products/%s/players/u%d", api, p, top)); strings.TrimSpace(body) != want {
			t.Fatalf("%s player:\n got %s\nwant %s", p, body, want)
		}
		// The board page by page: 12 scores from 12 down, then floor with 0.
		var ranks []string
		for url := api + "/v1/products/" + p + "/leaderboard?limit=5"; ; {
			var page struct {
				Total   int64 `json:"total"`
				Entries []struct {
					Rank   int64   `json:"rank"`
					UserID string  `json:"user_id"`
					Score  float64 `json:"score"`
				} `json:"entries"`
				NextCursor *string `json:"next_cursor"`
			}
			if err := json.Unmarshal([]byte(mustGet(t, url)), &page); err != nil {
				t.Fatalf("%s: %v", url, err)
			}
			if page.Total != 13 {
				t.Fatalf("%s: total %d, want 13", url, page.Total)
			}
			for _, e := range page.Entries {
				ranks = append(ranks, fmt.Sprintf("%d:%s=%v", e.Rank, e.UserID, e.Score))
			}
			if page.NextCursor == nil {
				break
			}
			url = api + "/v1/products/" + p + "/leaderboard?limit=5&cursor=" + *page.NextCursor
		}
		var want13 []string
		for score := 12; score >= 1; score-- {
			want13 = append(want13, fmt.Sprintf("%d:u%d=%d", 13-score, playerWith(i, score), score))
		}
		want13 = append(want13, "13:floor=0")
		if strings.Join(ranks, " ") != strings.Join(want13, " ") {
			t.Fatalf("%s board by pages of 5:\n got %v\nwant %v", p, ranks, want13)
		}
	}
	checkProducts(t, api, 13)

	// The write route: 13 wins of a newcomer in every product, one JSONL
	// body; every product's events land on its own node.
	var lines []string
	for _, p := range products {
		for k := 0; k < 13; k++ {
			lines = append(lines, fmt.Sprintf(`{"id":"w%d","product_id":%q,"type":"game_over","winner_id":"newbie","loser_id":"floor"}`, k, p))
		}
	}
	post := func() (int, string) {
		t.Helper()
		req, err := http.NewRequest(http.MethodPost, api+"/v1/events", strings.NewReader(strings.Join(lines, "\n")+"\n"))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+token)
		return httpDo(t, req)
	}
	var sum struct{ Events, Applied, Duplicate, Invalid int }
	code, body := post()
	if err := json.Unmarshal([]byte(body), &sum); code != http.StatusOK || err != nil || sum.Events != len(lines) || sum.Applied != len(lines) {
		t.Fatalf("POST /v1/events: %d %.300s (%v), want all %d applied", code, body, err, len(lines))
	}
	for i, p := range products {
		n := nodeOf(t, c, st.Keys().Board(p, "wins"))
		if s, err := c.NodeClient(n).ZScore(ctx, st.Keys().Board(p, "wins"), "newbie").Result(); err != nil || s != 13 {
			t.Fatalf("%s: newbie on node %d has %v %v, want 13", p, n, s, err)
		}
		// The write dropped the cached top ten at once.
		if body := mustGet(t, api+"/leaderboards/top_ten/"+p); body != expectedTopTen(i, true) {
			t.Fatalf("%s top ten after the write:\n got %s\nwant %s", p, body, expectedTopTen(i, true))
		}
	}
	code, body = post()
	if err := json.Unmarshal([]byte(body), &sum); code != http.StatusOK || err != nil || sum.Applied != 0 || sum.Duplicate != len(lines) {
		t.Fatalf("POST again: %d %.300s (%v), want all %d duplicate", code, body, err, len(lines))
	}
	checkProducts(t, api, 14)

	// ONE node's URL: serve finds the cluster and reaches every product.
	seed := "redis://" + c.Nodes()[1].Addr
	one, api1 := e2etest.StartServe(t, bin, "--redis", seed, "--namespace", ns, "--listen", "127.0.0.1:0", "--access-log=false")
	if body := mustGet(t, api1+"/readyz"); body != `{"status":"ready"}`+"\n" {
		t.Fatalf("readyz via %s: %q", seed, body)
	}
	for i, p := range products {
		if body := mustGet(t, api1+"/leaderboards/top_ten/"+p); body != expectedTopTen(i, true) {
			t.Fatalf("%s (node %d) via %s:\n got %s\nwant %s", p, nodeOf(t, c, st.Keys().Board(p, "wins")), seed, body, expectedTopTen(i, true))
		}
		if body, want := mustGet(t, api1+"/stats/"+p+"/newbie"), `{"games":"13","losses":"0","wins":"13"}`+"\n"; body != want {
			t.Fatalf("%s stats via %s: %q, want %q", p, seed, body, want)
		}
	}
	checkProducts(t, api1, 14)

	for _, p := range []*e2etest.Proc{srv, one} {
		if code := p.Stop(t, 10*time.Second); code != 0 {
			t.Fatalf("serve after SIGTERM: exit %d; log:\n%s", code, e2etest.Tail(p.Output()))
		}
		if out := p.Output(); strings.Contains(out, "MOVED") || strings.Contains(out, "level=ERROR") {
			t.Fatalf("serve logged errors:\n%s", e2etest.Tail(out))
		}
	}
	t.Logf("products by node %v; serve via all nodes and via %s", nodes, seed)
}

// checkProducts: GET /v1/products lists every product with data, each
// with its player count; any other (registered, built in) has none here.
func checkProducts(t *testing.T, api string, players int64) {
	t.Helper()
	var out struct {
		Products []struct {
			ID      string `json:"product_id"`
			Players int64  `json:"players"`
		} `json:"products"`
	}
	body := mustGet(t, api+"/v1/products")
	if err := json.Unmarshal([]byte(body), &out); err != nil {
		t.Fatalf("/v1/products: %v: %s", err, body)
	}
	got := map[string]int64{}
	for _, p := range out.Products {
		got[p.ID] = p.Players
	}
	for _, p := range products {
		if got[p] != players {
			t.Fatalf("/v1/products: %s has %d players, want %d: %s", p, got[p], players, body)
		}
		delete(got, p)
	}
	for p, n := range got {
		if n != 0 {
			t.Fatalf("/v1/products: unexpected %s with %d players", p, n)
		}
	}
}
