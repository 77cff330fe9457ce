// Package retry is statsctl's one backoff loop: the stream daemon retries
// Redis operations through it and `statsctl consume` waits for its servers
// to answer through it. What counts as worth retrying, what to log and when
// to give up are the caller's, passed in a Policy; the loop only decides
// when to try again and when to stop. It depends on nothing of statsctl, so
// any layer may use it.
package retry

import (
	"context"
	"errors"
	"time"
)

// ErrStopped is what Do returns when it was told to stop before fn
// succeeded: callers tell a requested stop from a failure with errors.Is.
var ErrStopped = errors.New("stopped")

// Permanent marks err as one that no later attempt can fix (a usage problem
// found at run time, a deadline given up on): Do returns it at once, still
// marked, so an enclosing loop does not retry it either. The mark is
// invisible to Error, errors.Is and errors.As. Permanent(nil) is nil.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return &permanent{err}
}

// IsPermanent reports whether err, or an error it wraps, was marked by
// Permanent.
func IsPermanent(err error) bool {
	var p *permanent
	return errors.As(err, &p)
}

type permanent struct{ err error }

func (p *permanent) Error() string { return p.err.Error() }
func (p *permanent) Unwrap() error { return p.err }

// Policy says how Do retries. The zero Policy retries every error that is
// not Permanent, waiting 100ms, then twice as long each time, up to 100ms.
type Policy struct {
	// Min is the first wait and Max caps the doubling after it; Min <= 0
	// means 100ms and Max < Min means Min.
	Min, Max time.Duration
	// Retryable says whether a failure may go away by itself; nil retries
	// every error not marked Permanent.
	Retryable func(error) bool
	// OnRetry, if set, is told of each failure about to be retried, before
	// the wait (to log or count it). An error from it ends Do with that
	// error: that is how a caller gives up after a deadline.
	OnRetry func(attempt int, wait time.Duration, err error) error
	// OnRecover, if set, is told when an attempt succeeds after failed ones.
	OnRecover func(attempts int)
}

// Do runs fn under ctx until it succeeds, retrying as p says; it is
// DoUntil with one context for both the work and the waiting.
func Do(ctx context.Context, p Policy, fn func(context.Context) error) error {
	return DoUntil(ctx, ctx, p, fn)
}

// DoUntil runs fn under work until it succeeds. A failure p.Retryable
// accepts is retried after a capped exponential backoff; one marked
// Permanent, or rejected, is returned as it is. Two contexts, because a
// daemon that is asked to stop should give up retrying at once (stop) yet
// let work already in hand finish (work, which may outlive stop): once
// stop is done no new attempt follows a failure, and once work is done no
// attempt starts at all. Either returns ErrStopped, as does a failure
// while work is done (its error is only the cancellation).
func DoUntil(stop, work context.Context, p Policy, fn func(context.Context) error) error {
	wait := p.Min
	if wait <= 0 {
		wait = 100 * time.Millisecond
	}
	maxWait := max(p.Max, wait)
	for attempt := 1; ; attempt++ {
		if work.Err() != nil {
			return ErrStopped
		}
		err := fn(work)
		if err == nil {
			if attempt > 1 && p.OnRecover != nil {
				p.OnRecover(attempt)
			}
			return nil
		}
		if work.Err() != nil {
			return ErrStopped
		}
		if IsPermanent(err) || (p.Retryable != nil && !p.Retryable(err)) {
			return err
		}
		if stop.Err() != nil {
			return ErrStopped
		}
		if p.OnRetry != nil {
			if gerr := p.OnRetry(attempt, wait, err); gerr != nil {
				return gerr
			}
		}
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-stop.Done():
			t.Stop()
			return ErrStopped
		case <-work.Done():
			t.Stop()
			return ErrStopped
		}
		wait = min(wait*2, maxWait)
	}
}
