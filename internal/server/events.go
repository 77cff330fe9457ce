package server

import (
	"bytes"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/varcade/statsctl/internal/engine"
	"github.com/varcade/statsctl/internal/event"
	"github.com/varcade/statsctl/internal/handler"
)

// eventResult is the verdict on one event of a POST /v1/events body.
type eventResult struct {
	Line    int    `json:"line"`
	Status  string `json:"status"`
	Product string `json:"product_id,omitempty"`
	Reason  string `json:"reason,omitempty"`
	Detail  string `json:"detail,omitempty"`
}

type eventsJSON struct {
	Events    int           `json:"events"`
	Applied   int           `json:"applied"`
	Duplicate int           `json:"duplicate"`
	Ignored   int           `json:"ignored"`
	Invalid   int           `json:"invalid"`
	Results   []eventResult `json:"results"`
	// Omitted is how many events have no entry in Results (see
	// MaxEventResults); absent when every event is listed.
	Omitted int `json:"results_omitted,omitempty"`
}

// authorized compares the bearer token in constant time. Both sides are
// hashed first so neither the token's length nor its prefix leaks.
func (s *Server) authorized(r *http.Request) bool {
	h := r.Header.Get("Authorization")
	const prefix = "Bearer "
	if len(h) < len(prefix) || !strings.EqualFold(h[:len(prefix)], prefix) {
		return false
	}
	got := sha256.Sum256([]byte(strings.TrimSpace(h[len(prefix):])))
	want := sha256.Sum256([]byte(s.cfg.WriteToken))
	return subtle.ConstantTimeCompare(got[:], want[:]) == 1
}

// v1Events: POST /v1/events. The body is one JSON object, or JSONL (one
// flat object per line), with the fields of a stream entry; each event goes
// through the same apply path as `track` and the consumer.
func (s *Server) v1Events(w http.ResponseWriter, r *http.Request) {
	if s.cfg.WriteToken == "" {
		writeError(w, http.StatusNotFound, "not_found", "the write route is disabled; start serve with --write-token (or STATSCTL_WRITE_TOKEN) to enable it")
		return
	}
	if !s.authorized(r) {
		w.Header().Set("WWW-Authenticate", `Bearer realm="statsctl"`)
		writeError(w, http.StatusUnauthorized, "unauthorized", "send the write token as \"Authorization: Bearer <token>\"")
		return
	}
	if !s.writes.tryAcquire() {
		s.tooBusy(w)
		return
	}
	defer s.writes.release()
	if r.ContentLength > s.cfg.MaxBody {
		s.tooLarge(w)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.cfg.MaxBody))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			s.tooLarge(w)
			return
		}
		writeError(w, http.StatusBadRequest, "bad_body", "could not read the request body: "+err.Error())
		return
	}
	evs, lines, tally := parseEvents(body)
	if len(evs) == 0 && tally.badN == 0 {
		writeError(w, http.StatusBadRequest, "empty_body", `no events in the body; send one JSON object such as {"product_id":"exrps","type":"game_over","game_id":"g1","winner_id":"u1","loser_id":"u2"} or JSONL`)
		return
	}
	var outs []engine.Outcome
	if len(evs) > 0 {
		var err error
		outs, err = s.cfg.Engine.Apply(r.Context(), evs)
		if err != nil {
			s.storeError(w, r, fmt.Errorf("apply %d events: %w", len(evs), err))
			return
		}
		var touched []string
		for _, o := range outs {
			if o.Status == engine.Applied {
				touched = append(touched, o.Product)
			}
		}
		s.top.invalidate(touched...)
	}
	out := tally.finish(lines, outs)
	for status, n := range map[string]int{engine.Applied.String(): out.Applied, engine.Duplicate.String(): out.Duplicate,
		engine.Ignored.String(): out.Ignored, engine.Invalid.String(): out.Invalid} {
		if n > 0 {
			s.metrics.events.WithLabelValues(status).Add(float64(n))
		}
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) tooLarge(w http.ResponseWriter) {
	w.Header().Set("Connection", "close")
	writeError(w, http.StatusRequestEntityTooLarge, "body_too_large",
		fmt.Sprintf("the body is larger than %d bytes; send fewer events per request", s.cfg.MaxBody))
}

// parseEvents reads a single JSON object (possibly spread over lines) or
// JSONL. evs are the lines that parsed, lines[i] the line of evs[i]; the
// tally holds the lines that did not (invalid, reason malformed).
func parseEvents(body []byte) ([]event.Event, []int, *eventTally) {
	tally := &eventTally{}
	if ev, err := event.ParseJSON(bytes.TrimSpace(body)); err == nil {
		ev.Src = event.Source{File: "request", Line: 1}
		return []event.Event{ev}, []int{1}, tally
	}
	n := bytes.Count(body, []byte{'\n'}) + 1
	evs := make([]event.Event, 0, n)
	lines := make([]int, 0, n)
	dec := event.NewDecoder(bytes.NewReader(body), "request")
	for {
		ev, err := dec.Next()
		if err == io.EOF {
			break
		}
		var le *event.LineError
		if errors.As(err, &le) {
			tally.malformed(eventResult{Line: le.Src.Line, Status: engine.Invalid.String(), Reason: handler.ReasonMalformed, Detail: le.Err.Error()})
			continue
		}
		if err != nil { // a bytes.Reader does not fail; be safe anyway
			tally.malformed(eventResult{Line: len(lines) + tally.badN + 1, Status: engine.Invalid.String(), Reason: handler.ReasonMalformed, Detail: err.Error()})
			break
		}
		lines = append(lines, ev.Src.Line)
		evs = append(evs, ev)
	}
	return evs, lines, tally
}
