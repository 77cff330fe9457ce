package cmdutil

import "runtime/debug"

// GCPercent is the GOGC the daemons (consume, serve) run with unless the
// environment sets one: their live heaps are a few MB, so the default 100
// collects many times a second under load, and a collection's assists
// land on the request or batch in hand. Collecting 4x less often costs a
// few MB of memory (docs/serve.md, docs/consume.md have the figures).
const GCPercent = 400

// TuneGC sets GCPercent and a soft memory limit of limit bytes, which keeps
// the resident size bounded whatever GCPercent lets the heap grow to. GOGC
// and GOMEMLIMIT in the environment win, so an operator can always undo it.
func TuneGC(f *Factory, limit int64) {
	if f.Env("GOGC") == "" {
		debug.SetGCPercent(GCPercent)
	}
	if f.Env("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(limit)
	}
}
