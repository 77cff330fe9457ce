package server

import (
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"

	"github.com/varcade/statsctl/internal/event"
	"github.com/varcade/statsctl/internal/store"
)

// The admin API: `statsctl admin`'s actions over HTTP, behind a token of
// their own (Config.AdminToken), distinct from the write token. Every
// route answers 404 while no admin token is set.

// adminRoutes registers the admin API.
func (s *Server) adminRoutes() {
	s.handle("/v1/admin/products/{product}/players/{user}/remove", http.MethodPost, s.admin(s.adminRemove))
	s.handle("/v1/admin/products/{product}/players/{user}/ban", http.MethodPost, s.admin(s.adminBan))
	s.handle("/v1/admin/products/{product}/players/{user}/unban", http.MethodPost, s.admin(s.adminUnban))
	s.handle("/v1/admin/products/{product}/boards/{board}/reset", http.MethodPost, s.admin(s.adminReset))
	s.handle("/v1/admin/players/{user}/erase", http.MethodPost, s.admin(s.adminErase))
	s.handle("/v1/admin/products/{product}/bans", http.MethodGet, s.admin(s.adminBans))
	s.handle("/v1/admin/products/{product}/archives", http.MethodGet, s.admin(s.adminArchives))
	s.handle("/v1/admin/products/{product}/archives/{archive}", http.MethodGet, s.admin(s.adminArchive))
	s.handle("/v1/admin/audit", http.MethodGet, s.admin(s.adminAudit))
}

// admin wraps an admin handler: 404 while the admin API is off, 401 unless
// the request carries the admin token.
func (s *Server) admin(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if s.cfg.AdminToken == "" {
			writeError(w, http.StatusNotFound, "not_found", "the admin API is disabled; start serve with --admin-token (or STATSCTL_ADMIN_TOKEN) to enable it")
			return
		}
		if !bearerIs(r, s.cfg.AdminToken) {
			w.Header().Set("WWW-Authenticate", `Bearer realm="statsctl-admin"`)
			writeError(w, http.StatusUnauthorized, "unauthorized", "send the admin token (not the write token) as \"Authorization: Bearer <token>\"")
			return
		}
		h(w, r)
	}
}

// bearerIs compares the request's bearer token with want in constant
// time; both are hashed first so neither length nor prefix leaks.
func bearerIs(r *http.Request, want string) bool {
	h := r.Header.Get("Authorization")
	const prefix = "Bearer "
	if len(h) < len(prefix) || !strings.EqualFold(h[:len(prefix)], prefix) {
		return false
	}
	got := sha256.Sum256([]byte(strings.TrimSpace(h[len(prefix):])))
	w := sha256.Sum256([]byte(want))
	return subtle.ConstantTimeCompare(got[:], w[:]) == 1
}

// adminBody is the body of every admin action.
type adminBody struct {
	Actor      string `json:"actor"`
	Reason     string `json:"reason"`
	EraseStats bool   `json:"erase_stats"`
	KeepScores bool   `json:"keep_scores"`
	Archive    string `json:"archive"`
}

const maxAdminBody = 8 << 10

// who reads the action's body; ok=false means answered.
func (s *Server) who(w http.ResponseWriter, r *http.Request, needReason bool) (adminBody, store.Who, bool) {
	var b adminBody
	if !s.readJSONBody(w, r, maxAdminBody, &b) {
		return b, store.Who{}, false
	}
	if strings.TrimSpace(b.Actor) == "" || needReason && strings.TrimSpace(b.Reason) == "" {
		writeError(w, http.StatusBadRequest, "invalid_body", `say who and why: {"actor": "alice", "reason": "ticket 1234"} (both go to the audit stream)`)
		return b, store.Who{}, false
	}
	return b, store.Who{Actor: b.Actor, Reason: b.Reason, Via: "api"}, true
}

type actionJSON struct {
	Product      string `json:"product_id"`
	UserID       string `json:"user_id"`
	BoardEntries int64  `json:"board_entries"`
	RatingStates int64  `json:"rating_states"`
	StatsErased  bool   `json:"stats_erased"`
	// HistoryErased counts the history keys deleted (erase, erase_stats).
	HistoryErased int64 `json:"history_erased"`
	BanChanged    bool  `json:"ban_changed"`
}

func actionOf(a store.PlayerAction, user string) actionJSON {
	return actionJSON{a.Product, user, a.BoardEntries, a.RatingStates, a.StatsErased, a.HistoryErased, a.BanChanged}
}

// adminError answers a failed action: a refusal the operator can fix
// (wrong key type, used archive name, bad input) is 409 with the store's
// message; anything else is the store being unavailable.
func (s *Server) adminError(w http.ResponseWriter, r *http.Request, err error) {
	if msg := err.Error(); strings.Contains(msg, "nothing was changed") || strings.Contains(msg, "archive name") || strings.Contains(msg, "too long") {
		writeError(w, http.StatusConflict, "refused", msg)
		return
	}
	s.storeError(w, r, err)
}

func (s *Server) playerAction(w http.ResponseWriter, r *http.Request, needReason bool,
	do func(p, user string, b adminBody, who store.Who) (store.PlayerAction, error)) {
	p, _, ok := s.v1Product(w, r)
	if !ok {
		return
	}
	user, ok := v1User(w, r)
	if !ok {
		return
	}
	b, who, ok := s.who(w, r, needReason)
	if !ok {
		return
	}
	a, err := do(p, user, b, who)
	if err != nil {
		s.adminError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, actionOf(a, user))
}

// adminRemove: POST /v1/admin/products/{product}/players/{user}/remove
func (s *Server) adminRemove(w http.ResponseWriter, r *http.Request) {
	s.playerAction(w, r, true, func(p, user string, b adminBody, who store.Who) (store.PlayerAction, error) {
		return s.cfg.Store.RemovePlayer(r.Context(), s.cfg.Registry.Lookup(p), p, user, b.EraseStats, who)
	})
}

// adminBan: POST /v1/admin/products/{product}/players/{user}/ban
func (s *Server) adminBan(w http.ResponseWriter, r *http.Request) {
	s.playerAction(w, r, true, func(p, user string, b adminBody, who store.Who) (store.PlayerAction, error) {
		return s.cfg.Store.BanPlayer(r.Context(), s.cfg.Registry.Lookup(p), p, user, b.KeepScores, b.EraseStats, who, s.now())
	})
}

// adminUnban: POST /v1/admin/products/{product}/players/{user}/unban
func (s *Server) adminUnban(w http.ResponseWriter, r *http.Request) {
	s.playerAction(w, r, false, func(p, user string, _ adminBody, who store.Who) (store.PlayerAction, error) {
		return s.cfg.Store.UnbanPlayer(r.Context(), p, user, who)
	})
}

// adminReset: POST /v1/admin/products/{product}/boards/{board}/reset
func (s *Server) adminReset(w http.ResponseWriter, r *http.Request) {
	p, prod, ok := s.v1Product(w, r)
	if !ok {
		return
	}
	board := r.PathValue("board")
	if !prod.HasBoard(board) {
		writeError(w, http.StatusNotFound, "unknown_board", fmt.Sprintf("product %s has no board %.64q", p, board))
		return
	}
	b, who, ok := s.who(w, r, true)
	if !ok {
		return
	}
	if err := store.CheckArchiveName(b.Archive); err != nil {
		writeError(w, http.StatusBadRequest, "invalid_body", "archive: "+err.Error())
		return
	}
	res, err := s.cfg.Store.ResetBoard(r.Context(), prod, p, board, b.Archive, who, s.now())
	if err != nil {
		s.adminError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, struct {
		Product string `json:"product_id"`
		Board   string `json:"board"`
		Archive string `json:"archive"`
		Players int64  `json:"players_archived"`
		Again   bool   `json:"already_done"`
	}{p, board, b.Archive, res.Players, res.Again})
}

// adminErase: POST /v1/admin/players/{user}/erase — every product.
func (s *Server) adminErase(w http.ResponseWriter, r *http.Request) {
	user, ok := v1User(w, r)
	if !ok {
		return
	}
	_, who, ok := s.who(w, r, true)
	if !ok {
		return
	}
	ps, err := s.cfg.Store.Products(r.Context())
	if err != nil {
		s.storeError(w, r, err)
		return
	}
	seen := map[string]bool{}
	var products []string
	for _, p := range append(ps, s.cfg.Registry.Known()...) {
		if !seen[p] && event.CheckProduct(p) == nil {
			seen[p] = true
			products = append(products, p)
		}
	}
	sort.Strings(products)
	as, err := s.cfg.Store.ErasePlayer(r.Context(), s.cfg.Registry, products, user, who)
	if err != nil {
		s.adminError(w, r, err)
		return
	}
	out := struct {
		UserID   string       `json:"user_id"`
		Products []actionJSON `json:"products"`
	}{user, make([]actionJSON, len(as))}
	for i, a := range as {
		out.Products[i] = actionOf(a, user)
	}
	writeJSON(w, http.StatusOK, out)
}

// adminBans: GET /v1/admin/products/{product}/bans
func (s *Server) adminBans(w http.ResponseWriter, r *http.Request) {
	p, _, ok := s.v1Product(w, r)
	if !ok {
		return
	}
	bans, err := s.cfg.Store.Bans(r.Context(), p)
	if err != nil {
		s.storeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, struct {
		Product string      `json:"product_id"`
		Bans    []store.Ban `json:"bans"`
	}{p, bans})
}

// adminArchives: GET /v1/admin/products/{product}/archives
func (s *Server) adminArchives(w http.ResponseWriter, r *http.Request) {
	p, _, ok := s.v1Product(w, r)
	if !ok {
		return
	}
	arch, err := s.cfg.Store.Archives(r.Context(), p)
	if err != nil {
		s.storeError(w, r, err)
		return
	}
	type archJSON struct {
		Name  string `json:"name"`
		Board string `json:"board"`
		Order string `json:"order"`
		Ties  string `json:"ties"`
		Actor string `json:"actor"`
		At    string `json:"at"`
	}
	out := make([]archJSON, len(arch))
	for i, a := range arch {
		sp := a.ReadSpec()
		out[i] = archJSON{a.Name, a.Board, sp.Order.String(), sp.Ties.String(), a.Actor, a.At.UTC().Format("2006-01-02T15:04:05Z")}
	}
	writeJSON(w, http.StatusOK, struct {
		Product  string     `json:"product_id"`
		Archives []archJSON `json:"archives"`
	}{p, out})
}

// adminArchive: GET /v1/admin/products/{product}/archives/{archive}?offset=&limit=
// — an archived board read as it was, by the spec recorded with it.
func (s *Server) adminArchive(w http.ResponseWriter, r *http.Request) {
	p, _, ok := s.v1Product(w, r)
	if !ok {
		return
	}
	name := r.PathValue("archive")
	if err := store.CheckArchiveName(name); err != nil {
		writeError(w, http.StatusBadRequest, "invalid_parameter", "archive: "+err.Error())
		return
	}
	offset, ok := intParam(w, r, "offset", 0, 0, MaxOffset)
	if !ok {
		return
	}
	limit, ok := intParam(w, r, "limit", DefaultLimit, 1, MaxLimit)
	if !ok {
		return
	}
	page, a, err := s.cfg.Store.ArchivedTop(r.Context(), p, name, "", offset, limit)
	if errors.Is(err, store.ErrNotFound) {
		writeError(w, http.StatusNotFound, "unknown_archive", fmt.Sprintf("product %s has no archive %s", p, name))
		return
	}
	if err != nil {
		s.storeError(w, r, err)
		return
	}
	sp := a.ReadSpec()
	writeJSON(w, http.StatusOK, struct {
		Product string      `json:"product_id"`
		Archive string      `json:"archive"`
		Board   string      `json:"board"`
		Order   string      `json:"order"`
		Ties    string      `json:"ties"`
		Total   int64       `json:"total"`
		Offset  int64       `json:"offset"`
		Entries []entryJSON `json:"entries"`
	}{p, name, a.Board, sp.Order.String(), sp.Ties.String(), page.Total, offset, entries(page.Entries)})
}

// adminAudit: GET /v1/admin/audit?limit= — the last entries, oldest first.
func (s *Server) adminAudit(w http.ResponseWriter, r *http.Request) {
	limit, ok := intParam(w, r, "limit", 50, 1, MaxLimit)
	if !ok {
		return
	}
	es, err := s.cfg.Store.Audit(r.Context(), limit)
	if err != nil {
		s.storeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, struct {
		Entries []store.AuditEntry `json:"entries"`
	}{es})
}

var errSameTokens = errors.New("server: the admin token must differ from the write token (a game server holding the write token must not be able to ban players)")
