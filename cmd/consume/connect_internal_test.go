package consume

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/varcade/statsctl/internal/cmdutil"
	"github.com/varcade/statsctl/internal/retry"
)

func TestConnectRetry(t *testing.T) {
	down := errors.New("connection refused")
	ctx := context.Background()
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, nil))

	calls := 0
	if err := connectRetry(ctx, log, 0, "stats redis", func() error {
		if calls++; calls < 3 {
			return down
		}
		return nil
	}); err != nil || calls != 3 {
		t.Fatalf("got %v after %d calls, want nil after 3", err, calls)
	}
	if !strings.Contains(logs.String(), "stats redis unavailable; retrying") || !strings.Contains(logs.String(), "stats redis answered; starting") {
		t.Errorf("log:\n%s", logs.String())
	}

	err := connectRetry(ctx, log, 50*time.Millisecond, "stream redis", func() error { return down })
	if err == nil || !strings.Contains(err.Error(), "stream redis did not answer within --connect-timeout 50ms") || !errors.Is(err, down) {
		t.Errorf("timeout: %v", err)
	}

	for _, stop := range []error{retry.Permanent(down), cmdutil.UsageErrorf("bad")} {
		calls = 0
		if err := connectRetry(ctx, log, 0, "x", func() error { calls++; return stop }); err == nil || calls != 1 {
			t.Errorf("%v: got %v after %d calls, want it after 1", stop, err, calls)
		}
	}

	cancelled, cancel := context.WithCancel(ctx)
	time.AfterFunc(20*time.Millisecond, cancel)
	if err := connectRetry(cancelled, log, 0, "x", func() error { return down }); err != nil {
		t.Errorf("stopped while waiting: %v, want nil", err)
	}
}
