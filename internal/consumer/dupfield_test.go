package consumer_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/varcade/statsctl/internal/consumer"
	"github.com/varcade/statsctl/internal/handler"
	"github.com/varcade/statsctl/internal/testredis"
)

// A stream entry XADDed with a field twice is dead-lettered as malformed,
// naming the field, and not applied. go-redis decodes an entry into a map,
// so before the fix the consumer saw only the last winner_id (u2) and
// counted a win for it: the same entry as JSONL or k=v is refused.
func TestStreamEntryWithFieldTwiceIsDeadLettered(t *testing.T) {
	testredis.Backends(t, func(t *testing.T, rdb redis.UniversalClient) {
		ctx := context.Background()
		dup, err := rdb.Do(ctx, "XADD", consumer.DefaultStream, "*", "product_id", "exrps", "type", "game_over",
			"winner_id", "u1", "winner_id", "u2", "loser_id", "u3", "game_id", "g").Text()
		if err != nil {
			t.Fatal(err)
		}
		gameOver(t, rdb, "u4", "u5")
		c, st, logs := newConsumer(t, rdb, consumer.Config{})
		runCtx, cancel := context.WithCancel(ctx)
		defer cancel()
		done := make(chan error, 1)
		go func() { done <- c.Run(runCtx) }()
		deadline := time.Now().Add(10 * time.Second)
		for c.Status().Events < 2 && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
		}
		cancel()
		if err := <-done; err != nil {
			t.Fatalf("%v\n%s", err, logs)
		}
		s := c.Status()
		if s.Applied != 1 || s.Invalid != 1 || s.DeadLetters != 1 {
			t.Fatalf("status %+v, want 1 applied and the entry with winner_id twice dead-lettered\n%s", s, logs)
		}
		dead, err := rdb.XRange(ctx, consumer.DefaultStream+":dead", "-", "+").Result()
		if err != nil || len(dead) != 1 {
			t.Fatalf("dead letters %v %v", dead, err)
		}
		v := dead[0].Values
		if v[consumer.DeadFieldID] != dup || v[consumer.DeadFieldReason] != handler.ReasonMalformed ||
			!strings.Contains(v[consumer.DeadFieldDetail].(string), `field "winner_id" appears twice`) {
			t.Fatalf("dead letter %v", v)
		}
		for _, u := range []string{"u1", "u2", "u3"} {
			if stats, _ := st.Stats(ctx, "exrps", u); len(stats) != 0 {
				t.Fatalf("%s stats %v: the entry with winner_id twice was applied", u, stats)
			}
		}
	})
}

// The raw XREADGROUP reply is decoded in RESP2 as in RESP3, and a --block
// longer than the client's read timeout (5 s against 3 s) keeps working:
// Do does not extend the read deadline by BLOCK as XReadGroup does, so
// without the cap every idle read would end in an i/o timeout and a retry.
func TestRawReadRESP2AndBlockBeyondReadTimeout(t *testing.T) {
	srv := testredis.Start(t)
	for _, proto := range []int{2, 3} {
		rdb := redis.NewClient(&redis.Options{Addr: srv.Addr, Protocol: proto, ReadTimeout: 3 * time.Second})
		t.Cleanup(func() { rdb.Close() })
		ctx := context.Background()
		rdb.FlushAll(ctx)
		rdb.Do(ctx, "XADD", consumer.DefaultStream, "*", "product_id", "exrps", "type", "game_over",
			"winner_id", "u1", "winner_id", "u2", "loser_id", "u3", "game_id", "g")
		c, _, logs := newConsumer(t, rdb, consumer.Config{Block: 5 * time.Second})
		runCtx, cancel := context.WithCancel(ctx)
		done := make(chan error, 1)
		go func() { done <- c.Run(runCtx) }()
		time.Sleep(7 * time.Second) // idle past one 5 s block and the 3 s read timeout
		gameOver(t, rdb, "u4", "u5")
		// A blocked read wakes on the XADD: without the cap, the read past
		// the client's timeout silently failed and the entry waited ~6 s.
		deadline := time.Now().Add(2 * time.Second)
		for c.Status().Events < 2 && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
		}
		cancel()
		if err := <-done; err != nil {
			t.Fatalf("RESP%d: %v\n%s", proto, err, logs)
		}
		if s := c.Status(); s.Applied != 1 || s.Invalid != 1 {
			t.Fatalf("RESP%d: status %+v, want 1 applied, 1 invalid\n%s", proto, s, logs)
		}
		if strings.Contains(logs.String(), "timeout") {
			t.Fatalf("RESP%d: the idle reads timed out:\n%s", proto, logs)
		}
	}
}
