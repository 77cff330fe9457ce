package serve

import (
	"bufio"
	"context"
	"io"
	"sync"
	"time"
)

// logBuffer batches log lines into few writes: at tens of thousands of
// requests a second, one write(2) per access-log line costs a third of the
// throughput on a 2-core machine. Lines reach the underlying writer when
// the buffer fills, every flush interval, and at shutdown.
type logBuffer struct {
	mu sync.Mutex
	w  *bufio.Writer
}

func newLogBuffer(w io.Writer) *logBuffer {
	return &logBuffer{w: bufio.NewWriterSize(w, 64<<10)}
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.w.Write(p)
}

// Flush writes out what is buffered.
func (b *logBuffer) Flush() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.w.Flush()
}

// flushEvery is a background task flushing the buffer periodically, and
// once more when it stops.
func (b *logBuffer) flushEvery(d time.Duration) func(context.Context) error {
	return func(ctx context.Context) error {
		t := time.NewTicker(d)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				_ = b.Flush()
				return nil
			case <-t.C:
				_ = b.Flush()
			}
		}
	}
}
