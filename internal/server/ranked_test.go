package server

import (
	"fmt"
	"strings"
	"testing"
)

func TestV1Ranked(t *testing.T) {
	f := newFixture(t, func(c *Config) { c.MaxListIDs = 5 })
	f.games("exrps", "u1>u2", "u1>u3", "u2>u4", "u3>u4", "u1>u4")
	post := func(body string) resp {
		return f.do("POST", "/v1/products/exrps/leaderboard/ranked", strings.NewReader(body))
	}
	post(`{"user_ids":["u4","u2","ghost","u2"]}`).want(t, 200,
		`{"product_id":"exrps","board":"wins","total":4,"entries":[{"list_rank":1,"rank":2,"user_id":"u2","score":1},{"list_rank":2,"rank":4,"user_id":"u4","score":0}],"absent":["ghost"]}`+"\n")
	post(`{"user_ids":["u1","u3","u2","u4"],"around":"u4","n":1}`).want(t, 200,
		`{"product_id":"exrps","board":"wins","total":4,"entries":[{"list_rank":2,"rank":2,"user_id":"u2","score":1},{"list_rank":4,"rank":4,"user_id":"u4","score":0}],"absent":[]}`+"\n")
	post(`{"user_ids":["u1","u2"],"around":"u4"}`).wantError(t, 404, "player_not_found")
	e := post(`{"user_ids":["a","b","c","d","e","f"]}`).wantError(t, 400, "too_many_ids")
	if !strings.Contains(fmt.Sprint(e["message"]), "at most 5 per request") {
		t.Fatalf("bound message %v", e)
	}
	for _, b := range []string{``, `[]`, `{"user_ids":[]}`, `{"users":["u1"]}`, `{"user_ids":["u1"]} {}`, `{"user_ids":["u1"],"n":-1}`} {
		post(b).wantError(t, 400, map[bool]string{true: "invalid_parameter", false: "invalid_body"}[strings.Contains(b, `"n"`)])
	}
	post(`{"user_ids":["u1","a\u0001"]}`).wantError(t, 400, "invalid_user")
	// The body is bounded by the list bound, whatever its content.
	post(`{"user_ids":["`+strings.Repeat("x", 64<<10)+`"]}`).wantError(t, 413, "body_too_large")
	f.do("GET", "/v1/products/exrps/leaderboard/ranked", nil).wantError(t, 405, "method_not_allowed")
	f.do("POST", "/v1/products/exrps/leaderboard/ranked?board=nope", strings.NewReader(`{"user_ids":["u1"]}`)).wantError(t, 404, "unknown_board")
}
