package faulttest

import (
	"context"
	"io"
	"net"
	"net/http"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/varcade/statsctl/internal/e2etest"
)

// TestFaultEmbeddedEMFILE: the real `statsctl serve` on the embedded store,
// under `prlimit --nofile=256`, is flooded with 300 keep-alive HTTP
// connections, so every file descriptor is taken. A game server that dials
// the embedded Redis then gets no answer (its connection waits in the
// backlog); once the flood lets go, the embedded Redis accepts again by
// itself: the XADD sent during the flood is answered, the in-process
// consumer applies it and /healthz is 200, in the same process. (Before,
// miniredis's accept loop returned on the first EMFILE and the embedded
// Redis was gone for good while /healthz stayed 200.)
func TestFaultEmbeddedEMFILE(t *testing.T) {
	if testing.Short() {
		t.Skip("runs real processes")
	}
	prlimit, err := exec.LookPath("prlimit")
	if err != nil {
		t.Skip("needs prlimit (util-linux) to run serve under a low file limit")
	}
	bin := e2etest.BuildStatsctl(t)
	redisAddr := freeTCPAddr(t)
	p := e2etest.Start(t, prlimit, "--nofile=256:256", bin, "serve", "--listen", "127.0.0.1:0",
		"--redis-listen", redisAddr, "--access-log=false", "--save-interval", "0")
	api := waitServeLine(t, p)

	m := regexp.MustCompile(`connecting with (redis://\S+),`).FindStringSubmatch(p.Output())
	if m == nil {
		t.Fatalf("the start line names no URL for game servers:\n%s", p.Output())
	}
	gameOpts, err := redis.ParseURL(m[1])
	if err != nil {
		t.Fatal(err)
	}
	gameOpts.MaxRetries, gameOpts.PoolSize = -1, 1
	gameOpts.DialTimeout, gameOpts.ReadTimeout, gameOpts.WriteTimeout = 30*time.Second, 30*time.Second, 30*time.Second
	ctx := context.Background()
	game := redis.NewClient(gameOpts)
	defer game.Close()
	xadd := func(winner string) error {
		return game.XAdd(ctx, &redis.XAddArgs{Stream: "game_event_stream", Values: []any{
			"product_id", "exrps", "game_id", "g-" + winner, "type", "game_over", "winner_id", winner, "loser_id", "loser"}}).Err()
	}
	if err := xadd("before"); err != nil {
		t.Fatalf("XADD before the flood: %v", err)
	}
	game.Close() // the next XADD dials anew, during the flood

	// The flood: 300 keep-alive connections, each with a request so the
	// server holds it open; with 256 descriptors some are never accepted.
	host := strings.TrimPrefix(api, "http://")
	var flood []net.Conn
	for range 300 {
		c, err := net.DialTimeout("tcp", host, 2*time.Second)
		if err != nil {
			t.Fatalf("flood dial: %v", err)
		}
		c.Write([]byte("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"))
		flood = append(flood, c)
	}
	defer func() {
		for _, c := range flood {
			c.Close()
		}
	}()
	time.Sleep(500 * time.Millisecond) // serve takes what it can; fds run out

	game = redis.NewClient(gameOpts)
	defer game.Close()
	xaddDone := make(chan error, 1)
	go func() { xaddDone <- xadd("during") }()
	select {
	case err := <-xaddDone:
		// Accepted before the descriptors ran out: the flood did not bite,
		// and this test would prove nothing.
		t.Fatalf("XADD answered during the flood (%v): the file limit was not reached; log:\n%s", err, e2etest.Tail(p.Output()))
	case <-time.After(1500 * time.Millisecond):
	}

	released := time.Now()
	for _, c := range flood {
		c.Close()
	}
	flood = nil
	select {
	case err := <-xaddDone:
		if err != nil {
			t.Fatalf("XADD sent during the flood: %v; log:\n%s", err, e2etest.Tail(p.Output()))
		}
	case <-time.After(20 * time.Second):
		t.Fatalf("the embedded Redis never answered again after the flood; log:\n%s", e2etest.Tail(p.Output()))
	}
	recovery := time.Since(released)
	t.Logf("embedded Redis answered %s after the flood let go", recovery.Round(time.Millisecond))
	if p.Exited() {
		t.Fatalf("serve exited; log:\n%s", e2etest.Tail(p.Output()))
	}
	if err := xadd("after"); err != nil {
		t.Fatalf("XADD after the flood: %v", err)
	}

	// The consumer applied all three; the process is healthy.
	deadline := time.Now().Add(15 * time.Second)
	for {
		code, body := httpGet(t, api+"/leaderboards/top_ten/exrps")
		if code == 200 && strings.Contains(body, `"before"`) && strings.Contains(body, `"during"`) && strings.Contains(body, `"after"`) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("top ten after the flood: %d %s; log:\n%s", code, body, e2etest.Tail(p.Output()))
		}
		time.Sleep(50 * time.Millisecond)
	}
	if code, body := httpGet(t, api+"/healthz"); code != 200 {
		t.Fatalf("/healthz after recovery: %d %s", code, body)
	}
	// serve's log is buffered (flushed every 100 ms).
	told := func(out string) bool {
		return strings.Contains(out, "accept failed; retrying with backoff") && strings.Contains(out, "accepting again")
	}
	for deadline := time.Now().Add(3 * time.Second); !told(p.Output()) && time.Now().Before(deadline); {
		time.Sleep(50 * time.Millisecond)
	}
	if out := p.Output(); !told(out) {
		t.Errorf("the log does not tell the accept errors and the recovery:\n%s", e2etest.Tail(out))
	}
}

func freeTCPAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// waitServeLine waits for serve's start line and returns the API's URL.
func waitServeLine(t *testing.T, p *e2etest.Proc) string {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		if m := e2etest.ServeStartLine.FindStringSubmatch(p.Output()); m != nil {
			return m[1]
		}
		if p.Exited() || time.Now().After(deadline) {
			t.Fatalf("statsctl serve printed no start line; log:\n%s", e2etest.Tail(p.Output()))
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func httpGet(t *testing.T, url string) (int, string) {
	t.Helper()
	c := &http.Client{Timeout: 10 * time.Second}
	resp, err := c.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}
