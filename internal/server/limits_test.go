package server

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// runOn serves f.srv over a real loopback listener with o (Listener set
// here) and returns its address; the server stops when the test ends.
func runOn(t *testing.T, f *fixture, o RunOptions) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	o.Listener = ln
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- f.srv.Run(ctx, o) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	return ln.Addr().String()
}

// rawConn is one client TCP connection speaking HTTP/1.1 by hand, so the
// test controls exactly which connection each request uses.
type rawConn struct {
	t *testing.T
	c net.Conn
	r *bufio.Reader
}

func dialRaw(t *testing.T, addr string) *rawConn {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return &rawConn{t: t, c: c, r: bufio.NewReader(c)}
}

func (rc *rawConn) send(path string) {
	rc.t.Helper()
	if _, err := fmt.Fprintf(rc.c, "GET %s HTTP/1.1\r\nHost: x\r\n\r\n", path); err != nil {
		rc.t.Fatalf("send %s: %v", path, err)
	}
}

// answer reads one response within d; err is a timeout, or EOF for a
// connection the server closed.
func (rc *rawConn) answer(d time.Duration) (int, error) {
	_ = rc.c.SetReadDeadline(time.Now().Add(d))
	resp, err := http.ReadResponse(rc.r, nil)
	if err != nil {
		return 0, err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, nil
}

func (rc *rawConn) get(path string) int {
	rc.t.Helper()
	rc.send(path)
	code, err := rc.answer(5 * time.Second)
	if err != nil {
		rc.t.Fatalf("GET %s: %v", path, err)
	}
	return code
}

func isTimeout(err error) bool {
	var ne net.Error
	return err != nil && errors.As(err, &ne) && ne.Timeout()
}

// --max-conns with real connections: at the cap an idle keep-alive
// connection is closed to make room for a new one; when every connection
// is busy with a request a new one waits (in the listen backlog) and is
// served as soon as one finishes. The code before the cap served any
// number of connections at once.
func TestMaxConns(t *testing.T) {
	f := newFixture(t, nil)
	release := make(chan struct{})
	f.srv.mux.HandleFunc("/slow", func(w http.ResponseWriter, r *http.Request) {
		<-release
		w.Write([]byte("done"))
	})
	addr := runOn(t, f, RunOptions{MaxConns: 2})

	// Busy: two connections in a request; a third is not served meanwhile.
	a, b := dialRaw(t, addr), dialRaw(t, addr)
	a.send("/slow")
	b.send("/slow")
	time.Sleep(100 * time.Millisecond)
	c := dialRaw(t, addr) // the kernel completes the handshake: backlog
	c.send("/healthz")
	if code, err := c.answer(500 * time.Millisecond); !isTimeout(err) {
		t.Fatalf("a third connection was served (%d, %v) while 2 of --max-conns 2 were busy", code, err)
	}
	close(release)
	for _, rc := range []*rawConn{a, b} {
		if code, err := rc.answer(5 * time.Second); err != nil || code != 200 {
			t.Fatalf("slow request: %d %v", code, err)
		}
	}
	if code, err := c.answer(5 * time.Second); err != nil || code != 200 {
		t.Fatalf("the waiting connection after a slot freed: %d %v", code, err)
	}

	// Idle: every new connection at the cap closes the longest-idle one,
	// and is served at once.
	for i := range 5 {
		d := dialRaw(t, addr)
		began := time.Now()
		if code := d.get("/healthz"); code != 200 {
			t.Fatalf("new connection %d: %d", i, code)
		}
		if took := time.Since(began); took > 2*time.Second {
			t.Fatalf("new connection %d waited %s with only idle connections open", i, took)
		}
	}
	closed := 0
	for _, rc := range []*rawConn{a, b, c} {
		rc.send("/healthz")
		if _, err := rc.answer(2 * time.Second); err != nil && !isTimeout(err) {
			closed++
		}
	}
	if closed == 0 {
		t.Fatal("no idle connection was closed to make room")
	}
}

// The header limit docs/serve.md states is the one kept: a request head
// (request line, headers, blank line) of DefaultMaxHeaderBytes is read, one
// byte more is 431. net/http adds 4096 bytes of slack to MaxHeaderBytes, so
// the code before this accepted 20 KiB heads while saying 16 KiB.
func TestHeaderLimitAsDocumented(t *testing.T) {
	f := newFixture(t, nil)
	addr := runOn(t, f, RunOptions{})
	head := func(n int) string {
		const start, end = "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Pad: ", "\r\n\r\n"
		return start + strings.Repeat("a", n-len(start)-len(end)) + end
	}
	for _, c := range []struct{ n, want int }{
		{DefaultMaxHeaderBytes - 1, 200},
		{DefaultMaxHeaderBytes, 200},
		{DefaultMaxHeaderBytes + 1, 431},
		{DefaultMaxHeaderBytes + 4096, 431},
	} {
		rc := dialRaw(t, addr)
		h := head(c.n)
		if len(h) != c.n {
			t.Fatalf("head of %d bytes, want %d", len(h), c.n)
		}
		if _, err := io.WriteString(rc.c, h); err != nil {
			t.Fatal(err)
		}
		code, err := rc.answer(5 * time.Second)
		if err != nil || code != c.want {
			t.Errorf("a %d-byte request head: %d %v, want %d", c.n, code, err, c.want)
		}
	}
	// The limit holds for each request of a keep-alive connection.
	rc := dialRaw(t, addr)
	for i, n := range []int{DefaultMaxHeaderBytes, DefaultMaxHeaderBytes} {
		io.WriteString(rc.c, head(n))
		if code, err := rc.answer(5 * time.Second); err != nil || code != 200 {
			t.Fatalf("request %d on one connection: %d %v", i, code, err)
		}
	}
	if _, err := serverMaxHeaderBytes(4096); err == nil {
		t.Error("a header limit no larger than net/http's slack was accepted")
	}
}

// A big body gets a bounded answer: the counts of every event, the first
// MaxEventResults problems in line order and how many events have no
// entry. The code before listed every event (33 MB for a 1 MiB body of
// `{}` lines). A body of at most MaxEventResults events still lists each.
func TestEventsAnswerBounded(t *testing.T) {
	f := newFixture(t, func(c *Config) { c.WriteToken = testToken; c.MaxBody = 4 << 20 })
	auth := []string{"Authorization", "Bearer " + testToken}
	good := `{"product_id":"exrps","game_id":"g1","type":"game_over","winner_id":"u1","loser_id":"u2"}`
	var b strings.Builder
	const n = 5000
	for i := 1; i <= n; i++ {
		switch {
		case i == 3:
			b.WriteString(good)
		case i%2 == 0:
			b.WriteString("{not json")
		default:
			b.WriteString("{}")
		}
		b.WriteByte('\n')
	}
	r := f.do("POST", "/v1/events", strings.NewReader(b.String()), auth...)
	if r.status != 200 {
		t.Fatalf("status %d: %.300s", r.status, r.body)
	}
	var out boundedAnswer
	if err := json.Unmarshal([]byte(r.body), &out); err != nil {
		t.Fatal(err)
	}
	if out.Events != n || out.Applied != 1 || out.Invalid != n-1 {
		t.Fatalf("counts %d events, %d applied, %d invalid; want %d, 1, %d", out.Events, out.Applied, out.Invalid, n, n-1)
	}
	if len(out.Results) != MaxEventResults || out.Omitted != n-MaxEventResults {
		t.Fatalf("%d results, %d omitted; want %d and %d", len(out.Results), out.Omitted, MaxEventResults, n-MaxEventResults)
	}
	line := 0
	for _, res := range out.Results {
		if res.Status != "invalid" || res.Line <= line || res.Line == 3 || res.Reason == "" {
			t.Fatalf("result %+v after line %d: want invalid ones only, in line order", res, line)
		}
		line = res.Line
	}
	if out.Results[0].Line != 1 || out.Results[MaxEventResults-1].Line != MaxEventResults+1 {
		t.Fatalf("results from line %d to %d, want 1 to %d (line 3 was applied)", out.Results[0].Line, out.Results[MaxEventResults-1].Line, MaxEventResults+1)
	}
	if len(r.body) > 200<<10 {
		t.Fatalf("a %d-byte answer", len(r.body))
	}

	// Exactly MaxEventResults events: one result each, no results_omitted.
	small := strings.Repeat(good+"\n", MaxEventResults)
	r = f.do("POST", "/v1/events", strings.NewReader(small), auth...)
	out = boundedAnswer{}
	if err := json.Unmarshal([]byte(r.body), &out); err != nil {
		t.Fatal(err)
	}
	if len(out.Results) != MaxEventResults || strings.Contains(r.body, "results_omitted") || out.Results[0].Status != "applied" {
		t.Fatalf("%d results (first %+v), omitted key present: %v", len(out.Results), out.Results[0], strings.Contains(r.body, "results_omitted"))
	}
}

// boundedAnswer is the POST /v1/events answer as a client decodes it.
type boundedAnswer struct {
	Events, Applied, Invalid int
	Omitted                  int `json:"results_omitted"`
	Results                  []eventResult
}

// Writes beyond MaxWrites get 503 too_busy in the error shape, with
// Retry-After, before their body is read; a freed slot is usable again.
func TestEventsTooBusy(t *testing.T) {
	f := newFixture(t, func(c *Config) { c.WriteToken = testToken; c.MaxWrites = 1 })
	auth := []string{"Authorization", "Bearer " + testToken}
	good := `{"product_id":"exrps","game_id":"g1","type":"game_over","winner_id":"u1","loser_id":"u2"}`
	if !f.srv.writes.tryAcquire() { // a write in flight
		t.Fatal("no free slot")
	}
	r := f.do("POST", "/v1/events", strings.NewReader(good), auth...)
	e := r.wantError(t, 503, "too_busy")
	if r.header.Get("Retry-After") != "1" || !strings.Contains(e["message"].(string), "--max-writes") {
		t.Fatalf("Retry-After %q, message %q", r.header.Get("Retry-After"), e["message"])
	}
	// Unauthenticated requests are refused before they take a slot.
	f.do("POST", "/v1/events", strings.NewReader(good)).wantError(t, 401, "unauthorized")
	f.srv.writes.release()
	if r := f.do("POST", "/v1/events", strings.NewReader(good), auth...); r.status != 200 {
		t.Fatalf("after the slot was freed: %d %s", r.status, r.body)
	}
	if r := f.do("POST", "/v1/events", strings.NewReader(good), auth...); r.status != 200 {
		t.Fatalf("the slot was not given back: %d %s", r.status, r.body)
	}
}
