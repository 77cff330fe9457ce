package server

import (
	"context"
	"fmt"
	"net/http"
	"sync"
)

// readyProbe runs at most one readiness check at a time. go-redis does not
// cut a blocked socket read at the context's deadline (its own read timeout
// and retries decide: 5 s against a SIGSTOPped Redis), so /readyz waits for
// the check only until ReadyTimeout and answers; a check still blocked is
// shared by the probes that follow instead of piling up connections.
type readyProbe struct {
	mu     sync.Mutex
	flight *readyFlight
}

type readyFlight struct {
	done chan struct{}
	err  error
}

// check runs (or joins) one check and waits for it until ctx ends.
func (p *readyProbe) check(ctx context.Context, run func() error) error {
	p.mu.Lock()
	f := p.flight
	if f == nil {
		f = &readyFlight{done: make(chan struct{})}
		p.flight = f
		go func() {
			f.err = run()
			p.mu.Lock()
			p.flight = nil
			p.mu.Unlock()
			close(f.done)
		}()
	}
	p.mu.Unlock()
	select {
	case <-f.done:
		return f.err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// ready answers /readyz's failures and reports whether the server is ready:
// Redis answers a PING, and Config.Ready (if any) is content, all within
// ReadyTimeout.
func (s *Server) ready(w http.ResponseWriter, r *http.Request) bool {
	ctx, cancel := context.WithTimeout(r.Context(), s.cfg.ReadyTimeout)
	defer cancel()
	err := s.probe.check(ctx, func() error {
		pctx, pcancel := context.WithTimeout(context.Background(), s.cfg.ReadyTimeout)
		defer pcancel()
		return s.cfg.Store.Ping(pctx)
	})
	if err != nil {
		s.log.Warn("not ready", "err", err)
		writeError(w, http.StatusServiceUnavailable, "not_ready", "the stats store (Redis) is not reachable within "+s.cfg.ReadyTimeout.String())
		return false
	}
	if s.cfg.Ready != nil {
		if err := s.cfg.Ready(ctx); err != nil {
			s.log.Warn("not ready", "err", err)
			writeError(w, http.StatusServiceUnavailable, "not_ready", fmt.Sprintf("not ready: %v", err))
			return false
		}
	}
	return true
}
