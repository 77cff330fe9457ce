package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/varcade/statsctl/internal/event"
	"github.com/varcade/statsctl/internal/store"
)

// POST /v1/products/{product}/leaderboard/ranked: a list of players (a
// friends list, a clan) ranked on a board, in one Redis round trip.

// rankedRequest is the body of a ranked-list request.
type rankedRequest struct {
	UserIDs []string `json:"user_ids"`
	// Around, when set, keeps the listed players within N places of this
	// one in the list.
	Around string `json:"around"`
	N      *int64 `json:"n"`
}

type rankedEntryJSON struct {
	ListRank int64       `json:"list_rank"`
	Rank     int64       `json:"rank"`
	UserID   string      `json:"user_id"`
	Score    json.Number `json:"score"`
}

type rankedJSON struct {
	Product string            `json:"product_id"`
	Board   string            `json:"board"`
	Total   int64             `json:"total"`
	Entries []rankedEntryJSON `json:"entries"`
	Absent  []string          `json:"absent"`
}

// maxListIDs is the configured bound on one list's ids.
func (s *Server) maxListIDs() int {
	if s.cfg.MaxListIDs > 0 {
		return s.cfg.MaxListIDs
	}
	return store.DefaultMaxListIDs
}

// readJSONBody decodes a bounded JSON object body into v; ok=false means
// answered. Unknown fields are refused, so a typo is an error, not a
// silently ignored option.
func (s *Server) readJSONBody(w http.ResponseWriter, r *http.Request, limit int64, v any) bool {
	if r.ContentLength > limit {
		s.tooLargeBy(w, limit)
		return false
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			s.tooLargeBy(w, limit)
			return false
		}
		writeError(w, http.StatusBadRequest, "invalid_body", "could not read the body: "+err.Error())
		return false
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		writeError(w, http.StatusBadRequest, "invalid_body", "the body must be one JSON object: "+truncate(err.Error(), 200))
		return false
	}
	if dec.More() {
		writeError(w, http.StatusBadRequest, "invalid_body", "the body must be one JSON object, and nothing after it")
		return false
	}
	return true
}

func (s *Server) tooLargeBy(w http.ResponseWriter, limit int64) {
	w.Header().Set("Connection", "close")
	writeError(w, http.StatusRequestEntityTooLarge, "body_too_large", fmt.Sprintf("the body is larger than %d bytes", limit))
}

// v1Ranked: POST /v1/products/{product}/leaderboard/ranked?board=
func (s *Server) v1Ranked(w http.ResponseWriter, r *http.Request) {
	p, prod, ok := s.v1Product(w, r)
	if !ok {
		return
	}
	board, ok := s.v1Board(w, r, p, prod)
	if !ok {
		return
	}
	// The longest ids JSON-escaped (6 bytes per byte) at the bound, within
	// the server's body bound.
	limit := min(s.cfg.MaxBody, int64(s.maxListIDs())*(6*128+4)+1024)
	var req rankedRequest
	if !s.readJSONBody(w, r, limit, &req) {
		return
	}
	if max := s.maxListIDs(); len(req.UserIDs) > max {
		writeErrorDetails(w, http.StatusBadRequest, "too_many_ids",
			fmt.Sprintf("%d user_ids; at most %d per request (split the list)", len(req.UserIDs), max), map[string]any{"max": max})
		return
	}
	if len(req.UserIDs) == 0 {
		writeError(w, http.StatusBadRequest, "invalid_body", `give the players as {"user_ids": ["u1", "u2", ...]}`)
		return
	}
	for i, u := range req.UserIDs {
		if err := event.CheckUser(u); err != nil {
			writeError(w, http.StatusBadRequest, "invalid_user", fmt.Sprintf("user_ids[%d]: %v", i, err))
			return
		}
	}
	n := int64(DefaultNear)
	if req.N != nil {
		if *req.N < 0 || *req.N > MaxNear {
			writeError(w, http.StatusBadRequest, "invalid_parameter", fmt.Sprintf("n=%d: want an integer from 0 to %d", *req.N, MaxNear))
			return
		}
		n = *req.N
	}
	l, err := s.cfg.Store.RankList(r.Context(), store.RefOf(prod, p, board), req.UserIDs)
	if err != nil {
		s.storeError(w, r, err)
		return
	}
	if req.Around != "" {
		if l, ok = l.Around(req.Around, int(n)); !ok {
			writeError(w, http.StatusNotFound, "player_not_found", fmt.Sprintf("%.130q is not among the listed players on the %s board of %s", req.Around, board, p))
			return
		}
	}
	out := rankedJSON{Product: p, Board: board, Total: l.Total, Entries: make([]rankedEntryJSON, len(l.Entries)), Absent: append([]string{}, l.Absent...)}
	for i, e := range l.Entries {
		out.Entries[i] = rankedEntryJSON{e.ListRank, e.Rank, e.UserID, jsonScore(e.Score)}
	}
	writeJSON(w, http.StatusOK, out)
}
