package server

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

func TestHealthAndReadiness(t *testing.T) {
	f := newFixture(t, func(c *Config) { c.ReadyTimeout = 300 * time.Millisecond })
	f.get("/healthz").want(t, 200, `{"status":"ok"}`+"\n")
	f.get("/readyz").want(t, 200, `{"status":"ready"}`+"\n")
	f.rs.Kill()
	start := time.Now()
	f.get("/readyz").wantError(t, 503, "not_ready")
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("readyz took %s with Redis down", d)
	}
	f.get("/healthz").want(t, 200, `{"status":"ok"}`+"\n")
	// Reads fail as 503 with a JSON error, not 500, and say nothing of Redis's address.
	r := f.get("/v1/products/exrps/leaderboard")
	r.wantError(t, 503, "store_unavailable")
	if strings.Contains(r.body, f.rs.Addr) {
		t.Fatalf("error leaks the Redis address: %s", r.body)
	}
	f.rs.Restart()
	f.get("/readyz").want(t, 200, `{"status":"ready"}`+"\n")
}

func TestMetricsLabelsAreBounded(t *testing.T) {
	reg := prometheus.NewRegistry()
	f := newFixture(t, func(c *Config) { c.Metrics = reg })
	f.games("exrps", "secretuser1>secretuser2")
	f.get("/leaderboards/top_ten/exrps")
	f.get("/leaderboards/top_ten/exrps")
	f.get("/leaderboards/top_ten/some-random-game")
	f.get("/leaderboards/top_ten/bad%7Bid")
	f.get("/stats/exrps/secretuser1")
	f.get("/v1/products/exrps/players/secretuser1")
	f.get("/no/such/route/secretuser1")
	body := f.get("/metrics").body
	for _, want := range []string{
		`statsctl_http_requests_total{code="200",product="exrps",route="/leaderboards/top_ten/{product}"} 2`,
		`statsctl_http_requests_total{code="200",product="other",route="/leaderboards/top_ten/{product}"} 1`,
		`statsctl_http_requests_total{code="400",product="invalid",route="/leaderboards/top_ten/{product}"} 1`,
		`statsctl_http_requests_total{code="200",product="exrps",route="/stats/{product}/{user}"} 1`,
		`statsctl_http_requests_total{code="404",product="",route="unmatched"} 1`,
		`statsctl_http_request_duration_seconds_bucket{route="/leaderboards/top_ten/{product}",le="0.005"}`,
		`statsctl_top_ten_cache_total{result="hit"} 1`,
		`process_resident_memory_bytes`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	if strings.Contains(body, "secretuser") {
		t.Fatal("a user id appears in the metrics")
	}
	if strings.Contains(body, "some-random-game") || strings.Contains(body, "bad{id") {
		t.Fatal("an unknown product id became a label")
	}
}

func TestPanicBecomes500WithoutStack(t *testing.T) {
	var logs bytes.Buffer
	f := newFixture(t, func(c *Config) { c.Logger = slog.New(slog.NewTextHandler(&logs, nil)) })
	f.srv.mux.HandleFunc("/boom", func(http.ResponseWriter, *http.Request) { panic("kaboom") })
	r := f.get("/boom")
	r.wantError(t, 500, "internal")
	if strings.Contains(r.body, "kaboom") || strings.Contains(r.body, "goroutine") {
		t.Fatalf("panic details sent to the client: %s", r.body)
	}
	if !strings.Contains(logs.String(), "kaboom") || !strings.Contains(logs.String(), "goroutine") {
		t.Fatalf("panic not logged with its stack: %s", logs.String())
	}
}

func TestAccessLog(t *testing.T) {
	var logs bytes.Buffer
	f := newFixture(t, func(c *Config) { c.AccessLog = true; c.Logger = slog.New(slog.NewTextHandler(&logs, nil)) })
	f.get("/leaderboards/top_ten/exrps")
	line := logs.String()
	for _, want := range []string{"msg=request", "method=GET", "path=/leaderboards/top_ten/exrps", "route=/leaderboards/top_ten/{product}", "status=200", "duration="} {
		if !strings.Contains(line, want) {
			t.Errorf("access log %q lacks %s", line, want)
		}
	}
}

func TestEventsRoute(t *testing.T) {
	gameOver := `{"id":"e1","product_id":"exrps","game_id":"g1","type":"game_over","winner_id":"u1","loser_id":"u2"}`
	auth := []string{"Authorization", "Bearer " + testToken}

	off := newFixture(t, nil)
	off.do("POST", "/v1/events", strings.NewReader(gameOver), auth...).wantError(t, 404, "not_found")

	f := newFixture(t, func(c *Config) { c.WriteToken = testToken; c.MaxBody = 4096 })
	f.get("/leaderboards/top_ten/exrps").want(t, 200, "[]\n") // cached empty? must not hide the write below
	f.do("POST", "/v1/events", strings.NewReader(gameOver)).wantError(t, 401, "unauthorized")
	r := f.do("POST", "/v1/events", strings.NewReader(gameOver), "Authorization", "Bearer "+testToken+"x")
	r.wantError(t, 401, "unauthorized")
	if r.header.Get("WWW-Authenticate") == "" {
		t.Fatal("401 without WWW-Authenticate")
	}
	f.do("POST", "/v1/events", strings.NewReader(gameOver), "Authorization", "Basic "+testToken).wantError(t, 401, "unauthorized")
	f.do("GET", "/v1/events", nil, auth...).wantError(t, 405, "method_not_allowed")

	f.do("POST", "/v1/events", strings.NewReader(gameOver), auth...).want(t, 200,
		`{"events":1,"applied":1,"duplicate":0,"ignored":0,"invalid":0,"results":[{"line":1,"status":"applied","product_id":"exrps"}]}`+"\n")
	// Read your own write: the cached top ten was dropped.
	f.get("/leaderboards/top_ten/exrps").want(t, 200, `[{"score":1.0,"user_id":"u1"},{"score":0.0,"user_id":"u2"}]`+"\n")

	// JSONL: a duplicate, an ignored state change, a bad line, an invalid event, a blank line.
	body := gameOver + "\n" +
		`{"product_id":"exrps","game_id":"g1","type":"state_change","new_state":"x"}` + "\n" +
		"{not json\n\n" +
		`{"product_id":"exrps","game_id":"g2","type":"game_over","winner_id":"u1"}` + "\n"
	f.do("POST", "/v1/events", strings.NewReader(body), auth...).want(t, 200,
		`{"events":4,"applied":0,"duplicate":1,"ignored":1,"invalid":2,"results":[`+
			`{"line":1,"status":"duplicate","product_id":"exrps"},{"line":2,"status":"ignored","product_id":"exrps"},`+
			`{"line":3,"status":"invalid","reason":"malformed","detail":"not JSON: invalid character 'n'"},`+
			`{"line":5,"status":"invalid","product_id":"exrps","reason":"missing_field","detail":"game_over without loser_id"}]}`+"\n")
	// A single object spread over lines is one event.
	f.do("POST", "/v1/events", strings.NewReader("{\n \"product_id\": \"exrps\",\n \"type\": \"game_over\", \"game_id\": \"g3\",\n \"winner_id\": \"u2\", \"loser_id\": \"u1\"\n}\n"), auth...).
		jsonOf(t)
	f.get("/stats/exrps/u2").want(t, 200, `{"games":"2","losses":"1","wins":"1"}`+"\n")

	f.do("POST", "/v1/events", strings.NewReader("  \n"), auth...).wantError(t, 400, "empty_body")
	big := strings.Repeat(gameOver+"\n", 100) // > 4096 bytes
	f.do("POST", "/v1/events", strings.NewReader(big), auth...).wantError(t, 413, "body_too_large")
	// Without a Content-Length (chunked), the limit still holds while reading.
	f.do("POST", "/v1/events", io.MultiReader(strings.NewReader(big)), auth...).wantError(t, 413, "body_too_large")
	f.get("/stats/exrps/u2").want(t, 200, `{"games":"2","losses":"1","wins":"1"}`+"\n")
}

// Run serves until its context ends, lets an in-flight request finish, and
// stops its background tasks; a failing background task stops the server.
func TestRunGracefulShutdown(t *testing.T) {
	f := newFixture(t, nil)
	started := make(chan struct{})
	f.srv.mux.HandleFunc("/slow", func(w http.ResponseWriter, r *http.Request) {
		close(started)
		time.Sleep(300 * time.Millisecond)
		w.Write([]byte("done"))
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var bgStopped atomic.Bool
	done := make(chan error, 1)
	go func() {
		done <- f.srv.Run(ctx, RunOptions{Listener: ln, Background: []func(context.Context) error{
			func(ctx context.Context) error { <-ctx.Done(); bgStopped.Store(true); return ctx.Err() },
		}})
	}()
	base := "http://" + ln.Addr().String()
	got := make(chan string, 1)
	go func() {
		resp, err := http.Get(base + "/slow")
		if err != nil {
			got <- "error: " + err.Error()
			return
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		got <- string(b)
	}()
	<-started
	cancel()
	if b := <-got; b != "done" {
		t.Fatalf("in-flight request during shutdown: %s", b)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return after cancel")
	}
	if !bgStopped.Load() {
		t.Fatal("background task not stopped")
	}
	if _, err := http.Get(base + "/healthz"); err == nil {
		t.Fatal("still serving after shutdown")
	}

	// A background failure stops the server with its error.
	ln2, _ := net.Listen("tcp", "127.0.0.1:0")
	boom := errors.New("consumer lost its stream")
	err = f.srv.Run(context.Background(), RunOptions{Listener: ln2, Background: []func(context.Context) error{
		func(context.Context) error { return boom },
	}})
	if !errors.Is(err, boom) {
		t.Fatalf("Run = %v, want the background error", err)
	}
}
