package server

import (
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/varcade/statsctl/internal/handler"
	"github.com/varcade/statsctl/internal/render"
	"github.com/varcade/statsctl/internal/store"
)

type historyPointJSON struct {
	At    string      `json:"at"`
	AtMS  int64       `json:"at_ms"`
	Score json.Number `json:"score"`
}

type historyJSON struct {
	Product string             `json:"product_id"`
	UserID  string             `json:"user_id"`
	Board   string             `json:"board"`
	Points  []historyPointJSON `json:"points"`
}

// periodHistoryJSON is a periodic board's history: the player's rank and
// score in each kept period, derived from the periods' instances.
type periodHistoryJSON struct {
	Product string                   `json:"product_id"`
	UserID  string                   `json:"user_id"`
	Board   string                   `json:"board"`
	Segment string                   `json:"segment,omitempty"`
	Periods []render.PeriodPointJSON `json:"periods"`
}

// v1History: GET /v1/products/{product}/players/{user}/history?board=&segment=
// A player's points on a board that keeps history, oldest first ([] when
// none yet); 404 history_not_kept for a board that keeps none. On a
// periodic board: their rank in each kept period (periods), which every
// periodic board has; period= is refused (the answer covers them all).
func (s *Server) v1History(w http.ResponseWriter, r *http.Request) {
	p, prod, user, board, ok := s.v1PlayerBoard(w, r)
	if !ok {
		return
	}
	name, _, seg := handler.ParseInstance(board)
	if l, _ := prod.Layers(name); l.Period != nil {
		if r.URL.Query().Get("period") != "" {
			writeError(w, http.StatusBadRequest, "invalid_parameter",
				fmt.Sprintf("board %s of %s: its history lists every kept period; leave period= out", name, p))
			return
		}
		ps, err := s.cfg.Store.PeriodHistory(r.Context(), prod, p, handler.Choice{Board: name, Segment: seg}, user, s.now())
		if err != nil {
			s.storeError(w, r, err)
			return
		}
		js, err := render.PeriodPoints(ps)
		if err != nil {
			s.storeError(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, periodHistoryJSON{Product: p, UserID: user, Board: name, Segment: seg, Periods: js})
		return
	}
	if !prod.KeepsHistory(name) {
		writeError(w, http.StatusNotFound, "history_not_kept",
			fmt.Sprintf("board %s of %s keeps no history; add history: {points: N} to the board in the games config", board, p))
		return
	}
	points, err := s.cfg.Store.History(r.Context(), p, board, user)
	if err != nil {
		s.storeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, historyJSON{Product: p, UserID: user, Board: board, Points: historyPoints(points)})
}

func historyPoints(ps []store.Point) []historyPointJSON {
	out := make([]historyPointJSON, 0, len(ps))
	for _, p := range ps {
		out = append(out, historyPointJSON{
			At:    time.UnixMilli(p.At).UTC().Format("2006-01-02T15:04:05.000Z07:00"),
			AtMS:  p.At,
			Score: jsonScore(p.Score),
		})
	}
	return out
}
