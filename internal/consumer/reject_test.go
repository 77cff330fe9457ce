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

// A poison event in the middle of a batch (it writes a stats key someone
// set to a string) is dead-lettered alone as store_rejected with Redis's
// message, the rest of the batch is applied and acknowledged, and the
// daemon keeps running and applying. Before the fix the daemon exited on
// the first batch, and every restart counted the winner's win once more.
func TestDaemonDeadLettersPoisonEventAndGoesOn(t *testing.T) {
	testredis.Backends(t, func(t *testing.T, rdb redis.UniversalClient) {
		ctx := context.Background()
		rdb.Set(ctx, "statsctl:{exrps}:stats:u2", "x", 0)
		gameOver(t, rdb, "u1", "u4")
		poison := gameOver(t, rdb, "u3", "u2")
		gameOver(t, rdb, "u1", "u5")
		c, st, logs := newConsumer(t, rdb, consumer.Config{})
		runCtx, cancel := context.WithCancel(ctx)
		defer cancel()
		done := make(chan error, 1)
		go func() { done <- c.Run(runCtx) }()
		wait := func(n int64) {
			t.Helper()
			deadline := time.Now().Add(10 * time.Second)
			for c.Status().Events < n && time.Now().Before(deadline) {
				select {
				case err := <-done:
					t.Fatalf("the daemon stopped: %v\n%s", err, logs)
				case <-time.After(10 * time.Millisecond):
				}
			}
			if got := c.Status().Events; got < n {
				t.Fatalf("%d events processed, want %d\n%s", got, n, logs)
			}
		}
		wait(3)
		gameOver(t, rdb, "u1", "u6")
		wait(4)
		s := c.Status()
		if s.Applied != 3 || s.Invalid != 1 || s.DeadLetters != 1 {
			t.Fatalf("status %+v, want 3 applied and the poison event dead-lettered", s)
		}
		dead, err := rdb.XRange(ctx, consumer.DefaultStream+":dead", "-", "+").Result()
		if err != nil || len(dead) != 1 {
			t.Fatalf("dead letters %v %v", dead, err)
		}
		v := dead[0].Values
		if v[consumer.DeadFieldID] != poison || v[consumer.DeadFieldReason] != handler.ReasonStoreRejected ||
			!strings.Contains(v[consumer.DeadFieldDetail].(string), "WRONGTYPE") || !strings.Contains(v[consumer.DeadFieldDetail].(string), "statsctl:{exrps}:stats:u2") {
			t.Fatalf("dead letter %v", v)
		}
		if stats, _ := st.Stats(ctx, "exrps", "u3"); len(stats) != 0 {
			t.Fatalf("u3 stats %v: the poison event was partly applied", stats)
		}
		if stats, _ := st.Stats(ctx, "exrps", "u1"); stats["wins"] != "3" {
			t.Fatalf("u1 stats %v, want 3 wins", stats)
		}
		cancel()
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		if n := rdb.XPending(ctx, consumer.DefaultStream, consumer.DefaultGroup).Val().Count; n != 0 {
			t.Fatalf("%d entries left pending", n)
		}
	})
}
