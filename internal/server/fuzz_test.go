package server

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/varcade/statsctl/internal/event"
)

// FuzzRoutes throws arbitrary methods, paths and queries at the handler
// (over miniredis with a little data) and requires: never a 5xx, and a
// valid JSON body whenever the response says it is JSON.
// Run longer with: go test -fuzz FuzzRoutes ./internal/server/ (or make fuzz).
func FuzzRoutes(f *testing.F) {
	cfg := miniConfig(f,
		event.Event{Fields: map[string]string{"product_id": "exrps", "type": "game_over", "game_id": "g", "winner_id": "u1", "loser_id": "u 2"}},
		event.Event{Fields: map[string]string{"product_id": "exrps", "type": "gameplay", "game_id": "g", "event_name": "select_weapon", "event_data": "1", "user_id": "u1"}},
	)
	cfg.WriteToken, cfg.CacheTTL = testToken, -1
	srv, err := New(cfg)
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range [][3]string{
		{"GET", "/leaderboards/top_ten/exrps", ""},
		{"GET", "/leaderboards/top_ten/ex%7Brps", ""},
		{"GET", "/stats/exrps/u1", ""},
		{"GET", "/stats/exrps/u%202", ""},
		{"GET", "/v1/products", ""},
		{"GET", "/v1/products/exrps/leaderboard", "limit=2&offset=1"},
		{"GET", "/v1/products/exrps/leaderboard", "cursor=YzEAZXhycHMAd2lucwAx"},
		{"GET", "/v1/products/exrps/leaderboard", "board=%00&limit=99999999999999999999"},
		{"GET", "/v1/products/exrps/leaderboard/around/u1", "n=3"},
		{"GET", "/v1/products/exrps/players/u1", "board=wins"},
		{"POST", "/v1/events", ""},
		{"DELETE", "/stats/exrps/u1", ""},
		{"GET", "/v1/openapi.json", ""},
		{"GET", "/healthz", ""},
		{"GET", "/readyz", ""},
		{"GET", "/metrics", ""},
		{"GET", "/../../etc/passwd", ""},
		{"GET", "//stats//exrps", "a=%zz"},
	} {
		f.Add(s[0], s[1], s[2])
	}
	f.Fuzz(func(t *testing.T, method, path, query string) {
		if !validMethod(method) {
			t.Skip() // net/http refuses such a request line before any handler
		}
		target := path
		if query != "" {
			target += "?" + query
		}
		u, err := url.ParseRequestURI(target)
		if err != nil || !strings.HasPrefix(target, "/") {
			t.Skip() // net/http answers 400 itself
		}
		req := httptest.NewRequest("GET", "/", nil)
		req.Method, req.URL, req.RequestURI = method, u, target
		req.Header.Set("Authorization", "Bearer "+testToken)
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Fatalf("%s %s -> %d %s", method, target, rec.Code, rec.Body)
		}
		if ct := rec.Header().Get("Content-Type"); ct == "application/json" && method != http.MethodHead {
			if !json.Valid(rec.Body.Bytes()) {
				t.Fatalf("%s %s -> invalid JSON %q", method, target, rec.Body)
			}
		}
		if strings.Contains(rec.Body.String(), "goroutine ") {
			t.Fatalf("%s %s -> a stack trace in the body", method, target)
		}
	})
}

func validMethod(m string) bool {
	if m == "" || len(m) > 20 {
		return false
	}
	for _, c := range m {
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || strings.ContainsRune("!#$%&'*+-.^_`|~", c)) {
			return false
		}
	}
	return true
}
