package handler

import (
	"math"

	"github.com/varcade/statsctl/internal/event"
	"github.com/varcade/statsctl/internal/rating"
)

// How Elo and Glicko-2, two-player systems, rate draws and results of many
// teams (docs/ratings.md, "Teams, free-for-alls and draws"):
//
//   - every pair of teams is one game, scored 1 / 0.5 / 0 by place
//     (PairScore), so a draw is 0.5 each and an 8-player free-for-all is 28
//     games;
//   - a team plays as one player: Elo uses the mean rating of its members;
//     Glicko-2 an opponent of the members' mean rating and root-mean-square
//     RD;
//   - Elo: each player's change is their own K divided by the number of
//     opponent teams, times the team's summed (score - expected), so a
//     player moves at most K per result whatever its size, and every member
//     of a team moves alike (by their own K);
//   - Glicko-2: each player's rating period holds one game per opponent team,
//     rated from the player's own rating and RD.
//
// A decided 1v1 game_over reduces to the plain two-player rule, bit for bit
// (TestTeamsReduceTo1v1).

// resultNeeds names every player's state on board for a result event.
func resultNeeds(board string, rules ResultRules, ev event.Event) []Ref {
	res, ok, err := rules.ParseResult(ev)
	if !ok || err != nil {
		return nil
	}
	out := make([]Ref, 0, 2)
	for _, t := range res.Teams {
		for _, u := range t {
			out = append(out, Ref{Board: board, User: u})
		}
	}
	return out
}

func (s Elo) handleResult(ev event.Event, cur Values) ([]Change, error) {
	res, ok, err := s.Rules.ParseResult(ev)
	if !ok || err != nil {
		return nil, err
	}
	states := make([][]RatingState, len(res.Teams))
	means := make([]float64, len(res.Teams))
	for i, t := range res.Teams {
		states[i] = make([]RatingState, len(t))
		var sum float64
		for j, u := range t {
			st, ok, err := readState(cur, s.Board, u)
			if err != nil {
				return nil, err
			}
			if !ok {
				st = RatingState{Rating: s.initial()}
			}
			states[i][j] = st
			sum += st.Rating
		}
		means[i] = sum / float64(len(t))
		if len(t) == 1 {
			means[i] = states[i][0].Rating
		}
	}
	opponents := float64(len(res.Teams) - 1)
	now, hasNow := EventTime(ev)
	var sets, scores []Change
	for i, t := range res.Teams {
		for j, u := range t {
			st := states[i][j]
			k := s.k(st)
			var d float64
			for q := range res.Teams {
				if q != i {
					d += rating.EloDelta(means[i], means[q], PairScore(res.Places[i], res.Places[q]), k)
				}
			}
			if opponents > 1 {
				d /= opponents
			}
			st.Rating += d
			st.Games++
			if hasNow {
				st.Last = max(st.Last, now)
			}
			sets = append(sets, Change{Op: StateSet, Board: s.Board, User: u, Str: st.Encode()})
			scores = append(scores, Change{Op: ScoreSet, Board: s.Board, User: u, Num: boardScore(st.Rating)})
		}
	}
	return append(sets, scores...), nil
}

func (s Glicko2) handleResult(ev event.Event, cur Values) ([]Change, error) {
	res, ok, err := s.Rules.ParseResult(ev)
	if !ok || err != nil {
		return nil, err
	}
	now, hasNow := EventTime(ev)
	players := make([][]rating.Glicko, len(res.Teams))
	states := make([][]RatingState, len(res.Teams))
	teams := make([]rating.Glicko, len(res.Teams))
	for i, t := range res.Teams {
		players[i] = make([]rating.Glicko, len(t))
		states[i] = make([]RatingState, len(t))
		var r, rd2 float64
		for j, u := range t {
			p, st, err := s.player(cur, u, now, hasNow)
			if err != nil {
				return nil, err
			}
			players[i][j], states[i][j] = p, st
			r += p.Rating
			rd2 += p.RD * p.RD
		}
		n := float64(len(t))
		teams[i] = rating.Glicko{Rating: r / n, RD: math.Sqrt(rd2 / n)}
		if len(t) == 1 {
			teams[i] = players[i][0]
		}
	}
	tau := s.Tau
	if tau == 0 {
		tau = rating.DefaultTau
	}
	var sets, scores []Change
	for i, t := range res.Teams {
		games := make([]rating.GlickoResult, 0, len(res.Teams)-1)
		for q := range res.Teams {
			if q != i {
				games = append(games, rating.GlickoResult{Opponent: teams[q], Score: PairScore(res.Places[i], res.Places[q])})
			}
		}
		for j, u := range t {
			p2 := rating.Glicko2(players[i][j], games, tau)
			old := states[i][j]
			st := RatingState{Rating: p2.Rating, RD: p2.RD, Volatility: p2.Volatility, Games: old.Games + 1, Last: old.Last}
			if hasNow {
				st.Last = max(st.Last, now)
			}
			sets = append(sets, Change{Op: StateSet, Board: s.Board, User: u, Str: st.Encode()})
			scores = append(scores, Change{Op: ScoreSet, Board: s.Board, User: u, Num: boardScore(s.rank(p2))})
		}
	}
	return append(sets, scores...), nil
}
