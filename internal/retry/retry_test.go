package retry_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/varcade/statsctl/internal/retry"
)

var errFlaky = errors.New("flaky")

func TestDoRetriesUntilSuccessWithDoublingCappedWaits(t *testing.T) {
	var waits []time.Duration
	recovered := 0
	calls := 0
	err := retry.Do(context.Background(), retry.Policy{
		Min: time.Millisecond, Max: 4 * time.Millisecond,
		OnRetry:   func(attempt int, wait time.Duration, err error) error { waits = append(waits, wait); return nil },
		OnRecover: func(attempts int) { recovered = attempts },
	}, func(context.Context) error {
		if calls++; calls < 5 {
			return errFlaky
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []time.Duration{time.Millisecond, 2 * time.Millisecond, 4 * time.Millisecond, 4 * time.Millisecond}
	if fmt.Sprint(waits) != fmt.Sprint(want) || recovered != 5 {
		t.Errorf("waits %v, recovered after %d; want %v after 5", waits, recovered, want)
	}
}

func TestDoReturnsPermanentAndRejectedErrorsAtOnce(t *testing.T) {
	fatal := retry.Permanent(fmt.Errorf("bad cursor: %w", errFlaky))
	for name, tc := range map[string]struct {
		p   retry.Policy
		err error
	}{
		"permanent":         {retry.Policy{}, fatal},
		"wrapped permanent": {retry.Policy{}, fmt.Errorf("outer: %w", fatal)},
		"not retryable":     {retry.Policy{Retryable: func(error) bool { return false }}, errFlaky},
	} {
		calls := 0
		tc.p.OnRetry = func(int, time.Duration, error) error { t.Errorf("%s: retried", name); return nil }
		err := retry.Do(context.Background(), tc.p, func(context.Context) error { calls++; return tc.err })
		if err != tc.err || calls != 1 {
			t.Errorf("%s: got %v after %d calls, want %v after 1", name, err, calls, tc.err)
		}
	}
	if !retry.IsPermanent(fatal) || retry.IsPermanent(errFlaky) || retry.Permanent(nil) != nil {
		t.Error("IsPermanent/Permanent(nil) wrong")
	}
	if !errors.Is(fatal, errFlaky) || fatal.Error() != "bad cursor: flaky" {
		t.Errorf("the mark shows: %q", fatal.Error())
	}
}

func TestOnRetryErrorGivesUp(t *testing.T) {
	giveUp := errors.New("deadline")
	err := retry.Do(context.Background(), retry.Policy{Min: time.Millisecond,
		OnRetry: func(attempt int, _ time.Duration, _ error) error {
			if attempt == 3 {
				return giveUp
			}
			return nil
		}}, func(context.Context) error { return errFlaky })
	if err != giveUp {
		t.Errorf("got %v, want %v", err, giveUp)
	}
}

// TestStopEndsWaitingButNotWork: with stop done the attempt in hand still
// runs (under work), but a failure is not retried; with work done nothing
// runs.
func TestStopEndsWaitingButNotWork(t *testing.T) {
	stop, cancel := context.WithCancel(context.Background())
	cancel()
	calls := 0
	err := retry.DoUntil(stop, context.Background(), retry.Policy{}, func(x context.Context) error {
		calls++
		if x.Err() != nil {
			t.Error("work ran under a done context")
		}
		return errFlaky
	})
	if !errors.Is(err, retry.ErrStopped) || calls != 1 {
		t.Errorf("got %v after %d calls, want ErrStopped after 1", err, calls)
	}
	if err := retry.DoUntil(context.Background(), stop, retry.Policy{}, func(context.Context) error {
		t.Error("ran with work done")
		return nil
	}); !errors.Is(err, retry.ErrStopped) {
		t.Errorf("got %v, want ErrStopped", err)
	}

	// A stop during the wait ends it at once.
	stop, cancel = context.WithCancel(context.Background())
	time.AfterFunc(20*time.Millisecond, cancel)
	began := time.Now()
	err = retry.DoUntil(stop, context.Background(), retry.Policy{Min: time.Minute}, func(context.Context) error { return errFlaky })
	if !errors.Is(err, retry.ErrStopped) || time.Since(began) > 10*time.Second {
		t.Errorf("got %v after %s, want ErrStopped soon", err, time.Since(began))
	}
}

func TestFailureAfterWorkEndsIsAStop(t *testing.T) {
	work, cancel := context.WithCancel(context.Background())
	err := retry.Do(work, retry.Policy{}, func(context.Context) error {
		cancel()
		return retry.Permanent(errFlaky)
	})
	if !errors.Is(err, retry.ErrStopped) {
		t.Errorf("got %v, want ErrStopped", err)
	}
}
