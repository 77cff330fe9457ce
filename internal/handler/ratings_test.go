package handler

import (
	"math"
	"strconv"
	"testing"
	"time"

	"github.com/varcade/statsctl/internal/event"
	"github.com/varcade/statsctl/internal/rating"
)

type stateMap map[string]string

func (m stateMap) Score(string, string) (float64, bool) { return 0, false }
func (m stateMap) Stat(string, string) (string, bool)   { return "", false }
func (m stateMap) State(board, user string) (string, bool) {
	v, ok := m[board+"/"+user]
	return v, ok
}

// apply runs a scorer and folds its state writes back into m, as the engine's
// overlay does.
func apply(t *testing.T, h Handler, m stateMap, ev event.Event) []Change {
	t.Helper()
	ch, err := h.Handle(ev, m)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range ch {
		if c.Op == StateSet {
			m[c.Board+"/"+c.User] = c.Str
		}
	}
	return ch
}

func game(id, w, l string) event.Event {
	return event.Event{ID: id, Fields: map[string]string{"product_id": "exrps", "type": "game_over", "winner_id": w, "loser_id": l}}
}

func st(t *testing.T, m stateMap, key string) RatingState {
	t.Helper()
	s, err := DecodeRatingState(m[key])
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestEloScorerFIDE(t *testing.T) {
	m := stateMap{}
	h := Elo{Board: "elo"}
	if got := h.Needs(game("", "a", "b")); len(got) != 2 || got[0] != (Ref{"elo", "a"}) || got[1] != (Ref{"elo", "b"}) {
		t.Fatalf("needs %v", got)
	}
	if h.Needs(event.Event{Fields: map[string]string{"type": "gameplay"}}) != nil {
		t.Fatal("a gameplay event needs no ratings")
	}
	ch := apply(t, h, m, game("1000-0", "a", "b"))
	// New players: K = 40, expected 0.5 -> +20 / -20.
	if a, b := st(t, m, "elo/a"), st(t, m, "elo/b"); a.Rating != 1520 || b.Rating != 1480 || a.Games != 1 || a.Last != 1000 {
		t.Fatalf("after one game a=%+v b=%+v", a, b)
	}
	if ch[2].Op != ScoreSet || ch[2].Num != 1520 || ch[3].Num != 1480 {
		t.Fatalf("board changes %v", ch)
	}
	// b at 1480 beats a at 1520: 40 * (1 - E(1480,1520)).
	apply(t, h, m, game("", "b", "a"))
	want := 1480 + rating.EloDelta(1480, 1520, 1, 40)
	if b := st(t, m, "elo/b"); math.Abs(b.Rating-want) > 1e-9 || b.Games != 2 {
		t.Fatalf("b = %+v, want rating %v", b, want)
	}
	// Past 30 games K drops to 20.
	m["elo/c"] = RatingState{Rating: 1500, Games: 30}.Encode()
	m["elo/d"] = RatingState{Rating: 1500, Games: 30}.Encode()
	apply(t, h, m, game("", "c", "d"))
	if c := st(t, m, "elo/c"); c.Rating != 1510 {
		t.Fatalf("K after 30 games: c = %+v, want 1510", c)
	}
	if _, err := h.Handle(game("", "a", "b"), struct{ Values }{}); err == nil {
		t.Fatal("a stateful scorer without a state view must refuse, not rate from scratch")
	}
}

func TestGlickoScorerInactivityFromStreamTime(t *testing.T) {
	day := 24 * time.Hour
	h := Glicko2{Board: "g", Tau: 0.5, Period: day, Conservative: true}
	m := stateMap{}
	apply(t, h, m, game("86400000-0", "a", "b"))
	a1 := st(t, m, "g/a")
	if a1.RD >= 350 || a1.Last != 86400000 {
		t.Fatalf("after one game a = %+v", a1)
	}
	// a's next game 100 days later: before rating, RD grows as 100 periods.
	m2 := stateMap{}
	for k, v := range m {
		m2[k] = v
	}
	apply(t, h, m, game("86400001-0", "a", "c"))                                       // a moment later
	apply(t, h, m2, game(strconv.FormatInt(86400000+100*86400000, 10)+"-0", "a", "c")) // 100 days later
	soon, late := st(t, m, "g/a"), st(t, m2, "g/a")
	if !(late.RD > soon.RD) {
		t.Fatalf("RD after 100 idle days %.2f must exceed RD after none %.2f", late.RD, soon.RD)
	}
	// The board ranks by rating - 2 RD.
	ch, _ := h.Handle(game("", "x", "y"), stateMap{})
	ws, _ := DecodeRatingState(ch[0].Str)
	if ch[2].Num != boardScore(ws.Rating-2*ws.RD) {
		t.Fatalf("conservative score %v for state %+v", ch[2].Num, ws)
	}
}

func TestEventTime(t *testing.T) {
	cases := []struct {
		ev   event.Event
		ms   int64
		have bool
	}{
		{event.Event{ID: "1700000000123-4"}, 1700000000123, true},
		{event.Event{ID: "e12"}, 0, false},
		{event.Event{ID: "e-1", Fields: map[string]string{"ts": "1700000000000"}}, 1700000000000, true},
		{event.Event{Fields: map[string]string{"time": "2024-01-02T03:04:05Z"}}, 1704164645000, true},
		{event.Event{Fields: map[string]string{"time": "yesterday"}}, 0, false},
	}
	for _, c := range cases {
		ms, ok := EventTime(c.ev)
		if ms != c.ms || ok != c.have {
			t.Errorf("EventTime(%v) = %d %v, want %d %v", c.ev, ms, ok, c.ms, c.have)
		}
	}
}
