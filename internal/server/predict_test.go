package server

import (
	"encoding/json"
	"math"
	"testing"

	"github.com/varcade/statsctl/internal/event"
	"github.com/varcade/statsctl/internal/handler"
	"github.com/varcade/statsctl/internal/rating"
)

func TestV1Predict(t *testing.T) {
	f := newFixture(t, func(c *Config) {
		p := handler.DefaultProduct()
		p.Boards = append(p.Boards, handler.Board{Name: "skill", Scorer: handler.NewOpenSkill("skill")}, handler.Board{Name: "elo", Scorer: handler.Elo{Board: "elo", K: 32}})
		if err := c.Registry.Register("arena", p); err != nil {
			t.Fatal(err)
		}
	})
	f.apply(event.Event{Fields: map[string]string{"product_id": "arena", "type": "match_over", "teams": `[["a","b"],["c","d"]]`, "ranks": "[1,2]"}})
	r := f.get("/v1/products/arena/predict?board=skill&team=a,b&team=c,d")
	var got struct {
		Product, Board string
		Teams          []struct {
			Players []string
			Rating  float64
			Win     float64
		}
		Draw    *float64
		Quality float64
	}
	if err := json.Unmarshal([]byte(r.body), &got); err != nil || r.status != 200 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	// The independent expectation: the stored skills through the model.
	m := rating.DefaultOpenSkill()
	after := m.Rate([][]rating.Skill{{m.New(), m.New()}, {m.New(), m.New()}}, []float64{1, 2})
	win := m.PredictWin(after)
	if got.Product != "arena" || got.Board != "skill" || len(got.Teams) != 2 || math.Abs(got.Teams[0].Win-win[0]) > 1e-12 || got.Draw == nil ||
		math.Abs(*got.Draw-m.PredictDraw(after)) > 1e-12 || math.Abs(got.Quality-m.Quality(after)) > 1e-12 || got.Teams[1].Players[1] != "d" {
		t.Fatalf("prediction %s, want win %v", r.body, win)
	}
	r = f.get("/v1/products/arena/predict?board=elo&team=a&team=c&team=x")
	if r.status != 200 || !json.Valid([]byte(r.body)) {
		t.Fatalf("elo: %d %s", r.status, r.body)
	}
	var elo struct{ Draw *float64 }
	_ = json.Unmarshal([]byte(r.body), &elo)
	if elo.Draw != nil {
		t.Fatalf("elo has no draw model: %s", r.body)
	}
	for q, code := range map[string]string{
		"/v1/products/arena/predict?board=skill&team=a,b":           "invalid_parameter",
		"/v1/products/arena/predict?board=skill&team=a,b&team=b":    "invalid_parameter",
		"/v1/products/arena/predict?board=skill&team=a,,b&team=c":   "invalid_parameter",
		"/v1/products/arena/predict?board=wins&team=a&team=b":       "not_a_rating_board",
		"/v1/products/arena/predict?board=nope&team=a&team=b":       "unknown_board",
		"/v1/products/arena/predict?team=a&team=b&" + manyTeams(65): "invalid_parameter",
	} {
		r := f.get(q)
		var e struct{ Error struct{ Code string } }
		if err := json.Unmarshal([]byte(r.body), &e); err != nil || e.Error.Code != code || r.status < 400 {
			t.Errorf("%s: %d %s, want %s", q, r.status, r.body, code)
		}
	}
	// A damaged state is reported as such, not as an outage.
	if err := f.rdb.HSet(t.Context(), f.st.Keys().RatingState("arena", "skill"), "a", "{not json").Err(); err != nil {
		t.Fatal(err)
	}
	if r := f.get("/v1/products/arena/predict?board=skill&team=a&team=c"); r.status != 500 {
		t.Fatalf("damaged state: %d %s", r.status, r.body)
	}
}

func manyTeams(n int) string {
	s := ""
	for i := 0; i < n; i++ {
		s += "team=p" + string(rune('a'+i%26)) + string(rune('a'+i/26)) + "&"
	}
	return s
}
