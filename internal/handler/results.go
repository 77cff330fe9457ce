package handler

// Stats every product keeps for results beyond a decided 1v1 game_over.
// They are integers, so they add up exactly under concurrent consumers:
// average placement is placement_sum / matches, a podium rate podiums /
// matches.
const (
	StatDraws        = "draws"         // games and matches in which every team shared first place
	StatMatches      = "matches"       // match_over results played
	StatPodiums      = "podiums"       // matches finished in place 1, 2 or 3
	StatPlacementSum = "placement_sum" // sum of the places of every match (1 = first)
)

// PodiumPlaces is how many places count as a podium.
const PodiumPlaces = 3

// resultStats counts one result for every player. A decided game_over
// writes exactly what the old service wrote (games, wins, losses, winner
// first), so the portal's stats stay byte-compatible. Every game counts as
// exactly one of a win, a loss or a draw: first place (all of a tied first)
// is a win unless every team is first (a draw), any other place a loss.
func resultStats(res Result) []Change {
	draw := res.Draw()
	per := 3 // the changes of one player, to size out once
	if draw || res.Match {
		per++
	}
	if res.Match {
		per += 3
	}
	out := make([]Change, 0, per*res.players())
	for i, team := range res.Teams {
		place := res.Places[i]
		win, loss, drew := int64(0), int64(0), int64(0)
		switch {
		case draw:
			drew = 1
		case place == 1:
			win = 1
		default:
			loss = 1
		}
		for _, u := range team {
			out = append(out,
				Change{Op: StatAdd, User: u, Field: StatGames, Int: 1},
				Change{Op: StatAdd, User: u, Field: StatWins, Int: win},
				Change{Op: StatAdd, User: u, Field: StatLosses, Int: loss})
			if draw || res.Match {
				out = append(out, Change{Op: StatAdd, User: u, Field: StatDraws, Int: drew})
			}
			if res.Match {
				podium := int64(0)
				if place <= PodiumPlaces {
					podium = 1
				}
				out = append(out,
					Change{Op: StatAdd, User: u, Field: StatMatches, Int: 1},
					Change{Op: StatAdd, User: u, Field: StatPodiums, Int: podium},
					Change{Op: StatAdd, User: u, Field: StatPlacementSum, Int: int64(place)})
			}
		}
	}
	return out
}

// winsChanges scores a result on a wins board: +1 for every first-placed
// player unless the result is a draw; everyone else enters at 0.
func winsChanges(board string, res Result) []Change {
	draw := res.Draw()
	out := make([]Change, 0, res.players())
	for i, team := range res.Teams {
		for _, u := range team {
			if !draw && res.Places[i] == 1 {
				out = append(out, Change{Op: ScoreAdd, Board: board, User: u, Num: 1})
			} else {
				out = append(out, Change{Op: ScoreEnsure, Board: board, User: u, Num: 0})
			}
		}
	}
	return out
}

// RulesSetter is implemented by every handler that reads results, so a
// product's results: configuration (bounds, draw field) reaches all of
// them alike and they never disagree on whether an event is valid.
type RulesSetter interface {
	WithRules(ResultRules) Handler
}

// WithRules sets the wins scorer's result rules.
func (s Wins) WithRules(r ResultRules) Handler { s.Rules = r; return s }

// WithRules sets the stats handler's result rules.
func (s GameOverStats) WithRules(r ResultRules) Handler { s.Rules = r; return s }

// WithRules sets the Elo scorer's result rules.
func (s Elo) WithRules(r ResultRules) Handler { s.Rules = r; return s }

// WithRules sets the Glicko-2 scorer's result rules.
func (s Glicko2) WithRules(r ResultRules) Handler { s.Rules = r; return s }

// WithRules sets the OpenSkill scorer's result rules.
func (s OpenSkill) WithRules(r ResultRules) Handler { s.Rules = r; return s }

// WithResultRules gives every board and stats handler of the product that
// reads results the same rules.
func (p Product) WithResultRules(r ResultRules) Product {
	boards := make([]Board, len(p.Boards))
	for i, b := range p.Boards {
		if s, ok := b.Scorer.(RulesSetter); ok {
			b.Scorer = s.WithRules(r)
		}
		boards[i] = b
	}
	stats := make([]Handler, len(p.Stats))
	for i, h := range p.Stats {
		if s, ok := h.(RulesSetter); ok {
			h = s.WithRules(r)
		}
		stats[i] = h
	}
	p.Boards, p.Stats = boards, stats
	return p
}
