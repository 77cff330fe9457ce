package serve_test

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/varcade/statsctl/cmd"
	"github.com/varcade/statsctl/cmd/consume"
	"github.com/varcade/statsctl/cmd/serve"
	"github.com/varcade/statsctl/internal/cmdtest"
	"github.com/varcade/statsctl/internal/cmdutil"
	"github.com/varcade/statsctl/internal/e2etest"
	"github.com/varcade/statsctl/internal/testredis"
)

// syncBuf is a bytes.Buffer safe to read while the server writes logs.
type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) { s.mu.Lock(); defer s.mu.Unlock(); return s.b.Write(p) }
func (s *syncBuf) String() string              { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

func noEnv(string) (string, bool) { return "", false }

func freeAddr(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// waitLine waits for the one start line and returns the API base URL.
func waitLine(t *testing.T, errOut *syncBuf, done <-chan int) (string, string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if m := e2etest.ServeStartLine.FindStringSubmatch(errOut.String()); m != nil {
			line, _, _ := strings.Cut(errOut.String()[strings.Index(errOut.String(), "statsctl serve:"):], "\n")
			return m[1], line
		}
		select {
		case code := <-done:
			t.Fatalf("serve exited %d: %s", code, errOut.String())
		case <-time.After(10 * time.Millisecond):
		}
	}
	t.Fatalf("no start line: %s", errOut.String())
	return "", ""
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// startEmbeddedServe runs `statsctl serve` on the embedded store in a data
// dir, with the real in-process consumer, and returns the API base URL, the
// start line, a stop function and the exit-code channel.
func startEmbeddedServe(t *testing.T, dir, redisAddr string, errOut *syncBuf, extra ...string) (api, line string, stop func() int) {
	t.Helper()
	f := cmdutil.New(cmdutil.IOStreams{In: strings.NewReader(""), Out: io.Discard, Err: errOut}, noEnv)
	f.Flags.DataDir = dir
	c := serve.NewCmd(f, nil, consume.InProcess)
	c.SetArgs(append([]string{"--listen", "127.0.0.1:0", "--redis-listen", redisAddr, "--save-interval", "100ms", "--access-log=false"}, extra...))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	go func() {
		err := c.ExecuteContext(ctx)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			errOut.Write([]byte("error: " + err.Error() + "\n"))
			done <- 1
			return
		}
		done <- 0
	}()
	api, line = waitLine(t, errOut, done)
	stop = func() int {
		cancel() // what SIGTERM does through cmd.Main
		select {
		case code := <-done:
			return code
		case <-time.After(10 * time.Second):
			t.Fatal("serve did not stop")
			return -1
		}
	}
	t.Cleanup(func() { cancel() })
	return api, line, stop
}

func waitBody(t *testing.T, url, want string) {
	t.Helper()
	var body string
	for i := 0; i < 250; i++ {
		if _, body = get(t, url); body == want {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("GET %s:\n got %q\nwant %q", url, body, want)
}

// The one-command platform: the embedded store listens for game servers,
// the real consumer runs in-process, snapshots are periodic and final, and
// a restarted serve neither loses nor recounts anything.
func TestServeEmbeddedPlatform(t *testing.T) {
	dir := t.TempDir()
	redisAddr := freeAddr(t)
	var errOut syncBuf
	api, line, stop := startEmbeddedServe(t, dir, redisAddr, &errOut)
	for _, want := range []string{"embedded Redis on " + redisAddr, "game servers XADD game_event_stream there", "data in " + dir, "saved every 100ms and at shutdown"} {
		if !strings.Contains(line, want) {
			t.Errorf("start line %q lacks %q", line, want)
		}
	}

	// A game server XADDs to the embedded Redis, as it did to the old one.
	xadd := func(winner, loser string) {
		t.Helper()
		gs := gameClient(t, dir, redisAddr)
		defer gs.Close()
		if err := gs.XAdd(context.Background(), &redis.XAddArgs{Stream: "game_event_stream", Values: []string{
			"product_id", "exrps", "game_id", "g42", "type", "game_over", "winner_id", winner, "loser_id", loser}}).Err(); err != nil {
			t.Fatalf("XADD to the embedded store: %v", err)
		}
	}
	xadd("u1", "u2")
	waitBody(t, api+"/leaderboards/top_ten/exrps", `[{"score":1.0,"user_id":"u1"},{"score":0.0,"user_id":"u2"}]`+"\n")
	if code, body := get(t, api+"/readyz"); code != 200 {
		t.Fatalf("readyz: %d %s", code, body)
	}
	// The periodic save wrote a snapshot while serving.
	snap := filepath.Join(dir, "statsctl.snapshot")
	deadline := time.Now().Add(3 * time.Second)
	for {
		if _, err := os.Stat(snap); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no snapshot saved while serving")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if code := stop(); code != 0 {
		t.Fatalf("serve exited %d: %s", code, errOut.String())
	}

	// The data outlives the process: the next command reads it.
	if r := cmdtest.Run(t, nil, nil, "--data-dir", dir, "stats", "exrps", "u2", "-o", "json"); r.Code != 0 || strings.TrimSpace(r.Out) != `{"games":1,"wins":0,"losses":1}` {
		t.Fatalf("stats after serve stopped: %d %s", r.Code, r.Out)
	}

	// Serve again on the same data: the stream, the group's position and the
	// applied-event markers were saved, so the first game is not counted
	// again and a new one is.
	var errOut2 syncBuf
	api, _, stop = startEmbeddedServe(t, dir, redisAddr, &errOut2)
	xadd("u2", "u1")
	waitBody(t, api+"/stats/exrps/u2", `{"games":"2","losses":"1","wins":"1"}`+"\n")
	waitBody(t, api+"/leaderboards/top_ten/exrps", `[{"score":1.0,"user_id":"u2"},{"score":1.0,"user_id":"u1"}]`+"\n")
	if code := stop(); code != 0 {
		t.Fatalf("second serve exited %d: %s", code, errOut2.String())
	}
}

func TestServeRedisListenTaken(t *testing.T) {
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	r := cmdtest.Run(t, nil, nil, "--data-dir", t.TempDir(), "serve", "--listen", "127.0.0.1:0", "--redis-listen", taken.Addr().String())
	if r.Code != 1 || !strings.Contains(r.Err, "address already in use; pick another with --redis-listen") {
		t.Fatalf("exit %d: %s", r.Code, r.Err)
	}
}

func TestServeUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{"serve", "--write-token", "short"},
		{"serve", "--cache-ttl", "1s"},
		{"serve", "--max-body", "0"},
		{"serve", "--log-format", "xml"},
		{"serve", "extra"},
	} {
		if r := cmdtest.Run(t, nil, nil, append([]string{"--data-dir", t.TempDir()}, args...)...); r.Code != 2 {
			t.Errorf("%v: exit %d, want 2 (%s)", args, r.Code, r.Err)
		}
	}
}

// With a Redis URL, serve uses it and says so; the write route takes its
// token from the environment.
func TestServeRemoteRedisAndEnvToken(t *testing.T) {
	rs := testredis.Start(t)
	var errOut syncBuf
	env := func(k string) (string, bool) {
		switch k {
		case "STATSCTL_WRITE_TOKEN":
			return "0123456789abcdef0123", true
		case "STATSCTL_REDIS_URL":
			return rs.URL(), true
		}
		return "", false
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan int, 1)
	go func() {
		done <- cmd.Run(ctx, []string{"serve", "--listen", "127.0.0.1:0"}, cmdutil.IOStreams{In: strings.NewReader(""), Out: io.Discard, Err: &errOut}, env)
	}()
	api, line := waitLine(t, &errOut, done)
	if !strings.Contains(line, "stats Redis "+rs.URL()) || !strings.Contains(line, "POST /v1/events enabled") {
		t.Fatalf("start line: %q", line)
	}
	req, _ := http.NewRequest("POST", api+"/v1/events", strings.NewReader(`{"product_id":"exrps","type":"game_over","game_id":"g","winner_id":"a","loser_id":"b"}`))
	req.Header.Set("Authorization", "Bearer 0123456789abcdef0123")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("POST /v1/events: %d", resp.StatusCode)
	}
	if _, body := get(t, api+"/stats/exrps/a"); body != `{"games":"1","losses":"0","wins":"1"}`+"\n" {
		t.Fatalf("stats: %q", body)
	}
	cancel()
	if code := <-done; code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	if !strings.Contains(errOut.String(), "msg=request") {
		t.Fatalf("no access log: %s", errOut.String())
	}
}
