package server

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

// TestReadyzHonoursReadyTimeoutAgainstAFrozenRedis: with Redis SIGSTOPped
// and a 200ms ready timeout, /readyz took 5.0 s (go-redis's own read
// timeout and retries) and then said "within 200ms". It answers 503 within
// the timeout (plus scheduling slack), every time.
func TestReadyzHonoursReadyTimeoutAgainstAFrozenRedis(t *testing.T) {
	f := newFixture(t, func(c *Config) { c.ReadyTimeout = 200 * time.Millisecond })
	f.get("/readyz").want(t, 200, "{\"status\":\"ready\"}\n")
	f.rs.Stop()
	for i := 0; i < 3; i++ {
		start := time.Now()
		r := f.get("/readyz")
		took := time.Since(start)
		r.wantError(t, 503, "not_ready")
		if took > 700*time.Millisecond {
			t.Fatalf("probe %d: /readyz took %s with --ready-timeout 200ms", i, took)
		}
	}
	f.rs.Cont()
	deadline := time.Now().Add(10 * time.Second)
	for f.get("/readyz").status != 200 {
		if time.Now().After(deadline) {
			t.Fatal("/readyz did not recover after SIGCONT")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestReadyzAsksTheReadyHook: a server whose Ready hook fails (the embedded
// store cannot write snapshots) is not ready, and says why.
func TestReadyzAsksTheReadyHook(t *testing.T) {
	fail := true
	f := newFixture(t, func(c *Config) {
		c.Ready = func(context.Context) error {
			if fail {
				return errors.New("data dir /x is not writable")
			}
			return nil
		}
	})
	body := f.get("/readyz").wantError(t, 503, "not_ready")
	if msg := body["message"].(string); !strings.Contains(msg, "/x is not writable") {
		t.Fatalf("message %q does not say why", msg)
	}
	fail = false
	f.get("/readyz").want(t, 200, "{\"status\":\"ready\"}\n")
}

// TestWrongTypeIsDamageNotUnavailable: a key of the wrong type was answered
// 503 store_unavailable "retry shortly", which no retry fixes. It is 500
// store_damaged, naming the key to fix or delete, on every read route.
func TestWrongTypeIsDamageNotUnavailable(t *testing.T) {
	f := newFixture(t, nil)
	ctx := context.Background()
	f.games("exrps", "u1>u2")
	board := f.st.Keys().Board("exrps", "wins")
	stats := f.st.Keys().Stats("exrps", "u3")
	if err := f.rdb.Del(ctx, board).Err(); err != nil {
		t.Fatal(err)
	}
	f.rdb.Set(ctx, board, "x", 0)
	f.rdb.Set(ctx, stats, "x", 0)
	for target, key := range map[string]string{
		"/leaderboards/top_ten/exrps":              board,
		"/v1/products/exrps/leaderboard":           board,
		"/v1/products/exrps/leaderboard/around/u1": board,
		"/stats/exrps/u3":                          stats,
		"/v1/products/exrps/players/u1":            board,
	} {
		r := f.get(target)
		body := r.wantError(t, 500, "store_damaged")
		msg := body["message"].(string)
		if !strings.Contains(msg, "key "+key+" has the wrong type; fix or delete it") {
			t.Errorf("%s: message %q does not name %s", target, msg, key)
		}
	}
}

// TestEventsRefuseInvalidUTF8Ids: "\xff\xfe", "\xfe\xff", "\xc0\xaf" and a
// lone "\ud800" escape all became one player "\uFFFD" with 4 wins through
// POST /v1/events. Each line is refused (malformed, naming the field) and
// nothing is counted.
func TestEventsRefuseInvalidUTF8Ids(t *testing.T) {
	f := newFixture(t, func(c *Config) { c.WriteToken = testToken })
	var body strings.Builder
	for i, w := range []string{"\xff\xfe", "\xfe\xff", "\xc0\xaf", `\ud800`} {
		body.WriteString(`{"product_id":"exrps","type":"game_over","game_id":"g` + string(rune('0'+i)) + `","winner_id":"` + w + `","loser_id":"u2"}` + "\n")
	}
	r := f.do("POST", "/v1/events", strings.NewReader(body.String()), "Authorization", "Bearer "+testToken)
	m := r.jsonOf(t)
	if r.status != 200 || m["invalid"] != float64(4) || m["applied"] != float64(0) {
		t.Fatalf("got %d %s", r.status, r.body)
	}
	for _, res := range m["results"].([]any) {
		res := res.(map[string]any)
		if res["reason"] != "malformed" || !strings.Contains(res["detail"].(string), "field winner_id is not valid UTF-8") {
			t.Errorf("result %v", res)
		}
	}
	if n, _ := f.rdb.ZCard(context.Background(), f.st.Keys().Board("exrps", "wins")).Result(); n != 0 {
		t.Fatalf("the board has %d players", n)
	}
}
