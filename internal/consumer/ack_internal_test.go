package consumer

import (
	"errors"
	"sync"
	"testing"
	"time"
)

// TestAckerOrderAndBound holds the acker to its promises: tails run one at
// a time in the order handed, hand returns at once while fewer than
// maxTails are in flight and waits for the oldest when that many are, and
// a failed tail's error comes back from a later hand or from wait.
func TestAckerOrderAndBound(t *testing.T) {
	var a acker
	var mu sync.Mutex
	var order []int
	running := 0
	release := make([]chan struct{}, 6)
	for i := range release {
		release[i] = make(chan struct{})
	}
	tail := func(i int, err error) func() error {
		return func() error {
			mu.Lock()
			running++
			if running > 1 {
				t.Errorf("tail %d runs alongside another", i)
			}
			mu.Unlock()
			<-release[i]
			mu.Lock()
			running--
			order = append(order, i)
			mu.Unlock()
			return err
		}
	}
	boom := errors.New("ack failed")
	// maxTails tails in flight, none finished: each hand returns at once.
	for i := 0; i < maxTails; i++ {
		done := make(chan error, 1)
		go func() { done <- a.hand(tail(i, nil)) }()
		select {
		case err := <-done:
			if err != nil {
				t.Fatal(err)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("hand %d waited with %d tails in flight", i, i)
		}
	}
	// One more must wait for the oldest.
	done := make(chan error, 1)
	go func() { done <- a.hand(tail(maxTails, boom)) }()
	select {
	case <-done:
		t.Fatalf("hand returned with %d tails in flight", maxTails)
	case <-time.After(50 * time.Millisecond):
	}
	close(release[0])
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= maxTails; i++ {
		close(release[i])
	}
	// The failing tail (the last handed) is reported by wait.
	if err := a.wait(); !errors.Is(err, boom) {
		t.Fatalf("wait = %v, want the failed tail's error", err)
	}
	if err := a.wait(); err != nil {
		t.Fatalf("a second wait = %v, want nil: nothing is in flight", err)
	}
	for i, got := range order {
		if got != i {
			t.Fatalf("tails ran in order %v, want 0..%d", order, maxTails)
		}
	}
	if len(order) != maxTails+1 {
		t.Fatalf("%d tails ran, want %d", len(order), maxTails+1)
	}
	// A failure is also reported by the hand that finds it oldest.
	close(release[5])
	if err := a.hand(tail(5, boom)); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < maxTails; i++ {
		if err := a.hand(func() error { return nil }); err != nil {
			if !errors.Is(err, boom) {
				t.Fatalf("hand = %v, want the failed tail's error", err)
			}
			return
		}
	}
	t.Fatal("no hand reported the failed tail")
}
