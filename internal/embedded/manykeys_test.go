package embedded

import (
	"context"
	"fmt"
	"testing"
	"time"
)

// Saving a store with many keys must not deadlock: the snapshot pipelines
// one command per key over the in-memory connection, far more bytes than
// an unbuffered pipe holds while replies wait to be read.
func TestSaveManyKeys(t *testing.T) {
	s := openT(t, Options{Dir: t.TempDir()})
	c := client(t, s)
	ctx := context.Background()
	for i := 0; i < 1500; i += 250 {
		pipe := c.Pipeline()
		for j := i; j < i+250; j++ {
			pipe.HSet(ctx, fmt.Sprintf("statsctl:{exrps}:stats:player-%05d", j), "games", j, "wins", 1)
		}
		if _, err := pipe.Exec(ctx); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("wrote 1500 keys")
	start := time.Now()
	done := make(chan error, 1)
	go func() { done <- s.Save() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Save: %v", err)
		}
		t.Logf("saved in %s", time.Since(start))
	case <-time.After(30 * time.Second):
		t.Fatal("Save of 1500 keys did not finish in 30s (deadlock on the in-memory connection)")
	}
}
