package server

import (
	"context"
	"net/http"
	"time"

	"github.com/varcade/statsctl/internal/event"
)

// damaged answers a read that met a key of the wrong type: 500
// store_damaged, naming the key. Unlike an unreachable store it does not
// heal by itself, so telling the client to retry would only hide it.
func (s *Server) damaged(w http.ResponseWriter, r *http.Request, err error) {
	p, user := r.PathValue("product"), r.PathValue("user")
	if event.CheckProduct(p) != nil {
		p = ""
	}
	if event.CheckUser(user) != nil {
		user = ""
	}
	var boards []string
	if p != "" {
		for _, b := range s.cfg.Registry.Lookup(p).Boards {
			boards = append(boards, b.Name)
		}
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), time.Second)
	defer cancel()
	key := s.cfg.Store.WrongTypeKey(ctx, p, user, boards)
	s.log.Error("stored data is damaged", "route", infoOf(w).route, "key", key, "err", err)
	msg := "stored data is damaged: a key statsctl reads has the wrong type; fix or delete it (see the server log)"
	details := map[string]any(nil)
	if key != "" {
		msg = "stored data is damaged: key " + key + " has the wrong type; fix or delete it"
		details = map[string]any{"key": key}
	}
	writeErrorDetails(w, http.StatusInternalServerError, "store_damaged", msg, details)
}
