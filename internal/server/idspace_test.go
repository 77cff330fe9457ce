package server

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/varcade/statsctl/internal/consumer"
)

// The id-collision attack: POST /v1/events with ids shaped like stream
// entry ids a few seconds ahead, then game servers XADD entries with those
// very ids. Before the fix the consumer took the entries for duplicates and
// silently dropped them; now external ids live in their own marker space,
// so every stream entry is applied, and a POSTed id is still idempotent.
func TestFaultPostedIDsCannotSuppressStreamEntries(t *testing.T) {
	f := newFixture(t, func(c *Config) { c.WriteToken = testToken })
	auth := []string{"Authorization", "Bearer " + testToken}
	ctx := context.Background()
	ms := time.Now().Add(2 * time.Second).UnixMilli()
	var body strings.Builder
	ids := make([]string, 3)
	for i := range ids {
		ids[i] = fmt.Sprintf("%d-%d", ms+int64(i), 0)
		fmt.Fprintf(&body, `{"id":%q,"product_id":"exrps","type":"game_over","game_id":"g","winner_id":"attacker","loser_id":"x%d"}`+"\n", ids[i], i)
	}
	f.do("POST", "/v1/events", strings.NewReader(body.String()), auth...).jsonOf(t)
	r := f.do("POST", "/v1/events", strings.NewReader(body.String()), auth...).jsonOf(t)
	if r["duplicate"] != float64(3) {
		t.Fatalf("posting the same ids again: %v, want 3 duplicates", r)
	}
	for i, id := range ids {
		if err := f.rdb.XAdd(ctx, &redis.XAddArgs{Stream: consumer.DefaultStream, ID: id,
			Values: []any{"product_id", "exrps", "type", "game_over", "game_id", "g", "winner_id", "real", "loser_id", fmt.Sprintf("y%d", i)}}).Err(); err != nil {
			t.Fatal(err)
		}
	}
	c, err := consumer.New(consumer.Config{Drain: true, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}, f.eng, f.rdb)
	if err != nil {
		t.Fatal(err)
	}
	runCtx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	if err := c.Run(runCtx); err != nil {
		t.Fatal(err)
	}
	if s := c.Status(); s.Applied != 3 || s.Duplicate != 0 {
		t.Fatalf("consumer %+v: stream entries were suppressed by posted ids", s)
	}
	f.get("/stats/exrps/real").want(t, 200, `{"games":"3","losses":"0","wins":"3"}`+"\n")
}

// POST /v1/events reports an event Redis refuses on its own line, as
// store_rejected with Redis's message, and applies the others.
func TestPostReportsStoreRejectedPerLine(t *testing.T) {
	f := newFixture(t, func(c *Config) { c.WriteToken = testToken })
	f.rdb.Set(context.Background(), "statsctl:{exrps}:stats:u2", "x", 0)
	body := `{"id":"a","product_id":"exrps","type":"game_over","game_id":"g","winner_id":"u1","loser_id":"u3"}` + "\n" +
		`{"id":"b","product_id":"exrps","type":"game_over","game_id":"g","winner_id":"u3","loser_id":"u2"}` + "\n"
	r := f.do("POST", "/v1/events", strings.NewReader(body), "Authorization", "Bearer "+testToken).jsonOf(t)
	res := r["results"].([]any)
	second := res[1].(map[string]any)
	if r["applied"] != float64(1) || r["invalid"] != float64(1) || second["reason"] != "store_rejected" ||
		!strings.Contains(second["detail"].(string), "WRONGTYPE") || second["line"] != float64(2) {
		t.Fatalf("response %v", r)
	}
	f.get("/stats/exrps/u3").want(t, 200, `{"games":"1","losses":"1","wins":"0"}`+"\n")
}
