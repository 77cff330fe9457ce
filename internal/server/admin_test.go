package server

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/varcade/statsctl/internal/engine"
	"github.com/varcade/statsctl/internal/event"
	"github.com/varcade/statsctl/internal/handler"
)

const adminToken = "admin-0123456789abcdef"

func (f *fixture) admin(method, target, body string, token string) resp {
	f.t.Helper()
	var hdr []string
	if token != "" {
		hdr = []string{"Authorization", "Bearer " + token}
	}
	var rd *strings.Reader
	if body != "" {
		rd = strings.NewReader(body)
	} else {
		rd = strings.NewReader("")
	}
	return f.do(method, target, rd, hdr...)
}

func TestAdminAPIOffAndTokens(t *testing.T) {
	off := newFixture(t, func(c *Config) { c.WriteToken = testToken })
	off.admin("GET", "/v1/admin/audit", "", testToken).wantError(t, 404, "not_found")
	off.admin("POST", "/v1/admin/players/u1/erase", `{"actor":"a","reason":"r"}`, "").wantError(t, 404, "not_found")

	f := newFixture(t, func(c *Config) { c.WriteToken = testToken; c.AdminToken = adminToken })
	for _, tok := range []string{"", testToken, adminToken + "x", adminToken[:len(adminToken)-1], strings.ToUpper(adminToken)} {
		f.admin("GET", "/v1/admin/audit", "", tok).wantError(t, 401, "unauthorized")
	}
	if r := f.do("GET", "/v1/admin/audit", nil, "Authorization", "Basic "+adminToken); r.status != 401 {
		t.Fatalf("basic auth: %d", r.status)
	}
	if r := f.do("GET", "/v1/admin/audit", nil, "Authorization", "bearer "+adminToken); r.status != 200 {
		t.Fatalf("lower-case scheme: %d %s", r.status, r.body)
	}
	// The write route does not take the admin token either.
	f.do("POST", "/v1/events", strings.NewReader(`{}`), "Authorization", "Bearer "+adminToken).wantError(t, 401, "unauthorized")
	if _, err := New(Config{Store: f.st, Registry: f.srv.cfg.Registry, Engine: f.eng, WriteToken: testToken, AdminToken: testToken}); err == nil {
		t.Fatal("New accepted an admin token equal to the write token")
	}
}

// TestAdminTokenTiming: the check costs the same whether the guess shares
// a long prefix with the token or nothing (both sides are hashed before a
// constant-time compare). The token is 4 KiB, so a compare that stops at
// the first wrong byte (a loop, or Go's ==) costs measurably more for the
// guess that is right but for its last byte; with a token of everyday
// length, parsing the request hides such a leak. Minimum times over
// interleaved rounds, so other load on the machine does not decide it.
func TestAdminTokenTiming(t *testing.T) {
	token := strings.Repeat("k", 4095) + "9"
	req := func(tok string) *http.Request {
		r := httptest.NewRequest("GET", "/", nil)
		r.Header.Set("Authorization", "Bearer "+tok)
		return r
	}
	near, far := req(token[:len(token)-1]+"!"), req(strings.Repeat("z", len(token)))
	if !bearerIs(req(token), token) {
		t.Fatal("the right token was refused")
	}
	best := func(r *http.Request) time.Duration {
		start := time.Now()
		for range 500 {
			if bearerIs(r, token) {
				t.Fatal("a wrong token passed")
			}
		}
		return time.Since(start)
	}
	// Up to five attempts: a compare that leaks the prefix leaks on every
	// attempt, while a burst of load from the rest of the test run (CI
	// runs every package at once under -race, on 2 shared cores) passes.
	var msgs []string
	for range 5 {
		bn, bf := time.Hour, time.Hour
		for range 30 {
			bn, bf = min(bn, best(near)), min(bf, best(far))
		}
		ratio := float64(bn) / float64(bf)
		if ratio <= 1.3 && ratio >= 1/1.3 {
			return
		}
		msgs = append(msgs, fmt.Sprintf("near %v, far %v: ratio %.2f", bn, bf, ratio))
	}
	t.Fatalf("per 500 checks, in 5 attempts: %s: the check leaks how much of the guess is right", strings.Join(msgs, "; "))
}

func TestAdminActions(t *testing.T) {
	f := newFixture(t, func(c *Config) { c.AdminToken = adminToken })
	f.games("exrps", "u1>u2", "u1>u3", "u2>u4", "u3>u4", "u1>u4")
	post := func(target, body string) resp { return f.admin("POST", target, body, adminToken) }
	post("/v1/admin/products/exrps/players/u4/ban", `{"reason":"aimbot"}`).wantError(t, 400, "invalid_body")
	post("/v1/admin/products/exrps/players/u4/ban", `{"actor":"ops","reason":"aimbot","bogus":1}`).wantError(t, 400, "invalid_body")
	post("/v1/admin/products/exrps/players/u4/ban", `{"actor":"ops","reason":"aimbot"}`).want(t, 200,
		`{"product_id":"exrps","user_id":"u4","board_entries":1,"rating_states":0,"stats_erased":false,"history_erased":0,"ban_changed":true}`+"\n")
	post("/v1/admin/products/exrps/players/u4/ban", `{"actor":"ops","reason":"aimbot"}`).want(t, 200,
		`{"product_id":"exrps","user_id":"u4","board_entries":0,"rating_states":0,"stats_erased":false,"history_erased":0,"ban_changed":false}`+"\n")
	// A later game of u4 is refused whole, for both players.
	outs, err := f.eng.Apply(context.Background(), []event.Event{{Fields: map[string]string{
		event.FieldProduct: "exrps", event.FieldType: event.TypeGameOver, event.FieldGame: "g9", event.FieldWinner: "u3", event.FieldLoser: "u4"}}})
	if err != nil || outs[0].Status != engine.Invalid || outs[0].Reason != handler.ReasonBanned {
		t.Fatalf("game of a banned player: %+v %v", outs, err)
	}
	f.get("/v1/products/exrps/leaderboard").want(t, 200,
		`{"product_id":"exrps","board":"wins","total":3,"offset":0,"entries":[{"rank":1,"user_id":"u1","score":3},{"rank":2,"user_id":"u3","score":1},{"rank":2,"user_id":"u2","score":1}],"next_cursor":null}`+"\n")
	if m := f.admin("GET", "/v1/admin/products/exrps/bans", "", adminToken).jsonOf(t); !strings.Contains(f.admin("GET", "/v1/admin/products/exrps/bans", "", adminToken).body, `"user_id":"u4","reason":"aimbot","actor":"ops"`) {
		t.Fatalf("bans %v", m)
	}
	post("/v1/admin/products/exrps/players/u1/remove", `{"actor":"ops","reason":"x","erase_stats":true}`).want(t, 200,
		`{"product_id":"exrps","user_id":"u1","board_entries":1,"rating_states":0,"stats_erased":true,"history_erased":0,"ban_changed":false}`+"\n")
	post("/v1/admin/products/exrps/boards/wins/reset", `{"actor":"ops","reason":"season end","archive":"Bad Name"}`).wantError(t, 400, "invalid_body")
	post("/v1/admin/products/exrps/boards/nope/reset", `{"actor":"ops","reason":"season end","archive":"s1"}`).wantError(t, 404, "unknown_board")
	post("/v1/admin/products/exrps/boards/wins/reset", `{"actor":"ops","reason":"season end","archive":"s1"}`).want(t, 200,
		`{"product_id":"exrps","board":"wins","archive":"s1","players_archived":2,"already_done":false}`+"\n")
	f.admin("GET", "/v1/admin/products/exrps/archives/s1?limit=5", "", adminToken).want(t, 200,
		`{"product_id":"exrps","archive":"s1","board":"wins","order":"desc","ties":"shared","total":2,"offset":0,"entries":[{"rank":1,"user_id":"u3","score":1},{"rank":1,"user_id":"u2","score":1}]}`+"\n")
	f.admin("GET", "/v1/admin/products/exrps/archives/s2", "", adminToken).wantError(t, 404, "unknown_archive")
	f.admin("GET", "/v1/admin/products/exrps/archives/S1", "", adminToken).wantError(t, 400, "invalid_parameter")
	if l := f.admin("GET", "/v1/admin/products/exrps/archives", "", adminToken); !strings.Contains(l.body, `"name":"s1","board":"wins","order":"desc","ties":"shared"`) {
		t.Fatalf("archives %s", l.body)
	}
	f.games("exrps", "u7>u8")
	post("/v1/admin/products/exrps/boards/wins/reset", `{"actor":"ops","reason":"again","archive":"s1"}`).wantError(t, 409, "refused")
	// An id with odd bytes, escaped in the path, is erased exactly.
	odd := `a/b "c"{exrps}%`
	f.games("exrps", odd+">u8")
	post("/v1/admin/players/"+url.PathEscape(odd)+"/erase", `{"actor":"ops","reason":"GDPR"}`).want(t, 200,
		`{"user_id":"a/b \"c\"{exrps}%","products":[{"product_id":"exrps","user_id":"a/b \"c\"{exrps}%","board_entries":1,"rating_states":0,"stats_erased":true,"history_erased":0,"ban_changed":false}]}`+"\n")
	if r := f.get("/v1/products/exrps/players/" + url.PathEscape(odd)); r.status != 404 {
		t.Fatalf("erased player still answers: %d %s", r.status, r.body)
	}
	au := f.admin("GET", "/v1/admin/audit?limit=2", "", adminToken)
	if !strings.Contains(au.body, `"status":"requested"`) || !strings.Contains(au.body, `"via":"api"`) || !strings.Contains(au.body, `"action":"erase"`) {
		t.Fatalf("audit %s", au.body)
	}
	f.admin("GET", "/v1/admin/products/exrps/archives", "", adminToken)
	f.admin("DELETE", "/v1/admin/products/exrps/bans", "", adminToken).wantError(t, 405, "method_not_allowed")
}
