package handler

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"sort"

	"github.com/varcade/statsctl/internal/event"
)

// Match result fields and type, as OpenSkill's own rate(teams, ranks |
// scores) shapes a result. Stream values are strings, so the lists are JSON.
const (
	TypeMatchOver = "match_over"
	FieldTeams    = "teams"  // [["u1","u2"],["u3"]]
	FieldRanks    = "ranks"  // [1,2]: 1 best, equal numbers tie
	FieldScores   = "scores" // [10,7]: higher better
)

// ReasonMatchTooLarge: a match_over has more teams or players than the
// product's results limits allow.
const ReasonMatchTooLarge = "match_too_large"

// Default bounds of one match: a battle royale of 64 solo players, or 16
// teams of 4, fits; the JSON of a larger one would not fit a stream value.
const (
	DefaultMaxTeams   = 64
	DefaultMaxPlayers = 64
)

// ResultRules say how a product's events describe results: the bounds of a
// match_over and which field marks a game_over as a draw. The zero value
// is the default: DefaultMaxTeams, DefaultMaxPlayers, and a game_over is a
// draw when it carries result=draw or draw=true.
type ResultRules struct {
	MaxTeams   int
	MaxPlayers int
	DrawField  string // "" = result=draw or draw=true
	DrawValue  string
}

func (r ResultRules) maxTeams() int {
	if r.MaxTeams > 0 {
		return r.MaxTeams
	}
	return DefaultMaxTeams
}

func (r ResultRules) maxPlayers() int {
	if r.MaxPlayers > 0 {
		return r.MaxPlayers
	}
	return DefaultMaxPlayers
}

// IsDraw reports whether a game_over says it was drawn.
func (r ResultRules) IsDraw(ev event.Event) bool {
	if r.DrawField != "" {
		v, ok := ev.Get(r.DrawField)
		return ok && v == r.DrawValue
	}
	if v, ok := ev.Get("result"); ok && v == "draw" {
		return true
	}
	v, ok := ev.Get("draw")
	return ok && v == "true"
}

// Result is a checked result of either event type: the teams and each
// team's place (1 = first; tied teams share the better place, as in
// competition ranking "1, 2, 2, 4"). A game_over is two teams of one.
type Result struct {
	Teams  [][]string
	Places []int
	Match  bool // from a match_over (a game_over otherwise)
}

// Draw reports whether every team shares first place: nobody won.
func (r Result) Draw() bool {
	for _, p := range r.Places {
		if p != 1 {
			return false
		}
	}
	return true
}

// players counts the players of every team.
func (r Result) players() int {
	n := 0
	for _, t := range r.Teams {
		n += len(t)
	}
	return n
}

// Players lists every player of the result, team by team.
func (r Result) Players() []string {
	var out []string
	for _, t := range r.Teams {
		out = append(out, t...)
	}
	return out
}

// ParseResult reads a game_over or match_over event. ok is false (with a
// nil error) for other types. A game_over keeps ParseGameOver's checks; a
// match_over must carry teams and exactly one of ranks or scores, within
// the rules' bounds, every player valid and in one team only.
func (r ResultRules) ParseResult(ev event.Event) (Result, bool, error) {
	switch ev.Type() {
	case event.TypeGameOver:
		g, ok, err := ParseGameOver(ev)
		if !ok || err != nil {
			return Result{}, ok, err
		}
		res := gameOverResult(g)
		if r.IsDraw(ev) {
			res.Places[1] = 1
		}
		return res, true, nil
	case TypeMatchOver:
		res, err := r.parseMatch(ev)
		return res, true, err
	}
	return Result{}, false, nil
}

// gameOverResult is a game_over's result, two teams of one, in one
// allocation rather than four: every game_over is parsed once per handler
// that reads results. Each slice is capped at its length, as the literals
// it replaces were, so an append copies rather than reaching a neighbour.
func gameOverResult(g GameResult) Result {
	a := new(struct {
		users  [2]string
		teams  [2][]string
		places [2]int
	})
	a.users = [2]string{g.Winner, g.Loser}
	a.teams = [2][]string{a.users[0:1:1], a.users[1:2:2]}
	a.places = [2]int{1, 2}
	return Result{Teams: a.teams[:], Places: a.places[:]}
}

func (r ResultRules) parseMatch(ev event.Event) (Result, error) {
	tt, ok := ev.Get(FieldTeams)
	if !ok {
		return Result{}, Invalidf(ReasonMissingField, "match_over without %s (a JSON list of teams, e.g. [[\"u1\",\"u2\"],[\"u3\"]])", FieldTeams)
	}
	rt, hasRanks := ev.Get(FieldRanks)
	st, hasScores := ev.Get(FieldScores)
	switch {
	case hasRanks && hasScores:
		return Result{}, Invalidf(ReasonMalformed, "match_over has both %s and %s; send one of them", FieldRanks, FieldScores)
	case !hasRanks && !hasScores:
		return Result{}, Invalidf(ReasonMissingField, "match_over without %s or %s (one number per team)", FieldRanks, FieldScores)
	}
	var teams [][]string
	if err := strictJSON(tt, &teams); err != nil {
		return Result{}, Invalidf(ReasonMalformed, "match_over %s is not a JSON list of lists of user ids: %v", FieldTeams, err)
	}
	if len(teams) < 2 {
		return Result{}, Invalidf(ReasonMalformed, "match_over %s lists %d team(s); a match needs at least 2", FieldTeams, len(teams))
	}
	if len(teams) > r.maxTeams() {
		return Result{}, Invalidf(ReasonMatchTooLarge, "match_over has %d teams, more than the %d allowed (results: max_teams)", len(teams), r.maxTeams())
	}
	seen := map[string]int{}
	players := 0
	for i, t := range teams {
		if len(t) == 0 {
			return Result{}, Invalidf(ReasonMalformed, "match_over team %d has no players", i+1)
		}
		players += len(t)
		if players > r.maxPlayers() {
			return Result{}, Invalidf(ReasonMatchTooLarge, "match_over has more than the %d players allowed (results: max_players)", r.maxPlayers())
		}
		for _, u := range t {
			if err := event.CheckUser(u); err != nil {
				return Result{}, Invalidf(ReasonBadUser, "match_over team %d: %v", i+1, err)
			}
			if j, dup := seen[u]; dup {
				if j == i {
					return Result{}, Invalidf(ReasonSamePlayer, "match_over lists %q twice in team %d", u, i+1)
				}
				return Result{}, Invalidf(ReasonSamePlayer, "match_over lists %q in teams %d and %d; a player plays for one team", u, j+1, i+1)
			}
			seen[u] = i
		}
	}
	field, text := FieldRanks, rt
	if hasScores {
		field, text = FieldScores, st
	}
	var raw []*float64
	if err := strictJSON(text, &raw); err != nil {
		return Result{}, Invalidf(ReasonMalformed, "match_over %s is not a JSON list of numbers: %v", field, err)
	}
	if len(raw) != len(teams) {
		return Result{}, Invalidf(ReasonMalformed, "match_over has %d %s for %d teams; send one per team", len(raw), field, len(teams))
	}
	nums := make([]float64, len(raw))
	for i, x := range raw {
		if x == nil || math.IsNaN(*x) || math.IsInf(*x, 0) {
			return Result{}, Invalidf(ReasonMalformed, "match_over %s entry %d is not a finite number", field, i+1)
		}
		nums[i] = *x
		if hasScores {
			nums[i] = -*x // higher score = better = lower rank
		}
	}
	return Result{Teams: teams, Places: places(nums), Match: true}, nil
}

// places turns rank numbers (lower better) into competition places: 1 +
// the number of teams strictly better.
func places(ranks []float64) []int {
	idx := make([]int, len(ranks))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return ranks[idx[a]] < ranks[idx[b]] })
	out := make([]int, len(ranks))
	for k, i := range idx {
		if k > 0 && ranks[i] == ranks[idx[k-1]] {
			out[i] = out[idx[k-1]]
		} else {
			out[i] = k + 1
		}
	}
	return out
}

// strictJSON decodes one JSON value and refuses trailing data, so
// `[["a"]] junk` is not half-read.
func strictJSON(text string, v any) error {
	d := json.NewDecoder(bytes.NewReader([]byte(text)))
	if err := d.Decode(v); err != nil {
		return err
	}
	if d.More() {
		return fmt.Errorf("trailing data after the list")
	}
	return nil
}

// PairScore is team a's score against team b in a decomposed result: 1
// for the better place, 0.5 for the same place, 0 for the worse.
func PairScore(placeA, placeB int) float64 {
	switch {
	case placeA < placeB:
		return 1
	case placeA == placeB:
		return 0.5
	}
	return 0
}
