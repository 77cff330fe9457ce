package handler

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/varcade/statsctl/internal/event"
	"github.com/varcade/statsctl/internal/rating"
)

// RatingState is one player's state on a rating board, stored as compact
// JSON in the board's state hash. Games makes every write differ from the
// one before, so comparing the stored text with what was read is an exact
// version check (no A-B-A).
type RatingState struct {
	Rating     float64 `json:"r"`
	RD         float64 `json:"rd,omitempty"`
	Volatility float64 `json:"vol,omitempty"`
	Games      int64   `json:"n"`
	Last       int64   `json:"t,omitempty"` // ms of the latest game's event time, 0 = unknown
}

// Encode renders the state as stored.
func (s RatingState) Encode() string {
	b, _ := json.Marshal(s) // a struct of numbers always marshals
	return string(b)
}

// DecodeRatingState parses a stored state.
func DecodeRatingState(text string) (RatingState, error) {
	var s RatingState
	if err := json.Unmarshal([]byte(text), &s); err != nil {
		return RatingState{}, fmt.Errorf("rating state %.40q: %w", text, err)
	}
	return s, nil
}

// Describer is implemented by scorers that keep rating state, to show it
// as a player's stats ("elo_rating: 1516.2"): `statsctl stats` and tools
// call it with the stored state text.
type Describer interface {
	Describe(board, state string) [][2]string
}

// EventTime is when an event happened, in ms since the epoch: the time part
// of a stream id "<ms>-<seq>", else a "time" or "ts" field holding integer
// ms since the epoch or an RFC 3339 time. ok is false when the event
// carries none; Glicko-2 then does not grow deviations for that game.
func EventTime(ev event.Event) (ms int64, ok bool) {
	if a, b, cut := strings.Cut(ev.ID, "-"); cut {
		n, err1 := strconv.ParseInt(a, 10, 64)
		_, err2 := strconv.ParseUint(b, 10, 64)
		if err1 == nil && err2 == nil && n > 0 {
			return n, true
		}
	}
	for _, f := range []string{"time", "ts"} {
		v, present := ev.Get(f)
		if !present {
			continue
		}
		if n, err := strconv.ParseInt(v, 10, 64); err == nil && n > 0 {
			return n, true
		}
		if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
			return t.UnixMilli(), true
		}
	}
	return 0, false
}

// boardScore rounds a rating for the board's sorted set: two decimals rank
// as well as sixteen and read better. The exact value stays in the state.
func boardScore(f float64) float64 { return math.Round(f*100) / 100 }

func readState(cur Values, board, user string) (RatingState, bool, error) {
	sr, ok := cur.(StateReader)
	if !ok {
		return RatingState{}, false, fmt.Errorf("board %s needs current ratings but the caller gave none", board)
	}
	text, ok := sr.State(board, user)
	if !ok {
		return RatingState{}, false, nil
	}
	st, err := DecodeRatingState(text)
	if err != nil {
		return RatingState{}, false, fmt.Errorf("%s on board %s: %w", user, board, err)
	}
	return st, true, nil
}

// Elo rates players by the Elo system on one board. K > 0 is a constant
// K-factor; K == 0 uses FIDE's K by games played and rating.
type Elo struct {
	Board   string
	K       float64
	Initial float64 // rating of a new player; 0 = rating.DefaultElo
	Rules   ResultRules
}

// Needs names every player's rating of a game_over or match_over.
func (s Elo) Needs(ev event.Event) []Ref { return resultNeeds(s.Board, s.Rules, ev) }

func (s Elo) initial() float64 {
	if s.Initial == 0 {
		return rating.DefaultElo
	}
	return s.Initial
}

func (s Elo) k(st RatingState) float64 {
	if s.K > 0 {
		return s.K
	}
	return rating.FIDEK(st.Games, st.Rating)
}

// Handle rates a game_over (a draw scores 1/2) or a match_over from every
// player's current rating, by the pairwise decomposition of teams.go.
func (s Elo) Handle(ev event.Event, cur Values) ([]Change, error) { return s.handleResult(ev, cur) }

// handleGameOver is the 1v1 rule handleResult reduces to, kept as the
// reference the decomposition is tested against.
func (s Elo) handleGameOver(ev event.Event, cur Values) ([]Change, error) {
	g, ok, err := ParseGameOver(ev)
	if !ok || err != nil {
		return nil, err
	}
	w, l := RatingState{Rating: s.initial()}, RatingState{Rating: s.initial()}
	if st, ok, err := readState(cur, s.Board, g.Winner); err != nil {
		return nil, err
	} else if ok {
		w = st
	}
	if st, ok, err := readState(cur, s.Board, g.Loser); err != nil {
		return nil, err
	} else if ok {
		l = st
	}
	dw := rating.EloDelta(w.Rating, l.Rating, 1, s.k(w))
	dl := rating.EloDelta(l.Rating, w.Rating, 0, s.k(l))
	w.Rating += dw
	l.Rating += dl
	w.Games++
	l.Games++
	if t, ok := EventTime(ev); ok {
		w.Last, l.Last = max(w.Last, t), max(l.Last, t)
	}
	return []Change{
		{Op: StateSet, Board: s.Board, User: g.Winner, Str: w.Encode()},
		{Op: StateSet, Board: s.Board, User: g.Loser, Str: l.Encode()},
		{Op: ScoreSet, Board: s.Board, User: g.Winner, Num: boardScore(w.Rating)},
		{Op: ScoreSet, Board: s.Board, User: g.Loser, Num: boardScore(l.Rating)},
	}, nil
}

// Describe shows a player's Elo state as stats.
func (s Elo) Describe(board, state string) [][2]string {
	st, err := DecodeRatingState(state)
	if err != nil {
		return [][2]string{{board + "_rating", "unreadable: " + err.Error()}}
	}
	return [][2]string{
		{board + "_rating", strconv.FormatFloat(st.Rating, 'f', 1, 64)},
		{board + "_games", strconv.FormatInt(st.Games, 10)},
	}
}

// Glicko2 rates players by Glickman's Glicko-2 on one board, each game its
// own rating period. Between a player's games their deviation grows by the
// event time elapsed, in units of Period (0 = it never grows).
type Glicko2 struct {
	Board        string
	Initial      rating.Glicko // zero fields take the paper's defaults
	Tau          float64       // 0 = rating.DefaultTau
	Period       time.Duration // inactivity unit for RD growth
	Conservative bool          // rank by rating - 2*RD instead of rating
	Rules        ResultRules
}

// Needs names every player's rating of a game_over or match_over.
func (s Glicko2) Needs(ev event.Event) []Ref { return resultNeeds(s.Board, s.Rules, ev) }

func (s Glicko2) start() rating.Glicko {
	p := s.Initial
	if p.Rating == 0 {
		p.Rating = rating.DefaultGlickoRating
	}
	if p.RD == 0 {
		p.RD = rating.DefaultGlickoRD
	}
	if p.Volatility == 0 {
		p.Volatility = rating.DefaultVolatility
	}
	return p
}

func (s Glicko2) player(cur Values, user string, now int64, hasNow bool) (rating.Glicko, RatingState, error) {
	st, ok, err := readState(cur, s.Board, user)
	if err != nil {
		return rating.Glicko{}, st, err
	}
	if !ok {
		p := s.start()
		return p, RatingState{}, nil
	}
	p := rating.Glicko{Rating: st.Rating, RD: st.RD, Volatility: st.Volatility}
	if hasNow && st.Last > 0 && now > st.Last && s.Period > 0 {
		periods := float64(now-st.Last) / float64(s.Period.Milliseconds())
		p = rating.Inflate(p, periods, s.start().RD)
	}
	return p, st, nil
}

// Handle rates a game_over (a draw scores 1/2) or a match_over from every
// player's current rating, each first widened for the time since their
// last game, by the decomposition of teams.go.
func (s Glicko2) Handle(ev event.Event, cur Values) ([]Change, error) { return s.handleResult(ev, cur) }

// handleGameOver is the 1v1 rule handleResult reduces to, kept as the
// reference the decomposition is tested against.
func (s Glicko2) handleGameOver(ev event.Event, cur Values) ([]Change, error) {
	g, ok, err := ParseGameOver(ev)
	if !ok || err != nil {
		return nil, err
	}
	now, hasNow := EventTime(ev)
	w, ws, err := s.player(cur, g.Winner, now, hasNow)
	if err != nil {
		return nil, err
	}
	l, ls, err := s.player(cur, g.Loser, now, hasNow)
	if err != nil {
		return nil, err
	}
	tau := s.Tau
	if tau == 0 {
		tau = rating.DefaultTau
	}
	w2 := rating.Glicko2(w, []rating.GlickoResult{{Opponent: l, Score: 1}}, tau)
	l2 := rating.Glicko2(l, []rating.GlickoResult{{Opponent: w, Score: 0}}, tau)
	next := func(p rating.Glicko, old RatingState) RatingState {
		st := RatingState{Rating: p.Rating, RD: p.RD, Volatility: p.Volatility, Games: old.Games + 1, Last: old.Last}
		if hasNow {
			st.Last = max(st.Last, now)
		}
		return st
	}
	wn, ln := next(w2, ws), next(l2, ls)
	return []Change{
		{Op: StateSet, Board: s.Board, User: g.Winner, Str: wn.Encode()},
		{Op: StateSet, Board: s.Board, User: g.Loser, Str: ln.Encode()},
		{Op: ScoreSet, Board: s.Board, User: g.Winner, Num: boardScore(s.rank(w2))},
		{Op: ScoreSet, Board: s.Board, User: g.Loser, Num: boardScore(s.rank(l2))},
	}, nil
}

func (s Glicko2) rank(p rating.Glicko) float64 {
	if s.Conservative {
		return p.Conservative()
	}
	return p.Rating
}

// Describe shows a player's Glicko-2 state as stats.
func (s Glicko2) Describe(board, state string) [][2]string {
	st, err := DecodeRatingState(state)
	if err != nil {
		return [][2]string{{board + "_rating", "unreadable: " + err.Error()}}
	}
	return [][2]string{
		{board + "_rating", strconv.FormatFloat(st.Rating, 'f', 1, 64)},
		{board + "_rd", strconv.FormatFloat(st.RD, 'f', 1, 64)},
		{board + "_volatility", strconv.FormatFloat(st.Volatility, 'f', 5, 64)},
		{board + "_games", strconv.FormatInt(st.Games, 10)},
	}
}
