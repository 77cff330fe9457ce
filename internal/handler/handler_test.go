package handler

import (
	"errors"
	"fmt"
	"testing"

	"github.com/varcade/statsctl/internal/event"
)

func ev(kv ...string) event.Event {
	e := event.Event{Fields: map[string]string{}}
	for i := 0; i+1 < len(kv); i += 2 {
		e.Fields[kv[i]] = kv[i+1]
	}
	return e
}

func changes(t *testing.T, p Product, e event.Event) string {
	t.Helper()
	ch, err := p.Handle(e, NoValues{})
	if err != nil {
		t.Fatalf("Handle(%v): %v", e, err)
	}
	return fmt.Sprint(ch)
}

func reason(t *testing.T, p Product, e event.Event) string {
	t.Helper()
	_, err := p.Handle(e, NoValues{})
	var inv *Invalid
	if !errors.As(err, &inv) {
		t.Fatalf("Handle(%v) = %v, want *Invalid", e, err)
	}
	return inv.Reason
}

// The contract: winner +1, loser enters at 0; games/wins/losses for both,
// every field present from the first game.
func TestDefaultGameOver(t *testing.T) {
	got := changes(t, DefaultProduct(), ev("product_id", "chess", "type", "game_over", "winner_id", "w", "loser_id", "l"))
	want := "[score+ wins/w 1 score? wins/l 0 stat+ w.games 1 stat+ w.wins 1 stat+ w.losses 0 stat+ l.games 1 stat+ l.wins 0 stat+ l.losses 1]"
	if got != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
}

func TestExrpsWeapons(t *testing.T) {
	p := Exrps()
	for code, stat := range map[string]string{"0": "rock", "1": "paper", "2": "scissors", "null": "botch"} {
		got := changes(t, p, ev("product_id", "exrps", "type", "gameplay", "event_name", "select_weapon", "event_data", code, "user_id", "u1"))
		if want := "[stat+ u1." + stat + "_selection_count 1]"; got != want {
			t.Errorf("code %s: got %s want %s", code, got, want)
		}
	}
	for _, code := range []string{"3", "-1", "rock", "01", " 1", "NULL"} {
		if r := reason(t, p, ev("product_id", "exrps", "type", "gameplay", "event_name", "select_weapon", "event_data", code, "user_id", "u1")); r != ReasonUnknownWeapon {
			t.Errorf("code %q: reason %s", code, r)
		}
	}
	if r := reason(t, p, ev("product_id", "exrps", "type", "gameplay", "event_name", "select_weapon", "event_data", "1")); r != ReasonMissingField {
		t.Errorf("no user: %s", r)
	}
	// Weapon picks count only in exrps; the default product ignores them.
	if got := changes(t, DefaultProduct(), ev("product_id", "x", "type", "gameplay", "event_name", "select_weapon", "event_data", "1", "user_id", "u")); got != "[]" {
		t.Errorf("default product counted a weapon: %s", got)
	}
	// exrps still scores its game overs.
	if got := changes(t, p, ev("type", "game_over", "winner_id", "a", "loser_id", "b")); len(got) < 10 {
		t.Errorf("exrps game_over: %s", got)
	}
}

func TestQuietlyIgnoredEvents(t *testing.T) {
	for _, e := range []event.Event{
		ev("product_id", "exrps", "type", "state_change", "new_state", "round_1"),
		ev("product_id", "exrps", "type", "gameplay", "event_name", "progression", "user_id", "u1"),
		ev("product_id", "exrps", "type", "game_removed"),
		ev("product_id", "exrps", "type", "player_disconnect", "user_id", "u1"),
	} {
		if got := changes(t, Exrps(), e); got != "[]" {
			t.Errorf("%v: %s, want no changes", e, got)
		}
	}
}

func TestInvalidGameOvers(t *testing.T) {
	for want, e := range map[string]event.Event{
		ReasonMissingField: ev("type", "game_over", "winner_id", "w"),
		ReasonSamePlayer:   ev("type", "game_over", "winner_id", "w", "loser_id", "w"),
		ReasonBadUser:      ev("type", "game_over", "winner_id", "w", "loser_id", "a\nb"),
	} {
		if r := reason(t, DefaultProduct(), e); r != want {
			t.Errorf("%v: reason %s, want %s", e, r, want)
		}
	}
	if r := reason(t, DefaultProduct(), ev("type", "game_over", "winner_id", "", "loser_id", "l")); r != ReasonMissingField {
		t.Errorf("empty winner: %s", r)
	}
}

func TestRegistryFallsBackToDefault(t *testing.T) {
	r := Builtin()
	if got := fmt.Sprint(r.Known()); got != "[exrps]" {
		t.Fatalf("known %s", got)
	}
	if len(r.Lookup("exrps").Stats) != 2 || len(r.Lookup("anything").Stats) != 1 {
		t.Fatal("lookup did not distinguish exrps from the default")
	}
	if r.Lookup("anything").DefaultBoard() != "wins" || !r.Lookup("exrps").HasBoard("wins") || r.Lookup("exrps").HasBoard("elo") {
		t.Fatal("boards")
	}
	for _, bad := range []Product{{}, {Boards: []Board{{Name: "a"}}}, {Boards: []Board{{Name: "a", Scorer: Wins{Board: "a"}}, {Name: "a", Scorer: Wins{Board: "a"}}}}} {
		if r.Register("p", bad) == nil {
			t.Errorf("registered %+v", bad)
		}
	}
	if r.Register("bad{id}", DefaultProduct()) == nil {
		t.Error("registered a product id with braces")
	}
}

func TestOrderStats(t *testing.T) {
	got := Exrps().OrderStats([]string{"zeta", "paper_selection_count", "wins", "alpha", "games", "losses"})
	if fmt.Sprint(got) != "[games wins losses paper_selection_count alpha zeta]" {
		t.Fatalf("order %v", got)
	}
}
