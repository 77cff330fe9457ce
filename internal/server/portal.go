package server

import (
	"context"
	"errors"
	"net/http"
	"sort"

	"github.com/varcade/statsctl/internal/event"
	"github.com/varcade/statsctl/internal/store"
)

// The Game Portal's routes. Their bodies mean what the old service's meant
// (the portal parses the JSON); the bytes are compact with keys sorted and
// Python's float formatting, which differs from the old json.dumps through
// make_response in content type, separators and key order, exactly as
// docs/serve.md states:
//
//	GET /leaderboards/top_ten/exrps -> [{"score":3.0,"user_id":"u1"},...]
//	GET /stats/exrps/u1             -> {"games":"5","losses":"3","wins":"2"}
//
// "Invalid product Id" (400, plain text, as before) now means a product id
// that cannot name a product (empty, over 64 characters, characters outside
// letters, digits, '_', '-', '.'). Every valid id is readable: one with no
// data answers [] or {}, as a player with no games always did.
const invalidProductBody = "Invalid product Id"

func (s *Server) portalProduct(w http.ResponseWriter, r *http.Request) (string, bool) {
	p := r.PathValue("product")
	return p, s.checkPortalProduct(w, p)
}

// checkPortalProduct labels the request with product p and answers 400 as
// the old service did when p is not a product id.
func (s *Server) checkPortalProduct(w http.ResponseWriter, p string) bool {
	infoOf(w).product = s.labels.label(p)
	if event.CheckProduct(p) != nil {
		writeRaw(w, http.StatusBadRequest, "text/plain; charset=utf-8", []byte(invalidProductBody))
		return false
	}
	return true
}

func (s *Server) portalTopTen(w http.ResponseWriter, r *http.Request) {
	s.topTenOf(w, r, r.PathValue("product"))
}

// topTenOf answers the top-ten route for the product the path named; the
// mux and fastRoute both land here.
func (s *Server) topTenOf(w http.ResponseWriter, r *http.Request, p string) {
	if !s.checkPortalProduct(w, p) {
		return
	}
	body, err := s.top.get(r.Context(), p)
	if err != nil {
		r.SetPathValue("product", p) // fastRoute skipped the mux; damaged names the key from it
		s.storeError(w, r, err)
		return
	}
	writePrepared(w, http.StatusOK, body)
}

// topTenType is the top ten's Content-Type, as the old service sent it.
const topTenType = "application/json"

// loadTopTen reads the product's default board (one ZREVRANGE) and encodes
// it as the old service did.
func (s *Server) loadTopTen(ctx context.Context, p string) ([]byte, error) {
	// The default board's default instance: its current period if periodic.
	prod := s.cfg.Registry.Lookup(p)
	c, err := prod.Resolve("", "", "", s.now())
	if err != nil {
		return nil, err
	}
	es, err := s.cfg.Store.TopTen(ctx, store.RefAt(prod, p, c))
	if err != nil {
		return nil, err
	}
	b := make([]byte, 0, 32+len(es)*40)
	b = append(b, '[')
	for i, e := range es {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"score":`...)
		b = appendPyFloat(b, e.Score)
		b = append(b, `,"user_id":`...)
		b = appendPyString(b, e.UserID)
		b = append(b, '}')
	}
	b = append(b, ']', '\n')
	if len(es) > 0 {
		s.labels.addWithData(p)
	}
	return b, nil
}

func (s *Server) portalStats(w http.ResponseWriter, r *http.Request) {
	p, ok := s.portalProduct(w, r)
	if !ok {
		return
	}
	user := r.PathValue("user")
	if err := event.CheckUser(user); err != nil {
		writeError(w, http.StatusBadRequest, "invalid_user", err.Error())
		return
	}
	m, err := s.cfg.Store.Stats(r.Context(), p, user)
	if err != nil {
		s.storeError(w, r, err)
		return
	}
	names := make([]string, 0, len(m))
	for k := range m {
		names = append(names, k)
	}
	sort.Strings(names) // Python's sort_keys: code point order = UTF-8 byte order
	b := make([]byte, 0, 16+len(m)*32)
	b = append(b, '{')
	for i, k := range names {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendPyString(b, k)
		b = append(b, ':')
		b = appendPyString(b, m[k])
	}
	b = append(b, '}', '\n')
	writeRaw(w, http.StatusOK, "application/json", b)
}

// storeError answers a failed Redis read: 503 (the store is unreachable or
// slow; retry), also when the request's own deadline passes. The cause is
// logged, not sent.
func (s *Server) storeError(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(r.Context().Err(), context.Canceled) {
		// The client went away; nobody reads the answer.
		w.WriteHeader(499)
		return
	}
	if store.IsWrongType(err) {
		s.damaged(w, r, err)
		return
	}
	s.log.Warn("store error", "route", infoOf(w).route, "err", err)
	writeError(w, http.StatusServiceUnavailable, "store_unavailable", "the stats store did not answer; retry shortly")
}
