package handler

import (
	"github.com/varcade/statsctl/internal/event"
)

// DefaultBoardName is the board every product has, named as the old service
// named its sorted sets (_lb:wins:<product>).
const DefaultBoardName = "wins"

// Stat names written by the built-in handlers; the portal reads them by name.
const (
	StatGames  = "games"
	StatWins   = "wins"
	StatLosses = "losses"
)

// exrpsWeaponStat maps exrps's event_data codes to the stat a pick counts
// in (<weapon>_selection_count, spelled out so no pick builds a string).
// The game server sends ” + index, so a player who picked nothing arrives
// as "null".
func exrpsWeaponStat(code string) (string, bool) {
	switch code {
	case "0":
		return "rock_selection_count", true
	case "1":
		return "paper_selection_count", true
	case "2":
		return "scissors_selection_count", true
	case "null":
		return "botch_selection_count", true
	}
	return "", false
}

// GameResult is a checked game_over event: two distinct, valid players.
type GameResult struct {
	Winner, Loser string
}

// ParseGameOver extracts the result of a game_over event. ok is false (with a
// nil error) for events of other types, so callers can ignore them quietly.
func ParseGameOver(ev event.Event) (res GameResult, ok bool, err error) {
	if ev.Type() != event.TypeGameOver {
		return GameResult{}, false, nil
	}
	w, wok := ev.Get(event.FieldWinner)
	l, lok := ev.Get(event.FieldLoser)
	switch {
	case !wok:
		return GameResult{}, true, Invalidf(ReasonMissingField, "game_over without %s", event.FieldWinner)
	case !lok:
		return GameResult{}, true, Invalidf(ReasonMissingField, "game_over without %s", event.FieldLoser)
	}
	if err := event.CheckUser(w); err != nil {
		return GameResult{}, true, Invalidf(ReasonBadUser, "%s: %v", event.FieldWinner, err)
	}
	if err := event.CheckUser(l); err != nil {
		return GameResult{}, true, Invalidf(ReasonBadUser, "%s: %v", event.FieldLoser, err)
	}
	if w == l {
		return GameResult{}, true, Invalidf(ReasonSamePlayer, "game_over names %q as both winner and loser", w)
	}
	return GameResult{Winner: w, Loser: l}, true, nil
}

// Wins is the default scorer: the winner gains one point and the loser keeps
// what they had, entering the board at 0 after their first game. Both are
// increments, so no current values are needed and concurrent consumers can
// never lose an update.
//
// A match_over gives every first-placed player (all of a tied first) a
// point; a draw (everyone first) gives nobody one. See results.go.
type Wins struct {
	Board string
	Rules ResultRules
}

// Handle scores a game_over or match_over; other events are not its business.
func (s Wins) Handle(ev event.Event, _ Values) ([]Change, error) {
	res, ok, err := s.Rules.ParseResult(ev)
	if !ok || err != nil {
		return nil, err
	}
	return winsChanges(s.Board, res), nil
}

// GameOverStats counts games, wins and losses for both players of any
// product. Both players get all three fields from their first game on.
// Draws and match_over results add the fields of results.go's
// resultStats; a game_over that is no draw writes exactly the three.
type GameOverStats struct{ Rules ResultRules }

// Handle counts a game_over or match_over; other events are not its business.
func (s GameOverStats) Handle(ev event.Event, _ Values) ([]Change, error) {
	res, ok, err := s.Rules.ParseResult(ev)
	if !ok || err != nil {
		return nil, err
	}
	return resultStats(res), nil
}

// ExrpsWeapons counts each player's weapon picks in Rock Paper Scissors
// Apocalypse: one select_weapon event adds 1 to <weapon>_selection_count.
type ExrpsWeapons struct{}

// Handle counts a select_weapon; other events are not its business.
func (ExrpsWeapons) Handle(ev event.Event, _ Values) ([]Change, error) {
	if ev.Type() != event.TypeGameplay {
		return nil, nil
	}
	if name, _ := ev.Get(event.FieldEventName); name != "select_weapon" {
		return nil, nil
	}
	user, ok := ev.Get(event.FieldUser)
	if !ok {
		return nil, Invalidf(ReasonMissingField, "select_weapon without %s", event.FieldUser)
	}
	if err := event.CheckUser(user); err != nil {
		return nil, Invalidf(ReasonBadUser, "%s: %v", event.FieldUser, err)
	}
	code, ok := ev.Get(event.FieldEventData)
	if !ok {
		return nil, Invalidf(ReasonMissingField, "select_weapon without %s", event.FieldEventData)
	}
	stat, known := exrpsWeaponStat(code)
	if !known {
		return nil, Invalidf(ReasonUnknownWeapon, "select_weapon with unknown weapon code %.20q (want 0, 1, 2 or null)", code)
	}
	return []Change{{Op: StatAdd, User: user, Field: stat, Int: 1}}, nil
}

// DefaultProduct is what an unknown product gets: the wins board and the
// game-over stats, as the old service's default handlers.
func DefaultProduct() Product {
	return Product{
		Boards:    []Board{{Name: DefaultBoardName, Scorer: Wins{Board: DefaultBoardName}}},
		Stats:     []Handler{GameOverStats{}},
		StatOrder: []string{StatGames, StatWins, StatLosses, StatDraws, StatMatches, StatPodiums, StatPlacementSum},
	}
}

// Exrps is Rock Paper Scissors Apocalypse: the defaults plus weapon counts.
//
// It keeps only the wins board, as the old service did: an Elo board next to
// it is one configuration away (testdata/config/statsctl.yaml) and costs a
// read of both players' ratings per game, which a product should opt into.
func Exrps() Product {
	p := DefaultProduct()
	p.Stats = append(p.Stats, ExrpsWeapons{})
	// The portal's stat_ordering for exrps.
	p.StatOrder = []string{StatGames, StatWins, StatLosses, StatDraws,
		"rock_selection_count", "paper_selection_count", "scissors_selection_count", "botch_selection_count"}
	return p
}

// Builtin is the registry statsctl ships with.
func Builtin() *Registry {
	r := NewRegistry(DefaultProduct())
	if err := r.Register("exrps", Exrps()); err != nil {
		panic(err) // a constant registration cannot fail; a test covers it
	}
	return r
}
