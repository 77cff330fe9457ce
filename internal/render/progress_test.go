package render

import (
	"bytes"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeClock is a manually advanced clock for testing rate limiting.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func newClock() *fakeClock {
	return &fakeClock{t: time.Date(2025, 11, 25, 10, 50, 0, 0, time.UTC)}
}

func TestProgressDisabledWritesNothing(t *testing.T) {
	var buf bytes.Buffer
	clk := newClock()
	p := NewProgress(&buf, false, 1000, clk.now)
	for i := int64(1); i <= 20; i++ {
		clk.advance(time.Second)
		p.Update(i*10, i)
	}
	p.Done()
	if buf.Len() != 0 {
		t.Errorf("disabled progress wrote %q", buf.String())
	}

	var nilP *Progress // callers may hold a nil Progress
	nilP.Update(1, 1)
	nilP.Done()
}

func TestProgressRateLimit(t *testing.T) {
	var buf bytes.Buffer
	clk := newClock()
	p := NewProgress(&buf, true, 1000, clk.now)

	clk.advance(time.Second)
	p.Update(100, 500) // first update always draws
	want := "\rreplaying:  10.0% 500 events (500 events/s)"
	if buf.String() != want {
		t.Fatalf("first frame = %q, want %q", buf.String(), want)
	}

	// Within the interval: nothing new, however many updates.
	for i := 0; i < 9; i++ {
		clk.advance(10 * time.Millisecond)
		p.Update(int64(110+i), int64(501+i))
	}
	clk.advance(9 * time.Millisecond) // 99ms after the first frame
	p.Update(200, 600)
	if buf.String() != want {
		t.Fatalf("redrew within %v: %q", ProgressInterval, buf.String())
	}

	clk.advance(time.Millisecond) // exactly 100ms: redraw allowed
	p.Update(250, 1100)
	want += "\rreplaying:  25.0% 1100 events (1000 events/s)"
	if buf.String() != want {
		t.Fatalf("after interval got %q, want %q", buf.String(), want)
	}

	// Over ten simulated seconds of updates every millisecond, at most
	// ~10 frames per second may be drawn.
	before := strings.Count(buf.String(), "\r")
	for i := 0; i < 10000; i++ {
		clk.advance(time.Millisecond)
		p.Update(300, int64(1200+i))
	}
	if frames := strings.Count(buf.String(), "\r") - before; frames < 95 || frames > 101 {
		t.Errorf("drew %d frames in 10s, want about 100", frames)
	}
}

func TestProgressUnknownTotalAndClamp(t *testing.T) {
	var buf bytes.Buffer
	clk := newClock()
	p := NewProgress(&buf, true, 0, clk.now)
	p.Update(12345, 42) // no elapsed time yet: no rate
	if got, want := buf.String(), "\rreplaying: 42 events"; got != want {
		t.Errorf("unknown total: got %q, want %q", got, want)
	}

	buf.Reset()
	p = NewProgress(&buf, true, 100, clk.now)
	clk.advance(2 * time.Second)
	p.Update(150, 10) // more bytes than announced must not show >100%
	if got, want := buf.String(), "\rreplaying: 100.0% 10 events (5 events/s)"; got != want {
		t.Errorf("clamp: got %q, want %q", got, want)
	}
}

func TestProgressPadsAndClears(t *testing.T) {
	var buf bytes.Buffer
	clk := newClock()
	p := NewProgress(&buf, true, 0, clk.now)
	clk.advance(time.Second)
	p.Update(0, 123456789) // long frame
	long := len("replaying: 123456789 events (123456789 events/s)")
	clk.advance(time.Second)
	p.Update(0, 2) // shorter frame must blank the old tail
	frames := strings.Split(buf.String(), "\r")
	last := frames[len(frames)-1]
	if want := "replaying: 2 events (1 events/s)"; len(last) != long || strings.TrimRight(last, " ") != want {
		t.Errorf("short frame not padded over the long one: %q", last)
	}

	buf.Reset()
	p.Done()
	// The tail past the last frame's text is already blank, so clearing
	// that text is enough.
	if got, want := buf.String(), "\r"+strings.Repeat(" ", len("replaying: 2 events (1 events/s)"))+"\r"; got != want {
		t.Errorf("Done wrote %q, want %q", got, want)
	}
	buf.Reset()
	clk.advance(time.Second)
	p.Update(0, 2)
	p.Done()
	if buf.Len() != 0 {
		t.Errorf("output after Done: %q", buf.String())
	}

	// Done without any frame drawn writes nothing.
	var quiet bytes.Buffer
	NewProgress(&quiet, true, 10, clk.now).Done()
	if quiet.Len() != 0 {
		t.Errorf("Done with no frame wrote %q", quiet.String())
	}
}

func TestProgressConcurrentUpdates(t *testing.T) {
	var buf bytes.Buffer
	clk := newClock()
	p := NewProgress(&buf, true, 1<<20, clk.now)
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 200; i++ {
				clk.advance(time.Millisecond)
				p.Update(int64(i), int64(i))
			}
		}()
	}
	wg.Wait()
	p.Done()
	if !strings.HasSuffix(buf.String(), "\r") || bytes.IndexByte(buf.Bytes(), 0x1b) >= 0 {
		t.Errorf("unexpected output: %q", buf.String())
	}
}

// An export counts players, not replayed events.
func TestProgressCounting(t *testing.T) {
	var buf bytes.Buffer
	clk := newClock()
	p := NewProgress(&buf, true, 1000, clk.now).Counting("exporting", "players")
	clk.advance(2 * time.Second)
	p.Update(250, 250)
	if got, want := buf.String(), "\rexporting:  25.0% 250 players (125 players/s)"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}
