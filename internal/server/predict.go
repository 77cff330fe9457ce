package server

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/varcade/statsctl/internal/handler"
	"github.com/varcade/statsctl/internal/predict"
	"github.com/varcade/statsctl/internal/render"
)

// v1Predict: GET /v1/products/{product}/predict?board=&team=u1,u2&team=u3,u4
// Each team= is one team, its players joined by commas; at least two, at
// most predict.MaxTeams teams and predict.MaxPlayers players. The answer is
// render.PredictionJSON's document, as `statsctl predict -o json` prints.
func (s *Server) v1Predict(w http.ResponseWriter, r *http.Request) {
	p, prod, ok := s.v1Product(w, r)
	if !ok {
		return
	}
	board, ok := s.v1Board(w, r, p, prod)
	if !ok {
		return
	}
	args := r.URL.Query()["team"]
	if len(args) > predict.MaxTeams {
		writeError(w, http.StatusBadRequest, "invalid_parameter", "too many team= parameters; a prediction takes at most "+strconv.Itoa(predict.MaxTeams))
		return
	}
	teams, err := predict.ParseTeams(args)
	if err != nil {
		writeError(w, http.StatusBadRequest, "invalid_parameter", "team: "+err.Error()+" (e.g. ?team=u1,u2&team=u3,u4)")
		return
	}
	if !canPredict(prod, board) {
		writeError(w, http.StatusBadRequest, "not_a_rating_board", "board "+board+" of "+p+" keeps no ratings, so it cannot predict; ask an openskill, elo or glicko2 board (board=)")
		return
	}
	res, err := predict.Predict(r.Context(), s.cfg.Store, prod, p, board, teams)
	if err != nil {
		if errors.Is(err, predict.ErrDamaged) {
			writeError(w, http.StatusInternalServerError, "damaged", err.Error())
			return
		}
		s.storeError(w, r, err)
		return
	}
	body, err := render.PredictionJSON(res)
	if err != nil {
		writeError(w, http.StatusInternalServerError, "internal", err.Error())
		return
	}
	writeRaw(w, http.StatusOK, "application/json", append(body, '\n'))
}

func canPredict(prod handler.Product, board string) bool {
	for _, b := range prod.Boards {
		if b.Name == board {
			_, ok := b.Scorer.(handler.Predictor)
			return ok
		}
	}
	return false
}
