package render

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"time"
)

// ProgressInterval is the minimum time between redraws. Ten frames a second
// looks live to a person without letting terminal writes slow the replay.
const ProgressInterval = 100 * time.Millisecond

// Progress draws a single self-overwriting status line for long replays. It
// belongs on stderr so stdout stays clean for the result (which may be piped
// into a program). It uses only \r and spaces, never ANSI sequences, so it is
// safe under NO_COLOR. A nil or disabled Progress is a no-op, letting callers
// update it unconditionally. Methods are safe for concurrent use.
type Progress struct {
	w       io.Writer
	enabled bool
	total   int64
	now     func() time.Time
	verb    string // "replaying"
	unit    string // "events"

	mu       sync.Mutex
	start    time.Time
	lastDraw time.Time
	drawn    bool // a frame has been written since the last clear
	width    int  // length of the last frame, to blank it out
	done     bool
}

// NewProgress returns a progress line writing to w (normally stderr). Pass
// enabled = IsTerminal(stderr) so logs and CI output don't fill with \r
// frames. total is the replay size in bytes; <= 0 means unknown and no
// percentage is shown. now is the clock, injected so rate limiting is
// testable; nil means time.Now.
func NewProgress(w io.Writer, enabled bool, total int64, now func() time.Time) *Progress {
	if now == nil {
		now = time.Now
	}
	return &Progress{w: w, enabled: enabled && w != nil, total: total, now: now, start: now(), verb: "replaying", unit: "events"}
}

// Counting makes the line count things other than replayed events (an
// export's players): "exporting: 12.0% 120000 players (80000 players/s)".
// Update's first argument is then the count done out of the total.
func (p *Progress) Counting(verb, unit string) *Progress {
	if p != nil {
		p.verb, p.unit = verb, unit
	}
	return p
}

// Update reports that doneBytes of the input have been consumed and events
// processed so far. It redraws at most once per ProgressInterval (the first
// call always draws), showing the percentage when the total is known, the
// event count and the average events per second since NewProgress. Write
// errors are ignored: progress is cosmetic and must never fail a replay.
func (p *Progress) Update(doneBytes, events int64) {
	if p == nil || !p.enabled {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.done {
		return
	}
	t := p.now()
	if p.drawn && t.Sub(p.lastDraw) < ProgressInterval {
		return
	}
	line := p.format(doneBytes, events, t.Sub(p.start))
	pad := ""
	if n := p.width - len(line); n > 0 {
		pad = strings.Repeat(" ", n) // blank the tail of a longer previous frame
	}
	_, _ = io.WriteString(p.w, "\r"+line+pad)
	p.width = len(line)
	p.lastDraw = t
	p.drawn = true
}

// Done erases the progress line, leaving the cursor at the start of an empty
// line so whatever is printed next is not mixed with a stale frame. Later
// Updates are ignored.
func (p *Progress) Done() {
	if p == nil || !p.enabled {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.done {
		return
	}
	p.done = true
	if p.drawn {
		_, _ = io.WriteString(p.w, "\r"+strings.Repeat(" ", p.width)+"\r")
		p.drawn = false
	}
}

func (p *Progress) format(doneBytes, events int64, elapsed time.Duration) string {
	var b strings.Builder
	b.WriteString(p.verb + ":")
	if p.total > 0 {
		pct := float64(doneBytes) / float64(p.total) * 100
		pct = min(max(pct, 0), 100)
		fmt.Fprintf(&b, " %5.1f%%", pct)
	}
	fmt.Fprintf(&b, " %d %s", events, p.unit)
	if secs := elapsed.Seconds(); secs > 0 {
		fmt.Fprintf(&b, " (%.0f %s/s)", float64(events)/secs, p.unit)
	}
	return b.String()
}
