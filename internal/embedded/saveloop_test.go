package embedded

import (
	"context"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// lockedBuf is a log sink the test reads while SaveEvery writes to it.
type lockedBuf struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuf) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuf) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// SaveEvery writes snapshots while the store serves, logs a failed save (the
// error names the data dir) and keeps going, and returns when its context
// ends.
func TestSaveEvery(t *testing.T) {
	ctx := context.Background()
	s := openT(t, Options{Dir: t.TempDir()})
	defer s.Close()
	c := client(t, s)
	if err := c.Set(ctx, "k", "v", 0).Err(); err != nil {
		t.Fatal(err)
	}
	// A HyperLogLog makes every save report the key it could not keep.
	if err := c.PFAdd(ctx, "hll", "x").Err(); err != nil {
		t.Fatal(err)
	}
	var logs lockedBuf
	loopCtx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		s.SaveEvery(loopCtx, 5*time.Millisecond, slog.New(slog.NewTextHandler(&logs, nil)))
	}()
	deadline := time.Now().Add(10 * time.Second)
	for strings.Count(logs.String(), "save embedded snapshot") < 2 {
		if time.Now().After(deadline) {
			t.Fatalf("no two failed saves logged in 10s; log:\n%s", logs.String())
		}
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("SaveEvery did not return after its context ended")
	}
	if !strings.Contains(logs.String(), "hll (hll)") || !strings.Contains(logs.String(), s.Dir()) {
		t.Fatalf("log does not name the key and the dir:\n%s", logs.String())
	}
	snap, err := readSnapshotFile(filepath.Join(s.Dir(), SnapshotFile))
	if err != nil || snap == nil {
		t.Fatalf("no snapshot written: %v", err)
	}
	if len(snap.Keys) != 1 || snap.Keys[0].Key != "k" || snap.Keys[0].String != "v" {
		t.Fatalf("snapshot keys %+v, want k=v", snap.Keys)
	}
}

// A non-positive interval saves nothing and still returns when ctx ends.
func TestSaveEveryOff(t *testing.T) {
	s := openT(t, Options{Dir: t.TempDir()})
	defer s.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	s.SaveEvery(ctx, 0, slog.New(slog.DiscardHandler))
	if snap, err := readSnapshotFile(filepath.Join(s.Dir(), SnapshotFile)); err != nil || snap != nil {
		t.Fatalf("snapshot %v, %v; want none", snap, err)
	}
}
