package server

import (
	"errors"
	"strings"
	"sync/atomic"
	"testing"
)

// /healthz asks Config.Health: while it errs, 503 unhealthy with its text,
// so a supervisor restarts a serve whose embedded store or consumer died.
func TestHealthzAsksHealth(t *testing.T) {
	var broken atomic.Bool
	f := newFixture(t, func(c *Config) {
		c.Health = func() error {
			if broken.Load() {
				return errors.New("embedded Redis on 127.0.0.1:1: accepting clients has failed for 6s")
			}
			return nil
		}
	})
	f.get("/healthz").want(t, 200, `{"status":"ok"}`+"\n")
	broken.Store(true)
	body := f.get("/healthz").wantError(t, 503, "unhealthy")
	if msg, _ := body["message"].(string); !strings.Contains(msg, "accepting clients has failed") {
		t.Fatalf("/healthz error %v lacks the cause", body)
	}
	broken.Store(false)
	f.get("/healthz").want(t, 200, `{"status":"ok"}`+"\n")
}
