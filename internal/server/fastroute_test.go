package server

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/varcade/statsctl/internal/event"
)

// The top-ten fast route answers exactly what the mux would: for paths
// chosen to sit on its edges (escapes, dot segments, empty and extra
// segments, bad product ids, other methods) a server with the fast route
// and one routing everything through the mux give the same status,
// headers and body, and count the requests under the same metric labels.
func TestFastRouteSameAsMux(t *testing.T) {
	cfg := miniConfig(t, event.Event{Fields: map[string]string{"product_id": "exrps", "type": "game_over", "game_id": "g", "winner_id": "u1", "loser_id": "u 2"}})
	newSrv := func(muxOnly bool) *Server {
		s, err := New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		s.muxOnly = muxOnly
		return s
	}
	fast, slow := newSrv(false), newSrv(true)

	paths := []string{
		"/leaderboards/top_ten/exrps", "/leaderboards/top_ten/chess", "/leaderboards/top_ten/nogame",
		"/leaderboards/top_ten/", "/leaderboards/top_ten", "/leaderboards/top_ten/exrps/",
		"/leaderboards/top_ten/exrps/x", "/leaderboards/top_ten/.", "/leaderboards/top_ten/..",
		"/leaderboards/top_ten/../top_ten/exrps", "/leaderboards//top_ten/exrps", "//leaderboards/top_ten/exrps",
		"/leaderboards/top_ten/ex%72ps", "/leaderboards/top_ten/ex%2Frps", "/leaderboards/top_ten/ex%20rps",
		"/leaderboards/top_ten/%2e%2e", "/leaderboards/top_ten/a b", "/leaderboards/top_ten/ex{rps",
		"/leaderboards/top_ten/" + strings.Repeat("x", 300), "/Leaderboards/top_ten/exrps",
		"/leaderboards/top_ten/exrps?x=1", "/leaderboards/top_ten/exrps#frag",
	}
	fastTaken := 0
	for _, p := range paths {
		for _, method := range []string{"GET", "HEAD", "POST", "DELETE"} {
			u, err := url.ParseRequestURI(p)
			if err != nil {
				t.Fatalf("%s: %v", p, err)
			}
			do := func(s *Server) *httptest.ResponseRecorder {
				req := httptest.NewRequest("GET", "/", nil)
				req.Method, req.URL, req.RequestURI = method, u, p
				rec := httptest.NewRecorder()
				s.ServeHTTP(rec, req)
				return rec
			}
			req := httptest.NewRequest("GET", "/", nil)
			req.Method, req.URL = method, u
			if _, ok := fast.fastRoute(req); ok {
				fastTaken++
			}
			a, b := do(fast), do(slow)
			if a.Code != b.Code || a.Body.String() != b.Body.String() {
				t.Errorf("%s %s: fast route %d %q, mux %d %q", method, p, a.Code, a.Body, b.Code, b.Body)
			}
			for _, h := range []string{"Content-Type", "Content-Length", "X-Content-Type-Options", "Location", "Allow"} {
				if a.Header().Get(h) != b.Header().Get(h) {
					t.Errorf("%s %s: %s fast %q, mux %q", method, p, h, a.Header().Get(h), b.Header().Get(h))
				}
			}
		}
	}
	// The fast route carries the six plain paths (exrps, chess, nogame,
	// ex%20rps, the long id, exrps?x=1) for GET and HEAD, or this compared
	// the mux with itself; the rest (escapes the mux would decode
	// differently, dot segments, extra segments) are the mux's.
	if fastTaken != 6*2 {
		t.Fatalf("the fast route took %d of the requests; want 12", fastTaken)
	}
	if f, s := requestSeries(t, fast), requestSeries(t, slow); f != s {
		t.Errorf("request metrics differ:\nfast route:\n%s\nmux:\n%s", f, s)
	}
}

// requestSeries is statsctl_http_requests_total of a server, one line per
// series, sorted.
func requestSeries(t *testing.T, s *Server) string {
	t.Helper()
	mfs, err := s.Metrics().Gather()
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, mf := range mfs {
		if mf.GetName() != "statsctl_http_requests_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			var l []string
			for _, lp := range m.GetLabel() {
				l = append(l, lp.GetName()+"="+lp.GetValue())
			}
			lines = append(lines, strings.Join(l, ",")+" "+strconv.FormatFloat(m.GetCounter().GetValue(), 'g', -1, 64))
		}
	}
	sort.Strings(lines)
	return strings.Join(lines, "\n")
}

var _ http.Handler = (*Server)(nil)
