package serve

import (
	"errors"
	"sync"
)

// healthChecks gathers what /healthz asks: the embedded store's listener
// and the background tasks. Checks are added before the server runs and
// read while it does, hence the lock.
type healthChecks struct {
	mu     sync.Mutex
	checks []func() error
}

func (h *healthChecks) add(c func() error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.checks = append(h.checks, c)
}

// check is server.Config.Health: every failing check, joined.
func (h *healthChecks) check() error {
	h.mu.Lock()
	cs := h.checks
	h.mu.Unlock()
	var errs []error
	for _, c := range cs {
		if err := c(); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
