// Package predict answers a matchmaker's question, who is likely to win
// this match and how even is it, from a rating board's current states: the
// one function `statsctl predict` and the v1 API's predict route share.
package predict

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/varcade/statsctl/internal/event"
	"github.com/varcade/statsctl/internal/handler"
	"github.com/varcade/statsctl/internal/store"
)

// Bounds of one question, the default bounds of a match_over: a question
// is one read of at most MaxPlayers states.
const (
	MaxTeams   = handler.DefaultMaxTeams
	MaxPlayers = handler.DefaultMaxPlayers
)

// ErrDamaged marks a stored rating state that cannot be read: the data
// needs repair (rebuild the board), retrying does not help.
var ErrDamaged = errors.New("unreadable rating state")

// Result is a prediction for the teams asked about, on one board.
type Result struct {
	Product string
	Board   string
	Teams   [][]string
	handler.Prediction
}

// ParseTeams reads teams as the CLI and the API take them: one argument
// per team, players separated by commas ("u1,u2" "u3,u4").
func ParseTeams(args []string) ([][]string, error) {
	teams := make([][]string, 0, len(args))
	for _, a := range args {
		teams = append(teams, strings.Split(a, ","))
	}
	return teams, CheckTeams(teams)
}

// CheckTeams refuses what cannot be a match: fewer than two teams, an empty
// team, an invalid or repeated player, more than the bounds.
func CheckTeams(teams [][]string) error {
	if len(teams) < 2 {
		return fmt.Errorf("a prediction needs at least 2 teams, got %d (give each team as u1,u2)", len(teams))
	}
	if len(teams) > MaxTeams {
		return fmt.Errorf("%d teams is more than the %d a prediction takes", len(teams), MaxTeams)
	}
	seen := map[string]int{}
	n := 0
	for i, t := range teams {
		n += len(t)
		if n > MaxPlayers {
			return fmt.Errorf("more than the %d players a prediction takes", MaxPlayers)
		}
		for _, u := range t {
			if u == "" {
				return fmt.Errorf("team %d has an empty player id (teams are u1,u2 with no empty entries)", i+1)
			}
			if err := event.CheckUser(u); err != nil {
				return fmt.Errorf("team %d: %w", i+1, err)
			}
			if j, dup := seen[u]; dup {
				return fmt.Errorf("%q is in teams %d and %d; a player plays for one team", u, j+1, i+1)
			}
			seen[u] = i
		}
	}
	return nil
}

// snapshotValues is a snapshot's states as the view a scorer reads.
type snapshotValues struct {
	handler.NoValues
	snap store.Snapshot
}

func (v snapshotValues) State(board, user string) (string, bool) {
	s := v.snap.States[handler.Ref{Board: board, User: user}]
	return s.State, s.Present
}

// Predict reads the players' states on the product's board and asks the
// board's scorer. A board that keeps no ratings (wins) cannot predict.
func Predict(ctx context.Context, st *store.Store, prod handler.Product, product, board string, teams [][]string) (Result, error) {
	if err := CheckTeams(teams); err != nil {
		return Result{}, err
	}
	var scorer handler.Handler
	for _, b := range prod.Boards {
		if b.Name == board {
			scorer = b.Scorer
		}
	}
	if scorer == nil {
		return Result{}, fmt.Errorf("product %s has no board %q", product, board)
	}
	pr, ok := scorer.(handler.Predictor)
	if !ok {
		return Result{}, fmt.Errorf("board %s of %s keeps no ratings, so it cannot predict; use an openskill, elo or glicko2 board (--board)", board, product)
	}
	var refs []handler.Ref
	for _, t := range teams {
		for _, u := range t {
			refs = append(refs, handler.Ref{Board: board, User: u})
		}
	}
	snaps, err := st.ReadStates(ctx, map[string]store.ReadRequest{product: {Refs: refs}})
	if err != nil {
		return Result{}, fmt.Errorf("read ratings of %s/%s: %w", product, board, err)
	}
	p, err := pr.Predict(teams, snapshotValues{snap: snaps[product]})
	if err != nil {
		return Result{}, fmt.Errorf("predict on %s/%s: %w: %v (statsctl rebuild %s --board %s recomputes it)", product, board, ErrDamaged, err, product, board)
	}
	return Result{Product: product, Board: board, Teams: teams, Prediction: p}, nil
}
