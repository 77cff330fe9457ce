package server

import (
	"net/http"
	"time"

	"github.com/varcade/statsctl/internal/store"
)

type instanceJSON struct {
	Instance string `json:"instance"`
	Period   string `json:"period,omitempty"`
	Segment  string `json:"segment,omitempty"`
	Start    string `json:"start,omitempty"`
	Players  int64  `json:"players"`
	Closed   bool   `json:"closed"`
}

type instancesJSON struct {
	Product   string         `json:"product"`
	Board     string         `json:"board"`
	Period    string         `json:"period,omitempty"`
	TimeZone  string         `json:"time_zone,omitempty"`
	SplitBy   []string       `json:"split_by,omitempty"`
	Instances []instanceJSON `json:"instances"`
}

// v1Periods: GET /v1/products/{product}/boards/{board}/periods, the
// stored periods and segments of a periodic or split board with their
// sizes, oldest first: what `leaderboard --periods` lists.
func (s *Server) v1Periods(w http.ResponseWriter, r *http.Request) {
	p, prod, ok := s.v1Product(w, r)
	if !ok {
		return
	}
	b := r.PathValue("board")
	if _, err := prod.Resolve(b, "", "", s.now()); err != nil {
		writeErrorDetails(w, http.StatusNotFound, "unknown_board", "product "+p+": "+err.Error(), nil)
		return
	}
	l, layered := prod.Layers(b)
	if !layered {
		writeError(w, http.StatusNotFound, "not_layered", "board "+b+" of "+p+" is neither periodic nor split; it has one instance")
		return
	}
	infos, err := s.cfg.Store.Instances(r.Context(), p, b)
	if err != nil {
		s.storeError(w, r, err)
		return
	}
	out := instancesJSON{Product: p, Board: b, Instances: make([]instanceJSON, 0, len(infos))}
	loc := time.UTC
	if l.Period != nil {
		out.Period, out.TimeZone, loc = l.Period.Expr, l.Period.Loc.String(), l.Period.Loc
	}
	if l.Split != nil {
		out.SplitBy = l.Split.By
	}
	for _, in := range infos {
		out.Instances = append(out.Instances, instanceOf(in, loc))
	}
	writeJSON(w, http.StatusOK, out)
}

func instanceOf(in store.InstanceInfo, loc *time.Location) instanceJSON {
	j := instanceJSON{Instance: in.Instance, Period: in.Period, Segment: in.Segment, Players: in.Size, Closed: in.Closed}
	if in.Period != "" {
		j.Start = time.UnixMilli(in.Start).In(loc).Format(time.RFC3339)
	}
	return j
}
