package server

import (
	_ "embed"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/varcade/statsctl/internal/event"
	"github.com/varcade/statsctl/internal/handler"
	"github.com/varcade/statsctl/internal/store"
)

//go:embed openapi.json
var openAPISpec []byte

// Limits of the v1 API's paging parameters.
const (
	DefaultLimit = 10
	MaxLimit     = 1000
	MaxOffset    = 100_000_000
	DefaultNear  = 5
	MaxNear      = 100
)

func (s *Server) openAPI(w http.ResponseWriter, r *http.Request) {
	writeRaw(w, http.StatusOK, "application/json", openAPISpec)
}

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	if s.cfg.Health != nil {
		if err := s.cfg.Health(); err != nil {
			s.log.Warn("not healthy", "err", err)
			writeError(w, http.StatusServiceUnavailable, "unhealthy", err.Error())
			return
		}
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	if !s.ready(w, r) {
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
}

// v1Product checks the {product} path segment; ok=false means answered.
func (s *Server) v1Product(w http.ResponseWriter, r *http.Request) (string, handler.Product, bool) {
	p := r.PathValue("product")
	infoOf(w).product = s.labels.label(p)
	if err := event.CheckProduct(p); err != nil {
		writeError(w, http.StatusBadRequest, "invalid_product", err.Error())
		return "", handler.Product{}, false
	}
	return p, s.cfg.Registry.Lookup(p), true
}

func v1User(w http.ResponseWriter, r *http.Request) (string, bool) {
	u := r.PathValue("user")
	if err := event.CheckUser(u); err != nil {
		writeError(w, http.StatusBadRequest, "invalid_user", err.Error())
		return "", false
	}
	return u, true
}

// v1PlayerBoard checks the {product} and {user} of a player's route and
// resolves its board (v1Board): the one preamble of every per-player read.
func (s *Server) v1PlayerBoard(w http.ResponseWriter, r *http.Request) (p string, prod handler.Product, user, board string, ok bool) {
	if p, prod, ok = s.v1Product(w, r); !ok {
		return
	}
	if user, ok = v1User(w, r); !ok {
		return
	}
	board, ok = s.v1Board(w, r, p, prod)
	return
}

// v1Board resolves ?board=, ?period= and ?segment= to the instance a
// query reads, by the resolver the CLI uses (handler.Product.Resolve): the
// product's default board, its current period and the unsplit instance
// when absent; 404 with what exists when unknown.
func (s *Server) v1Board(w http.ResponseWriter, r *http.Request, p string, prod handler.Product) (string, bool) {
	q := r.URL.Query()
	c, err := prod.Resolve(q.Get("board"), q.Get("period"), q.Get("segment"), s.now())
	var re *handler.ResolveError
	if errors.As(err, &re) {
		details := map[string]any{}
		if re.Code == "unknown_board" {
			details["boards"] = re.Choices
		} else if len(re.Choices) > 0 {
			details["choices"] = re.Choices
		}
		writeErrorDetails(w, http.StatusNotFound, re.Code, fmt.Sprintf("product %s: %s", p, re.Msg), details)
		return "", false
	}
	if err != nil {
		writeError(w, http.StatusBadRequest, "bad_request", err.Error())
		return "", false
	}
	return c.Instance, true
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}

// intParam parses an optional non-negative integer query parameter.
func intParam(w http.ResponseWriter, r *http.Request, name string, def, min, max int64) (int64, bool) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return def, true
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < min || n > max {
		writeError(w, http.StatusBadRequest, "invalid_parameter",
			fmt.Sprintf("%s=%q: want an integer from %d to %d", name, truncate(v, 32), min, max))
		return 0, false
	}
	return n, true
}

type entryJSON struct {
	Rank   int64       `json:"rank"`
	UserID string      `json:"user_id"`
	Score  json.Number `json:"score"`
	// Meta is a value board's entry metadata (display_name, ...).
	Meta map[string]string `json:"meta,omitempty"`
}

func entries(es []store.Entry) []entryJSON {
	out := make([]entryJSON, len(es))
	for i, e := range es {
		out[i] = entryJSON{Rank: e.Rank, UserID: e.UserID, Score: jsonScore(e.Score), Meta: e.Meta}
		if e.Value != "" {
			out[i].Score = json.Number(e.Value) // exact decimal text of a value board
		}
	}
	return out
}

type pageJSON struct {
	Product    string      `json:"product_id"`
	Board      string      `json:"board"`
	Total      int64       `json:"total"`
	Offset     int64       `json:"offset"`
	Entries    []entryJSON `json:"entries"`
	NextCursor *string     `json:"next_cursor"`
}

// A cursor is opaque to clients; inside it names the product, board and
// offset of the next page, so it cannot be replayed against another board.
const cursorVersion = "c1"

func encodeCursor(p, board string, offset int64) string {
	raw := cursorVersion + "\x00" + p + "\x00" + board + "\x00" + strconv.FormatInt(offset, 10)
	return base64.RawURLEncoding.EncodeToString([]byte(raw))
}

func decodeCursor(c, p, board string) (int64, error) {
	raw, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil {
		return 0, errors.New("not a cursor this API issued")
	}
	parts := strings.Split(string(raw), "\x00")
	if len(parts) != 4 || parts[0] != cursorVersion {
		return 0, errors.New("not a cursor this API issued")
	}
	if parts[1] != p || parts[2] != board {
		return 0, fmt.Errorf("the cursor belongs to another board; request the first page of %s/%s again", p, board)
	}
	off, err := strconv.ParseInt(parts[3], 10, 64)
	if err != nil || off < 0 || off > MaxOffset {
		return 0, errors.New("not a cursor this API issued")
	}
	return off, nil
}

// v1Leaderboard: GET /v1/products/{product}/leaderboard?board=&limit=&offset=&cursor=
func (s *Server) v1Leaderboard(w http.ResponseWriter, r *http.Request) {
	p, prod, ok := s.v1Product(w, r)
	if !ok {
		return
	}
	board, ok := s.v1Board(w, r, p, prod)
	if !ok {
		return
	}
	limit, ok := intParam(w, r, "limit", DefaultLimit, 1, MaxLimit)
	if !ok {
		return
	}
	offset, ok := intParam(w, r, "offset", 0, 0, MaxOffset)
	if !ok {
		return
	}
	if c := r.URL.Query().Get("cursor"); c != "" {
		if r.URL.Query().Has("offset") {
			writeError(w, http.StatusBadRequest, "invalid_parameter", "give either offset or cursor, not both")
			return
		}
		off, err := decodeCursor(c, p, board)
		if err != nil {
			writeError(w, http.StatusBadRequest, "invalid_cursor", "cursor: "+err.Error())
			return
		}
		offset = off
	}
	page, err := s.cfg.Store.Top(r.Context(), store.RefOf(prod, p, board), offset, limit)
	if err != nil {
		s.storeError(w, r, err)
		return
	}
	out := pageJSON{Product: p, Board: board, Total: page.Total, Offset: offset, Entries: entries(page.Entries)}
	if next := offset + int64(len(page.Entries)); len(page.Entries) > 0 && next < page.Total && next <= MaxOffset {
		c := encodeCursor(p, board, next)
		out.NextCursor = &c
	}
	writeJSON(w, http.StatusOK, out)
}

// v1Around: GET /v1/products/{product}/leaderboard/around/{user}?board=&n=
func (s *Server) v1Around(w http.ResponseWriter, r *http.Request) {
	p, prod, user, board, ok := s.v1PlayerBoard(w, r)
	if !ok {
		return
	}
	n, ok := intParam(w, r, "n", DefaultNear, 0, MaxNear)
	if !ok {
		return
	}
	page, err := s.cfg.Store.Around(r.Context(), store.RefOf(prod, p, board), user, n)
	if errors.Is(err, store.ErrNotFound) {
		writeError(w, http.StatusNotFound, "player_not_found", fmt.Sprintf("%s is not on the %s board of %s", user, board, p))
		return
	}
	if err != nil {
		s.storeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, struct {
		Product string      `json:"product_id"`
		Board   string      `json:"board"`
		UserID  string      `json:"user_id"`
		Total   int64       `json:"total"`
		Entries []entryJSON `json:"entries"`
	}{p, board, user, page.Total, entries(page.Entries)})
}

// playerJSON is one player's standing and stats. Rank, score and percentile
// are null for a player with stats but no place on the board.
type playerJSON struct {
	Product    string         `json:"product_id"`
	UserID     string         `json:"user_id"`
	Board      string         `json:"board"`
	Rank       *int64         `json:"rank"`
	Score      *json.Number   `json:"score"`
	Percentile *float64       `json:"percentile"`
	Total      int64          `json:"total"`
	Stats      map[string]any `json:"stats"`
}

// v1Player: GET /v1/products/{product}/players/{user}?board=
func (s *Server) v1Player(w http.ResponseWriter, r *http.Request) {
	p, prod, user, board, ok := s.v1PlayerBoard(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	out := playerJSON{Product: p, UserID: user, Board: board, Stats: map[string]any{}}
	st, err := s.cfg.Store.Rank(ctx, store.RefOf(prod, p, board), user)
	switch {
	case err == nil:
		out.Rank = &st.Rank
		sc := jsonScore(st.Score)
		if st.Value != "" {
			sc = json.Number(st.Value)
		}
		out.Score = &sc
		pc := percentile(st.Rank, st.Total)
		out.Percentile = &pc
		out.Total = st.Total
	case errors.Is(err, store.ErrNotFound):
		if out.Total, err = s.cfg.Store.BoardSize(ctx, p, board); err != nil {
			s.storeError(w, r, err)
			return
		}
	default:
		s.storeError(w, r, err)
		return
	}
	stats, err := s.cfg.Store.PlayerStats(ctx, s.cfg.Registry.Lookup(p), p, user)
	if err != nil {
		s.storeError(w, r, err)
		return
	}
	if out.Rank == nil && len(stats) == 0 {
		writeError(w, http.StatusNotFound, "player_not_found", fmt.Sprintf("%s has no score and no stats in %s", user, p))
		return
	}
	for k, v := range stats {
		out.Stats[k] = statValue(v)
	}
	writeJSON(w, http.StatusOK, out)
}

// percentile is the share of the board (in percent, two decimals) that does
// not rank above the player: 100 for the best, 100/total for the last; tied
// players share it.
func percentile(rank, total int64) float64 {
	if total <= 0 || rank <= 0 {
		return 0
	}
	v := 100 * float64(total-rank+1) / float64(total)
	return math.Round(v*100) / 100
}

// statValue turns a stored stat into a JSON number when it is one
// (counters are integers, ratings decimals) and leaves other text as a
// string.
func statValue(v string) any {
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		return n
	}
	if x, err := strconv.ParseFloat(v, 64); err == nil && !math.IsInf(x, 0) && !math.IsNaN(x) {
		return x
	}
	return v
}

type productJSON struct {
	Product      string   `json:"product_id"`
	Players      int64    `json:"players"`
	DefaultBoard string   `json:"default_board"`
	Boards       []string `json:"boards"`
	Registered   bool     `json:"registered"`
	// BoardInfo describes each board, in Boards' order (issue 11).
	BoardInfo []boardInfoJSON `json:"board_info"`
}

// boardInfoJSON is how one board keeps and ranks its scores.
type boardInfoJSON struct {
	Name     string `json:"name"`
	Scorer   string `json:"scorer"`
	Order    string `json:"order"`
	Ties     string `json:"ties"`
	Format   string `json:"format"`
	Operator string `json:"operator,omitempty"`
	Field    string `json:"field,omitempty"`
}

func boardInfo(prod handler.Product) []boardInfoJSON {
	out := make([]boardInfoJSON, len(prod.Boards))
	for i, b := range prod.Boards {
		out[i] = boardInfoJSON{Name: b.Name, Scorer: handler.Kind(b.Scorer), Order: b.Spec.Order.String(), Ties: b.Spec.Ties.String(), Format: b.Spec.Format.String()}
		if v, ok := b.Scorer.(handler.Value); ok {
			out[i].Operator, out[i].Field = v.Op.String(), v.Field
		}
	}
	return out
}

// v1Products: GET /v1/products — every product with data, plus the
// registered ones, with the player count of the default board.
func (s *Server) v1Products(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	ps, err := s.cfg.Store.Products(ctx)
	if err != nil {
		s.storeError(w, r, err)
		return
	}
	s.labels.addWithData(ps...)
	registered := map[string]bool{}
	for _, k := range s.cfg.Registry.Known() {
		registered[k] = true
	}
	seen := map[string]bool{}
	all := make([]string, 0, len(ps)+len(registered))
	for _, p := range append(ps, s.cfg.Registry.Known()...) {
		if !seen[p] && event.CheckProduct(p) == nil {
			seen[p] = true
			all = append(all, p)
		}
	}
	slices.Sort(all)
	out := struct {
		Products []productJSON `json:"products"`
	}{Products: make([]productJSON, 0, len(all))}
	// One pipelined round trip for every product's player count.
	defaults := make([]store.BoardID, len(all))
	for i, p := range all {
		defaults[i] = store.BoardID{Product: p, Board: s.cfg.Registry.Lookup(p).DefaultBoard()}
	}
	players, err := s.cfg.Store.BoardSizes(ctx, defaults)
	if err != nil {
		s.storeError(w, r, err)
		return
	}
	for i, p := range all {
		prod := s.cfg.Registry.Lookup(p)
		boards := make([]string, len(prod.Boards))
		for j, b := range prod.Boards {
			boards[j] = b.Name
		}
		out.Products = append(out.Products, productJSON{p, players[i], prod.DefaultBoard(), boards, registered[p], boardInfo(prod)})
	}
	writeJSON(w, http.StatusOK, out)
}
