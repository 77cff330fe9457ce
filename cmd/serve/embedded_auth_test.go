package serve_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/varcade/statsctl/internal/embedded"
)

// gameClient connects as a game server does: the password of the data
// dir's redis.password, database 0.
func gameClient(t *testing.T, dir, addr string) *redis.Client {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, embedded.PasswordFile))
	if err != nil {
		t.Fatalf("the game servers' password: %v", err)
	}
	return redis.NewClient(&redis.Options{Addr: addr, Password: strings.TrimSpace(string(b)), Protocol: 2})
}

// The embedded Redis of serve wants a password (generated, 0600, shown in
// the start line), and the game servers' password may XADD but not
// destroy: FLUSHALL, XTRIM, XGROUP DESTROY, ZADD onto a board and EVAL are
// refused, while node redis 3.x's INFO, SELECT and XADD work. statsctl's
// own clients (the in-process consumer) keep working.
func TestServeEmbeddedAuth(t *testing.T) {
	dir := t.TempDir()
	redisAddr := freeAddr(t)
	var errOut syncBuf
	api, line, stop := startEmbeddedServe(t, dir, redisAddr, &errOut)
	defer stop()
	ctx := context.Background()

	st, err := os.Stat(filepath.Join(dir, embedded.PasswordFile))
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("password file: %v %v, want mode 0600", err, st)
	}
	gs := gameClient(t, dir, redisAddr)
	defer gs.Close()
	if !strings.Contains(line, "redis://:"+gs.Options().Password+"@"+redisAddr+"/0") {
		t.Errorf("start line %q does not show how a game server connects", line)
	}

	anon := redis.NewClient(&redis.Options{Addr: redisAddr, Protocol: 2})
	defer anon.Close()
	if err := anon.FlushAll(ctx).Err(); err == nil || !strings.Contains(err.Error(), "NOAUTH") {
		t.Fatalf("FLUSHALL without a password: %v, want NOAUTH", err)
	}

	// What node redis 3.x sends: AUTH, INFO, SELECT 1, XADD.
	if err := gs.Info(ctx).Err(); err != nil {
		t.Fatalf("INFO: %v", err)
	}
	conn := gs.Conn()
	defer conn.Close()
	if err := conn.Select(ctx, 1).Err(); err != nil {
		t.Fatalf("SELECT 1: %v", err)
	}
	// This serve consumes database 0 (no --stream-db): the game server's
	// connection selects it and XADDs on that same connection, as node
	// redis does (TestServeStreamDB1 covers database 1).
	if err := conn.Select(ctx, 0).Err(); err != nil {
		t.Fatalf("SELECT 0: %v", err)
	}
	if err := conn.XAdd(ctx, &redis.XAddArgs{Stream: "game_event_stream", Values: []string{
		"product_id", "exrps", "game_id", "g1", "type", "game_over", "winner_id", "ann", "loser_id", "bob"}}).Err(); err != nil {
		t.Fatalf("XADD: %v", err)
	}
	waitBody(t, api+"/leaderboards/top_ten/exrps", `[{"score":1.0,"user_id":"ann"},{"score":0.0,"user_id":"bob"}]`+"\n")

	for _, c := range [][]any{
		{"FLUSHALL"}, {"FLUSHDB"}, {"XTRIM", "game_event_stream", "MAXLEN", "0"},
		{"XDEL", "game_event_stream", "0-1"}, {"DEL", "game_event_stream"},
		{"XGROUP", "DESTROY", "game_event_stream", "stats-tracker"},
		{"ZADD", "statsctl:{exrps}:lb:wins", "1e308", "hacker"},
		{"EVAL", "return redis.call('FLUSHALL')", "0"}, {"CONFIG", "SET", "x", "y"},
		{"XADD", "game_event_stream", "MAXLEN", "0", "*", "a", "b"},
		{"XADD", "statsctl:{exrps}:stats:u2", "*", "a", "b"},
	} {
		err := gs.Do(ctx, c...).Err()
		if err == nil || !strings.Contains(err.Error(), "NOPERM") {
			t.Errorf("%v as a game server: %v, want NOPERM", c, err)
		}
	}
	time.Sleep(200 * time.Millisecond)
	waitBody(t, api+"/leaderboards/top_ten/exrps", `[{"score":1.0,"user_id":"ann"},{"score":0.0,"user_id":"bob"}]`+"\n")
	if n, err := gs.XLen(ctx, "game_event_stream").Result(); err != nil || n != 1 {
		t.Fatalf("stream after the attacks: %d %v, want 1 entry", n, err)
	}
}

// serve's /metrics carries the in-process consumer's series, as consume's
// does: an event XADDed to the embedded store is counted there.
func TestServeEmbeddedConsumerMetrics(t *testing.T) {
	dir := t.TempDir()
	redisAddr := freeAddr(t)
	var errOut syncBuf
	api, _, stop := startEmbeddedServe(t, dir, redisAddr, &errOut)
	defer stop()
	gs := gameClient(t, dir, redisAddr)
	defer gs.Close()
	if err := gs.XAdd(context.Background(), &redis.XAddArgs{Stream: "game_event_stream", Values: []string{
		"product_id", "exrps", "game_id", "g1", "type", "game_over", "winner_id", "ann", "loser_id", "bob"}}).Err(); err != nil {
		t.Fatalf("XADD: %v", err)
	}
	want := `statsctl_consumer_events_total{outcome="applied",product="exrps",type="game_over"} 1`
	var body string
	for range 250 {
		if _, body = get(t, api+"/metrics"); strings.Contains(body, want) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if !strings.Contains(body, want) || !strings.Contains(body, "statsctl_consumer_group_pending") {
		t.Fatalf("/metrics lacks the consumer's series (%s):\n%s", want, body)
	}
	if code, b := get(t, api+"/healthz"); code != 200 {
		t.Fatalf("/healthz: %d %s", code, b)
	}
}
