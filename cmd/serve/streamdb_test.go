package serve_test

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/varcade/statsctl/cmd/serve"
	"github.com/varcade/statsctl/internal/cmdutil"
	"github.com/varcade/statsctl/internal/embedded"
)

// gameClientURL connects with the URL a game server of the platform is
// built with: the game servers' password, database db.
func gameClientURL(t *testing.T, dir, addr, db string) *redis.Client {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, embedded.PasswordFile))
	if err != nil {
		t.Fatalf("the game servers' password: %v", err)
	}
	o, err := redis.ParseURL("redis://:" + strings.TrimSpace(string(b)) + "@" + addr + "/" + db)
	if err != nil {
		t.Fatal(err)
	}
	o.Protocol = 2
	c := redis.NewClient(o)
	t.Cleanup(func() { c.Close() })
	return c
}

func xaddGame(t *testing.T, c *redis.Client, game, w, l string) {
	t.Helper()
	if err := c.XAdd(context.Background(), &redis.XAddArgs{Stream: "game_event_stream", Values: []string{
		"product_id", "exrps", "game_id", game, "type", "game_over", "winner_id", w, "loser_id", l}}).Err(); err != nil {
		t.Fatalf("XADD: %v", err)
	}
}

const annWins = `[{"score":1.0,"user_id":"ann"},{"score":0.0,"user_id":"bob"}]` + "\n"

// The platform's game servers XADD to database 1; with --stream-db 1 the
// in-process consumer applies them, and the start line shows that URL.
func TestServeStreamDB1(t *testing.T) {
	dir := t.TempDir()
	redisAddr := freeAddr(t)
	var errOut syncBuf
	api, line, stop := startEmbeddedServe(t, dir, redisAddr, &errOut, "--stream-db", "1")
	defer stop()
	gs := gameClientURL(t, dir, redisAddr, "1")
	if !strings.Contains(line, "@"+redisAddr+"/1") {
		t.Errorf("start line %q does not show database 1's URL", line)
	}
	xaddGame(t, gs, "g1", "ann", "bob")
	waitBody(t, api+"/leaderboards/top_ten/exrps", annWins)
	time.Sleep(300 * time.Millisecond) // a few saves
	if strings.Contains(errOut.String(), "nobody consumes") {
		t.Errorf("warned although database 1 is consumed:\n%s", errOut.String())
	}
}

// Without --stream-db, events in database 1 are not applied: serve says
// so once (WARN naming the db and the fix) and in a gauge; after a restart
// with --stream-db 1 the kept entries are applied.
func TestServeWarnsUnconsumedStreamDB(t *testing.T) {
	dir := t.TempDir()
	redisAddr := freeAddr(t)
	var errOut syncBuf
	api, _, stop := startEmbeddedServe(t, dir, redisAddr, &errOut)
	gs := gameClientURL(t, dir, redisAddr, "1")
	xaddGame(t, gs, "g1", "ann", "bob")
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(errOut.String(), "nobody consumes") && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	xaddGame(t, gs, "g2", "ann", "bob")
	time.Sleep(500 * time.Millisecond) // several more saves and checks
	out := errOut.String()
	if n := strings.Count(out, "nobody consumes"); n != 1 {
		t.Fatalf("warned %d times, want once:\n%s", n, out)
	}
	warn := out[strings.Index(out, "nobody consumes"):]
	warn, _, _ = strings.Cut(warn, "\n")
	if !strings.Contains(out, "WARN") || !strings.Contains(warn, "--stream-db 1") {
		t.Errorf("warning does not say WARN and --stream-db 1:\n%s", out)
	}
	_, metrics := get(t, api+"/metrics")
	if !strings.Contains(metrics, "statsctl_embedded_unconsumed_streams 1") {
		t.Errorf("/metrics lacks statsctl_embedded_unconsumed_streams 1")
	}
	if _, body := get(t, api+"/leaderboards/top_ten/exrps"); body == annWins {
		t.Fatalf("database 1 was consumed without --stream-db")
	}
	if code := stop(); code != 0 {
		t.Fatalf("serve exited %d:\n%s", code, errOut.String())
	}

	var errOut2 syncBuf
	api, _, stop = startEmbeddedServe(t, dir, redisAddr, &errOut2, "--stream-db", "1")
	defer stop()
	waitBody(t, api+"/leaderboards/top_ten/exrps", `[{"score":2.0,"user_id":"ann"},{"score":0.0,"user_id":"bob"}]`+"\n")
}

func TestServeStreamDBOutOfRange(t *testing.T) {
	for _, db := range []string{"16", "-1"} {
		var errOut syncBuf
		f := cmdutil.New(cmdutil.IOStreams{In: strings.NewReader(""), Out: io.Discard, Err: &errOut}, noEnv)
		f.Flags.DataDir = t.TempDir()
		c := serve.NewCmd(f, nil)
		c.SetArgs([]string{"--listen", "127.0.0.1:0", "--stream-db", db})
		c.SetErr(io.Discard)
		c.SetOut(io.Discard)
		err := c.Execute()
		var ue *cmdutil.UsageError
		if !errors.As(err, &ue) || !strings.Contains(err.Error(), "0 to 15") {
			t.Errorf("--stream-db %s: %v, want a usage error naming 0 to 15", db, err)
		}
		f.Close()
	}
}
