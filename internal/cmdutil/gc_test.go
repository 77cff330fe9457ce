package cmdutil

import (
	"math"
	"runtime/debug"
	"testing"
)

// TuneGC sets both knobs when the environment leaves them alone, and never
// overrides an operator's GOGC or GOMEMLIMIT. The runtime's settings are
// process-wide, so the test puts back what it found.
func TestTuneGCLeavesTheEnvironmentAlone(t *testing.T) {
	pct := debug.SetGCPercent(100)
	lim := debug.SetMemoryLimit(math.MaxInt64)
	t.Cleanup(func() {
		debug.SetGCPercent(pct)
		debug.SetMemoryLimit(lim)
	})
	env := func(vars map[string]string) *Factory {
		return &Factory{Getenv: func(k string) (string, bool) { v, ok := vars[k]; return v, ok }}
	}

	TuneGC(env(nil), 40<<20)
	if got := debug.SetGCPercent(100); got != GCPercent {
		t.Errorf("GOGC unset: percent %d, want %d", got, GCPercent)
	}
	if got := debug.SetMemoryLimit(math.MaxInt64); got != 40<<20 {
		t.Errorf("GOMEMLIMIT unset: limit %d, want %d", got, 40<<20)
	}

	TuneGC(env(map[string]string{"GOGC": "100", "GOMEMLIMIT": "1GiB"}), 40<<20)
	if got := debug.SetGCPercent(100); got != 100 {
		t.Errorf("GOGC=100 set: percent %d, want it left at 100", got)
	}
	if got := debug.SetMemoryLimit(math.MaxInt64); got != math.MaxInt64 {
		t.Errorf("GOMEMLIMIT set: limit %d, want it left alone", got)
	}
}
