package server

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"

	"github.com/varcade/statsctl/internal/engine"
	"github.com/varcade/statsctl/internal/event"
	"github.com/varcade/statsctl/internal/handler"
	"github.com/varcade/statsctl/internal/store"
	"github.com/varcade/statsctl/internal/testredis"
)

const testToken = "0123456789abcdef-token"

type fixture struct {
	t   *testing.T
	srv *Server
	rdb redis.UniversalClient
	st  *store.Store
	eng *engine.Engine
	rs  *testredis.Server
}

// miniConfig is a Config over a fresh miniredis holding evs, for tests
// that need many requests fast and no Redis semantics of their own.
func miniConfig(tb testing.TB, evs ...event.Event) Config {
	tb.Helper()
	m := miniredis.RunT(tb)
	rdb := redis.NewClient(&redis.Options{Addr: m.Addr()})
	tb.Cleanup(func() { rdb.Close() })
	st := store.New(rdb, store.Options{})
	reg := handler.Builtin()
	eng := engine.New(reg, st)
	if _, err := eng.Apply(context.Background(), evs); err != nil {
		tb.Fatal(err)
	}
	return Config{Store: st, Engine: eng, Registry: reg}
}

// newFixture serves over a fresh real redis-server; mod tweaks the config.
func newFixture(t *testing.T, mod func(*Config)) *fixture {
	t.Helper()
	rs := testredis.Start(t)
	return newFixtureOn(t, rs, rs.Client(), mod)
}

func newFixtureOn(t *testing.T, rs *testredis.Server, rdb redis.UniversalClient, mod func(*Config)) *fixture {
	t.Helper()
	st := store.New(rdb, store.Options{})
	reg := handler.Builtin()
	eng := engine.New(reg, st)
	cfg := Config{Store: st, Engine: eng, Registry: reg}
	if mod != nil {
		mod(&cfg)
	}
	srv, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return &fixture{t: t, srv: srv, rdb: rdb, st: st, eng: eng, rs: rs}
}

// game applies game_over events "winner>loser" for a product.
func (f *fixture) games(product string, results ...string) {
	f.t.Helper()
	evs := make([]event.Event, 0, len(results))
	for i, r := range results {
		w, l, _ := strings.Cut(r, ">")
		evs = append(evs, event.Event{Fields: map[string]string{
			event.FieldProduct: product, event.FieldType: event.TypeGameOver,
			event.FieldGame: "g" + strconv.Itoa(i), event.FieldWinner: w, event.FieldLoser: l,
		}})
	}
	f.apply(evs...)
}

func (f *fixture) apply(evs ...event.Event) {
	f.t.Helper()
	outs, err := f.eng.Apply(context.Background(), evs)
	if err != nil {
		f.t.Fatalf("apply: %v", err)
	}
	for i, o := range outs {
		if o.Status != engine.Applied {
			f.t.Fatalf("event %d: %v %s", i, o.Status, o.Detail)
		}
	}
}

type resp struct {
	status int
	header http.Header
	body   string
}

func (f *fixture) do(method, target string, body io.Reader, hdr ...string) resp {
	f.t.Helper()
	req := httptest.NewRequest(method, target, body)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	rec := httptest.NewRecorder()
	f.srv.ServeHTTP(rec, req)
	return resp{rec.Code, rec.Header(), rec.Body.String()}
}

func (f *fixture) get(target string) resp { f.t.Helper(); return f.do("GET", target, nil) }

// want checks status and exact body.
func (r resp) want(t *testing.T, status int, body string) {
	t.Helper()
	if r.status != status || r.body != body {
		t.Fatalf("got %d %q\nwant %d %q", r.status, r.body, status, body)
	}
}

// jsonOf decodes a JSON body, failing the test if it is not JSON.
func (r resp) jsonOf(t *testing.T) map[string]any {
	t.Helper()
	if ct := r.header.Get("Content-Type"); ct != "application/json" {
		t.Fatalf("Content-Type %q, want application/json (body %q)", ct, r.body)
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(r.body), &m); err != nil {
		t.Fatalf("body is not a JSON object: %v\n%s", err, r.body)
	}
	return m
}

// wantError checks the v1 error object.
func (r resp) wantError(t *testing.T, status int, code string) map[string]any {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d (body %s)", r.status, status, r.body)
	}
	m := r.jsonOf(t)
	e, ok := m["error"].(map[string]any)
	if !ok || e["code"] != code || e["message"] == "" || len(m) != 1 {
		t.Fatalf("error object %s, want code %q", r.body, code)
	}
	return e
}

func redisZ(score float64, member string) redis.Z { return redis.Z{Score: score, Member: member} }

func weapon(user, code string) event.Event {
	return event.Event{Fields: map[string]string{
		event.FieldProduct: "exrps", event.FieldType: event.TypeGameplay, event.FieldGame: "g",
		event.FieldEventName: "select_weapon", event.FieldEventData: code, event.FieldUser: user,
	}}
}
