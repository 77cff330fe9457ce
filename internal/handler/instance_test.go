package handler

import (
	"testing"

	"github.com/varcade/statsctl/internal/event"
)

func TestInstanceRoundTrip(t *testing.T) {
	for _, c := range []struct{ board, period, segment, want string }{
		{"wins", "", "", "wins"},
		{"wins-weekly", "2026-W48", "", "wins-weekly@2026-W48"},
		{"wins", "", "eu", "wins~eu"},
		{"laps", "2026-12", "eu,ranked", "laps@2026-12~eu,ranked"},
	} {
		got := Instance(c.board, c.period, c.segment)
		if got != c.want {
			t.Errorf("Instance(%q,%q,%q) = %q, want %q", c.board, c.period, c.segment, got, c.want)
		}
		b, p, s := ParseInstance(got)
		if b != c.board || p != c.period || s != c.segment {
			t.Errorf("ParseInstance(%q) = %q,%q,%q", got, b, p, s)
		}
	}
}

func TestRebindMovesChanges(t *testing.T) {
	ev := event.Event{Fields: map[string]string{"product_id": "p", "type": "game_over", "winner_id": "a", "loser_id": "b"}}
	for _, h := range []Rebinder{Wins{Board: "wins"}, Elo{Board: "elo", Initial: 1500}} {
		ch, err := h.Rebind("x@2026-W48~eu").Handle(ev, NoValues{})
		if err != nil {
			t.Fatal(err)
		}
		if len(ch) == 0 {
			t.Fatalf("%T: no changes", h)
		}
		for _, c := range ch {
			if c.Board != "x@2026-W48~eu" {
				t.Errorf("%T: change %v not on the rebound instance", h, c)
			}
		}
	}
}
