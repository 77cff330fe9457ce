package handler

import (
	"fmt"
	"strconv"

	"github.com/varcade/statsctl/internal/event"
	"github.com/varcade/statsctl/internal/rating"
)

// OpenSkill rates players by Weng-Lin's Bayesian ratings (the OpenSkill
// family, internal/rating) on one board: any number of teams of any size,
// ties allowed, in one step. The board ranks by the ordinal mu - Z*sigma,
// so a newcomer starts near 0 and rises as the system grows sure of them.
// State per player: mu in RatingState.Rating, sigma in RatingState.RD.
type OpenSkill struct {
	Board string
	Model rating.OpenSkill
	Z     float64 // the ordinal's sigma multiple (NewOpenSkill: 3); 0 ranks by mu
	Rules ResultRules
}

// NewOpenSkill is an OpenSkill board with the reference defaults.
func NewOpenSkill(board string) OpenSkill {
	return OpenSkill{Board: board, Model: rating.DefaultOpenSkill(), Z: rating.DefaultOSZ}
}

// Rebind points the OpenSkill scorer, and the rating state it reads, at
// another instance of its board.
func (s OpenSkill) Rebind(instance string) Handler { s.Board = instance; return s }

var _ Rebinder = OpenSkill{}

// Needs names every player's skill of a game_over or match_over.
func (s OpenSkill) Needs(ev event.Event) []Ref { return resultNeeds(s.Board, s.Rules, ev) }

func (s OpenSkill) z() float64 { return s.Z }

// skill reads one player's skill; a player without state is new.
func (s OpenSkill) skill(cur Values, user string) (rating.Skill, RatingState, error) {
	st, ok, err := readState(cur, s.Board, user)
	if err != nil {
		return rating.Skill{}, st, err
	}
	if !ok {
		return s.Model.New(), RatingState{}, nil
	}
	return rating.Skill{Mu: st.Rating, Sigma: st.RD}, st, nil
}

// Handle rates a game_over (a draw is a tie) or a match_over from every
// player's current skill.
func (s OpenSkill) Handle(ev event.Event, cur Values) ([]Change, error) {
	res, ok, err := s.Rules.ParseResult(ev)
	if !ok || err != nil {
		return nil, err
	}
	teams := make([][]rating.Skill, len(res.Teams))
	states := make([][]RatingState, len(res.Teams))
	n := 0
	for i, t := range res.Teams {
		teams[i] = make([]rating.Skill, len(t))
		states[i] = make([]RatingState, len(t))
		for j, u := range t {
			if teams[i][j], states[i][j], err = s.skill(cur, u); err != nil {
				return nil, err
			}
		}
		n += len(t)
	}
	ranks := make([]float64, len(res.Places))
	for i, p := range res.Places {
		ranks[i] = float64(p)
	}
	rated := s.Model.Rate(teams, ranks)
	now, hasNow := EventTime(ev)
	out := make([]Change, 0, 2*n)
	var scores []Change
	for i, t := range res.Teams {
		for j, u := range t {
			p := rated[i][j]
			old := states[i][j]
			st := RatingState{Rating: p.Mu, RD: p.Sigma, Games: old.Games + 1, Last: old.Last}
			if hasNow {
				st.Last = max(st.Last, now)
			}
			out = append(out, Change{Op: StateSet, Board: s.Board, User: u, Str: st.Encode()})
			scores = append(scores, Change{Op: ScoreSet, Board: s.Board, User: u, Num: boardScore(p.Ordinal(s.z()))})
		}
	}
	return append(out, scores...), nil
}

// Describe shows a player's OpenSkill state as stats: the ordinal the board
// ranks by, mu, sigma and games.
func (s OpenSkill) Describe(board, state string) [][2]string {
	st, err := DecodeRatingState(state)
	if err != nil {
		return [][2]string{{board + "_rating", "unreadable: " + err.Error()}}
	}
	sk := rating.Skill{Mu: st.Rating, Sigma: st.RD}
	return [][2]string{
		{board + "_rating", strconv.FormatFloat(sk.Ordinal(s.z()), 'f', 2, 64)},
		{board + "_mu", strconv.FormatFloat(st.Rating, 'f', 3, 64)},
		{board + "_sigma", strconv.FormatFloat(st.RD, 'f', 3, 64)},
		{board + "_games", strconv.FormatInt(st.Games, 10)},
	}
}

// Summary describes the board's model for `config check`.
func (s OpenSkill) Summary() string {
	model := "plackett_luce"
	if s.Model.Model == rating.BradleyTerryFull {
		model = "bradley_terry_full"
	}
	return fmt.Sprintf("openskill %s, mu %.4g, sigma %.4g, beta %.4g, tau %.4g, rank by mu-%gsigma", model, s.Model.Mu, s.Model.Sigma, s.Model.Beta, s.Model.Tau, s.Z)
}
