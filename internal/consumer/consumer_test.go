package consumer_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/redis/go-redis/v9"

	"github.com/varcade/statsctl/internal/consumer"
	"github.com/varcade/statsctl/internal/engine"
	"github.com/varcade/statsctl/internal/event"
	"github.com/varcade/statsctl/internal/handler"
	"github.com/varcade/statsctl/internal/store"
	"github.com/varcade/statsctl/internal/testredis"
)

// syncBuf is a log sink safe for the consumer's goroutines.
type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuf) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func xadd(t *testing.T, rdb redis.UniversalClient, kv ...string) string {
	t.Helper()
	vals := make([]any, len(kv))
	for i, s := range kv {
		vals[i] = s
	}
	id, err := rdb.XAdd(context.Background(), &redis.XAddArgs{Stream: consumer.DefaultStream, Values: vals}).Result()
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func gameOver(t *testing.T, rdb redis.UniversalClient, w, l string) string {
	return xadd(t, rdb, "product_id", "exrps", "game_id", "g", "type", "game_over", "winner_id", w, "loser_id", l)
}

func newConsumer(t *testing.T, rdb redis.UniversalClient, cfg consumer.Config) (*consumer.Consumer, *store.Store, *syncBuf) {
	t.Helper()
	st := store.New(rdb, store.Options{})
	logs := &syncBuf{}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(logs, nil))
	}
	c, err := consumer.New(cfg, engine.New(handler.Builtin(), st), rdb)
	if err != nil {
		t.Fatal(err)
	}
	return c, st, logs
}

func runDrain(t *testing.T, c *consumer.Consumer) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := c.Run(ctx); err != nil {
		t.Fatal(err)
	}
	if ctx.Err() != nil {
		t.Fatal("drain did not finish")
	}
}

func TestDrainAppliesAndDeadLetters(t *testing.T) {
	testredis.Backends(t, func(t *testing.T, rdb redis.UniversalClient) {
		ctx := context.Background()
		gameOver(t, rdb, "u1", "u2")
		gameOver(t, rdb, "u1", "u3")
		xadd(t, rdb, "product_id", "exrps", "game_id", "g", "type", "game_removed")
		bad := gameOver(t, rdb, "u1", "u1")
		xadd(t, rdb, "product_id", "exrps", "type", "gameplay", "event_name", "select_weapon", "event_data", "null", "user_id", "u2")
		reg := prometheus.NewRegistry()
		m := consumer.NewMetrics(reg, []string{"exrps"})
		c, st, logs := newConsumer(t, rdb, consumer.Config{Drain: true, Metrics: m})
		runDrain(t, c)
		s := c.Status()
		if s.Events != 5 || s.Applied != 3 || s.Ignored != 1 || s.Invalid != 1 || s.DeadLetters != 1 || s.Pending != 0 || s.Lag != 0 {
			t.Fatalf("status %+v", s)
		}
		stats, _ := st.Stats(ctx, "exrps", "u2")
		if stats["games"] != "1" || stats["losses"] != "1" || stats["botch_selection_count"] != "1" {
			t.Fatalf("u2 stats %v", stats)
		}
		dead, err := rdb.XRange(ctx, consumer.DefaultStream+":dead", "-", "+").Result()
		if err != nil || len(dead) != 1 {
			t.Fatalf("dead letters %v %v", dead, err)
		}
		v := dead[0].Values
		if v[consumer.DeadFieldID] != bad || v[consumer.DeadFieldReason] != handler.ReasonSamePlayer || v["winner_id"] != "u1" || v[consumer.DeadFieldStream] != consumer.DefaultStream {
			t.Fatalf("dead letter %v", v)
		}
		if n := strings.Count(logs.String(), "invalid event dead-lettered"); n != 1 || !strings.Contains(logs.String(), "id="+bad) {
			t.Fatalf("want one log line naming %s:\n%s", bad, logs)
		}
		if got := testutil.ToFloat64(m.EventsCounter().WithLabelValues("exrps", "game_over", "applied")); got != 2 {
			t.Fatalf("events_total{exrps,game_over,applied} = %v", got)
		}
		if n := rdb.XLen(ctx, consumer.DefaultStream).Val(); n != 5 {
			t.Fatalf("stream length %d: the shared stream must not be trimmed", n)
		}

		// The same entries again under a fresh group: every apply is a
		// duplicate and no dead letter is written twice.
		c2, _, logs2 := newConsumer(t, rdb, consumer.Config{Drain: true, Group: "again"})
		runDrain(t, c2)
		if s := c2.Status(); s.Duplicate != 3 || s.DeadLetters != 0 {
			t.Fatalf("second pass %+v", s)
		}
		if rdb.XLen(ctx, consumer.DefaultStream+":dead").Val() != 1 || strings.Contains(logs2.String(), "dead-lettered") {
			t.Fatalf("dead letter written or logged twice")
		}
	})
}

// TestClaimsDeadConsumersEntries: entries another consumer read and never
// acknowledged are taken over after ClaimAfter (XAUTOCLAIM, which
// miniredis supports too) and applied once.
func TestClaimsDeadConsumersEntries(t *testing.T) {
	testredis.Backends(t, func(t *testing.T, rdb redis.UniversalClient) {
		ctx := context.Background()
		for i := 0; i < 10; i++ {
			gameOver(t, rdb, "u"+strconv.Itoa(i), "loser")
		}
		if err := rdb.XGroupCreateMkStream(ctx, consumer.DefaultStream, consumer.DefaultGroup, "0").Err(); err != nil {
			t.Fatal(err)
		}
		got, err := rdb.XReadGroup(ctx, &redis.XReadGroupArgs{Group: consumer.DefaultGroup, Consumer: "dead", Streams: []string{consumer.DefaultStream, ">"}, Count: 4}).Result()
		if err != nil || len(got[0].Messages) != 4 {
			t.Fatalf("setup read: %v %v", got, err)
		}
		c, st, _ := newConsumer(t, rdb, consumer.Config{Drain: true, ClaimAfter: 200 * time.Millisecond, Consumer: "alive"})
		runDrain(t, c)
		if s := c.Status(); s.Claimed != 4 || s.Applied != 10 {
			t.Fatalf("status %+v, want 4 claimed and 10 applied", s)
		}
		stats, _ := st.Stats(ctx, "exrps", "loser")
		if stats["losses"] != "10" {
			t.Fatalf("loser stats %v", stats)
		}
	})
}

// TestOwnPendingFirst: a restart under the same consumer name re-processes
// what it read before without acknowledging.
func TestOwnPendingFirst(t *testing.T) {
	testredis.Backends(t, func(t *testing.T, rdb redis.UniversalClient) {
		ctx := context.Background()
		for i := 0; i < 3; i++ {
			gameOver(t, rdb, "w", "l")
		}
		_ = rdb.XGroupCreateMkStream(ctx, consumer.DefaultStream, consumer.DefaultGroup, "0").Err()
		_ = rdb.XReadGroup(ctx, &redis.XReadGroupArgs{Group: consumer.DefaultGroup, Consumer: "me", Streams: []string{consumer.DefaultStream, ">"}}).Err()
		c, st, logs := newConsumer(t, rdb, consumer.Config{Drain: true, Consumer: "me"})
		runDrain(t, c)
		if !strings.Contains(logs.String(), "re-processing own pending entries") {
			t.Fatalf("logs:\n%s", logs)
		}
		stats, _ := st.Stats(ctx, "exrps", "w")
		if stats["wins"] != "3" || c.Status().Claimed != 0 {
			t.Fatalf("stats %v status %+v", stats, c.Status())
		}
	})
}

// TestStartPositions: $ skips history; legacy continues after the old
// worker's cursor; a missing cursor is a clear error.
func TestStartPositions(t *testing.T) {
	testredis.Backends(t, func(t *testing.T, rdb redis.UniversalClient) {
		ctx := context.Background()
		gameOver(t, rdb, "a", "b")
		cursor := gameOver(t, rdb, "a", "b")
		gameOver(t, rdb, "c", "d")

		c, _, _ := newConsumer(t, rdb, consumer.Config{Drain: true, Group: "legacy", Start: consumer.StartLegacy})
		err := c.Run(ctx)
		if err == nil || !strings.Contains(err.Error(), consumer.LegacyCursorKey) || !strings.Contains(err.Error(), "--start 0") {
			t.Fatalf("missing cursor: %v", err)
		}
		rdb.Set(ctx, consumer.LegacyCursorKey, cursor, 0)
		c, _, _ = newConsumer(t, rdb, consumer.Config{Drain: true, Group: "legacy", Start: consumer.StartLegacy, Namespace: "leg"})
		runDrain(t, c)
		if s := c.Status(); s.Events != 1 {
			t.Fatalf("legacy start processed %d events, want only the one after the cursor", s.Events)
		}

		c, _, _ = newConsumer(t, rdb, consumer.Config{Drain: true, Group: "new-only", Start: "$"})
		runDrain(t, c)
		if s := c.Status(); s.Events != 0 {
			t.Fatalf("$ processed %d events, want 0", s.Events)
		}
	})
}

// TestStopFinishesBatch: cancelling the context ends Run with nil promptly.
func TestStopFinishesBatch(t *testing.T) {
	testredis.Backends(t, func(t *testing.T, rdb redis.UniversalClient) {
		for i := 0; i < 50; i++ {
			gameOver(t, rdb, "w", "l")
		}
		c, _, _ := newConsumer(t, rdb, consumer.Config{})
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- c.Run(ctx) }()
		deadline := time.Now().Add(10 * time.Second)
		for c.Status().Events < 50 && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
		}
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Fatal(err)
			}
		case <-time.After(3 * time.Second):
			t.Fatal("Run did not return within 3s of cancel")
		}
		if c.Status().Events != 50 || c.Healthy() {
			t.Fatalf("status %+v healthy %v", c.Status(), c.Healthy())
		}
	})
}

// TestStopMidStreamLeavesNothingPending: with small batches the consumer
// reads the next batch while it applies the current one; a stop in the
// middle of a long stream must finish every batch it has read (none is
// left pending for a restart or a claim), and what it applied plus what
// is still unread is the whole stream.
func TestStopMidStreamLeavesNothingPending(t *testing.T) {
	testredis.Backends(t, func(t *testing.T, rdb redis.UniversalClient) {
		ctx := context.Background()
		const n = 3000
		for start := 0; start < n; start += 500 {
			pipe := rdb.Pipeline()
			for i := start; i < start+500; i++ {
				pipe.XAdd(ctx, &redis.XAddArgs{Stream: consumer.DefaultStream, Values: []any{"product_id", "exrps", "game_id", "g",
					"type", "game_over", "winner_id", "w" + strconv.Itoa(i%7), "loser_id", "l"}})
			}
			if _, err := pipe.Exec(ctx); err != nil {
				t.Fatal(err)
			}
		}
		var consumed int64
		for round := 0; round < 3; round++ {
			c, _, _ := newConsumer(t, rdb, consumer.Config{Count: 20})
			runCtx, cancel := context.WithCancel(ctx)
			done := make(chan error, 1)
			go func() { done <- c.Run(runCtx) }()
			deadline := time.Now().Add(10 * time.Second)
			const target = 600 // events this consumer applied before the stop
			for c.Status().Events < target && time.Now().Before(deadline) {
				time.Sleep(time.Millisecond)
			}
			cancel()
			select {
			case err := <-done:
				if err != nil {
					t.Fatal(err)
				}
			case <-time.After(5 * time.Second):
				t.Fatal("Run did not return within 5s of cancel")
			}
			pend, err := rdb.XPending(ctx, consumer.DefaultStream, consumer.DefaultGroup).Result()
			if err != nil {
				t.Fatal(err)
			}
			if pend.Count != 0 {
				t.Fatalf("round %d: %d entries left pending after a clean stop (%+v)", round, pend.Count, c.Status())
			}
			consumed += c.Status().Events
		}
		if consumed >= n {
			t.Fatalf("the stops came after the whole stream was read (%d events); they must land mid-stream", consumed)
		}
		// Drain the rest: every entry applied exactly once over all runs.
		c, st, _ := newConsumer(t, rdb, consumer.Config{Drain: true, Count: 20})
		runDrain(t, c)
		page, err := st.Top(ctx, store.BoardRef{Product: "exrps", Instance: "wins"}, 0, 0)
		if err != nil {
			t.Fatal(err)
		}
		var total float64
		for _, e := range page.Entries {
			total += e.Score
		}
		if total != n {
			t.Fatalf("wins on the board add up to %v, want %d (one per game)", total, n)
		}
	})
}

func TestMetricsLabelsBounded(t *testing.T) {
	reg := prometheus.NewRegistry()
	m := consumer.NewMetrics(reg, []string{"exrps"})
	var evs []event.Event
	var outs []engine.Outcome
	for i := 0; i < 200; i++ {
		evs = append(evs, event.Event{Fields: map[string]string{"product_id": "game" + strconv.Itoa(i), "type": "t" + strconv.Itoa(i)}})
		outs = append(outs, engine.Outcome{Status: engine.Ignored})
	}
	evs = append(evs, event.Event{Fields: map[string]string{"product_id": "bad{id}", "type": "game_over"}}, event.Event{Fields: map[string]string{}})
	outs = append(outs, engine.Outcome{Status: engine.Invalid}, engine.Outcome{Status: engine.Invalid})
	m.ObserveBatch(evs, outs, time.Millisecond)
	if n := testutil.CollectAndCount(m.EventsCounter()); n > consumer.MaxProductLabels+3 {
		t.Fatalf("%d label sets for 202 events of 200 products: not bounded", n)
	}
	if testutil.ToFloat64(m.EventsCounter().WithLabelValues(consumer.LabelInvalid, "game_over", "invalid")) != 1 ||
		testutil.ToFloat64(m.EventsCounter().WithLabelValues(consumer.LabelNone, consumer.LabelNone, "invalid")) != 1 ||
		testutil.ToFloat64(m.EventsCounter().WithLabelValues(consumer.LabelOther, consumer.LabelOther, "ignored")) == 0 {
		t.Fatal("invalid, missing or overflow products not mapped to their labels")
	}
	srv := httptest.NewServer(consumer.HTTPHandler(reg, func() bool { return false }))
	defer srv.Close()
	resp, err := srv.Client().Get(srv.URL + "/healthz")
	if err != nil || resp.StatusCode != 503 {
		t.Fatalf("healthz while unhealthy: %v %v", resp, err)
	}
	resp, err = srv.Client().Get(srv.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, name := range []string{"statsctl_consumer_events_total", "statsctl_consumer_batch_seconds", "statsctl_consumer_group_lag", "statsctl_consumer_group_pending"} {
		if !strings.Contains(string(body), name) {
			t.Errorf("/metrics lacks %s", name)
		}
	}
}

// TestLegacyCursorOnTheStatsServer: with the stream on its own server the
// old worker's cursor is read from Config.LegacyRedis, the stats server.
func TestLegacyCursorOnTheStatsServer(t *testing.T) {
	ctx := context.Background()
	stats := redis.NewClient(&redis.Options{Addr: miniredis.RunT(t).Addr()})
	stream := redis.NewClient(&redis.Options{Addr: miniredis.RunT(t).Addr()})
	t.Cleanup(func() { stats.Close(); stream.Close() })
	gameOver(t, stream, "a", "b")
	cursor := gameOver(t, stream, "a", "b")
	gameOver(t, stream, "c", "d")
	stats.Set(ctx, consumer.LegacyCursorKey, cursor, 0)
	eng := engine.New(handler.Builtin(), store.New(stats, store.Options{}))

	c, err := consumer.New(consumer.Config{Drain: true, Start: consumer.StartLegacy}, eng, stream)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Run(ctx); err == nil || !strings.Contains(err.Error(), "not found") {
		t.Fatalf("without LegacyRedis the cursor was found: %v", err)
	}
	c, err = consumer.New(consumer.Config{Drain: true, Start: consumer.StartLegacy, LegacyRedis: stats}, eng, stream)
	if err != nil {
		t.Fatal(err)
	}
	runDrain(t, c)
	if s := c.Status(); s.Events != 1 {
		t.Fatalf("legacy start processed %d events, want only the one after the cursor", s.Events)
	}
}

func TestConfigErrors(t *testing.T) {
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1"})
	defer rdb.Close()
	eng := engine.New(handler.Builtin(), store.New(rdb, store.Options{}))
	for _, cfg := range []consumer.Config{{DeadLetter: consumer.DefaultStream}, {Start: "yesterday"}} {
		if _, err := consumer.New(cfg, eng, rdb); err == nil {
			t.Errorf("config %+v accepted", cfg)
		}
	}
}

// TestDrainDoesNotWaitOutBlock: a drain that has caught up ends at once,
// not after one more --block of waiting for entries that may come (it
// made every drain, a CI replay's included, end --block late). The wait
// it no longer makes is 2 s; the drain must end well inside it.
func TestDrainDoesNotWaitOutBlock(t *testing.T) {
	testredis.Backends(t, func(t *testing.T, rdb redis.UniversalClient) {
		gameOver(t, rdb, "u1", "u2")
		gameOver(t, rdb, "u1", "u3")
		c, st, _ := newConsumer(t, rdb, consumer.Config{Drain: true, Block: 2 * time.Second})
		began := time.Now()
		runDrain(t, c)
		if took := time.Since(began); took >= time.Second {
			t.Fatalf("the drain took %s: it waited out --block 2s after catching up", took)
		}
		stats, _ := st.Stats(context.Background(), "exrps", "u1")
		if stats["wins"] != "2" {
			t.Fatalf("u1's stats %v, want 2 wins", stats)
		}
	})
}
